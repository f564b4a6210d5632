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

    def get_cache_key(self, request, view) -> str:
        username = ""
        if isinstance(request.data, dict):
            username = str(request.data.get("username", ""))[:150].strip().lower()
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{username}",
        }
