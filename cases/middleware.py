"""Per-request context for the audit (request id), response headers for case data, the
absolute session lifetime and the Content-Security-Policy (issue 3); the trace of
refused accesses and the request body limit (issue 7)."""

from __future__ import annotations

import logging
import time
import uuid
from functools import partial

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from cases import denials
from cases.audit import AuditContext, record_denials

security_log = logging.getLogger("salvaguarda.security")

# Session key holding the sign-in time (UNIX seconds, UTC), stamped by
# ``cases.signals.stamp_session_sign_in`` on ``user_logged_in``.
SIGNED_IN_AT = "salvaguarda_signed_in_at"

API_PREFIX = "/api/v1/"
ADMIN_PREFIX = "/admin/"


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


class DenialAuditMiddleware:
    """Write a ``DenialEvent`` for every refused access to a record that exists, after
    the response has gone out (issue 7; ``cases.denials`` explains the steps).

    The selectors note denials while the view runs (``cases.denials.collecting``);
    here they are handed to the response's ``close()``, which the WSGI/ASGI server
    (and Django's test client) calls once the body is sent, before
    ``request_finished`` closes the database connection. By then every transaction of
    the view has ended (a rolled-back one cannot take the row with it), and the client
    has the same 404 as for a record that does not exist, without waiting for it. Each
    denial also goes to the ``salvaguarda.security`` log. Comes after
    ``RequestContextMiddleware`` (the request id).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with denials.collecting() as pending:
            response = self.get_response(request)
        if pending:
            context = AuditContext.from_request(request, channel=_channel_of(request))
            # Django's own way to run code at close (``FileResponse``, ``request.close``).
            response._resource_closers.append(
                partial(_write_denials, list(pending), context, request.method or "", request.path)
            )
        return response


def _channel_of(request: HttpRequest) -> str:
    if request.path_info.startswith(API_PREFIX):
        return "api"
    if request.path_info.startswith(ADMIN_PREFIX):
        return "admin"
    return "web"


def _write_denials(
    pending: list[denials.Denial], context: AuditContext, method: str, path: str
) -> None:
    # ``HttpResponse.close`` swallows a closer's exception: say it here.
    try:
        rows = record_denials(denials=pending, context=context, method=method, path=path)
    except Exception:
        security_log.exception(
            "denied access NOT recorded: %s %s request_id=%s",
            method,
            path.encode("unicode_escape").decode("ascii"),
            context.request_id,
        )
        return
    for row in rows:
        security_log.warning(
            "denied access: user=%s (%s) roles=%s asked for %s %s of organisation %s: "
            "%s %s channel=%s ip=%s request_id=%s",
            row.actor_id,
            row.actor_username,
            row.actor_role or "-",
            row.object_type,
            row.object_id,
            row.school_id,
            row.method,
            # A path is the client's text: no line breaks or control characters in the
            # log (as Django's own ``log_response`` escapes it).
            row.path.encode("unicode_escape").decode("ascii"),
            row.channel,
            row.ip or "-",
            row.request_id,
        )


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


# Bodies are drained up to this many bytes before a 413 is answered, so that an ordinary
# client reads the answer instead of a reset connection (a server that closes a socket
# with unread data makes the kernel send RST). Past it, the client is misbehaving and the
# connection is simply closed.
DRAIN_LIMIT = 64 * 1024 * 1024
JSON_TYPES = ("application/json", "application/problem+json")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def body_limit(request: HttpRequest) -> int:
    """The largest body (bytes) ``request`` may carry: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the
    hash-only upload's limit plus room for its form fields) for a form, multipart or
    not; ``API_JSON_MAX_BODY_BYTES`` for anything else sent to the API, and for JSON
    anywhere. No JSON request needs more, and the JSON parser reads the stream, which
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not cap; DRF also parses ``application/*`` and
    ``*/*`` bodies as JSON, so the API's limit does not trust the declared type."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type in FORM_TYPES:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if content_type in JSON_TYPES or request.path_info.startswith(API_PREFIX):
        return settings.API_JSON_MAX_BODY_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BodySizeLimitMiddleware:
    """Answer 413 (Content Too Large, RFC 9110 §15.5.14) to a request whose declared
    ``Content-Length`` is over ``body_limit`` before anything reads the body: JSON
    ``{"detail": …}`` under the API, a page elsewhere, in the request's language.

    WSGI bodies are bounded by ``Content-Length`` (Django reads no further), so the
    declared length is the whole story. Nothing is read into memory or onto disk: the
    body is drained in small chunks (up to ``DRAIN_LIMIT``) and dropped (DESIGN rule 1:
    an oversized upload may be an image). Must come after ``LocaleMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_limit(request):
            _drain(request, min(length, DRAIN_LIMIT))
            return too_large_response(request)
        return self.get_response(request)


def _drain(request: HttpRequest, length: int) -> None:
    stream = request.META.get("wsgi.input")
    if stream is None:
        return
    remaining = length
    try:
        while remaining > 0:
            chunk = stream.read(min(remaining, 64 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
    except OSError:  # the client went away: nothing to answer
        return


def too_large_response(request: HttpRequest) -> HttpResponse:
    """413 in the request's language: JSON under the API, a page elsewhere."""
    message = _("The request is too large (at most %(limit)d MB).") % {
        "limit": max(1, body_limit(request) // (1024 * 1024))
    }
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=413)
    return render(request, "413.html", {"message": message}, status=413)
