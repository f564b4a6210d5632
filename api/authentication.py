"""Token authentication that refuses malformed tokens before any query.

knox looks a token up by its first 15 characters, as sent: ``Token \\x00`` reached
PostgreSQL (``DataError``: text cannot hold NUL) and ``Token \\xe9`` failed to decode as
UTF-8 (``UnicodeDecodeError``), both a 500. knox issues ``TOKEN_PREFIX`` followed by
``AUTH_TOKEN_CHARACTER_LENGTH`` lowercase hexadecimal digits (``knox.crypto.
create_token_string``); anything else cannot match a token, so it gets knox's own
answer for a wrong token (401, "Invalid token.") without touching the database.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.settings import knox_settings
from rest_framework import exceptions

# knox's message for a token that matches none (knox.auth.TokenAuthentication).
INVALID_TOKEN = _("Invalid token.")


def is_knox_token(token: bytes) -> bool:
    """``True`` if ``token`` has the shape of a token knox issues: the configured prefix,
    then exactly ``AUTH_TOKEN_CHARACTER_LENGTH`` characters ``0-9a-f``."""
    prefix = knox_settings.TOKEN_PREFIX.encode()
    length = knox_settings.AUTH_TOKEN_CHARACTER_LENGTH
    if not token.startswith(prefix):
        return False
    return re.fullmatch(rb"[0-9a-f]{%d}" % length, token[len(prefix) :]) is not None


class StrictTokenAuthentication(TokenAuthentication):
    """knox's ``TokenAuthentication``; a token that knox cannot have issued is refused
    (``AuthenticationFailed``, 401) before the lookup. Configured in
    ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``."""

    def authenticate_credentials(self, token: bytes):
        if not is_knox_token(token):
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return super().authenticate_credentials(token)


class StrictTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of the subclass: the same ``knoxApiToken`` as knox's
    (drf-spectacular matches extensions by exact class)."""

    target_class = "api.authentication.StrictTokenAuthentication"
