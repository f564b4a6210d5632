"""Writes for everything that leaves the school: referrals and takedown notices.

Each service is one transaction with its ``CaseEvent``; e-mails are queued with
``delay_on_commit`` so nothing is sent for a write that rolled back. Status changes go
through the tables below and a compare-and-set UPDATE (a lost race is ``Conflict``, 409).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Case, EvidenceItem, Organisation, Participant, Person, User
from cases.selectors import units_of
from cases.services import lock_open_case, validate_plausible
from cases.transitions import transition
from reporting.models import LegalBasis, Platform, Referral, TakedownRequest

RS = Referral.Status
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    RS.DRAFT: frozenset({RS.SENT, RS.WITHDRAWN}),
    RS.SENT: frozenset({RS.ACKNOWLEDGED, RS.REJECTED, RS.WITHDRAWN}),
    RS.ACKNOWLEDGED: frozenset({RS.CLOSED, RS.REJECTED}),
    RS.CLOSED: frozenset(),
    RS.REJECTED: frozenset(),
    RS.WITHDRAWN: frozenset(),
}

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

REFERRAL_DESTINATION_KINDS = frozenset(
    {Organisation.Kind.POLICE_UNIT, Organisation.Kind.PROSECUTOR, Organisation.Kind.SOCIAL_SERVICES}
)


@transaction.atomic
def referral_create(
    *,
    case: Case,
    actor: User,
    destination: Organisation,
    summary: str,
    legal_basis: str,
    shared_sections: Sequence[str],
    legal_basis_note: str = "",
    complainant: Person | None = None,
    context: AuditContext = SYSTEM,
) -> Referral:
    """Draft a referral of ``case`` to a police unit, prosecutor or social services.

    ``shared_sections`` ⊆ ``Referral.Section`` says what the destination will see;
    ``legal_basis`` records why sharing is lawful (GDPR art. 6; in Spain LOPIVI
    art. 15–16 duty to report). ``complainant`` must be a victim in the case.
    Raises ``ValidationError``.
    """
    lock_open_case(case.pk)
    errors: dict[str, str] = {}
    if destination.kind not in REFERRAL_DESTINATION_KINDS:
        errors["destination"] = _("Referrals go to a police unit, a prosecutor or social services.")
    sections = list(dict.fromkeys(shared_sections))
    if not sections or any(s not in Referral.Section.values for s in sections):
        errors["shared_sections"] = _("Choose what this referral shares from: %(choices)s.") % {
            "choices": ", ".join(Referral.Section.values)
        }
    if (
        complainant is not None
        and not case.participants.filter(person=complainant, role=Participant.Role.VICTIM).exists()
    ):
        errors["complainant"] = _("This person is not a victim in this case.")
    if errors:
        raise ValidationError(errors)
    referral = Referral(
        case=case,
        destination=destination,
        complainant=complainant,
        summary=summary,
        legal_basis=legal_basis,
        legal_basis_note=legal_basis_note,
        shared_sections=sections,
        created_by=actor,
    )
    referral.full_clean()
    referral.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb="referral.created",
        obj=referral,
        context=context,
        data={"destination": destination.name},
    )
    return referral


@transaction.atomic
def referral_send(
    *,
    referral: Referral,
    actor: User,
    sent_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> Referral:
    """Send a draft referral: status ``sent`` and, on commit, queue one notice e-mail to
    the destination's liaisons (a link only; never a child's name or details).
    The task claims delivery once (``notified_at``), so a retried or duplicated task
    never sends twice. ``sent_at`` (UTC, default now) may record a referral made
    earlier by phone or on paper, never in the future nor before 2000. Raises
    ``Conflict`` if it is not a draft any more, ``ValidationError`` for a future or
    implausible ``sent_at``."""
    lock_open_case(referral.case_id)
    from reporting.tasks import referral_notify

    now = sent_at or timezone.now()
    validate_plausible(now, "sent_at")
    if now > timezone.now():
        raise ValidationError({"sent_at": _("This date and time is in the future.")})
    transition(referral, allowed=REFERRAL_TRANSITIONS, to=RS.SENT, sent_at=now, sent_by=actor)
    record_case_event(
        school=referral.case.school_id,
        case=referral.case,
        actor=actor,
        verb="referral.sent",
        obj=referral,
        context=context,
        data={"destination": referral.destination.name},
    )
    referral_notify.delay_on_commit(referral.pk)
    return referral


@transaction.atomic
def referral_acknowledge(
    *,
    referral: Referral,
    actor: User,
    external_reference: str,
    acknowledged_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> Referral:
    """The destination acknowledges a sent referral with its own reference (in Spain the
    atestado number). ``acknowledged_at`` (aware, default now) is never in the future,
    nor before the referral was sent, nor before 2000.
    Raises ``ValidationError`` or ``Conflict``."""
    external_reference = external_reference.strip()
    if not external_reference:
        raise ValidationError({"external_reference": _("Give the reference you recorded.")})
    if len(external_reference) > 100:
        raise ValidationError({"external_reference": _("Use at most 100 characters.")})
    validate_plausible(acknowledged_at, "acknowledged_at")
    if acknowledged_at is not None and acknowledged_at > timezone.now():
        raise ValidationError({"acknowledged_at": _("This date and time is in the future.")})
    if acknowledged_at is not None and referral.sent_at and acknowledged_at < referral.sent_at:
        raise ValidationError({"acknowledged_at": _("This is before the referral was sent.")})
    transition(
        referral,
        allowed=REFERRAL_TRANSITIONS,
        to=RS.ACKNOWLEDGED,
        acknowledged_at=acknowledged_at or timezone.now(),
        acknowledged_by=actor,
        external_reference=external_reference,
    )
    record_case_event(
        school=referral.case.school_id,
        case=referral.case,
        actor=actor,
        verb="referral.acknowledged",
        obj=referral,
        context=context,
        data={"external_reference": external_reference},
        actor_organisation_id=referral.destination_id,
    )
    return referral


@transaction.atomic
def referral_close(
    *, referral: Referral, actor: User, outcome: str, context: AuditContext = SYSTEM
) -> Referral:
    """Close an acknowledged referral with its outcome. Ends the destination's access."""
    if not outcome.strip():
        raise ValidationError({"outcome": _("Record the outcome.")})
    transition(
        referral,
        allowed=REFERRAL_TRANSITIONS,
        to=RS.CLOSED,
        closed_at=timezone.now(),
        outcome=outcome,
    )
    record_case_event(
        school=referral.case.school_id,
        case=referral.case,
        actor=actor,
        verb="referral.closed",
        obj=referral,
        context=context,
        actor_organisation_id=_actor_org(actor, referral),
    )
    return referral


