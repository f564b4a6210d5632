"""Referrals: a case referred to a police unit, a prosecutor or social services, from the
draft to the destination's answer. Sending writes the notice into the outbox in the same
transaction (``reporting.delivery``), so nothing is sent for a write that rolled back
and a committed send always has its notice; so do the destination's answers (to the
case's lead) and a withdrawal after sending (to the destination).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Case, Organisation, Participant, Person, User
from cases.selectors import units_of
from cases.services import lock_open_case, validate_plausible
from cases.transitions import transition
from cases.verbs import CaseVerb
from reporting.delivery import (
    referral_answer_enqueue,
    referral_notice_enqueue,
    referral_withdrawn_enqueue,
)
from reporting.jurisdictions import covers
from reporting.models import GuardianPosition, Referral

RS = Referral.Status
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    RS.DRAFT: frozenset({RS.SENT, RS.WITHDRAWN}),
    RS.SENT: frozenset({RS.ACKNOWLEDGED, RS.REJECTED, RS.WITHDRAWN}),
    RS.ACKNOWLEDGED: frozenset({RS.CLOSED, RS.REJECTED}),
    RS.CLOSED: frozenset(),
    RS.REJECTED: frozenset(),
    RS.WITHDRAWN: frozenset(),
}

# Where a referral may go (LAW.md §2–3): the police, the prosecutor (Fiscalía de
# Menores: alleged perpetrators aged 14–17), social services and the regional
# child-protection service (under 14: LO 5/2000 art. 3).
REFERRAL_DESTINATION_KINDS = frozenset(
    {
        Organisation.Kind.POLICE_UNIT,
        Organisation.Kind.PROSECUTOR,
        Organisation.Kind.SOCIAL_SERVICES,
        Organisation.Kind.CHILD_PROTECTION,
    }
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
    guardians: str = "",
    guardians_note: str = "",
    phoned_at: datetime | None = None,
    phoned_to: str = "",
    context: AuditContext = SYSTEM,
) -> Referral:
    """Draft a referral of ``case`` to a police unit, prosecutor, social services or the
    child-protection service that serves the case's school
    (``reporting.directory_selectors.destinations_for``: its jurisdiction covers the
    school's).

    ``shared_sections`` ⊆ ``Referral.Section`` says what the destination will see (and
    what its packet carries, ``casefile.packets``); ``legal_basis`` records why sharing
    is lawful (GDPR art. 6; in Spain LOPIVI art. 15–16 duty to report).
    ``complainant`` must be a victim in the case. ``guardians``
    (``GuardianPosition``: consented, informed, not asked; blank: not recorded) says
    whether the victim's parents know of it, with ``guardians_note`` required when they
    were not asked (LAW.md §2.2: a guardian may be the risk; UKCIS 2024).

    An urgent referral is made by phone first (LAW.md §2, local MARF practice):
    ``phoned_at`` (aware, UTC; not in the future nor before 2000) and ``phoned_to``
    (who took the call; required with ``phoned_at``) record the call, with a
    ``referral.phoned`` chronology line; the written confirmation — sending this
    referral — is due 24 h later (``Referral.confirmation_due_at``).
    Raises ``ValidationError`` (nothing written).
    """
    lock_open_case(case.pk)
    errors: dict[str, str] = {}
    # The rule of ``destinations_for`` (what the forms offer), for this one row.
    if destination.kind not in REFERRAL_DESTINATION_KINDS or not covers(
        destination.jurisdiction, case.school.jurisdiction
    ):
        errors["destination"] = _(
            "Referrals go to a police unit, a prosecutor, social services or the "
            "child-protection service that serves the school."
        )
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
    guardians_note = guardians_note.strip()
    if guardians and guardians not in GuardianPosition.values:
        errors["guardians"] = _("Choose what the parents or guardians know: %(choices)s.") % {
            "choices": ", ".join(GuardianPosition.values)
        }
    elif guardians == GuardianPosition.NOT_ASKED and not guardians_note:
        errors["guardians_note"] = _(
            "Say why the parents or guardians were not asked (for example, a guardian "
            "may be the risk to the child)."
        )
    phoned_to = phoned_to.strip()
    if phoned_at is not None:
        try:
            validate_plausible(phoned_at, "phoned_at")
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
        else:
            if phoned_at > timezone.now():
                errors["phoned_at"] = _("This date and time is in the future.")
        if not phoned_to:
            errors["phoned_to"] = _("Say who took the call.")
    elif phoned_to:
        errors["phoned_at"] = _("Give the time of the call.")
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
        guardians=guardians,
        guardians_note=guardians_note,
        phoned_at=phoned_at,
        phoned_to=phoned_to,
        created_by=actor,
    )
    referral.full_clean()
    referral.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.REFERRAL_CREATED,
        obj=referral,
        context=context,
        data={"destination": destination.name},
    )
    if phoned_at is not None:
        record_case_event(
            school=case.school_id,
            case=case,
            actor=actor,
            verb=CaseVerb.REFERRAL_PHONED,
            obj=referral,
            context=context,
            data={"destination": destination.name, "phoned_at": phoned_at.isoformat()},
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
    """Send a draft referral: status ``sent`` and, in the same transaction, the notice
    to the destination's liaisons written into the outbox
    (:func:`reporting.delivery.referral_notice_enqueue`: a link only, never a child's
    name or details; delivered once by the relay, ADR 0010). ``sent_at`` (UTC, default
    now) may record a referral made earlier by phone or on paper, never in the future
    nor before 2000. Raises
    ``Conflict`` if it is not a draft any more, ``ValidationError`` for a future or
    implausible ``sent_at``."""
    lock_open_case(referral.case_id)
    now = sent_at or timezone.now()
    validate_plausible(now, "sent_at")
    if now > timezone.now():
        raise ValidationError({"sent_at": _("This date and time is in the future.")})
    transition(referral, allowed=REFERRAL_TRANSITIONS, to=RS.SENT, sent_at=now, sent_by=actor)
    record_case_event(
        school=referral.case.school_id,
        case=referral.case,
        actor=actor,
        verb=CaseVerb.REFERRAL_SENT,
        obj=referral,
        context=context,
        data={"destination": referral.destination.name},
    )
    referral_notice_enqueue(referral)
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
    nor before the referral was sent, nor before 2000. The case's lead is told, with
    that reference, in the same transaction (:func:`reporting.delivery.referral_answer_enqueue`).
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
        verb=CaseVerb.REFERRAL_ACKNOWLEDGED,
        obj=referral,
        context=context,
        data={"external_reference": external_reference},
        actor_organisation_id=referral.destination_id,
    )
    referral_answer_enqueue(referral, actor=actor)
    return referral


@transaction.atomic
def referral_close(
    *, referral: Referral, actor: User, outcome: str, context: AuditContext = SYSTEM
) -> Referral:
    """Close an acknowledged referral with its outcome. Ends the destination's access.
    The case's lead is told (not the outcome: free text) in the same transaction
    (:func:`reporting.delivery.referral_answer_enqueue`). Raises ``ValidationError``
    or ``Conflict``."""
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
        verb=CaseVerb.REFERRAL_CLOSED,
        obj=referral,
        context=context,
        actor_organisation_id=_actor_org(actor, referral),
    )
    referral_answer_enqueue(referral, actor=actor)
    return referral


@transaction.atomic
def referral_withdraw(
    *, referral: Referral, actor: User, reason: str, context: AuditContext = SYSTEM
) -> Referral:
    """The school withdraws a draft or sent referral. Ends the destination's access. A
    referral that was sent is withdrawn from the destination's liaisons (or its own
    address) and its webhooks in the same transaction
    (:func:`reporting.delivery.referral_withdrawn_enqueue`; not the reason, free text);
    a draft was never seen there, so nobody is told. Raises ``ValidationError`` or
    ``Conflict``."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    # The status the compare-and-set below starts from: if it succeeds, this was it.
    was_sent = referral.status != RS.DRAFT
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
        verb=CaseVerb.REFERRAL_WITHDRAWN,
        obj=referral,
        context=context,
    )
    if was_sent:
        referral_withdrawn_enqueue(referral)
    return referral


@transaction.atomic
def referral_reject(
    *, referral: Referral, actor: User, reason: str, context: AuditContext = SYSTEM
) -> Referral:
    """The destination declines a referral, with a reason. Ends its access. The case's
    lead is told (not the reason: free text) in the same transaction
    (:func:`reporting.delivery.referral_answer_enqueue`). Raises ``ValidationError`` or
    ``Conflict``."""
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
        verb=CaseVerb.REFERRAL_REJECTED,
        obj=referral,
        context=context,
        actor_organisation_id=referral.destination_id,
    )
    referral_answer_enqueue(referral, actor=actor)
    return referral


def _actor_org(actor: User, referral: Referral) -> int:
    """The organisation ``actor`` acts for on ``referral``: its destination if they are
    its liaison, else the school."""
    if referral.destination_id in units_of(actor):
        return referral.destination_id
    return referral.case.school_id
