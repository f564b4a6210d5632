"""Signal receivers for sign-in and account state (issue 3: session lifetime, disabling
a user ends their access at once)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from knox.models import AuthToken

from accounts.sessions import SIGNED_IN_AT
from cases.models import User


@receiver(user_logged_in, dispatch_uid="accounts.stamp_session_sign_in")
def stamp_session_sign_in(
    sender: type[Any],
    request: HttpRequest | None = None,
    user: User | None = None,
    **kwargs: Any,
) -> None:
    """Record the sign-in time (UNIX seconds, UTC) in a session that ``login()`` has just
    signed in, for the 12-hour absolute limit (``accounts.middleware.SessionLifetimeMiddleware``).
    A token sign-in (no session) stamps nothing."""
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        session[SIGNED_IN_AT] = int(time.time())


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.end_disabled_access")
def end_access_of_disabled_user(
    sender: type[User],
    instance: User,
    created: bool = False,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    """A user saved with ``is_active=False`` loses every API token at once (rows deleted).

    Their sessions end too: ``ModelBackend.get_user`` refuses inactive users on every
    request, so a live session cookie is anonymous from the next request on, and knox
    refuses tokens of inactive users; deleting the tokens makes that permanent even if
    the account is enabled again. Runs on every save of an inactive user (idempotent).
    """
    if raw or instance.is_active:
        return
    AuthToken.objects.filter(user=instance).delete()
