"""The session engine (``SESSION_ENGINE = "accounts.sessions"``): Django's database
sessions, refusing a session key Django cannot have generated before any query; and the
session key of the sign-in time.

The key comes from the ``sessionid`` cookie as sent. Django's own check is only "at least
8 characters", so ``sessionid="abcdefghij\\000klmnop"`` reached PostgreSQL, which refuses
NUL in text (``DataError``, a 500 on every page and API call). Django generates keys of
32 characters from ``VALID_KEY_CHARS`` (lowercase ASCII letters and digits,
``django.contrib.sessions.backends.base``); any other key is treated as no session at
all: the request is anonymous, as with an expired or unknown key.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

# Session key holding the sign-in time (UNIX seconds, UTC), stamped by
# ``accounts.signals.stamp_session_sign_in`` on ``user_logged_in`` and read by
# ``accounts.middleware.SessionLifetimeMiddleware`` (the 12-hour absolute limit).
SIGNED_IN_AT = "salvaguarda_signed_in_at"

# The session_key column is varchar(40) (django.contrib.sessions.models.Session).
MAX_KEY_LENGTH = 40
_KEY_CHARS = frozenset(VALID_KEY_CHARS)


class SessionStore(DatabaseSessionStore):
    """Database sessions whose keys are 8–40 characters ``a-z0-9``; any other key is
    dropped (``None``) when assigned, so it is never looked up, saved or deleted."""

    def _validate_session_key(self, key: str | None) -> bool:
        return (
            isinstance(key, str) and 8 <= len(key) <= MAX_KEY_LENGTH and _KEY_CHARS.issuperset(key)
        )
