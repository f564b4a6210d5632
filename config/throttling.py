"""Slow down password guessing on both sign-ins: the API's token endpoint
(``api.views_auth``) and the web form (``web.views.LoginView``, through
:func:`sign_in_allowed`). Here, not in a face: ``api`` and ``web`` never import each other.

Keyed on the client address *and* the username, so a school's staff behind one NAT
address can all sign in at 08:50 while one account cannot be hammered. The rate is
``API_AUTH_THROTTLE_RATE`` (default 10/min). The lockout after repeated failures is
django-axes' (``accounts/lockout.py``); this only rate-limits.

The address is ``config.proxies.client_ip``, the one the lockout and the audit use. DRF's
own ``get_ident`` reads ``X-Forwarded-For`` whenever ``NUM_PROXIES`` is unset, so a
client could change the key at will by sending a new header each time (issue 7).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from config.proxies import client_ip


class SignInRateThrottle(SimpleRateThrottle):
    scope = "auth"

    def __init__(self, username: str | None = None) -> None:
        super().__init__()
        self.username = username

    # ``request`` is DRF's ``Request`` on the API (a subclass of ``HttpRequest`` in the
    # stubs), Django's own from the web sign-in form (``sign_in_allowed``).
    def get_ident(self, request: HttpRequest) -> str:
        """The client address (``config.proxies.client_ip``), never a raw header."""
        return client_ip(request) or "unknown"

    def get_cache_key(self, request: HttpRequest, view: Any) -> str:
        username = self.username
        if username is None:
            data = getattr(request, "data", None)
            username = str(data.get("username", "")) if isinstance(data, dict) else ""
        username = username[:150].strip().lower()
        # Hashed: a cache key holds only safe characters whatever the client typed.
        digest = hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()[:32]
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{digest}",
        }


def sign_in_allowed(request: HttpRequest, username: str) -> bool:
    """The same limit for the web sign-in form as for the API: ``True`` and one attempt
    counted, or ``False`` when (address, username) is over the rate. ``request`` is a
    plain Django request; ``username`` as submitted."""
    # No view: SimpleRateThrottle never reads it, and the web form has none to give.
    throttle = SignInRateThrottle(username=username)
    return throttle.allow_request(request, None)  # type: ignore[arg-type]
