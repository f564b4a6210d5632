"""Findings of the second newcomer review, each pinned by a test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from cases import services as case_services
from cases.exceptions import Conflict
from cases.models import CaseEvent, Participant, Person
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform
from tests.conftest import PASSWORD, client_for


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/cases/{id}/", "/api/v1/people/"])
def test_an_html_request_to_the_api_is_never_a_500(lead_a, case_a, path):
    response = client_for(lead_a).get(path.format(id=case_a.pk), HTTP_ACCEPT="text/html")
    assert response.status_code == 406


def test_the_web_sign_in_form_is_rate_limited_like_the_api(lead_a, lead_b):
    client = Client()
    for _ in range(10):
        wrong = client.post("/login/", {"username": "lead.a", "password": "nope"})
        assert wrong.status_code == 200
    blocked = client.post("/login/", {"username": "lead.a", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.post("/login/", {"username": "lead.b", "password": PASSWORD}).status_code == 302


def _guardian(school, actor) -> Person:
    return case_services.person_create(
        school=school, actor=actor, kind="guardian", given_name="Ana", family_name="Prueba"
    )


def test_a_guardian_cannot_be_recorded_as_a_victim(case_a, school_a, lead_a):
    guardian = _guardian(school_a, lead_a)
    events = CaseEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        case_services.participant_add(case=case_a, person=guardian, role="victim", actor=lead_a)
    assert "role" in caught.value.message_dict
    assert CaseEvent.objects.count() == events


def test_a_pupil_cannot_be_recorded_as_a_guardian(case_a, lead_a):
    pupil = case_a.participants.get().person
    with pytest.raises(ValidationError):
        case_services.participant_add(case=case_a, person=pupil, role="guardian", actor=lead_a)


def test_a_duplicate_role_says_so_in_the_users_words(case_a, lead_a):
    pupil = case_a.participants.get().person
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        case_services.participant_add(case=case_a, person=pupil, role="victim", actor=lead_a)
    assert caught.value.message_dict == {
        "non_field_errors": ["This person already has this role in the case."]
    }
    assert Participant.objects.filter(case=case_a).count() == 1


def test_a_notice_lists_only_evidence_of_its_platform(case_a, lead_a):
    telegram_item = case_services.evidence_record(
        case=case_a,
        actor=lead_a,
        kind="group",
        platform=Platform.objects.get(slug="telegram"),
        location="https://t.me/example",
        first_seen_at=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(ValidationError) as caught:
        reporting_services.takedown_create(
            case=case_a,
            actor=lead_a,
            platform=Platform.objects.get(slug="whatsapp"),
            legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
            evidence_items=[telegram_item],
        )
    assert "evidence_items" in caught.value.message_dict


def test_a_pdq_quality_without_its_hash_is_refused(case_a, lead_a):
    with pytest.raises(ValidationError) as caught:
        case_services.evidence_record(
            case=case_a,
            actor=lead_a,
            kind="image",
            location="https://t.me/example/1",
            first_seen_at=timezone.now() - timedelta(days=1),
            pdq_quality=80,
        )
    assert "pdq_quality" in caught.value.message_dict


def test_an_unknown_expected_status_is_a_400_and_conflicts_use_labels(case_a, lead_a):
    with pytest.raises(ValidationError):
        case_services.case_close(case=case_a, actor=lead_a, reason="x", expected_status="zzz")
    with translation.override("en"), pytest.raises(Conflict) as caught:
        case_services.case_close(case=case_a, actor=lead_a, reason="x", expected_status="closed")
    assert "Closed" in caught.value.message


def test_a_staff_dashboard_showing_concerns_is_audited(staff_a, school_a):
    from cases.models import AccessEvent

    case_services.concern_log(
        school=school_a, logged_by=staff_a, source="staff", summary="Fotos en un grupo"
    )
    client = Client()
    client.force_login(staff_a)
    before = AccessEvent.objects.filter(actor=staff_a).count()
    assert client.get("/").status_code == 200
    assert AccessEvent.objects.filter(actor=staff_a, action="dashboard").count() == before + 1
