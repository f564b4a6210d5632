"""Takedown notices' text and PDF, drafting an incident's notices, and reports to
authorities over the API (LAW.md §1), with the personas of tests/conftest.py."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from cases.models import AccessEvent, CaseEvent
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting import services
from reporting.models import AuthorityReport, GeneratedDocument, TakedownRequest
from tests.conftest import client_for
from tests.test_takedown_notices import SIGNATURE, draft, evidence, victim_of

pytestmark = pytest.mark.django_db


def notice_url(pk: int, suffix: str = "notice/") -> str:
    return f"/api/v1/takedowns/{pk}/{suffix}"


def create_payload(case, item, **extra) -> dict:
    return {
        "case": case.pk,
        "platform": "tiktok",
        "legal_basis": "eu-dsa-art16",
        "evidence_items": [item.pk],
        **SIGNATURE,
        "victim": victim_of(case).pk,
        **extra,
    }


def test_a_notice_is_drafted_with_its_signature_block(case_a, lead_a):
    item = evidence(case_a, lead_a, "tiktok")
    response = client_for(lead_a).post(
        "/api/v1/takedowns/", create_payload(case_a, item, language="en"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requester_name"] == "Ana Directora"
    assert body["requester_relationship"] == "school_consent"
    assert body["victim"] == victim_of(case_a).pk and body["language"] == "en"


@pytest.mark.parametrize(
    "basis", ["us-take-it-down", "uk-osa-s10-3a", "es-lopdgdd-canal-prioritario"]
)
def test_a_spanish_school_cannot_rest_a_notice_on_another_jurisdictions_basis(
    case_a, lead_a, basis
):
    item = evidence(case_a, lead_a, "tiktok")
    response = client_for(lead_a).post(
        "/api/v1/takedowns/", create_payload(case_a, item, legal_basis=basis), format="json"
    )
    assert response.status_code == 400
    assert "legal_basis" in response.json()
    assert not TakedownRequest.objects.exists()


def test_consent_is_required_when_the_school_asks_with_consent(case_a, lead_a):
    item = evidence(case_a, lead_a, "tiktok")
    response = client_for(lead_a).post(
        "/api/v1/takedowns/",
        create_payload(case_a, item, consent_note=""),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "consent_note" in response.json()


def test_the_notice_text_is_served_in_either_language_and_audited(case_a, lead_a):
    notice = draft(case_a, lead_a, "telegram", "eu-dsa-art16", language="es")
    client = client_for(lead_a)
    spanish = client.get(notice_url(notice.pk))
    assert spanish.status_code == 200
    body = spanish.json()
    assert body["language"] == "es" and "16(2)(a)" in body["text"]
    assert "exactas y completas" in body["body"]
    assert body["channel"] == "email" and body["report_email"] == "abuse@telegram.org"
    assert body["email_state"] == ""
    english = client.get(notice_url(notice.pk) + "?lang=en").json()
    assert "accurate and complete" in english["body"]
    assert client.get(notice_url(notice.pk) + "?lang=fr").status_code == 400
    assert AccessEvent.objects.filter(action="takedown.notice").count() == 2
    documents = GeneratedDocument.objects.filter(takedown=notice, format="txt")
    assert documents.count() == 2 and body["sha256"] in set(
        documents.values_list("sha256", flat=True)
    )
    assert CaseEvent.objects.filter(case=case_a, verb="document.generated").count() == 2


def test_the_notice_pdf_carries_the_text_and_is_audited(case_a, lead_a):
    notice = draft(case_a, lead_a, "whatsapp", "eu-dsa-art16", language="en")
    response = client_for(lead_a).get(notice_url(notice.pk, "notice.pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "accurate and complete" in " ".join(text.split())
    assert AccessEvent.objects.filter(action="takedown.notice").count() == 1
    assert GeneratedDocument.objects.get(takedown=notice).format == "pdf"


def test_another_schools_notice_is_not_found(case_a, lead_a, lead_b):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    client = client_for(lead_b)
    assert client.get(notice_url(notice.pk)).status_code == 404
    assert client.get(notice_url(notice.pk, "notice.pdf")).status_code == 404
    assert not GeneratedDocument.objects.exists()


def test_draft_all_drafts_one_per_platform_and_basis_and_is_idempotent(case_a, lead_a):
    evidence(case_a, lead_a, "whatsapp", n=1)
    evidence(case_a, lead_a, "instagram", n=2)
    payload = {**SIGNATURE, "victim": victim_of(case_a).pk}
    url = f"/api/v1/cases/{case_a.pk}/takedowns/draft-all/"
    first = client_for(lead_a).post(url, payload, format="json")
    assert first.status_code == 201, first.json()
    assert sorted((n["platform"], n["legal_basis"]) for n in first.json()) == [
        ("instagram", "eu-dsa-art16"),
        ("whatsapp", "eu-dsa-art16"),
    ]
    again = client_for(lead_a).post(url, payload, format="json")
    assert again.status_code == 201 and again.json() == []


def test_draft_all_on_another_schools_case_is_not_found(case_a, lead_b):
    url = f"/api/v1/cases/{case_a.pk}/takedowns/draft-all/"
    assert client_for(lead_b).post(url, {}, format="json").status_code == 404


def test_submitting_an_email_notice_sends_it_once_through_the_outbox(case_a, lead_a):
    notice = draft(case_a, lead_a, "telegram", "eu-dsa-art16")
    client = client_for(lead_a)
    assert client.post(notice_url(notice.pk, "submit/"), {}, format="json").status_code == 200
    assert client.post(notice_url(notice.pk, "submit/"), {}, format="json").status_code == 409
    assert Message.objects.filter(kind=MessageKind.TAKEDOWN_NOTICE).count() == 1
    assert client.get(notice_url(notice.pk)).json()["email_state"] == "pending"


def test_an_email_row_without_address_is_a_clear_400(case_a, lead_a):
    notice = draft(case_a, lead_a, "adult-site", "eu-dsa-art16")
    response = client_for(lead_a).post(
        notice_url(notice.pk, "submit/"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "abuse address" in str(response.json()["report_email"])


def test_authority_reports_are_listed_filed_and_created(case_a, lead_a, lead_b, police, referral_a):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    services.takedown_submit(notice=notice, actor=lead_a)
    services.takedown_record_outcome(notice=notice, actor=lead_a, status="refused")
    report = AuthorityReport.objects.get()
    lead = client_for(lead_a)
    listed = lead.get("/api/v1/authority-reports/").json()["results"]
    assert [r["id"] for r in listed] == [report.pk] and listed[0]["route"] == "aepd_priority"
    assert client_for(lead_b).get("/api/v1/authority-reports/").json()["results"] == []
    # The referred unit reads it (evidence shared), cannot file it.
    file_url = f"/api/v1/authority-reports/{report.pk}/file/"
    assert client_for(police).get(file_url).status_code == 200
    assert client_for(police).post(file_url, {}, format="json").status_code == 403
    assert client_for(lead_b).get(file_url).status_code == 404
    filed = lead.post(file_url, {"reference": "AEPD-1"}, format="json")
    assert filed.status_code == 200 and filed.json()["status"] == "filed"
    notice.refresh_from_db()
    assert notice.status == "escalated" and notice.escalation_reference == "AEPD-1"
    created = lead.post(
        f"/api/v1/cases/{case_a.pk}/authority-reports/",
        {"route": "aepd_complaint", "language": "en"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["authority"].startswith("AEPD")
    refused = lead.post(
        f"/api/v1/cases/{case_a.pk}/authority-reports/", {"route": "ftc_complaint"}, format="json"
    )
    assert refused.status_code == 400


def test_the_authoritys_answer_is_recorded_on_a_filed_report(case_a, lead_a, lead_b):
    report = services.authority_report_create(case=case_a, actor=lead_a, route="aepd_complaint")
    url = f"/api/v1/authority-reports/{report.pk}/answer/"
    lead = client_for(lead_a)
    assert lead.post(url, {"answer": "Admitida a trámite"}, format="json").status_code == 409
    services.authority_report_file(report=report, actor=lead_a, reference="R-1")
    assert client_for(lead_b).post(url, {"answer": "x"}, format="json").status_code == 404
    assert lead.post(url, {"answer": ""}, format="json").status_code == 400
    answered = lead.post(url, {"answer": "Admitida a trámite"}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert "Admitida a trámite" in answered.json()["notes"]
