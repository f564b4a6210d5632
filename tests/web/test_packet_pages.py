"""The referral packet on the web (issue 10): the form's defaults and new fields, the
downloads (audited, hashed, 404 for outsiders and after withdrawal, 400 for a bad
language), and who a referral is about on the inbox and the referral page."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.models import AccessEvent, CaseEvent, Organisation, Person
from cases.verbs import AccessAction
from reporting import services as reporting_services
from reporting.documents import sha256_hex
from reporting.models import GeneratedDocument, Referral
from tests.conftest import nothing_written
from tests.factories import PoliceUnitFactory, ReferralFactory
from tests.web.test_pages import client_as

pytestmark = pytest.mark.django_db


def _sent(case, lead, unit, sections, **extra) -> Referral:
    return ReferralFactory.create(
        case=case,
        actor=lead,
        destination=unit,
        summary="Resumen para la unidad",
        shared_sections=sections,
        sent=True,
        **extra,
    )


def _lucia() -> Person:
    return Person.objects.get(given_name="Lucía")


# --- the form ------------------------------------------------------------------------


def test_people_and_roles_is_ticked_by_default_for_the_police(case_a, lead_a, police_unit):
    url = reverse("web:referral_new", args=[case_a.pk])
    form = client_as(lead_a).get(url, {"destination": police_unit.pk}).context["form"]
    assert "participants" in form.initial["shared_sections"]
    assert form.initial["destination"] == police_unit.pk
    # Nothing chosen yet: most referrals go to the police.
    form = client_as(lead_a).get(url).context["form"]
    assert "participants" in form.initial["shared_sections"]


def test_people_and_roles_is_not_ticked_by_default_for_social_services(case_a, lead_a):
    services = Organisation.objects.create(
        name="Servicios Sociales (prueba)", kind="social_services", code="SSP", jurisdiction="ES"
    )
    url = reverse("web:referral_new", args=[case_a.pk])
    form = client_as(lead_a).get(url, {"destination": services.pk}).context["form"]
    assert "participants" not in form.initial["shared_sections"]


def test_the_form_offers_only_destinations_serving_the_school(case_a, lead_a, police_unit):
    ceop = PoliceUnitFactory.create(name="CEOP (prueba)", jurisdiction="GB")
    form = client_as(lead_a).get(reverse("web:referral_new", args=[case_a.pk])).context["form"]
    offered = set(form.fields["destination"].queryset)
    assert police_unit in offered
    assert ceop not in offered


def test_guardians_not_asked_without_a_reason_is_a_400_and_nothing_is_written(
    case_a, lead_a, police_unit
):
    with nothing_written(Referral):
        response = client_as(lead_a).post(
            reverse("web:referral_new", args=[case_a.pk]),
            {
                "destination": police_unit.pk,
                "summary": "x",
                "shared_sections": ["chronology"],
                "legal_basis": "legal_obligation",
                "guardians": "not_asked",
                "guardians_note": "",
            },
        )
    assert response.status_code == 400
    assert "guardians_note" in response.context["form"].errors


def test_a_referral_phoned_first_shows_its_written_confirmation_clock(case_a, lead_a, police_unit):
    response = client_as(lead_a, "en").post(
        reverse("web:referral_new", args=[case_a.pk]),
        {
            "destination": police_unit.pk,
            "summary": "Llamada urgente",
            "shared_sections": ["chronology", "participants"],
            "legal_basis": "vital_interests",
            "complainant": _lucia().pk,
            "guardians": "informed",
            "phoned_at": (timezone.localtime() - timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M"),
            "phoned_to": "Agente Ruiz",
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.status == Referral.Status.DRAFT
    assert referral.phoned_to == "Agente Ruiz"
    assert CaseEvent.objects.filter(verb="referral.phoned").count() == 1
    case_page = client_as(lead_a, "en").get(reverse("web:case_detail", args=[case_a.pk]))
    assert "written confirmation overdue" in case_page.content.decode()
    page = client_as(lead_a, "en").get(reverse("web:referral", args=[referral.pk]))
    assert "written confirmation overdue" in page.content.decode()


def test_a_recent_call_shows_when_to_confirm_in_writing(case_a, lead_a, police_unit):
    ReferralFactory.create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        phoned_at=timezone.now() - timedelta(hours=1),
        phoned_to="Agente Ruiz",
    )
    page = client_as(lead_a, "en").get(reverse("web:case_detail", args=[case_a.pk]))
    assert "confirm in writing by" in page.content.decode()


# --- who a referral is about ------------------------------------------------------


def test_the_inbox_and_the_referral_page_show_the_complainant_and_victims(
    case_a, lead_a, police, police_unit
):
    shared = _sent(
        case_a,
        lead_a,
        police_unit,
        ["participants"],
        complainant=_lucia(),
        guardians="not_asked",
        guardians_note="Riesgo en casa",
    )
    for user in (lead_a, police):
        inbox = client_as(user, "en").get(reverse("web:referral_inbox")).content.decode()
        assert "Complainant: Lucía Prueba" in inbox
        assert "Parents or guardians: Not asked (reason recorded)" in inbox
        page = client_as(user, "en").get(reverse("web:referral", args=[shared.pk]))
        assert "Lucía Prueba" in page.content.decode()
        assert "Riesgo en casa" in page.content.decode()


def test_the_police_see_not_shared_when_people_are_not_shared(case_a, lead_a, police, police_unit):
    narrow = _sent(case_a, lead_a, police_unit, ["chronology"], complainant=_lucia())
    inbox = client_as(police, "en").get(reverse("web:referral_inbox")).content.decode()
    assert "Lucía" not in inbox
    assert "People: not shared" in inbox
    page = client_as(police, "en").get(reverse("web:referral", args=[narrow.pk])).content
    assert "Lucía" not in page.decode()
    # The school sees its own people whatever it shares.
    inbox = client_as(lead_a, "en").get(reverse("web:referral_inbox")).content.decode()
    assert "Lucía Prueba" in inbox


# --- downloads ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_a_download_is_audited_and_its_hash_is_that_of_the_bytes_served(
    referral_a, lead_a, police, fmt
):
    name = f"web:referral_packet_{fmt}"
    for user in (lead_a, police):
        before = AccessEvent.objects.filter(action=AccessAction.REFERRAL_PACKET).count()
        response = client_as(user).get(reverse(name, args=[referral_a.pk]), {"lang": "en"})
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        document = GeneratedDocument.objects.filter(referral=referral_a).latest("id")
        assert document.sha256 == sha256_hex(response.content)
        assert response["X-Content-SHA256"] == document.sha256
        assert document.generated_by == user
        assert AccessEvent.objects.filter(action=AccessAction.REFERRAL_PACKET).count() == (
            before + 1
        )
    page = client_as(lead_a).get(reverse("web:referral", args=[referral_a.pk]))
    assert document.sha256 in page.content.decode()


def test_the_packet_is_in_the_language_asked_for(referral_a, lead_a):
    url = reverse("web:referral_packet_json", args=[referral_a.pk])
    for language in ("es", "en"):
        data = json.loads(client_as(lead_a).get(url, {"lang": language}).content)
        assert data["language"] == language
    pdf = client_as(lead_a).get(reverse("web:referral_packet_pdf", args=[referral_a.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert referral_a.case.reference in text


def test_a_language_not_offered_is_a_400_and_nothing_is_written(referral_a, lead_a):
    with nothing_written(GeneratedDocument, AccessEvent):
        response = client_as(lead_a).get(
            reverse("web:referral_packet_pdf", args=[referral_a.pk]), {"lang": "fr"}
        )
    assert response.status_code == 400


def test_outsiders_get_404(referral_a, lead_b, other_police, staff_a, head_a):
    for user in (lead_b, other_police, staff_a, head_a):
        for fmt in ("pdf", "json"):
            url = reverse(f"web:referral_packet_{fmt}", args=[referral_a.pk])
            assert client_as(user).get(url).status_code == 404


def test_the_police_get_404_once_the_referral_is_withdrawn(referral_a, lead_a, police):
    reporting_services.referral_withdraw(referral=referral_a, actor=lead_a, reason="Error")
    url = reverse("web:referral_packet_json", args=[referral_a.pk])
    with nothing_written(GeneratedDocument):
        assert client_as(police).get(url).status_code == 404
    # The school still has it.
    assert client_as(lead_a).get(url).status_code == 200


def test_the_inbox_links_to_the_packet_while_live(referral_a, police):
    inbox = client_as(police).get(reverse("web:referral_inbox")).content.decode()
    assert reverse("web:referral_packet_pdf", args=[referral_a.pk]) in inbox
