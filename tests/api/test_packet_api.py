"""The referral packet over the API (issue 10): ``referrals/{id}/packet.pdf|json``, and
the referral's new fields (guardians, the phone call and its 24 h clock)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from cases.models import AccessEvent, Person
from cases.verbs import AccessAction
from reporting import services as reporting_services
from reporting.documents import sha256_hex
from reporting.models import GeneratedDocument, Referral
from tests.conftest import client_for, nothing_written
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

REFERRALS = "/api/v1/referrals/"


def packet_url(pk: int, fmt: str) -> str:
    return f"{REFERRALS}{pk}/packet.{fmt}"


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_a_download_is_audited_with_the_hash_of_the_bytes_served(referral_a, lead_a, police, fmt):
    for user in (lead_a, police):
        before = AccessEvent.objects.filter(action=AccessAction.REFERRAL_PACKET).count()
        response = client_for(user).get(packet_url(referral_a.pk, fmt), {"lang": "es"})
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith(f"application/{fmt}")
        assert response["Cache-Control"] == "no-store"
        document = GeneratedDocument.objects.filter(referral=referral_a).latest("id")
        assert document.sha256 == sha256_hex(response.content)
        assert (document.format, document.language) == (fmt, "es")
        event = AccessEvent.objects.filter(action=AccessAction.REFERRAL_PACKET).latest("id")
        assert event.channel == "api"
        assert event.case_ids == [referral_a.case_id]
        assert AccessEvent.objects.filter(action=AccessAction.REFERRAL_PACKET).count() == (
            before + 1
        )


def test_the_pdf_is_served_to_a_client_accepting_only_pdf(referral_a, lead_a):
    response = client_for(lead_a).get(
        packet_url(referral_a.pk, "pdf"), {"lang": "en"}, HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert referral_a.case.reference in text


def test_the_json_has_a_stable_shape(referral_a, police):
    data = json.loads(client_for(police).get(packet_url(referral_a.pk, "json")).content)
    assert data["schema_version"] == "1.0"
    assert data["shared_sections"] == ["chronology", "evidence"]
    for key in ("referral", "referrer", "incident", "aggravating_flags", "evidence"):
        assert key in data
    # The world's referral does not share the people.
    assert "victims" not in data
    assert "alleged_perpetrators" not in data


def test_a_language_not_offered_is_a_400_and_nothing_is_written(referral_a, lead_a):
    with nothing_written(GeneratedDocument, AccessEvent):
        response = client_for(lead_a).get(packet_url(referral_a.pk, "json"), {"lang": "fr"})
    assert response.status_code == 400
    assert "lang" in response.json()


def test_other_schools_and_units_get_404(referral_a, lead_b, other_police, staff_a):
    for user in (lead_b, other_police, staff_a):
        for fmt in ("pdf", "json"):
            assert client_for(user).get(packet_url(referral_a.pk, fmt)).status_code == 404


def test_the_police_get_404_once_the_referral_is_withdrawn(referral_a, lead_a, police):
    reporting_services.referral_withdraw(referral=referral_a, actor=lead_a, reason="Error")
    with nothing_written(GeneratedDocument):
        assert client_for(police).get(packet_url(referral_a.pk, "json")).status_code == 404


def _payload(case, destination, **extra):
    return {
        "case": case.pk,
        "destination": destination.pk,
        "summary": "Llamada urgente",
        "legal_basis": "vital_interests",
        "shared_sections": ["chronology", "participants"],
        **extra,
    }


def test_guardians_not_asked_without_a_reason_is_a_400_and_nothing_is_written(
    case_a, lead_a, police_unit
):
    with nothing_written(Referral):
        response = client_for(lead_a).post(
            REFERRALS, _payload(case_a, police_unit, guardians="not_asked"), format="json"
        )
    assert response.status_code == 400
    assert "guardians_note" in response.json()


def test_a_phoned_referral_carries_its_confirmation_clock(case_a, lead_a, police_unit):
    phoned_at = timezone.now() - timedelta(hours=25)
    response = client_for(lead_a).post(
        REFERRALS,
        _payload(
            case_a,
            police_unit,
            guardians="not_asked",
            guardians_note="El padre es sospechoso",
            phoned_at=phoned_at.isoformat(),
            phoned_to="Agente Ruiz",
            complainant=Person.objects.get(given_name="Lucía").pk,
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["guardians"] == "not_asked"
    assert body["guardians_note"] == "El padre es sospechoso"
    assert body["phoned_to"] == "Agente Ruiz"
    assert body["confirmation_due_at"]
    assert body["confirmation_overdue"] is True


def test_a_call_in_the_future_is_a_400(case_a, lead_a, police_unit):
    with nothing_written(Referral):
        response = client_for(lead_a).post(
            REFERRALS,
            _payload(
                case_a,
                police_unit,
                phoned_at=(timezone.now() + timedelta(hours=2)).isoformat(),
                phoned_to="Agente",
            ),
            format="json",
        )
    assert response.status_code == 400
    assert "phoned_at" in response.json()


def test_the_referral_says_who_it_is_about_only_where_people_are_shared(
    case_a, lead_a, police, police_unit
):
    lucia = Person.objects.get(given_name="Lucía")
    shared = ReferralFactory.create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        shared_sections=["participants"],
        complainant=lucia,
        sent=True,
    )
    narrow = ReferralFactory.create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        shared_sections=["chronology"],
        complainant=lucia,
        sent=True,
    )
    about = client_for(police).get(f"{REFERRALS}{shared.pk}/").json()["about"]
    assert about["shared"] is True
    assert about["complainant"]["given_name"] == "Lucía"
    assert [v["given_name"] for v in about["victims"]] == ["Lucía"]
    about = client_for(police).get(f"{REFERRALS}{narrow.pk}/").json()["about"]
    assert about == {"shared": False, "complainant": None, "victims": []}
    listed = {r["id"]: r["about"] for r in client_for(lead_a).get(REFERRALS).json()["results"]}
    assert listed[narrow.pk]["complainant"]["given_name"] == "Lucía"
