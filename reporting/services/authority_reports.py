"""Reports to authorities: the escalation drafts of takedown notices (written by
``escalation_drafts``), reports a lead opens by hand for a case (the AEPD's Canal
Prioritario and ordinary complaint, LAW.md §1 "Spain — AEPD"), filing one with the
authority's reference, and recording the authority's answer.

Statuses: draft → filed → answered → closed (``AUTHORITY_REPORT_TRANSITIONS``), each a
compare-and-set UPDATE (a lost race is ``Conflict``, 409).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Case, User
from cases.services import lock_open_case, validate_plausible
from cases.transitions import transition
from cases.verbs import CaseVerb
from reporting.escalations import MANUAL_ROUTES, authority_for, report_text
from reporting.models import AuthorityReport, TakedownRequest
from reporting.notices import NOTICE_LANGUAGES
from reporting.services.takedowns import TAKEDOWN_TRANSITIONS, takedown_escalate

ARS = AuthorityReport.Status
AUTHORITY_REPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    ARS.DRAFT: frozenset({ARS.FILED}),
    ARS.FILED: frozenset({ARS.ANSWERED, ARS.CLOSED}),
    ARS.ANSWERED: frozenset({ARS.CLOSED}),
    ARS.CLOSED: frozenset(),
}


@transaction.atomic
def authority_report_create(
    *,
    case: Case,
    actor: User,
    route: str,
    takedown: TakedownRequest | None = None,
    language: str = "es",
    context: AuditContext = SYSTEM,
) -> AuthorityReport:
    """Draft by hand a report on ``route`` for ``case``: the AEPD Canal Prioritario
    (``aepd_priority``: urgent removal; third parties may report; LAW.md §1) or the
    AEPD's ordinary complaint (``aepd_complaint``, to the AEPD's sanctioning route,
    ``AEPDREC``), with or without a ``takedown`` of the case. The ``body`` is written
    now in ``language`` (:func:`reporting.escalations.report_text`). A report on the
    same route for the same notice already exists: that one is returned, nothing is
    written (``authority_report_once_per_notice``). Raises ``ValidationError``."""
    lock_open_case(case.pk)
    if route not in MANUAL_ROUTES:
        raise ValidationError(
            {"route": _("Choose the AEPD Canal Prioritario or an AEPD complaint.")}
        )
    if language not in NOTICE_LANGUAGES:
        raise ValidationError({"language": _("Choose Spanish or English.")})
    if takedown is not None and takedown.case_id != case.pk:
        raise ValidationError({"takedown": _("Choose a takedown notice of this case.")})
    authority = authority_for(route)
    if authority is None:
        raise ValidationError({"route": _("This authority is missing from the directory.")})
    if takedown is not None:
        existing = AuthorityReport.objects.filter(takedown=takedown, route=route).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            report = AuthorityReport.objects.create(
                case=case,
                takedown=takedown,
                authority=authority,
                route=route,
                language=language,
                body=report_text(case=case, route=route, language=language, notice=takedown),
                created_by=actor,
            )
    except IntegrityError:
        return AuthorityReport.objects.get(takedown=takedown, route=route)
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.AUTHORITY_REPORT_DRAFTED,
        obj=report,
        context=context,
        data={"route": route, "takedown": takedown.pk if takedown else None},
    )
    return report


@transaction.atomic
def authority_report_file(
    *,
    report: AuthorityReport,
    actor: User,
    reference: str = "",
    filed_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> AuthorityReport:
    """Record that ``report`` was filed with the authority at ``filed_at`` (aware; UTC
    stored; default now; not in the future) under the authority's ``reference``. A
    report escalating a notice that is overdue or refused also escalates the notice
    (``takedown_escalate``: ``escalated_to`` = this authority, the same reference), so
    the notice and its report never disagree. Raises ``ValidationError`` or
    ``Conflict`` (already filed, lost race)."""
    lock_open_case(report.case_id)
    filed_at = filed_at or timezone.now()
    validate_plausible(filed_at, "filed_at")
    if filed_at > timezone.now():
        raise ValidationError({"filed_at": _("This date and time is in the future.")})
    # An escalation is filed after the notice it escalates was sent (LAW.md §1: "try
    # the platform first"), never before (newcomer trial: a date weeks earlier passed).
    if (
        report.takedown is not None
        and report.takedown.submitted_at is not None
        and filed_at < report.takedown.submitted_at
    ):
        raise ValidationError(
            {"filed_at": _("This is before the takedown notice it escalates was submitted.")}
        )
    transition(
        report,
        allowed=AUTHORITY_REPORT_TRANSITIONS,
        to=ARS.FILED,
        filed_at=filed_at,
        filed_by=actor,
        reference=reference.strip()[:100],
    )
    record_case_event(
        school=report.case.school_id,
        case=report.case,
        actor=actor,
        verb=CaseVerb.AUTHORITY_REPORT_FILED,
        obj=report,
        context=context,
        data={
            "route": report.route,
            "reference": report.reference,
            "filed_at": filed_at.isoformat(),
        },
    )
    notice = report.takedown
    if notice is not None:
        notice.refresh_from_db(fields=["status"])
        if TakedownRequest.Status.ESCALATED in TAKEDOWN_TRANSITIONS.get(notice.status, frozenset()):
            takedown_escalate(
                notice=notice,
                actor=actor,
                escalated_to=report.authority,
                reference=report.reference,
                context=context,
            )
    return report


@transaction.atomic
def authority_report_record_answer(
    *,
    report: AuthorityReport,
    actor: User,
    answer: str,
    context: AuditContext = SYSTEM,
) -> AuthorityReport:
    """Record the authority's answer to a filed ``report`` (``answer``: what they said,
    appended to the report's notes with the date). Raises ``ValidationError`` (empty)
    or ``Conflict`` (not filed, lost race)."""
    answer = answer.strip()
    if not answer:
        raise ValidationError({"answer": _("Write what the authority answered.")})
    lock_open_case(report.case_id)
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    notes = f"{report.notes}\n\n{stamp}: {answer}".strip()[:5000]
    transition(report, allowed=AUTHORITY_REPORT_TRANSITIONS, to=ARS.ANSWERED, notes=notes)
    record_case_event(
        school=report.case.school_id,
        case=report.case,
        actor=actor,
        verb=CaseVerb.AUTHORITY_REPORT_ANSWERED,
        obj=report,
        context=context,
        data={"route": report.route},
    )
    return report
