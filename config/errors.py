"""Error responses for requests no view answered (``handler400`` … ``handler500``).

Every API error is JSON in DRF's shape (``{"detail": …}``), in the request's language,
whatever raised it: an unknown ``/api/…`` URL, a body Django refused (too many fields,
``RequestDataTooBig``) or an unexpected error. Pages elsewhere keep Django's views with
this project's templates (``templates/4xx.html``).

The database going away is not a server error but an outage (issue 9): a failure to
reach PostgreSQL or a connection lost under a request answers 503 with ``Retry-After``
(:func:`is_database_unavailable`, :func:`database_unavailable_response`), wherever it
was raised: in a middleware (sessions, sign-in, memberships) or a view (``handler500``
below), or in an API view (``api.exceptions.exception_handler``).
"""

from __future__ import annotations

import logging
import sys

import psycopg
from django import db
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        from config.middleware import too_large_response

        return too_large_response(request)
    if _is_api(request):
        return JsonResponse({"detail": str(exceptions.ParseError.default_detail)}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        detail = str(exceptions.PermissionDenied.default_detail)
        return JsonResponse({"detail": detail}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except`` block: the exception is the current one.
    exc = sys.exception()
    if exc is not None and is_database_unavailable(exc):
        return database_unavailable_response(request, exc)
    if _is_api(request):
        # Not "nothing was saved": the error may come after a commit (issue 9).
        detail = str(exceptions.APIException.default_detail)
        return JsonResponse({"detail": detail}, status=500)
    return defaults.server_error(request)


# --- The database is unavailable: 503, not 500 (issue 9) -------------------------------

# Seconds a client should wait before trying again (``Retry-After``, RFC 9110 §10.2.3): a
# PostgreSQL restart or fail-over takes seconds to a minute.
RETRY_AFTER_SECONDS = 30

# SQLSTATEs (PostgreSQL manual, appendix A) meaning "no usable connection", not "this
# statement failed": class 08 (connection exception), 57P01 admin_shutdown (``pg_ctl stop
# -m fast``, ``pg_terminate_backend``), 57P02 crash_shutdown, 57P03 cannot_connect_now
# (starting up or shutting down), 53300 too_many_connections.
CONNECTION_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})

outage_log = logging.getLogger("salvaguarda.outage")

# Where ``note_database_unavailable`` leaves the outage it saw, in the WSGI environ
# (``request.META``; PEP 3333 leaves dotted names to extensions).
ENVIRON_KEY = "salvaguarda.database_unavailable"


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached or the connection was lost:
    nothing the request did wrong, and the same request may succeed in a moment.

    Looks through the exception's causes (Django re-raises psycopg's errors as
    ``django.db`` ones ``from`` them). Recognised: ``django.db.InterfaceError`` and
    ``psycopg.InterfaceError`` (a closed connection); ``psycopg.OperationalError``
    without a SQLSTATE (the client could not connect, or the server closed the
    connection: psycopg sets no SQLSTATE on errors no server sent) or with one of
    :data:`CONNECTION_SQLSTATES`. Not recognised: every other database error, e.g.
    ``ProgrammingError``, ``IntegrityError``, a statement timeout (57014) or a deadlock
    (40P01) - those are answers from a working server, and stay what they were.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, db.InterfaceError | psycopg.InterfaceError):
            return True
        if isinstance(current, psycopg.OperationalError):
            sqlstate = current.sqlstate
            return sqlstate is None or sqlstate.startswith("08") or sqlstate in CONNECTION_SQLSTATES
        current = current.__cause__ or current.__context__
    return False


def database_unavailable_message() -> str:
    """The 503 message, in the active language."""
    return _(
        "The service is temporarily unavailable: the database cannot be reached. "
        "Please try again in a minute."
    )


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 (Service Unavailable, RFC 9110 §15.6.4) with ``Retry-After``, in the language the
    request asks for (the language cookie, then ``Accept-Language``; Spanish by default):
    JSON ``{"detail": …}`` under ``/api/``, ``templates/503.html`` elsewhere.

    Touches no database: the language comes from the request's headers and cookie (not
    the session, which is dropped from the request), and the page is rendered without a
    ``RequestContext`` (no context processor reads the session or the user). Logs one
    line (``salvaguarda.outage``) with the error and the request id (``-`` when the
    failure came before ``RequestContextMiddleware``); Django's own log line for the
    response is skipped, so each 503 is logged once.
    """
    log_database_unavailable(request, exc)
    # The session could not be read. On the way out SessionMiddleware would read it
    # again (its expiry, for the cookie), wait for the database a second time and fail
    # the same way: a second 503 for one request. Without a session it leaves the
    # response and the cookie alone (it never saves one on a 5xx anyway).
    if hasattr(request, "session"):
        del request.session
    with translation.override(translation.get_language_from_request(request)):
        message = database_unavailable_message()
        if _is_api(request):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            page = loader.get_template("503.html").render(
                {"message": message, "LANGUAGE_CODE": translation.get_language()}
            )
            response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Already logged above; ``django.utils.log.log_response`` looks for this flag.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def log_database_unavailable(request: HttpRequest, exc: BaseException) -> None:
    """One warning line per 503: method, path, the request id and the error's first line.
    Not the user: finding out who is signed in needs the database."""
    reason = (str(exc).strip().splitlines() or [""])[0]
    outage_log.warning(
        "Service Unavailable (database): %s %s request_id=%s error=%s: %s",
        request.method,
        request.path.encode("unicode_escape").decode("ascii"),
        getattr(request, "request_id", "-") or "-",
        type(exc).__name__,
        reason,
    )


def note_database_unavailable(sender: object, request: HttpRequest | None = None, **kwargs) -> None:
    """``got_request_exception`` receiver: when the exception Django is handling is an
    outage, keep it in ``request.META[ENVIRON_KEY]`` for
    ``config.middleware.DatabaseUnavailableMiddleware``. Django sends the signal inside
    its ``except`` block, so the exception is the current one."""
    exc = sys.exception()
    if request is not None and exc is not None and is_database_unavailable(exc):
        request.META[ENVIRON_KEY] = exc
