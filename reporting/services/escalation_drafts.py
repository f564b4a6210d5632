"""The escalation draft of a takedown notice: written once, in the transaction that
marks the notice overdue or records the platform's refusal (LAW.md §1: the FTC for the
US TAKE IT DOWN Act, Ofcom for the UK Online Safety Act, the AEPD Canal Prioritario for
a Spanish school's DSA notice).

Kept apart from ``takedowns`` (which calls it) and ``authority_reports`` (which files
it and escalates the notice through ``takedowns``), so neither imports the other.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import User
from cases.verbs import CaseVerb
from reporting.escalations import authority_for, escalation_route, report_text
from reporting.models import AuthorityReport, TakedownRequest


def escalation_draft_for_notice(
    notice: TakedownRequest, *, actor: User | None, context: AuditContext = SYSTEM
) -> AuthorityReport | None:
    """Draft, once, the report escalating ``notice`` (overdue or refused) to the
    authority of its legal basis (:func:`reporting.escalations.escalation_route`), with
    its ``body`` in the notice's language (:func:`reporting.escalations.report_text`),
    and an ``authority_report.drafted`` chronology line. Call inside the transaction
    that changes the notice's status.

    Exactly once: the row is unique per (notice, route)
    (``authority_report_once_per_notice``); the INSERT runs in a savepoint and a
    conflict (a notice overdue then refused, two sweeps at once, a retry) returns the
    existing row and writes nothing. Returns ``None`` where the basis has no
    escalation route for the school, or the directory has no such authority."""
    route = escalation_route(notice)
    authority = authority_for(route) if route is not None else None
    if route is None or authority is None:
        return None
    existing = AuthorityReport.objects.filter(takedown=notice, route=route).first()
    if existing is not None:
        return existing
    language = notice.language or "es"
    try:
        with transaction.atomic():  # a savepoint: the conflict must not spoil the caller's
            report = AuthorityReport.objects.create(
                case=notice.case,
                takedown=notice,
                authority=authority,
                route=route,
                language=language,
                body=report_text(case=notice.case, route=route, language=language, notice=notice),
                created_by=actor,
            )
    except IntegrityError:
        # Another transaction drafted it first (committed): theirs is the one.
        return AuthorityReport.objects.get(takedown=notice, route=route)
    record_case_event(
        school=notice.case.school_id,
        case=notice.case,
        actor=actor,
        verb=CaseVerb.AUTHORITY_REPORT_DRAFTED,
        obj=report,
        context=context,
        data={"route": route, "takedown": notice.pk, "authority": authority.name},
    )
    return report
