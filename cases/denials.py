"""Refused access to a record that exists leaves a trace (issue 7; OWASP ASVS v5
chapter 16: log access-control failures), while the client gets the same 404 as for a
record that does not exist (DESIGN rule 2).

How, in three steps:

1. A visibility selector that finds nothing (its "absent or not yours" branch) raises
   ``refused(...)`` instead of a bare ``NotFound``. While a request is being served
   (inside :func:`collecting`), ``refused`` looks the record up without the visibility
   rule: if it exists and belongs to a school the user does not own, a :class:`Denial`
   is noted in the request's pending list. Nothing is written here: the selector may
   run inside a transaction that the refusal then rolls back, and a row written there
   would go with it. The same queries run whether the record exists or not: the
   look-up costs a foreign id and a missing one alike.
2. ``accounts.middleware.DenialAuditMiddleware`` opens the pending list for each request
   and, when the response has been sent (its ``close()``), writes the denials with
   ``cases.audit.record_denials`` in a transaction of their own: after the request's
   transactions have ended, and after the client has its answer, so the write adds
   nothing to the time a foreign id takes to answer.
3. The school's leads read the rows (``cases.audit.denials_for_user``: API and web);
   operators see bursts per user in the admin (``cases.admin.DenialEventAdmin``).

Outside a request (a shell, a task, the admin's own code paths that catch
``NotFound``… with no request around them) nothing is collected and no look-up runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db.models import Manager, QuerySet

from cases.exceptions import NotFound
from cases.models import Organisation, User


@dataclass(frozen=True, slots=True)
class Denial:
    """One refused access: ``user`` asked for record ``object_id`` of kind
    ``object_type`` (the model's name, e.g. ``"case"``), which belongs to the school
    ``school_id``."""

    user: User
    object_type: str
    object_id: int
    school_id: int


class PendingDenials:
    """The denials noted while serving one request, once each, in order."""

    def __init__(self) -> None:
        self._denials: dict[tuple[int, str, int], Denial] = {}

    def add(self, denial: Denial) -> None:
        # The admin, for one, may fetch the same object twice in a request.
        key = (denial.user.pk, denial.object_type, denial.object_id)
        self._denials.setdefault(key, denial)

    def __iter__(self) -> Iterator[Denial]:
        return iter(list(self._denials.values()))

    def __len__(self) -> int:
        return len(self._denials)


_pending: ContextVar[PendingDenials | None] = ContextVar("salvaguarda_denials", default=None)


@contextmanager
def collecting() -> Iterator[PendingDenials]:
    """Collect the denials noted by ``refused`` until the block ends (one request)."""
    pending = PendingDenials()
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


def refused(
    *,
    user: User,
    records: QuerySet[Any] | Manager[Any],
    object_id: int | str | None,
    school_field: str = "school_id",
) -> NotFound:
    """The ``NotFound`` a selector raises when ``user`` may not have record
    ``object_id``; notes a :class:`Denial` if the record exists all the same.

    ``records`` is every record of the kind, without the visibility rule (a manager
    such as ``Case.objects``, or a queryset); ``school_field`` names the school it
    belongs to in ``values()`` terms (``"case__school_id"`` for a referral). No denial
    is noted for an anonymous user, an id that is not a whole number, a record that does
    not exist, a record of a school the user owns (they could see it: only the address
    was wrong), or outside :func:`collecting`. Never raises itself.
    """
    pending = _pending.get()
    if pending is None or not user.is_authenticated:
        return NotFound()
    try:
        pk = int(object_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return NotFound()
    if not -(2**63) <= pk < 2**63:  # beyond bigint: nothing can have it
        return NotFound()
    from cases.selectors import schools_owned_by

    # Both queries run whether or not the record exists: the same work either way.
    owned = schools_owned_by(user)
    school_id = records.filter(pk=pk).values_list(school_field, flat=True).first()
    if school_id is not None and school_id not in owned:
        pending.add(
            Denial(
                user=user,
                object_type=records.model._meta.model_name,
                object_id=pk,
                school_id=school_id,
            )
        )
    return NotFound()


def refused_school(*, user: User, school_id: int | str | None) -> NotFound:
    """``refused`` for an organisation asked for by id (a school's statistics): a
    denial is noted only if it is a school."""
    return refused(
        user=user,
        records=Organisation.objects.filter(kind=Organisation.Kind.SCHOOL),
        object_id=school_id,
        school_field="pk",
    )
