"""Strong sign-in (issue 3, "Login"): a second factor for the roles that see case data,
and the lockout after repeated failures.

Second factor (django-otp): a TOTP device (authenticator app, 6 digits) or a one-use
static backup code. Required for safeguarding leads, deputies, heads, police liaisons,
authority admins (``OTP_ROLES``), staff users (``is_staff``: the admin site) and
superusers, on the web and the API, while the setting ``OTP_REQUIRED`` is on (the
default). Staff (teachers) need only a password.

- Web: after the password form the session is signed in but *unverified*;
  ``OTPRequiredMiddleware`` sends every page except sign-in, verify, set-up and sign-out
  to the verify page (``web:otp_verify``), and refuses session API calls with 403. A
  password-only session therefore cannot read case data. An account with no device is
  sent on to ``web:otp_setup`` to enrol one (``cases.second_factor``).
- API: ``POST /api/v1/auth/token/`` needs ``otp_code`` for these users; a token is only
  ever issued after the second factor, so a token request is verified by construction.

Lockout (django-axes): a username is locked for ``AXES_COOLOFF_TIME`` (30 minutes) after
``AXES_FAILURE_LIMIT`` (6) failures, by username only; the client address axes records is
``config.proxies.client_ip`` (``X-Forwarded-For`` only from trusted proxies). A wrong
second factor counts as a failure (``record_second_factor_failure``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from cases.models import Membership
from cases.permissions import SECOND_FACTOR_ROLES

# Roles that must use a second factor (superusers too): ``cases.permissions``.
OTP_ROLES = SECOND_FACTOR_ROLES

API_PREFIX = "/api/v1/"
# No case data behind these: static files and the language switch.
OPEN_PREFIXES = ("/static/", "/i18n/")


def otp_required() -> bool:
    """The ``OTP_REQUIRED`` setting (default ``True``)."""
    return bool(getattr(settings, "OTP_REQUIRED", True))


def role_requires_second_factor(role: str) -> bool:
    return role in OTP_ROLES


def requires_second_factor(user) -> bool:
    """``True`` when ``user`` must pass a second factor: a superuser or any staff user
    (admins, DESIGN "Security"; the admin site reaches accounts and roles), or a member
    of any organisation with one of ``OTP_ROLES``, while ``OTP_REQUIRED`` is on.
    Anonymous: ``False``."""
    if not otp_required() or user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    cached = getattr(user, "_requires_second_factor", None)
    if cached is None:
        cached = Membership.objects.filter(user_id=user.pk, role__in=OTP_ROLES).exists()
        user._requires_second_factor = cached  # once per request (the user object's life)
    return cached


def is_verified(user) -> bool:
    """The session passed the second factor (``django_otp.middleware.OTPMiddleware``)."""
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def needs_verification(user) -> bool:
    """Signed in with a password only, by a user who must pass a second factor."""
    return requires_second_factor(user) and not is_verified(user)


def verify_code(user, code: str | None):
    """The device (TOTP or static backup) that accepts ``code`` for ``user``, or ``None``.

    ``code``: 6 digits from the authenticator app, or one backup code (used up by this
    call). Spaces are ignored. Each device applies django-otp's own throttling and
    refuses a TOTP code already used (no replay).
    """
    from django_otp import devices_for_user

    # Backup codes are shown in lower case; accept them typed in capitals too.
    token = "".join(str(code or "").split()).lower()
    if not token or len(token) > 16:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if device.verify_token(token):
                return device
    return None


def record_second_factor_failure(request: HttpRequest, username: str) -> None:
    """Count a wrong second factor as a failed sign-in, for the lockout (django-axes)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def sign_in_completed(user) -> None:
    """Clear the username's failed attempts (django-axes) once the whole sign-in has
    succeeded: the password, and the second factor where the user needs one.

    Not on the password alone (``AXES_RESET_ON_SUCCESS`` stays off): for a user who
    must pass a second factor, resetting at the password step would let whoever holds
    the password guess codes forever, five at a time. Called by the web verify and
    set-up pages, the web sign-in of a user who needs no second factor, and the API
    token endpoint.
    """
    if not getattr(settings, "AXES_ENABLED", True):
        return
    from axes.utils import reset

    reset(username=str(user.get_username()).strip().lower())


def is_locked(request: HttpRequest, username: str) -> bool:
    """The username is locked out (django-axes) right now."""
    if not getattr(settings, "AXES_ENABLED", True):
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, credentials={"username": username})


# --- django-axes hooks (settings) ----------------------------------------------------


def lockout_username(request: HttpRequest, credentials: dict | None) -> str:
    """``AXES_USERNAME_CALLABLE``: the submitted username, trimmed and lower-cased, so a
    variant spelling neither evades the lock nor starts a fresh count."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "") if hasattr(request, "POST") else ""
    return str(value)[:150].strip().lower()


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-in attempts: this account is locked for %(minutes)d minutes."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: 429 with a message in the request's language; JSON for
    the API, the sign-in page for the web."""
    message = lockout_message()
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=429)
    from django.contrib.auth.forms import AuthenticationForm

    context = {"form": AuthenticationForm(request), "next": "", "lockout_message": message}
    return render(request, "web/login.html", context, status=429)


# --- Middleware ----------------------------------------------------------------------


class OTPRequiredMiddleware:
    """Hold a password-only session at the verify page until the second factor passes.

    For a signed-in user who must pass a second factor (``needs_verification``): web
    pages other than sign-in, verify, second-factor set-up and sign-out redirect to
    ``web:otp_verify`` (with ``next``); API calls authenticated by the session get 403.
    API calls that carry a token (``Authorization: Token …``) are left to DRF: tokens are
    issued only after the second factor. Must come after
    ``django_otp.middleware.OTPMiddleware``.
    """

    # The set-up page too, so an account with no device can get one; the page itself
    # refuses to replace an existing device from an unverified session.
    OPEN_URLS = ("web:login", "web:logout", "web:otp_verify", "web:otp_setup")
    # Getting a token (it needs the code itself) and signing out.
    OPEN_API_URLS = ("api:auth-token", "api:auth-logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not otp_required() or not needs_verification(getattr(request, "user", None)):
            return self.get_response(request)
        path = request.path_info
        if path.startswith(API_PREFIX):
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
