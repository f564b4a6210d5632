"""The second sign-in step (issue 3, "Login"): the verify page, ``web:otp_verify``.

After the password form, a user who must use a second factor (``accounts.second_factor``) lands here
and every other page redirects here (``accounts.middleware.OTPRequiredMiddleware``) until a code
from the authenticator app, or a one-use backup code, is accepted. A wrong code counts
towards the lockout (6 failures lock the username for 30 minutes).
"""

from __future__ import annotations

import django_otp
from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import user_has_device

from accounts.http import lockout_response
from accounts.lockout import is_locked, record_second_factor_failure, sign_in_completed
from accounts.second_factor import is_verified, needs_verification, verify_code
from config.http import AuthenticatedHttpRequest, axes_locked_out


class OTPVerifyForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        strip=True,
        help_text=gettext_lazy(
            "The 6-digit code from your authenticator app, or one of your backup codes "
            "(each works once)."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    """Where to go after the second factor: a safe local path in ``next`` (starting with
    "/"; ``-1`` or a view name is not one), else the dashboard."""
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
@login_required
def otp_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the code form. POST ``code``: on success the session is verified
    (``django_otp.login``, new session key) and goes to ``next``; a wrong code re-shows the
    form (400) and counts as a failed sign-in; a locked username is signed out (429). A
    session that has passed the second factor, or a user who needs none and has no
    device, goes straight to ``next``. A user who needs one but has no device yet is sent
    (GET) to the set-up page, ``web:otp_setup``. A user who needs none but has a device
    may verify here (the set-up page asks for it before replacing the device)."""
    next_url = _next_url(request)
    has_device = user_has_device(request.user)
    if is_verified(request.user) or not (needs_verification(request.user) or has_device):
        # Not redirect(): it would take a ``next`` without "/" or "." ("-1") for a view
        # name to reverse (NoReverseMatch, a 500).
        return HttpResponseRedirect(next_url)
    username = request.user.get_username()
    if is_locked(request, username):
        logout(request)
        return lockout_response(request)
    if not has_device and request.method == "GET":
        setup = reverse("web:otp_setup")
        return redirect(setup + "?" + urlencode({REDIRECT_FIELD_NAME: next_url}))
    form = OTPVerifyForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            device = verify_code(request.user, form.cleaned_data["code"])
            if device is not None:
                request.session.cycle_key()
                django_otp.login(request, device)
                sign_in_completed(request.user)
                return HttpResponseRedirect(next_url)
            record_second_factor_failure(request, username)
            if axes_locked_out(request):
                logout(request)
                return lockout_response(request)
            form.add_error("code", _("That code is not valid. Try again."))
    context = {"form": form, "next": next_url, "has_device": has_device}
    return render(request, "web/otp_verify.html", context, status=status)
