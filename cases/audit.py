"""Audit rows: ``CaseEvent`` for writes (the chronology) and ``AccessEvent`` for reads.

Both are written inside the caller's transaction (DESIGN rule 3), so a write that rolls
back leaves no audit row claiming it happened, and a write cannot commit without one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cases.models import AccessEvent, Case, CaseEvent, Membership, Organisation, User


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Where a request came from: client IP and request id (see ``RequestContextMiddleware``)."""

    ip: str | None = None
    request_id: str = ""
    channel: str = "api"

    @classmethod
    def from_request(cls, request, channel: str = "api") -> AuditContext:
        return cls(
            ip=request.META.get("REMOTE_ADDR") or None,
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
    school: Organisation | int,
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
    """
    school_id = school if isinstance(school, int) else school.pk
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
) -> AccessEvent:
    """Append one read-audit row listing the case ids that were shown to ``actor``."""
    memberships: list[Membership] = list(actor.memberships.all())
    return AccessEvent.objects.create(
        actor=actor,
        actor_role=",".join(sorted({m.role for m in memberships})),
        channel=context.channel,
        action=action,
        case_ids=sorted(set(case_ids)),
        ip=context.ip,
        request_id=context.request_id,
    )
