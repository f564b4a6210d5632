"""Slow down password guessing on the API sign-in endpoint.

Keyed on the client address *and* the username, so a school's staff behind one NAT
address can all sign in at 08:50 while one account cannot be hammered. The rate is
``API_AUTH_THROTTLE_RATE`` (default 10/min). Lockout after repeated failures (django-axes)
comes with issue 3; this only rate-limits.
"""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


class SignInRateThrottle(SimpleRateThrottle):
    scope = "auth"

    def __init__(self, username: str | None = None):
        super().__init__()
        self.username = username

    def get_cache_key(self, request, view) -> str:
        username = self.username
        if username is None:
            data = getattr(request, "data", None)
            username = str(data.get("username", "")) if isinstance(data, dict) else ""
        username = username[:150].strip().lower()
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{username}",
        }


def sign_in_allowed(request, username: str) -> bool:
    """The same limit for the web sign-in form as for the API: ``True`` and one attempt
    counted, or ``False`` when (address, username) is over the rate. ``request`` is a
    plain Django request; ``username`` as submitted."""
    return SignInRateThrottle(username=username).allow_request(request, None)
