"""What Salvaguarda's middleware and authentication attach to a request, declared; and
what both faces (``api``, ``web``) and the admin do to a response that carries case
data. Neither face may import the other; both may import this.

The read audit itself (an ``AccessEvent``) is domain work: ``cases.audit.record_access``.
Each face has one small helper that calls it and :func:`mark_case_data`:
``api.base.record_read``, ``web.access.record_read``,
``cases.admin_site.CaseDataAdmin.record_read``.

Django types ``request.user`` as ``User | AnonymousUser`` and knows nothing of what our
middleware adds, so a view that passes ``request.user`` to a service, or reads
``request.request_id``, does not type-check unless it says what kind of request it
handles. These classes say it, after healthchecks' ``hc/accounts/http.py``
(``AuthenticatedHttpRequest(HttpRequest): user: User``). They are declarations for mypy
only: no request is ever an instance of them (Django builds ``WSGIRequest``, DRF wraps it
in ``rest_framework.request.Request``), so annotate a view's parameter with them, never
``isinstance``-check against them.

What is attached, by whom (``config.settings.MIDDLEWARE`` order):

- ``request.user`` — ``AuthenticationMiddleware`` (session) or DRF's authenticators
  (session, knox token). ``django_otp``'s ``OTPMiddleware`` wraps it and adds
  ``user.otp_device`` and ``user.is_verified()``; read those only through
  ``accounts.second_factor.is_verified`` (they exist only on a user that went through it).
- ``request.request_id`` (str, 32 hex digits) — ``RequestContextMiddleware``, for every
  request; echoed in ``X-Request-ID`` and written in every audit row.
- ``request.has_case_data`` (bool) — set by a view that shows case data, read by
  ``RequestContextMiddleware`` (``Cache-Control: no-store``). Absent unless set: use
  :func:`mark_case_data` and :func:`has_case_data`, never the attribute.
- ``request.axes_locked_out`` (bool) — django-axes, only on a sign-in attempt, ``True``
  once the username is locked out. Absent otherwise: use :func:`axes_locked_out`.
- ``request.auth`` (DRF) — knox's ``AuthToken`` for a token, ``None`` for a session.

A view behind ``login_required`` (web) or ``IsAuthenticated`` (API, the default
permission stack) declares its parameter as :class:`AuthenticatedHttpRequest` or
:class:`AuthenticatedRequest`; a class-based view, whose ``self.request`` stays typed
as Django's, gets the user from :func:`signed_in_user`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from rest_framework.request import Request

if TYPE_CHECKING:
    # Types only: ``config`` imports no app at run time, so any app may import this.
    from cases.models import User

# What a middleware's ``get_response`` is: the next middleware, or the view.
GetResponse = Callable[[HttpRequest], HttpResponseBase]

# The flags' attribute names, written by this module (and read by django-axes).
_CASE_DATA = "has_case_data"
_AXES_LOCKED_OUT = "axes_locked_out"


class SalvaguardaHttpRequest(HttpRequest):
    """A Django request that went through ``config.settings.MIDDLEWARE``."""

    request_id: str


class AuthenticatedHttpRequest(SalvaguardaHttpRequest):
    """A Django request of a signed-in user (a view behind ``login_required``)."""

    user: User


class AuthenticatedRequest(Request):
    """DRF's request of an authenticated user (``IsAuthenticated``, the default
    permission stack of the API).

    ``auth`` is the knox ``AuthToken`` of a token sign-in, ``None`` for a session.
    DRF's ``Request`` passes attribute reads (not writes) to the Django request it
    wraps, ``_request``: ``request.request_id`` reads the middleware's value.
    """

    user: User
    auth: Any  # knox's AuthToken | None (knox has no type information)
    request_id: str
    _request: SalvaguardaHttpRequest


def signed_in_user(request: HttpRequest) -> User:
    """``request.user`` as a ``User`` (Django's or DRF's request).

    For code behind ``login_required`` or ``IsAuthenticated``, where the user cannot be
    anonymous; raises ``PermissionDenied`` (403) if it is all the same, rather than
    handing an ``AnonymousUser`` to a service.
    """
    user = request.user
    if not user.is_authenticated:  # narrows: the stubs type it Literal[False] for anonymous
        raise PermissionDenied
    return user


def _django_request(request: HttpRequest | Request) -> HttpRequest:
    # DRF's Request does not pass attribute writes through to the Django request that
    # the middleware holds; flags go on that one.
    return request._request if isinstance(request, Request) else request


def mark_case_data(request: HttpRequest | Request) -> None:
    """Flag ``request`` (Django's or DRF's) as answered with case data:
    ``RequestContextMiddleware`` then sends ``Cache-Control: no-store``."""
    setattr(_django_request(request), _CASE_DATA, True)


def has_case_data(request: HttpRequest | Request) -> bool:
    """True if a view flagged ``request`` with :func:`mark_case_data`."""
    return bool(getattr(_django_request(request), _CASE_DATA, False))


def axes_locked_out(request: HttpRequest) -> bool:
    """True if django-axes refused this sign-in attempt: the username is locked out
    (``config.settings``: 6 failures, 30 minutes)."""
    return bool(getattr(_django_request(request), _AXES_LOCKED_OUT, False))
