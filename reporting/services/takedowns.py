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
from cases.models import Case, EvidenceItem, Organisation, Participant, Person, User
from cases.services import lock_open_case, validate_plausible
from cases.transitions import transition
from cases.verbs import CaseVerb
from reporting.delivery import (
    takedown_notice_send_enqueue,
    takedown_overdue_enqueue,
    takedown_refused_enqueue,
)
from reporting.directory_selectors import legal_bases_for
from reporting.models import (
    OPEN_TAKEDOWN_STATUSES,
    AuthorityReport,
    LegalBasis,
    Platform,
    RequesterRelationship,
    TakedownRequest,
)
from reporting.notices import NOTICE_LANGUAGES
from reporting.services.escalation_drafts import escalation_draft_for_notice

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


# Laws whose removal requests must be signed, with a contact: the US TAKE IT DOWN Act
# (47 U.S.C. §223a(a)(1)(B)(i), (iv)) and the UK Online Safety Act (s.20A(2)). The EU DSA
# lets the notifier of child sexual abuse material stay anonymous (art. 16(2)(c)).
SIGNED_NOTICE_JURISDICTIONS = frozenset({"US", "GB"})


def validate_basis_applies(
    *,
    platform: Platform,
    legal_basis: LegalBasis,
    school: Organisation,
    requester_name: str | None = None,
) -> None:
    """Raise ``ValidationError`` (on ``legal_basis``) unless ``legal_basis`` is one of
    :func:`reporting.directory_selectors.legal_bases_for` ``(platform, school)``: a removal
    duty the platform answers under, enabled (never a draft), whose jurisdiction covers
    the school's — a Spanish school is never offered the UK or US bases (LAW.md §1;
    "forms offer only the bases that apply"). With ``requester_name`` given (the
    signature block being checked), a notice under the US or UK law must be signed
    (on ``requester_name``: TAKE IT DOWN §223a(a)(1)(B)(i); OSA s.20A(2)); the EU DSA
    allows an anonymous notifier. Called by the forms, the API and
    :func:`takedowns_draft_for_case`; :func:`takedown_create` itself still accepts any
    enabled removal basis, for notices drafted before issue 10 (and their tests)."""
    errors: dict[str, str] = {}
    if legal_basis not in legal_bases_for(platform=platform, school=school):
        errors["legal_basis"] = _(
            "%(basis)s does not apply to a notice from this school to %(platform)s."
        ) % {"basis": legal_basis.name, "platform": platform.name}
    if (
        requester_name is not None
        and legal_basis.jurisdiction in SIGNED_NOTICE_JURISDICTIONS
        and not requester_name.strip()
    ):
        errors["requester_name"] = _(
            "A notice under %(basis)s must be signed: give the name of the person asking."
        ) % {"basis": legal_basis.name}
    if errors:
        raise ValidationError(errors)


def default_notice_language(*, actor: User, school: Organisation) -> str:
    """The language a notice is written in when none is chosen: the lead's own
    (``User.language``), else Spanish for a school in Spain, else English."""
    if actor.language in NOTICE_LANGUAGES:
        return actor.language
    return "es" if school.jurisdiction.upper().startswith("ES") else "en"


