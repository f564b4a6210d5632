"""Web pages for takedown notices' text and reports to authorities (LAW.md §1): the
notice form offers only what applies, the notice page shows the text to paste or the
e-mail's state, downloads are audited, other schools' ids are 404."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cases.models import AccessEvent
from outbox.models import Message
from reporting import services
from reporting.models import AuthorityReport, GeneratedDocument, TakedownRequest
from tests.test_takedown_notices import SIGNATURE, draft, evidence, victim_of

pytestmark = pytest.mark.django_db


def client_as(user, language: str = "es") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def options_of(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select is not None, name
    return [value for value in re.findall(r'<option value="([^"]*)"', select.group(0)) if value]


def test_the_notice_form_offers_a_spanish_school_only_the_eu_basis(case_a, lead_a):
    response = client_as(lead_a, "en").get(reverse("web:takedown_new", args=[case_a.pk]))
    assert response.status_code == 200
    assert options_of(response.content.decode(), "legal_basis") == ["eu-dsa-art16"]


def test_the_notice_form_names_the_basis_in_the_pages_language(case_a, lead_a):
    spanish = client_as(lead_a, "es").get(reverse("web:takedown_new", args=[case_a.pk]))
    assert "Reglamento de Servicios Digitales (UE)" in spanish.content.decode()
    english = client_as(lead_a, "en").get(reverse("web:takedown_new", args=[case_a.pk]))
    assert "Digital Services Act (EU)" in english.content.decode()


def test_the_notice_form_refuses_a_basis_that_does_not_apply(case_a, lead_a):
    item = evidence(case_a, lead_a, "whatsapp")
    response = client_as(lead_a, "en").post(
        reverse("web:takedown_new", args=[case_a.pk]),
        {
            "platform": "whatsapp",
            "legal_basis": "us-take-it-down",
            "evidence_items": [item.pk],
            **SIGNATURE,
        },
    )
    assert response.status_code == 400
    assert not TakedownRequest.objects.exists()


def test_evidence_items_are_told_apart_in_the_form(case_a, lead_a):
    first = evidence(case_a, lead_a, "whatsapp", n=1)
    second = evidence(case_a, lead_a, "whatsapp", n=2)
    html = client_as(lead_a, "en").get(reverse("web:takedown_new", args=[case_a.pk])).content
    page = html.decode()
    for item in (first, second):
        assert item.location in page and item.sha256[:12] in page


def test_the_form_drafts_a_notice_with_its_signature_block(case_a, lead_a):
    item = evidence(case_a, lead_a, "tiktok")
    response = client_as(lead_a, "en").post(
        reverse("web:takedown_new", args=[case_a.pk]),
        {
            "platform": "tiktok",
            "legal_basis": "eu-dsa-art16",
            "evidence_items": [item.pk],
            **SIGNATURE,
            "victim": victim_of(case_a).pk,
            "language": "en",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    notice = TakedownRequest.objects.get()
    assert notice.requester_name == "Ana Directora" and notice.victim == victim_of(case_a)
    assert notice.language == "en"


def test_the_form_asks_who_consented(case_a, lead_a):
    item = evidence(case_a, lead_a, "tiktok")
    response = client_as(lead_a, "en").post(
        reverse("web:takedown_new", args=[case_a.pk]),
        {
            "platform": "tiktok",
            "legal_basis": "eu-dsa-art16",
            "evidence_items": [item.pk],
            **SIGNATURE,
            "consent_note": "",
        },
    )
    assert response.status_code == 400
    assert "Record who gave consent" in response.content.decode()
    assert not TakedownRequest.objects.exists()


def test_the_notice_page_shows_the_text_to_paste_and_records_the_read(case_a, lead_a):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16", language="es")
    url = reverse("web:takedown_notice", args=[case_a.pk, notice.pk])
    response = client_as(lead_a).get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "16(2)(d)" in page and "data-copy" in page
    assert notice.platform.report_url in page
    assert reverse("web:takedown_notice_pdf", args=[case_a.pk, notice.pk]) in page
    assert "accurate and complete" in client_as(lead_a).get(url + "?lang=en").content.decode()
    assert AccessEvent.objects.filter(action="takedown.notice").count() == 2
    assert GeneratedDocument.objects.filter(takedown=notice, format="txt").count() == 2


def test_the_notice_page_shows_the_emails_state(case_a, lead_a):
    notice = draft(case_a, lead_a, "telegram", "eu-dsa-art16")
    url = reverse("web:takedown_notice", args=[case_a.pk, notice.pk])
    assert 'data-email-state="none"' in client_as(lead_a).get(url).content.decode()
    services.takedown_submit(notice=notice, actor=lead_a)
    page = client_as(lead_a).get(url).content.decode()
    assert 'data-email-state="pending"' in page and "abuse@telegram.org" in page


def test_the_pdf_download_is_audited(case_a, lead_a):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    response = client_as(lead_a).get(
        reverse("web:takedown_notice_pdf", args=[case_a.pk, notice.pk])
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert AccessEvent.objects.filter(action="takedown.notice").count() == 1


def test_another_schools_notice_and_report_are_not_found(case_a, case_b, lead_a, lead_b):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    report = services.authority_report_create(case=case_a, actor=lead_a, route="aepd_complaint")
    client = client_as(lead_b)
    for url in (
        reverse("web:takedown_notice", args=[case_a.pk, notice.pk]),
        reverse("web:takedown_notice", args=[case_b.pk, notice.pk]),
        reverse("web:takedown_notice_pdf", args=[case_b.pk, notice.pk]),
        reverse("web:authority_report_file", args=[case_b.pk, report.pk]),
        reverse("web:authority_report_file", args=[case_a.pk, report.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert not GeneratedDocument.objects.exists()


def test_draft_all_button_drafts_every_platform_once(case_a, lead_a):
    evidence(case_a, lead_a, "whatsapp", n=1)
    evidence(case_a, lead_a, "telegram", n=2)
    url = reverse("web:takedowns_draft_all", args=[case_a.pk])
    data = {**SIGNATURE, "victim": victim_of(case_a).pk, "language": "es"}
    assert client_as(lead_a).post(url, data).status_code == 302
    assert client_as(lead_a).post(url, data).status_code == 302
    assert TakedownRequest.objects.filter(case=case_a).count() == 2
    page = client_as(lead_a).get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert url in page


def test_escalation_drafts_are_listed_and_filed(case_a, lead_a):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    services.takedown_submit(notice=notice, actor=lead_a)
    services.takedown_record_outcome(notice=notice, actor=lead_a, status="refused")
    report = AuthorityReport.objects.get()
    page = client_as(lead_a).get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert 'data-part="authority_reports"' in page and f'data-id="{report.pk}"' in page
    assert "Canal Prioritario" in page
    file_url = reverse("web:authority_report_file", args=[case_a.pk, report.pk])
    assert file_url in page
    assert client_as(lead_a).post(file_url, {"reference": "AEPD-9"}).status_code == 302
    report.refresh_from_db()
    notice.refresh_from_db()
    assert report.status == "filed" and notice.status == "escalated"


def test_a_lead_drafts_an_aepd_complaint_from_the_case_page(case_a, lead_a):
    url = reverse("web:authority_report_new", args=[case_a.pk])
    response = client_as(lead_a).post(url, {"route": "aepd_complaint", "language": "es"})
    assert response.status_code == 302
    assert AuthorityReport.objects.get().authority.code == "AEPDREC"


def test_submitting_an_email_notice_from_the_page_sends_it_once(case_a, lead_a):
    notice = draft(case_a, lead_a, "telegram", "eu-dsa-art16")
    url = reverse("web:takedown_submit", args=[case_a.pk, notice.pk])
    assert "abuse address" in client_as(lead_a, "en").get(url).content.decode()
    assert (
        client_as(lead_a).post(url, {"submitted_at": "", "platform_ticket": ""}).status_code == 302
    )
    assert (
        client_as(lead_a).post(url, {"submitted_at": "", "platform_ticket": ""}).status_code == 409
    )
    sent = Message.objects.get(kind="takedown-notice")
    assert sent.address == "abuse@telegram.org"


def test_the_authoritys_answer_is_recorded_from_the_case_page(case_a, lead_a):
    report = services.authority_report_create(case=case_a, actor=lead_a, route="aepd_complaint")
    services.authority_report_file(report=report, actor=lead_a, reference="R-2")
    url = reverse("web:authority_report_answer", args=[case_a.pk, report.pk])
    page = client_as(lead_a).get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert url in page
    assert client_as(lead_a).post(url, {"answer": "Archivada"}).status_code == 302
    report.refresh_from_db()
    assert report.status == "answered" and "Archivada" in report.notes


def test_an_unknown_language_is_a_400_and_records_nothing(case_a, lead_a):
    """As the API answers (newcomer trial: the page served Spanish for ``?lang=xx``)."""
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    for name in ("web:takedown_notice", "web:takedown_notice_pdf"):
        url = reverse(name, args=[case_a.pk, notice.pk]) + "?lang=xx"
        assert client_as(lead_a).get(url).status_code == 400
    assert not AccessEvent.objects.filter(action="takedown.notice").exists()
    assert not GeneratedDocument.objects.filter(takedown=notice).exists()
