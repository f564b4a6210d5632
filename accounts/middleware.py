"""Middleware of sign-in and sessions (issue 3) and the trace of refused accesses
(issue 7): the absolute session lifetime, the second-factor gate and the denial audit.
The generic HTTP middleware (request id, cache headers, CSP, body limit) is in
``config.middleware``."""

from __future__ import annotations

import logging
import time
from functools import partial

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, SESSION_KEY, logout
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.http import ADMIN_PREFIX, OPEN_PREFIXES, is_api
from accounts.second_factor import needs_verification, otp_required
from accounts.sessions import SIGNED_IN_AT
from cases import denials
from cases.audit import AuditContext, record_denials
from config.http import GetResponse

security_log = logging.getLogger("salvaguarda.security")


class SessionLifetimeMiddleware:
    """End a signed-in session 12 hours (``SESSION_ABSOLUTE_AGE`` seconds) after sign-in,
    however active it has been. The idle limit (15 minutes) is the session expiry itself:
    ``SESSION_COOKIE_AGE`` with ``SESSION_SAVE_EVERY_REQUEST``.

    A session past its lifetime, or with no sign-in time at all, is flushed (``logout``)
    before the view runs, so the request is anonymous: web pages redirect to the sign-in
    page and the API answers 401/403. Fail closed: a clock that went backwards by more
    than a minute also ends the session. Must come after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
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


class OTPRequiredMiddleware:
    """Hold a password-only session at the verify page until the second factor passes.

    For a signed-in user who must pass a second factor (``needs_verification``): web
    pages other than sign-in, verify, second-factor set-up and sign-out redirect to
    ``web:otp_verify`` (with ``next``); API calls authenticated by the session get 403.
    A password-only session therefore cannot read case data; an account with no device
    is sent on (by the verify page) to ``web:otp_setup`` to enrol one
    (``accounts.second_factor``). API calls that carry a token (``Authorization: Token
    …``) are left to DRF: tokens are issued only after the second factor. Must come
    after ``django_otp.middleware.OTPMiddleware``.
    """

    # The set-up page too, so an account with no device can get one; the page itself
    # refuses to replace an existing device from an unverified session.
    OPEN_URLS = ("web:login", "web:logout", "web:otp_verify", "web:otp_setup")
    # Getting a token (it needs the code itself) and signing out.
    OPEN_API_URLS = ("api:auth-token", "api:auth-logout")

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not otp_required() or not needs_verification(getattr(request, "user", None)):
            return self.get_response(request)
        path = request.path_info
        if is_api(request):
            auth = request.META.get("HTTP_AUTHORIZATION", "")
            open_api = {reverse(name) for name in self.OPEN_API_URLS}
            if auth.split(" ", 1)[0].lower() == "token" or path in open_api:
                return self.get_response(request)
            return JsonResponse(
                {"detail": _("Pass the second factor (authenticator code) first.")},
                status=403,
            )
        open_paths = {reverse(name) for name in self.OPEN_URLS}
        if path in open_paths or path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        target = reverse("web:otp_verify")
        if request.method == "GET":
            target += "?" + urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return redirect(target)


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
    ``config.middleware.RequestContextMiddleware`` (the request id).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with denials.collecting() as pending:
            response = self.get_response(request)
        if pending:
            context = AuditContext.from_request(request, channel=_channel_of(request))
            # Django's own way to run code at close (``FileResponse``, ``request.close``);
            # a private list of ``HttpResponseBase`` that django-stubs leaves out.
            response._resource_closers.append(  # type: ignore[attr-defined]
                partial(_write_denials, list(pending), context, request.method or "", request.path)
            )
        return response


def _channel_of(request: HttpRequest) -> str:
    if is_api(request):
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