@transaction.atomic
def referral_withdraw(
    *, referral: Referral, actor: User, reason: str, context: AuditContext = SYSTEM
) -> Referral:
    """The school withdraws a draft or sent referral. Ends the destination's access."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    transition(
        referral,
        allowed=REFERRAL_TRANSITIONS,
        to=RS.WITHDRAWN,
        closed_at=timezone.now(),
        outcome=reason,
    )
    record_case_event(
        school=referral.case.school_id,
        case=referral.case,
        actor=actor,
        verb="referral.withdrawn",
        obj=referral,
        context=context,
    )
    return referral


@transaction.atomic
def referral_reject(
    *, referral: Referral, actor: User, reason: str, context: AuditContext = SYSTEM
) -> Referral:
    """The destination declines a referral, with a reason. Ends its access."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    transition(
        referral,
        allowed=REFERRAL_TRANSITIONS,
        to=RS.REJECTED,
        closed_at=timezone.now(),
        outcome=reason,
    )
    record_case_event(
        school=referral.case.school_id,
        case=referral.case,
        actor=actor,
        verb="referral.rejected",
        obj=referral,
        context=context,
        actor_organisation_id=referral.destination_id,
    )
    return referral


def _actor_org(actor: User, referral: Referral) -> int:
    """The organisation ``actor`` acts for on ``referral``: its destination if they are
    its liaison, else the school."""
    if referral.destination_id in units_of(actor):
        return referral.destination_id
    return referral.case.school_id


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
        verb="takedown.created",
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
    notice filed on the platform's form earlier), not in the future nor before 2000."""
    lock_open_case(notice.case_id)
    submitted_at = submitted_at or timezone.now()
    validate_plausible(submitted_at, "submitted_at")
    if submitted_at > timezone.now():
        raise ValidationError({"submitted_at": _("This date and time is in the future.")})
    transition(
        notice,
        allowed=TAKEDOWN_TRANSITIONS,
        to=TS.SUBMITTED,
        submitted_at=submitted_at,
        deadline_at=notice.legal_basis.deadline_from(submitted_at),
        platform_ticket=platform_ticket[:100],
    )
    record_case_event(
        school=notice.case.school_id,
        case=notice.case,
        actor=actor,
        verb="takedown.submitted",
        obj=notice,
        context=context,
        data={"deadline_at": notice.deadline_at.isoformat(), "platform": notice.platform.slug},
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
    ``removed``/``refused`` stop the clock (``resolved_at``). Raises
    ``ValidationError`` (unknown outcome) or ``Conflict`` (not allowed now / lost race)."""
    if status not in TAKEDOWN_OUTCOMES:
        raise ValidationError({"status": _("Choose acknowledged, removed or refused.")})
    fields = {}
    if status in {TS.REMOVED, TS.REFUSED}:
        fields["resolved_at"] = timezone.now()
    if platform_ticket:
        fields["platform_ticket"] = platform_ticket[:100]
    transition(notice, allowed=TAKEDOWN_TRANSITIONS, to=status, expected=expected_status, **fields)
    record_case_event(
        school=notice.case.school_id,
        case=notice.case,
        actor=actor,
        verb=f"takedown.{status}",
        obj=notice,
        context=context,
    )
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
        verb="takedown.escalated",
        obj=notice,
        context=context,
        data={"to": target.name},
    )
    return notice


def takedowns_mark_overdue(*, now: datetime | None = None) -> list[int]:
    """Mark submitted/acknowledged notices whose ``deadline_at`` has passed as overdue
    (DESIGN rule 5). Each row is changed by its own conditional UPDATE and gets its
    ``CaseEvent`` in the same transaction, so two beats running at once mark each notice
    once. Returns the ids marked now."""
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
            notice = TakedownRequest(pk=pk)
            record_case_event(
                school=school_id,
                case=Case(pk=case_id),
                actor=None,
                verb="takedown.overdue",
                obj=notice,
                data={"previous_status": status},
            )
            marked.append(pk)
    return marked
