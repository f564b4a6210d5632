"""Audit rows: ``CaseEvent`` for writes (the chronology) and ``AccessEvent`` for reads.

Both are written inside the caller's transaction (DESIGN rule 3), so a write that rolls
back leaves no audit row claiming it happened, and a write cannot commit without one.

Both tables are append-only (a PostgreSQL trigger refuses UPDATE and DELETE) and
hash-chained: saving a row takes the table's transaction-scoped advisory lock
(``pg_advisory_xact_lock``), reads the last row's hash and appends the new row after it
(``cases.audit_chain.append``), so concurrent writers serialise and the chain never
forks. ``python manage.py verify_audit`` walks both chains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from cases.exceptions import NotFound
from cases.models import AccessEvent, Case, CaseEvent, Membership, Organisation, User
from cases.selectors import can_edit_case, case_get_for_user
from config.proxies import client_ip


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Where a request came from: client IP and request id (see ``RequestContextMiddleware``)."""

    ip: str | None = None
    request_id: str = ""
    channel: str = "api"

    @classmethod
    def from_request(cls, request, channel: str = "api") -> AuditContext:
        return cls(
            ip=client_ip(request),
            request_id=getattr(request, "request_id", ""),
            channel=channel,
        )


SYSTEM = AuditContext(channel="system")


def role_of(user: User | None, organisation_id: int | None) -> str:
    """The user's role in ``organisation_id`` ("" if none, "system" for no user)."""
    if user is None:
        return "system"
    for membership in user.memberships.all():
        if membership.organisation_id == organisation_id:
            return membership.role
    if user.is_superuser:
        return "superuser"
    return ""


def record_case_event(
    *,
    school: Organisation | int | None,
    case: Case | None,
    actor: User | None,
    verb: str,
    obj: Any,
    context: AuditContext = SYSTEM,
    data: dict[str, Any] | None = None,
    actor_organisation_id: int | None = None,
) -> CaseEvent:
    """Append one chronology/write-audit row. Call inside the write's transaction.

    ``verb`` is dotted, e.g. ``"referral.sent"``; ``obj`` is the model instance written;
    ``data`` holds non-identifying details (statuses, references), never imagery.
    ``school`` is ``None`` only for an account change of a user in no organisation
    (``cases.accounts``). Holds the case-event chain's advisory lock until the caller's
    transaction ends.
    """
    school_id = school if school is None or isinstance(school, int) else school.pk
    return CaseEvent.objects.create(
        case=case,
        school_id=school_id,
        actor=actor,
        actor_role=role_of(actor, actor_organisation_id or school_id),
        verb=verb,
        object_type=type(obj)._meta.model_name if obj is not None else "",
        object_id=getattr(obj, "pk", None),
        data=data or {},
        ip=context.ip,
        request_id=context.request_id,
    )


def record_access(
    *,
    actor: User,
    action: str,
    case_ids: Iterable[int],
    context: AuditContext,
    organisation: Organisation | int | None = None,
) -> AccessEvent:
    """Append one read-audit row listing the case ids that were shown to ``actor``.

    ``actor_role`` lists the actor's roles; ``organisation`` is the one they acted for,
    by default their organisation (the first by id if they belong to several). Holds
    the access-event chain's advisory lock until the caller's transaction ends.
    """
    memberships: list[Membership] = sorted(
        actor.memberships.all(), key=lambda m: (m.organisation_id, m.pk)
    )
    if organisation is None:
        organisation_id = memberships[0].organisation_id if memberships else None
    else:
        organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    return AccessEvent.objects.create(
        actor=actor,
        actor_role=",".join(sorted({m.role for m in memberships})),
        organisation_id=organisation_id,
        channel=context.channel,
        action=action,
        case_ids=sorted({int(pk) for pk in case_ids}),
        ip=context.ip,
        request_id=context.request_id,
    )


def case_for_access_log(*, user: User, case_id: int | str) -> Case:
    """The case whose access log ``user`` may read: only the safeguarding lead or deputy
    of the case's school. Anyone else, a police liaison included, gets ``NotFound``
    (404), exactly as for a case that does not exist (DESIGN rule 2)."""
    case = case_get_for_user(user=user, case_id=case_id)
    if not can_edit_case(user, case):
        raise NotFound
    return case


def case_access_log(*, case: Case) -> QuerySet[AccessEvent]:
    """Read-audit rows whose ``case_ids`` contain ``case`` (``@>``, GIN index), newest
    first, with actor and organisation loaded. Check access with
    :func:`case_for_access_log` first."""
    return (
        AccessEvent.objects.filter(case_ids__contains=[case.pk])
        .select_related("actor", "organisation")
        .order_by("-id")
    )