def validate_signature(
    *,
    case: Case,
    victim: Person | None,
    requester_name: str,
    requester_relationship: str,
    requester_email: str,
    requester_phone: str,
    consent_note: str,
) -> None:
    """Check a notice's signature block (who asks, on whose behalf): the victim is a
    victim of ``case``; the relationship is one of ``RequesterRelationship``; the school
    acting with the guardians' consent records who consented and when (TAKE IT DOWN
    §223a(a)(1)(B)(i): an authorised person acting on the individual's behalf); someone
    who signs gives an e-mail or a phone to be reached (§223a(a)(1)(B)(iv); OSA
    s.20A(2)). A notice with no name is anonymous, as the DSA allows for child sexual
    abuse material (art. 16(2)(c)): its text says so (the US and UK laws want a
    signature: :func:`validate_basis_applies`). Raises ``ValidationError`` with one
    message per field, in the active language."""
    errors: dict[str, str] = {}
    if (
        victim is not None
        and not Participant.objects.filter(
            case=case, person=victim, role=Participant.Role.VICTIM
        ).exists()
    ):
        errors["victim"] = _("Choose a victim of this case.")
    if requester_relationship not in RequesterRelationship.values:
        errors["requester_relationship"] = _("Choose who is asking.")
    elif (
        requester_relationship == RequesterRelationship.SCHOOL_WITH_CONSENT
        and not consent_note.strip()
    ):
        errors["consent_note"] = _(
            "Record who gave consent and when: the school asks on their behalf."
        )
    if requester_name.strip() and not (requester_email.strip() or requester_phone.strip()):
        errors["requester_email"] = _("Give an e-mail or a phone where the platform can reach you.")
    if errors:
        raise ValidationError(errors)


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
    victim: Person | None = None,
    requester_name: str = "",
    requester_relationship: str = RequesterRelationship.SCHOOL_DUTY,
    requester_email: str = "",
    requester_phone: str = "",
    consent_note: str = "",
    report_email: str = "",
    language: str | None = None,
    context: AuditContext = SYSTEM,
) -> TakedownRequest:
    """Draft a takedown notice to ``platform`` for evidence items of ``case``.

    Every item must belong to the case. ``channel`` defaults to the platform's report
    channel. The signature block (``victim``, ``requester_*``, ``consent_note``) is
    checked by :func:`validate_signature` (LAW.md §1: TAKE IT DOWN §223a(a)(1)(B)(i) and
    (iv), OSA s.20A(2), DSA art. 16(2)(c)); ``report_email`` is the site's abuse address
    where the directory has none; ``language`` (``es``/``en``) defaults to
    :func:`default_notice_language`. Raises ``ValidationError``.
    """
    lock_open_case(case.pk)
    # Never a notice on an offence (it has no clock) or on a basis the directory has
    # switched off (the draft art. 173 bis CP is present but disabled: LAW.md §3).
    if legal_basis.purpose != LegalBasis.Purpose.REMOVAL or not legal_basis.enabled:
        raise ValidationError(
            {"legal_basis": _("This legal basis cannot be used for a takedown notice.")}
        )
    validate_signature(
        case=case,
        victim=victim,
        requester_name=requester_name,
        requester_relationship=requester_relationship,
        requester_email=requester_email,
        requester_phone=requester_phone,
        consent_note=consent_note,
    )
    language = language or default_notice_language(actor=actor, school=case.school)
    if language not in NOTICE_LANGUAGES:
        raise ValidationError({"language": _("Choose Spanish or English.")})
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
        victim=victim,
        requester_name=requester_name.strip(),
        requester_relationship=requester_relationship,
        requester_email=requester_email.strip(),
        requester_phone=requester_phone.strip(),
        consent_note=consent_note.strip(),
        report_email=report_email.strip(),
        language=language,
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
    ``takedown.submitted`` event (ISO 8601, UTC) as that same value.

    A notice on the e-mail channel submitted now (no ``submitted_at``) is sent here:
    its text (``reporting.notices``) goes into the outbox, to the notice's
    ``report_email`` or else the platform's, in this transaction, so it leaves exactly
    once (DESIGN rule 6). With no address the submission is refused
    (``ValidationError`` on ``report_email``): type the site's abuse address on the
    notice. A ``submitted_at`` given records a notice the school already sent itself:
    nothing is sent again."""
    lock_open_case(notice.case_id)
    address = notice.email_address
    send_now = submitted_at is None and notice.channel == Platform.Channel.EMAIL
    if send_now and not address:
        raise ValidationError(
            {
                "report_email": _(
                    "%(platform)s takes notices by e-mail but has no address: type the "
                    "site's abuse address on the notice."
                )
                % {"platform": notice.platform.name}
            }
        )
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
    if send_now:
        takedown_notice_send_enqueue(notice, address=address)
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
        # The escalation's draft, once per notice and route (LAW.md §1).
        escalation_draft_for_notice(notice, actor=actor, context=context)
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
    art. 36 bis … priority channel). The notice's escalation draft to that authority,
    if one is still a draft (``escalation_drafts``), is recorded as filed with the same
    reference, so the notice and its report agree whichever is recorded first (the
    other way round: ``authority_report_file``). Raises ``ValidationError`` or
    ``Conflict``."""
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
    _file_escalation_draft(notice, target=target, actor=actor, context=context)
    return notice


