"""Audit rows: ``CaseEvent`` for writes (the chronology), ``AccessEvent`` for reads and
``DenialEvent`` for refused accesses to records that exist.

Case and access events are written inside the caller's transaction (DESIGN rule 3), so
a write that rolls back leaves no audit row claiming it happened, and a write cannot
commit without one. Denial events are the opposite case: the request failed, and its
transaction may have rolled back, so they are written afterwards in a transaction of
their own (``cases.denials``).

The three tables are append-only (a PostgreSQL trigger refuses UPDATE and DELETE) and
hash-chained: saving a row takes the table's transaction-scoped advisory lock
(``pg_advisory_xact_lock``), reads the last row's hash and appends the new row after it
(``cases.audit_chain.append``), so concurrent writers serialise and the chain never
forks. ``python manage.py verify_audit`` walks every chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from cases.denials import Denial, refused
from cases.exceptions import NotFound
from cases.memberships import user_memberships
from cases.models import (
    AccessEvent,
    Case,
    CaseEvent,
    DenialEvent,
    Membership,
    Organisation,
    User,
)
from cases.selectors import can_edit_case, case_get_for_user, schools_owned_by
from cases.verbs import AccessAction, CaseVerb
from config.proxies import client_ip


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Where a request came from: client IP and request id (see ``RequestContextMiddleware``)."""

    ip: str | None = None
    request_id: str = ""
    channel: str = "api"

    @classmethod
    def from_request(cls, request: HttpRequest, channel: str = "api") -> AuditContext:
        """The context of ``request`` (Django's, or DRF's ``Request``, which the stubs
        declare as a subclass): its client IP (``config.proxies.client_ip``) and the id
        ``RequestContextMiddleware`` gave it (``""`` outside that middleware)."""
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
    for membership in user_memberships(user):
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
    verb: CaseVerb,
    obj: Any,
    context: AuditContext = SYSTEM,
    data: dict[str, Any] | None = None,
    actor_organisation_id: int | None = None,
) -> CaseEvent:
    """Append one chronology/write-audit row. Call inside the write's transaction.

    ``verb`` is a ``cases.verbs.CaseVerb`` (or its value, e.g. ``"referral.sent"``);
    anything else raises ``ValueError`` before a row is written. ``obj`` is the model
    instance written; ``data`` holds non-identifying details (statuses, references),
    never imagery.
    ``school`` is ``None`` only for an account change of a user in no organisation
    (``accounts.services``). Holds the case-event chain's advisory lock until the caller's
    transaction ends.
    """
    # A value that is not declared fails here (a caller that bypassed the type).
    declared_verb = CaseVerb(verb).value
    school_id = school if school is None or isinstance(school, int) else school.pk
    return CaseEvent.objects.create(
        case=case,
        school_id=school_id,
        actor=actor,
        actor_role=role_of(actor, actor_organisation_id or school_id),
        verb=declared_verb,
        object_type=type(obj)._meta.model_name if obj is not None else "",
        object_id=getattr(obj, "pk", None),
        data=data or {},
        ip=context.ip,
        request_id=context.request_id,
    )


def record_access(
    *,
    actor: User,
    action: AccessAction,
    case_ids: Iterable[int],
    context: AuditContext,
    organisation: Organisation | int | None = None,
) -> AccessEvent:
    """Append one read-audit row listing the case ids that were shown to ``actor``.

    ``action`` is a ``cases.verbs.AccessAction`` (or its value, e.g. ``"case.detail"``);
    anything else raises ``ValueError`` before a row is written.

    ``actor_role`` lists the actor's roles; ``organisation`` is the one they acted for,
    by default their organisation (the first by id if they belong to several). Holds
    the access-event chain's advisory lock until the caller's transaction ends.
    """
    declared_action = AccessAction(action).value
    memberships = _memberships(actor)
    if organisation is None:
        organisation_id = memberships[0].organisation_id if memberships else None
    else:
        organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    return AccessEvent.objects.create(
        actor=actor,
        actor_role=",".join(sorted({m.role for m in memberships})),
        organisation_id=organisation_id,
        channel=context.channel,
        action=declared_action,
        case_ids=sorted({int(pk) for pk in case_ids}),
        ip=context.ip,
        request_id=context.request_id,
    )


def _memberships(user: User) -> list[Membership]:
    return sorted(user_memberships(user), key=lambda m: (m.organisation_id, m.pk))


def record_denials(
    *, denials: Iterable[Denial], context: AuditContext, method: str, path: str
) -> list[DenialEvent]:
    """Append one ``DenialEvent`` per refused access, in one transaction of its own.

    Call after the refused request's own transaction has ended (``cases.denials``):
    a row written inside it would be rolled back with it. ``method`` and ``path`` are
    the request's (the path without its query string; cut to 300 characters, NUL
    characters replaced, as PostgreSQL text refuses them). ``actor_role`` lists the
    actor's roles, ``actor_organisation`` is their organisation (the first by id),
    ``school`` the school whose record was asked for. Raises whatever the insert
    raises; nothing is written then.
    """
    rows = []
    with transaction.atomic():
        for denial in denials:
            memberships = _memberships(denial.user)
            rows.append(
                DenialEvent.objects.create(
                    actor=denial.user,
                    actor_username=denial.user.get_username()[:150],
                    actor_role=",".join(sorted({m.role for m in memberships}))[:100],
                    actor_organisation_id=memberships[0].organisation_id if memberships else None,
                    school_id=denial.school_id,
                    object_type=denial.object_type,
                    object_id=denial.object_id,
                    channel=context.channel,
                    method=method[:10],
                    path=path.replace("\x00", "\ufffd")[:300],
                    ip=context.ip,
                    request_id=context.request_id,
                )
            )
    return rows


def denials_for_user(*, user: User) -> QuerySet[DenialEvent]:
    """Denied accesses to the records of the schools whose cases ``user`` owns
    (safeguarding lead or deputy), newest first, with the actor, their organisation
    and the school loaded. Anyone else (staff, heads, police liaisons, another school's
    lead) gets ``NotFound`` (404), as for a page that does not exist: a school's
    denials are its leads' alone (``cases.permissions``, resource ``denials``)."""
    owned = schools_owned_by(user)
    if not owned:
        raise NotFound
    return (
        DenialEvent.objects.filter(school_id__in=owned)
        .select_related("actor", "actor_organisation", "school")
        .order_by("-id")
    )


def with_recent_denials(
    queryset: QuerySet[DenialEvent], *, window: timedelta, now: datetime
) -> QuerySet[DenialEvent]:
    """``queryset`` annotated with ``recent_denials`` (int): how many denials the same
    actor had in the ``window`` before ``now`` (UTC), whatever the school: a user
    probing many schools is one burst. One correlated subquery (index on actor and
    time)."""
    recent = (
        DenialEvent.objects.filter(actor=OuterRef("actor"), occurred_at__gt=now - window)
        .order_by()
        .values("actor")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.annotate(
        recent_denials=Coalesce(Subquery(recent, output_field=IntegerField()), Value(0))
    )


def case_for_access_log(*, user: User, case_id: int | str) -> Case:
    """The case whose access log ``user`` may read: only the safeguarding lead or deputy
    of the case's school. Anyone else, a police liaison included, gets ``NotFound``
    (404), exactly as for a case that does not exist (DESIGN rule 2)."""
    case = case_get_for_user(user=user, case_id=case_id)
    if not can_edit_case(user, case):
        raise refused(user=user, records=Case.objects, object_id=case.pk)
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
