"""The sign-in lockout (issue 3, "Login"; django-axes): a username is locked for
``AXES_COOLOFF_TIME`` (30 minutes) after ``AXES_FAILURE_LIMIT`` (6) failures, by username
only; the client address axes records is ``config.proxies.client_ip``
(``X-Forwarded-For`` only from trusted proxies). A wrong second factor counts as a
failure (``record_second_factor_failure``).

No pages or URLs here: the 429 that axes answers with is
``accounts.http.lockout_response`` (``AXES_LOCKOUT_CALLABLE``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import user_login_failed
from django.http import HttpRequest
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from cases.models import User


def record_second_factor_failure(request: HttpRequest, username: str) -> None:
    """Count a wrong second factor as a failed sign-in, for the lockout (django-axes)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def sign_in_completed(user: User) -> None:
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

    return bool(AxesProxyHandler.is_locked(request, credentials={"username": username}))


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """``AXES_USERNAME_CALLABLE``: the submitted username, trimmed and lower-cased, so a
    variant spelling neither evades the lock nor starts a fresh count."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "") if hasattr(request, "POST") else ""
    return str(value)[:150].strip().lower()


def lockout_message() -> str:
    """The lockout's explanation, in the active language, with its length in minutes."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-in attempts: this account is locked for %(minutes)d minutes."
    ) % {"minutes": minutes}
