"""Takedown notices: a request to a platform to remove an image, its legal clock
(``deadline_at``), the platform's answer, escalation to a regulator or hotline, and the
beat's sweep that marks notices overdue. A notice overdue or refused is told to the
case's lead in the same transaction (``reporting.delivery``), with the next step.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Case, EvidenceItem, Organisation, User
from cases.services import lock_open_case, validate_plausible
from cases.transitions import transition
from cases.verbs import CaseVerb
from reporting.delivery import takedown_overdue_enqueue, takedown_refused_enqueue
from reporting.models import LegalBasis, Platform, TakedownRequest

TS = TakedownRequest.Status
TAKEDOWN_TRANSITIONS: dict[str, frozenset[str]] = {
    TS.DRAFT: frozenset({TS.SUBMITTED}),
    TS.SUBMITTED: frozenset({TS.ACKNOWLEDGED, TS.REMOVED, TS.REFUSED, TS.OVERDUE}),
    TS.ACKNOWLEDGED: frozenset({TS.REMOVED, TS.REFUSED, TS.OVERDUE}),
    TS.OVERDUE: frozenset({TS.ESCALATED, TS.REMOVED, TS.REFUSED}),
    TS.REFUSED: frozenset({TS.ESCALATED}),
    TS.ESCALATED: frozenset({TS.REMOVED, TS.REFUSED}),
    TS.REMOVED: frozenset(),
}
# Outcomes a user may record on a notice (overdue is set by the clock, not by hand).
TAKEDOWN_OUTCOMES = frozenset({TS.ACKNOWLEDGED, TS.REMOVED, TS.REFUSED})


@transaction.atomic
def takedown_create(
    *,
    case: Case,
    actor: User,
    platform: Platform,
    legal_basis: LegalBasis,
    evidence_items: Iterable[EvidenceItem],
    channel: str | None = None,
    notes: str = "",
    context: AuditContext = SYSTEM,
) -> TakedownRequest:
    """Draft a takedown notice to ``platform`` for evidence items of ``case``.

    Every item must belong to the case. ``channel`` defaults to the platform's report
    channel. Raises ``ValidationError``.
    """
    lock_open_case(case.pk)
    items = list(evidence_items)
    if not items:
        raise ValidationError({"evidence_items": _("Choose at least one evidence item.")})
    if any(item.case_id != case.pk for item in items):
        raise ValidationError({"evidence_items": _("Evidence items must be of this case.")})
    elsewhere = [item for item in items if item.platform_id not in (None, platform.pk)]
    if elsewhere:
        raise ValidationError(
            {
                "evidence_items": _(
                    "A notice to %(platform)s can only list evidence found there (or of "
                    "no platform)."
                )
                % {"platform": platform.name}
            }
        )
    notice = TakedownRequest(
        case=case,
        platform=platform,
        legal_basis=legal_basis,
        channel=channel or platform.report_channel,
        notes=notes,
        created_by=actor,
    )
    notice.full_clean()
    notice.save()
    notice.evidence_items.set(items)
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.TAKEDOWN_CREATED,
        obj=notice,
        context=context,
        data={"platform": platform.slug, "legal_basis": legal_basis.code},
    )
    return notice


@transaction.atomic
def takedown_submit(
    *,
    notice: TakedownRequest,
    actor: User,
    submitted_at: datetime | None = None,
    platform_ticket: str = "",
    context: AuditContext = SYSTEM,
) -> TakedownRequest:
    """Record that a notice was submitted to the platform and start its clock:
    ``deadline_at = submitted_at + legal_basis.deadline_hours`` (UTC; 48 h under the
    US TAKE IT DOWN Act, 47 U.S.C. §223a). ``submitted_at`` may be in the past (a
    notice filed on the platform's form earlier), not in the future nor before 2000.

    There is no submitted notice without a deadline (``LegalBasis.deadline_hours`` is
    required, and the check constraint ``takedown_submitted_has_clock`` refuses one): the
    deadline is computed here, written by the status change and recorded in the
    ``takedown.submitted`` event (ISO 8601, UTC) as that same value."""
    lock_open_case(notice.case_id)
    submitted_at = submitted_at or timezone.now()
    validate_plausible(submitted_at, "submitted_at")
    if submitted_at > timezone.now():
        raise ValidationError({"submitted_at": _("This date and time is in the future.")})
    # ``reporting.models`` is still on mypy's not-yet-typed list; ``unused-ignore`` keeps
    # this line valid once ``deadline_from`` is annotated.
    deadline_at: datetime = notice.legal_basis.deadline_from(submitted_at)  # type: ignore[no-untyped-call, unused-ignore]
    transition(
        notice,
        allowed=TAKEDOWN_TRANSITIONS,
        to=TS.SUBMITTED,
        submitted_at=submitted_at,
        deadline_at=deadline_at,
        platform_ticket=platform_ticket[:100],
    )
    record_case_event(
        school=notice.case.school_id,
        case=notice.case,
        actor=actor,
        verb=CaseVerb.TAKEDOWN_SUBMITTED,
        obj=notice,
        context=context,
        data={"deadline_at": deadline_at.isoformat(), "platform": notice.platform.slug},
    )
    return notice


@transaction.atomic
def takedown_record_outcome(
    *,
    notice: TakedownRequest,
    actor: User,
    status: str,
    platform_ticket: str = "",
    expected_status: str | None = None,
    context: AuditContext = SYSTEM,
) -> TakedownRequest:
    """Record the platform's answer: ``acknowledged``, ``removed`` or ``refused``.
    ``removed``/``refused`` stop the clock (``resolved_at``). A refusal is told to the
    case's lead (but not to ``actor``) in the same transaction, with the escalation body
    of the legal basis (:func:`reporting.delivery.takedown_refused_enqueue`). Raises
    ``ValidationError`` (unknown outcome) or ``Conflict`` (not allowed now / lost race)."""
    if status not in TAKEDOWN_OUTCOMES:
        raise ValidationError({"status": _("Choose acknowledged, removed or refused.")})
    fields: dict[str, Any] = {}
    if status in {TS.REMOVED, TS.REFUSED}:
        fields["resolved_at"] = timezone.now()
    if platform_ticket:
        fields["platform_ticket"] = platform_ticket[:100]
    transition(notice, allowed=TAKEDOWN_TRANSITIONS, to=status, expected=expected_status, **fields)
    record_case_event(
        school=notice.case.school_id,
        case=notice.case,
        actor=actor,
        verb=CaseVerb(f"takedown.{status}"),
        obj=notice,
        context=context,
    )
    if status == TS.REFUSED:
        takedown_refused_enqueue(notice, actor=actor)
    return notice


@transaction.atomic
def takedown_escalate(
    *,
    notice: TakedownRequest,
    actor: User,
    escalated_to: Organisation | None = None,
    reference: str = "",
    context: AuditContext = SYSTEM,
) -> TakedownRequest:
    """Escalate an overdue or refused notice to a regulator or hotline (default: the
    legal basis's escalation body, e.g. AEPD Canal Prioritario for Spain, LOPDGDD
    art. 36 bis … priority channel). Raises ``ValidationError`` or ``Conflict``."""
    target = escalated_to or notice.legal_basis.escalation_to
    if target is None:
        raise ValidationError({"escalated_to": _("Choose where to escalate.")})
    if target.kind not in {Organisation.Kind.REGULATOR, Organisation.Kind.HOTLINE}:
        raise ValidationError({"escalated_to": _("Escalate to a regulator or a hotline.")})
    transition(
        notice,
        allowed=TAKEDOWN_TRANSITIONS,
        to=TS.ESCALATED,
        escalated_to=target,
        escalated_at=timezone.now(),
        escalation_reference=reference[:100],
    )
    record_case_event(
        school=notice.case.school_id,
        case=notice.case,
        actor=actor,
        verb=CaseVerb.TAKEDOWN_ESCALATED,
        obj=notice,
        context=context,
        data={"to": target.name},
    )
    return notice


def takedowns_mark_overdue(*, now: datetime | None = None) -> list[int]:
    """Mark submitted/acknowledged notices whose ``deadline_at`` has passed as overdue
    (DESIGN rule 5). Each row is changed by its own conditional UPDATE and gets its
    ``CaseEvent`` and its notice to the case's lead
    (:func:`reporting.delivery.takedown_overdue_enqueue`) in the same transaction, so
    two beats running at once mark each notice once and tell the lead once: the second
    UPDATE waits for the first one's row lock, then finds the status changed and
    matches nothing. ``now``: aware datetime (default now). Returns the ids marked now."""
    now = now or timezone.now()
    marked: list[int] = []
    candidates = TakedownRequest.objects.filter(
        status__in=[TS.SUBMITTED, TS.ACKNOWLEDGED], deadline_at__lt=now
    ).values_list("pk", "status", "case_id", "case__school_id")
    for pk, status, case_id, school_id in candidates:
        with transaction.atomic():
            claimed = TakedownRequest.objects.filter(pk=pk, status=status).update(status=TS.OVERDUE)
            if not claimed:
                continue
            notice = TakedownRequest.objects.select_related(
                "case__school", "case__lead", "platform", "legal_basis__escalation_to"
            ).get(pk=pk)
            record_case_event(
                school=school_id,
                case=Case(pk=case_id),
                actor=None,
                verb=CaseVerb.TAKEDOWN_OVERDUE,
                obj=notice,
                data={"previous_status": status},
            )
            takedown_overdue_enqueue(notice)
            marked.append(pk)
    return marked
