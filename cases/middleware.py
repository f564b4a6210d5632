"""Per-request context for the audit (request id), response headers for case data, the
absolute session lifetime and the Content-Security-Policy (issue 3)."""

from __future__ import annotations

import time
import uuid

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# Session key holding the sign-in time (UNIX seconds, UTC), stamped by
# ``cases.signals.stamp_session_sign_in`` on ``user_logged_in``.
SIGNED_IN_AT = "salvaguarda_signed_in_at"

API_PREFIX = "/api/v1/"


class RequestContextMiddleware:
    """Give every request an id (``X-Request-ID`` is echoed back) for the audit rows, and
    keep case data out of every cache.

    ``Cache-Control: no-store`` goes on every response under ``/api/v1/``, every response
    to a signed-in user (session or token) and every response a view flags with
    ``request.has_case_data``; ``Vary: Cookie, Authorization`` tells shared caches that
    the answer depends on who asks.

    The client address for the audit is ``config.proxies.client_ip`` (a client-supplied
    ``X-Forwarded-For`` is believed only from trusted proxies; issue 7).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if (
            getattr(request, "has_case_data", False)
            or request.path_info.startswith(API_PREFIX)
            or _is_authenticated(request)
        ):
            response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ("Cookie", "Authorization"))
        return response


def _is_authenticated(request: HttpRequest) -> bool:
    """True when the request was made by a signed-in user. DRF copies the user it
    authenticated (token or session) onto the Django request, so this sees both."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SessionLifetimeMiddleware:
    """End a signed-in session 12 hours (``SESSION_ABSOLUTE_AGE`` seconds) after sign-in,
    however active it has been. The idle limit (15 minutes) is the session expiry itself:
    ``SESSION_COOKIE_AGE`` with ``SESSION_SAVE_EVERY_REQUEST``.

    A session past its lifetime, or with no sign-in time at all, is flushed (``logout``)
    before the view runs, so the request is anonymous: web pages redirect to the sign-in
    page and the API answers 401/403. Fail closed: a clock that went backwards by more
    than a minute also ends the session. Must come after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            signed_in_at = session.get(SIGNED_IN_AT)
            now = time.time()
            if (
                not isinstance(signed_in_at, int | float)
                or now - signed_in_at > settings.SESSION_ABSOLUTE_AGE
                or signed_in_at - now > 60
            ):
                logout(request)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp with the strict policy of ``settings.CONTENT_SECURITY_POLICY`` on every
    response, except the Swagger UI page (``api-docs``, drf-spectacular's sidecar copy,
    same origin only), whose init script and styles are inline."""

    SWAGGER_UI_POLICY = {
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
    }

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponse, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if not report_only and match is not None and match.view_name == "api-docs":
            parts.replace = {**(parts.replace or {}), **self.SWAGGER_UI_POLICY}
        return parts
