"""An overdue or refused notice gets its escalation draft once (LAW.md §1: the FTC for
TAKE IT DOWN, Ofcom for the Online Safety Act, the AEPD Canal Prioritario for a Spanish
school's DSA notice), written in the notice's language; filing it escalates the notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.exceptions import Conflict
from cases.models import CaseEvent
from reporting import services
from reporting.models import AuthorityReport, TakedownRequest
from tests.test_takedown_notices import draft

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def drafted_events(case) -> int:
    return CaseEvent.objects.filter(case=case, verb="authority_report.drafted").count()


@pytest.mark.parametrize(
    ("slug", "basis", "route", "authority", "language", "phrases"),
    [
        (
            "whatsapp",
            "us-take-it-down",
            "ftc_complaint",
            "FTC",
            "en",
            ["TakeItDown.ftc.gov", "Submitted: 2026-11-02 09:00 UTC", "Deadline: 2026-11-04"],
        ),
        ("instagram", "uk-osa-s10-3a", "ofcom_complaint", "OFCOM", "en", ["Ofcom", "s.10(3A)"]),
        (
            "tiktok",
            "eu-dsa-art16",
            "aepd_priority",
            "AEPDCP",
            "es",
            [
                "Canal Prioritario",
                "Circunstancias y medios de difusión",
                "Localizaciones",
                "Actuaciones ya realizadas",
                "Enviada: 2026-11-02 09:00 UTC",
                "Persona menor de edad: sí",
                "Violencia de género",
                "Abuso sexual: sí",
            ],
        ),
    ],
)
def test_an_overdue_notice_gets_its_escalation_draft_exactly_once(
    case_a, lead_a, slug, basis, route, authority, language, phrases
):
    with time_machine.travel(START, tick=False) as clock:
        notice = draft(case_a, lead_a, slug, basis, language=language)
        services.takedown_submit(notice=notice, actor=lead_a, platform_ticket="T-9")
        clock.shift(timedelta(hours=47))
        assert services.takedowns_mark_overdue() == []
        assert not AuthorityReport.objects.exists()
        clock.shift(timedelta(hours=2))
        assert services.takedowns_mark_overdue() == [notice.pk]
        assert services.takedowns_mark_overdue() == []  # the sweep again
        notice.refresh_from_db()
        assert notice.status == "overdue"
        # Refused afterwards: still the one draft.
        services.takedown_record_outcome(notice=notice, actor=lead_a, status="refused")
    report = AuthorityReport.objects.get()
    assert (report.route, report.authority.code, report.takedown) == (route, authority, notice)
    assert report.status == "draft" and report.language == language
    for phrase in phrases:
        assert phrase in report.body
    assert notice.evidence_items.get().location in report.body
    assert drafted_events(case_a) == 1


def test_a_refused_notice_gets_its_draft_and_filing_escalates_the_notice(case_a, lead_a):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16", language="en")
    services.takedown_submit(notice=notice, actor=lead_a)
    services.takedown_record_outcome(notice=notice, actor=lead_a, status="refused")
    report = AuthorityReport.objects.get(takedown=notice)
    assert "refused our removal request" in report.body
    services.authority_report_file(report=report, actor=lead_a, reference="AEPD-2026-77")
    report.refresh_from_db()
    notice.refresh_from_db()
    assert report.status == "filed" and report.reference == "AEPD-2026-77"
    assert notice.status == TakedownRequest.Status.ESCALATED
    assert notice.escalated_to == report.authority
    assert notice.escalation_reference == "AEPD-2026-77"
    with pytest.raises(Conflict):
        services.authority_report_file(report=report, actor=lead_a, reference="again")
    services.authority_report_record_answer(
        report=report, actor=lead_a, answer="Retirado por la plataforma"
    )
    report.refresh_from_db()
    assert report.status == "answered" and "Retirado por la plataforma" in report.notes
    verbs = set(CaseEvent.objects.filter(case=case_a).values_list("verb", flat=True))
    assert {
        "authority_report.drafted",
        "authority_report.filed",
        "authority_report.answered",
    } <= verbs


def test_filing_cannot_be_dated_in_the_future(case_a, lead_a):
    report = services.authority_report_create(case=case_a, actor=lead_a, route="aepd_complaint")
    with pytest.raises(ValidationError):
        services.authority_report_file(
            report=report, actor=lead_a, filed_at=datetime(2099, 1, 1, tzinfo=UTC)
        )


def test_a_lead_can_draft_an_aepd_complaint_or_priority_report_by_hand(case_a, lead_a):
    complaint = services.authority_report_create(
        case=case_a, actor=lead_a, route="aepd_complaint", language="es"
    )
    assert complaint.authority.code == "AEPDREC" and complaint.takedown is None
    assert "Reclamación ante la AEPD" in complaint.body
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16", language="es")
    priority = services.authority_report_create(
        case=case_a, actor=lead_a, route="aepd_priority", takedown=notice
    )
    again = services.authority_report_create(
        case=case_a, actor=lead_a, route="aepd_priority", takedown=notice
    )
    assert priority == again
    assert AuthorityReport.objects.filter(case=case_a).count() == 2
    with pytest.raises(ValidationError):
        services.authority_report_create(case=case_a, actor=lead_a, route="ftc_complaint")


def test_escalating_the_notice_by_hand_files_its_draft(case_a, lead_a):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    services.takedown_submit(notice=notice, actor=lead_a)
    services.takedown_record_outcome(notice=notice, actor=lead_a, status="refused")
    services.takedown_escalate(notice=notice, actor=lead_a, reference="CP-55")
    report = AuthorityReport.objects.get()
    assert report.status == "filed" and report.reference == "CP-55"
    assert CaseEvent.objects.filter(case=case_a, verb="authority_report.filed").count() == 1


def test_an_escalation_is_not_filed_before_its_notice_was_submitted(case_a, lead_a):
    """Newcomer trial: a filing date weeks before the notice was accepted."""
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    services.takedown_submit(notice=notice, actor=lead_a)
    services.takedown_record_outcome(notice=notice, actor=lead_a, status="refused")
    report = AuthorityReport.objects.get(takedown=notice)
    with pytest.raises(ValidationError) as refused:
        services.authority_report_file(
            report=report,
            actor=lead_a,
            reference="CP-1",
            filed_at=notice.submitted_at - timedelta(days=3),
        )
    assert "filed_at" in refused.value.message_dict
    report.refresh_from_db()
    assert report.status == "draft"
