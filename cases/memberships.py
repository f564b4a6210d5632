"""The reader's memberships, read once per request.

Every role check (``cases.selectors.memberships_of``, ``Case.objects.visible_to``, the
audit's ``role_of``, the second-factor rule, the time-zone rule) starts from the user's
memberships. Before this module each of them queried again: a case page asked for the
same rows a dozen times.

Why the cache is scoped to a request and not to the user object: one ``User`` instance
can outlive a request (DRF's ``force_authenticate`` in tests hands the same instance to
every request; a shell or a task keeps it for as long as it likes), and a membership
changed between two requests must be seen by the second. So the cache is a
``ContextVar`` that ``config.middleware.MembershipCacheMiddleware`` opens at the start
of each request and drops at its end; outside a request (tasks, the shell, tests that
call a selector directly) nothing is cached and every call reads the database, as
before. Within a request, saving or deleting a membership forgets that user's cached
rows (``forget``, connected in ``cases.apps``), so an account change made by the
request itself is read back fresh. A bulk ``QuerySet.update`` sends no signal: no code
changes memberships that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from cases.models import Membership, User

# user id -> that user's memberships, for the current request only (``None``: no
# request is open, nothing is cached).
_by_user: ContextVar[dict[int, tuple[Membership, ...]] | None] = ContextVar(
    "salvaguarda_memberships", default=None
)


@contextmanager
def request_scope() -> Iterator[None]:
    """Cache memberships until the block ends (one request: the middleware's call)."""
    token = _by_user.set({})
    try:
        yield
    finally:
        _by_user.reset(token)


def user_memberships(user: User | AnonymousUser) -> tuple[Membership, ...]:
    """The memberships of ``user`` with their organisation loaded, in id order; ``()``
    for an anonymous user. One query per request and user (none after the first inside
    a request, one per call outside any)."""
    if not user.is_authenticated or user.pk is None:
        return ()
    cache = _by_user.get()
    if cache is not None and user.pk in cache:
        return cache[user.pk]
    # Through the related manager: this module is below ``cases.models`` (the query set
    # of ``Case`` reads it), so it names no model at import time.
    rows = tuple(user.memberships.select_related("organisation").order_by("pk"))
    if cache is not None:
        cache[user.pk] = rows
    return rows


def forget(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` receiver of ``Membership``: drop the cached rows of
    its user, so the rest of the request reads the change."""
    cache = _by_user.get()
    if cache is not None:
        cache.pop(instance.user_id, None)
