"""The one way to write an API view: subclass :class:`Api`.

``Api`` *adds to* DRF's default stack (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``
and ``["DEFAULT_PERMISSION_CLASSES"]``: signed in, and past the second factor where
required, ``api.permissions.IsVerifiedWhenRequired``), never replaces it (STYLE.md,
example 5). A view names what it needs on top:

- ``extra_permission_classes``: checked for every method, after the default stack;
- ``write_permission_classes``: checked after those for the methods that write
  (anything but GET, HEAD, OPTIONS) of a view that also reads.

Setting ``permission_classes`` on a subclass is refused when the class is created: in
DRF it *replaces* the default, which once let views drop the second-factor check
silently (issue 8). The one view anyone may call, token sign-in, is an
:class:`AnonymousApi`; ``tests/api/test_api_idiom.py`` walks the URL resolver and checks
that every other ``/api/v1/`` view is an ``Api`` and carries the second-factor check.

View classes are named ``<Resource><Action>Api`` (``CaseCloseApi``). Reads of case data
go through :func:`record_read` (an ``AccessEvent`` and ``Cache-Control: no-store``);
writes that answer with case data call ``config.http.mark_case_data`` (re-exported
here).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from cases.audit import AuditContext, record_access
from cases.models import AccessEvent, Organisation
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest, mark_case_data

CHANNEL = "api"


class Api(APIView):
    """Base of every API view: DRF's default authentication and permissions, then the
    view's ``extra_permission_classes``, then (writes only) ``write_permission_classes``.
    """

    extra_permission_classes: ClassVar[Sequence[type[BasePermission]]] = ()
    write_permission_classes: ClassVar[Sequence[type[BasePermission]]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "permission_classes" in vars(cls):
            raise ImproperlyConfigured(
                f"{cls.__qualname__} sets permission_classes, which replaces DRF's default "
                "stack (and its second-factor check): list extra_permission_classes or "
                "write_permission_classes instead (api/base.py)."
            )

    def get_permissions(self) -> list[BasePermission]:
        classes = [*self.default_permission_classes(), *self.extra_permission_classes]
        request = getattr(self, "request", None)
        if request is not None and request.method not in SAFE_METHODS:
            classes += self.write_permission_classes
        return [permission() for permission in classes]

    @staticmethod
    def default_permission_classes() -> list[type[BasePermission]]:
        """``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]``, read when the request comes
        (so a test's settings override applies)."""
        # djangorestframework-stubs type the setting as written (dotted paths);
        # ``api_settings`` hands out the classes they name.
        return list(api_settings.DEFAULT_PERMISSION_CLASSES)  # type: ignore[arg-type]


class GenericApi(Api, GenericAPIView):
    """:class:`Api` with DRF's generic helpers (``paginate_queryset``,
    ``filter_queryset``) for the list views that use them."""


class AnonymousApi(Api):
    """For the one API view anyone may call, token sign-in (``api.views_auth``), which
    checks the password and the second factor itself: no authentication (so a stale
    session cookie cannot make it ask for CSRF), no permission."""

    authentication_classes = ()

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()]


def audit_context(request: Request) -> AuditContext:
    """Who, from where and with which request id, for the audit rows of an API call."""
    return AuditContext.from_request(request, channel=CHANNEL)


def record_read(
    request: AuthenticatedRequest,
    *,
    action: AccessAction,
    case_ids: Iterable[int],
    organisation: Organisation | int | None = None,
) -> AccessEvent:
    """Record that ``request.user`` read the data of ``case_ids`` (DESIGN rule 3: one
    ``AccessEvent``, ``cases.audit.record_access``, in the request's transaction) and
    mark the response ``Cache-Control: no-store``. ``action`` is the dotted audit verb
    (``"case.detail"``); ``case_ids`` may be empty for a read of case-file data that is
    not one case's (a list of people). ``organisation``: the one the reader acted for,
    default their first. Returns the row written."""
    event = record_access(
        actor=request.user,
        action=action,
        case_ids=case_ids,
        context=audit_context(request),
        organisation=organisation,
    )
    mark_case_data(request)
    return event
