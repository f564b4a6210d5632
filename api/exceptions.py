"""Map domain errors to DRF's standard error shape, in the request's language.

``django.core.exceptions.ValidationError`` → 400 with field errors; ``cases.exceptions.
NotFound`` → 404; ``cases.exceptions.Conflict`` → 409; the database unreachable or the
connection lost (``config.errors.is_database_unavailable``) → 503 with ``Retry-After``
(issue 9). Anything else unexpected stays a 500 (and is a bug to fix).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.exceptions import Conflict, NotFound
from config.errors import (
    RETRY_AFTER_SECONDS,
    database_unavailable_message,
    is_database_unavailable,
    log_database_unavailable,
)


def exception_handler(exc, context):
    if is_database_unavailable(exc):
        # DRF's request wraps Django's; the log wants the request id Django's carries.
        request = context["request"]
        log_database_unavailable(getattr(request, "_request", request), exc)
        response = Response(
            {"detail": database_unavailable_message()},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        # Logged once, above (``django.utils.log.log_response`` looks for this flag).
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            # Model-level errors (unique together, check constraints) come as "__all__";
            # DRF clients expect "non_field_errors".
            detail = {
                ("non_field_errors" if key == "__all__" else key): value
                for key, value in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, NotFound):
        exc = exceptions.NotFound()
    elif isinstance(exc, Conflict):
        return Response(
            {"detail": exc.message, "current_status": exc.current_status},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
