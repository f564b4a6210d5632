"""The client's address, as the sign-in throttle, the lockout and the audit record it.

One function for all three, so that they can never disagree about who is asking.
``X-Forwarded-For`` is written by whoever sends the request: a client can put any
address in it. It is believed only as far as it was written by proxies we run, which
the deployment declares:

- ``TRUSTED_PROXY_HOPS`` (int, default 0): how many reverse proxies stand in front of
  the web process, each appending the address it received the request from. With 0
  (the default), the header is ignored and the address is ``REMOTE_ADDR``.
- ``TRUSTED_PROXY_NETWORKS`` (CIDR list, default empty: any): where those proxies are.
  When set, the header is believed only on requests that came from one of them.

With N hops the client is the N-th address from the right: the entries to its left are
whatever the client sent, which no proxy checked (OWASP ASVS v5 V4.1, "trusted proxy").
A header that is shorter than N or holds something that is not an IP address is not
believed either: the address falls back to ``REMOTE_ADDR``.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def _networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _address(value: str) -> str | None:
    """``value`` as a normalised IP address, or ``None`` if it is not one."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address (text, normalised), or ``None`` if the server gave none.

    ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_HOPS`` proxies are declared and this request
    came through them (see the module docstring). Never raises."""
    remote: str | None = request.META.get("REMOTE_ADDR") or None
    hops: int = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    if hops <= 0 or remote is None:
        return remote
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXY_NETWORKS", ())))
    peer = _address(remote)
    if networks and (peer is None or not any(ipaddress.ip_address(peer) in n for n in networks)):
        return remote
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry for entry in forwarded.split(",") if entry.strip()]
    if len(entries) < hops:
        return remote
    return _address(entries[-hops]) or remote