def _file_escalation_draft(
    notice: TakedownRequest, *, target: Organisation, actor: User, context: AuditContext
) -> None:
    """Mark the notice's draft report to ``target`` filed (conditional UPDATE: a report
    already filed is left alone), with the notice's escalation time and reference."""
    drafts = AuthorityReport.objects.filter(
        takedown=notice, authority=target, status=AuthorityReport.Status.DRAFT
    )
    for report in drafts:
        filed = AuthorityReport.objects.filter(
            pk=report.pk, status=AuthorityReport.Status.DRAFT
        ).update(
            status=AuthorityReport.Status.FILED,
            filed_at=notice.escalated_at,
            filed_by=actor,
            reference=notice.escalation_reference,
        )
        if filed:
            record_case_event(
                school=notice.case.school_id,
                case=notice.case,
                actor=actor,
                verb=CaseVerb.AUTHORITY_REPORT_FILED,
                obj=report,
                context=context,
                data={"route": report.route, "reference": notice.escalation_reference},
            )


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
            # The escalation's draft, in the same transaction, once per notice and
            # route (``authority_report_once_per_notice``; LAW.md §1).
            escalation_draft_for_notice(notice, actor=None)
            marked.append(pk)
    return marked


@transaction.atomic
def takedowns_draft_for_case(
    *,
    case: Case,
    actor: User,
    victim: Person | None = None,
    requester_name: str = "",
    requester_relationship: str = RequesterRelationship.SCHOOL_DUTY,
    requester_email: str = "",
    requester_phone: str = "",
    consent_note: str = "",
    language: str | None = None,
    evidence_items: Iterable[EvidenceItem] | None = None,
    context: AuditContext = SYSTEM,
) -> list[TakedownRequest]:
    """Draft, in one step, the notices an incident needs: ``case``'s evidence (or
    ``evidence_items`` of it) grouped by platform, one draft per platform and legal
    basis that applies (:func:`reporting.directory_selectors.legal_bases_for`; LAW.md §1:
    "one incident usually needs notices under several bases to several platforms; the
    clocks run separately"). A pair that already has a draft, open or removed notice is
    skipped, so running it twice drafts nothing new. Evidence with no platform is left out
    (there is nowhere to send it). Each notice has its own clock, ticket and answer.
    The signature block is checked once (:func:`validate_signature`). Returns the
    notices drafted now (possibly none). Raises ``ValidationError``."""
    lock_open_case(case.pk)
    validate_signature(
        case=case,
        victim=victim,
        requester_name=requester_name,
        requester_relationship=requester_relationship,
        requester_email=requester_email,
        requester_phone=requester_phone,
        consent_note=consent_note,
    )
    if evidence_items is None:
        items = list(case.evidence_items.select_related("platform"))
    else:
        items = list(evidence_items)
        if any(item.case_id != case.pk for item in items):
            raise ValidationError({"evidence_items": _("Evidence items must be of this case.")})
    by_platform: dict[int, list[EvidenceItem]] = {}
    platforms: dict[int, Platform] = {}
    for item in items:
        if item.platform is None:
            continue
        by_platform.setdefault(item.platform.pk, []).append(item)
        platforms[item.platform.pk] = item.platform
    taken = set(
        TakedownRequest.objects.filter(
            # A removed item needs no new notice (if it comes back, draft one by hand).
            case=case,
            status__in=[TS.DRAFT, TS.REMOVED, *OPEN_TAKEDOWN_STATUSES],
        ).values_list("platform_id", "legal_basis_id")
    )
    for platform in platforms.values():
        for basis in legal_bases_for(platform=platform, school=case.school):
            validate_basis_applies(
                platform=platform,
                legal_basis=basis,
                school=case.school,
                requester_name=requester_name,
            )
    drafted: list[TakedownRequest] = []
    for platform_id in sorted(by_platform, key=lambda pk: platforms[pk].name):
        platform = platforms[platform_id]
        for basis in legal_bases_for(platform=platform, school=case.school):
            if (platform_id, basis.pk) in taken:
                continue
            drafted.append(
                takedown_create(
                    case=case,
                    actor=actor,
                    platform=platform,
                    legal_basis=basis,
                    evidence_items=by_platform[platform_id],
                    victim=victim,
                    requester_name=requester_name,
                    requester_relationship=requester_relationship,
                    requester_email=requester_email,
                    requester_phone=requester_phone,
                    consent_note=consent_note,
                    language=language,
                    context=context,
                )
            )
    return drafted
