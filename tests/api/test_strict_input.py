"""Validation gaps found by a newcomer's review. Each bad value is a 400 with an error on
its field and nothing written: implausible dates (before 2000, a due date before the
case was opened or years ahead), fractional or boolean ids, unknown filter values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import (
    Action,
    Case,
    CheckIn,
    Concern,
    EvidenceItem,
    Participant,
    Person,
    SupportMeasure,
    SupportPlan,
)
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, Referral, TakedownRequest
from tests.conftest import client_for as _client_for
from tests.conftest import nothing_written

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


def client_for(user, language: str = "en"):
    client = _client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def iso(delta: timedelta) -> str:
    return (timezone.now() + delta).isoformat()


def assert_field_error(response, field: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    return " ".join(body[field])


@pytest.fixture
def plan(case_a, lead_a) -> SupportPlan:
    victim = case_a.participants.get(role="victim").person
    return case_services.support_plan_create(case=case_a, victim=victim, owner=lead_a, actor=lead_a)


@pytest.fixture
def evidence_a(case_a, lead_a) -> EvidenceItem:
    return case_services.evidence_record(
        case=case_a,
        actor=lead_a,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=1),
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/invite/abc",
    )


# --- Dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "due_at",
    [
        "1900-01-01T00:00:00Z",  # the review's example
        "1999-12-31T23:00:00Z",
        "__before_opened__",
        "__three_years__",
    ],
)
def test_an_action_due_date_before_the_case_or_years_ahead_is_refused(case_a, lead_a, due_at):
    if due_at == "__before_opened__":
        due_at = (case_a.opened_at - timedelta(days=1)).isoformat()
    elif due_at == "__three_years__":
        due_at = iso(timedelta(days=3 * 365))
    with nothing_written(Action):
        response = client_for(lead_a).post(
            f"{CASES}{case_a.pk}/actions/", {"title": "Llamar", "due_at": due_at}
        )
    assert_field_error(response, "due_at")


def test_an_action_due_within_two_years_is_accepted(case_a, lead_a):
    for delta in (timedelta(hours=1), timedelta(days=700)):
        response = client_for(lead_a).post(
            f"{CASES}{case_a.pk}/actions/", {"title": "Revisar", "due_at": iso(delta)}
        )
        assert response.status_code == 201, response.content


@pytest.mark.parametrize("started_on", ["2099-01-01", "1999-12-31", "__thirteen_months__"])
def test_a_support_measure_starting_in_an_absurd_year_is_refused(plan, lead_a, started_on):
    if started_on == "__thirteen_months__":
        started_on = (timezone.localdate() + timedelta(days=400)).isoformat()
    with nothing_written(SupportMeasure):
        response = client_for(lead_a).post(
            f"/api/v1/support-plans/{plan.pk}/measures/",
            {"kind": "counselling", "started_on": started_on},
        )
    message = assert_field_error(response, "started_on")
    assert "2000" in message or "days ahead" in message


def test_a_support_measure_booked_months_ahead_is_accepted(plan, lead_a):
    started_on = (timezone.localdate() + timedelta(days=90)).isoformat()
    response = client_for(lead_a).post(
        f"/api/v1/support-plans/{plan.pk}/measures/",
        {"kind": "counselling", "started_on": started_on},
    )
    assert response.status_code == 201, response.content
    assert response.json()["started_on"] == started_on


def test_dates_before_2000_are_refused_everywhere_in_spanish_too(case_a, lead_a, plan, school_a):
    old = "1900-01-01T00:00:00Z"
    client = client_for(lead_a, "es")
    cases = [
        (Concern, "/api/v1/concerns/", {"summary": "x", "occurred_at": old}, "occurred_at"),
        (
            EvidenceItem,
            f"{CASES}{case_a.pk}/evidence/",
            {"kind": "url", "location": "https://x.example", "first_seen_at": old},
            "first_seen_at",
        ),
        (CheckIn, f"/api/v1/support-plans/{plan.pk}/check-ins/", {"held_at": old}, "held_at"),
        (Case, CASES, {"title": "x", "category": "other", "opened_at": old}, "opened_at"),
    ]
    for model, url, data, field in cases:
        with nothing_written(model):
            message = assert_field_error(client.post(url, data), field)
        assert "2000" in message and "año" in message, message
    # A plan's first check-in, on a victim without a plan yet.
    other = case_services.person_create(
        school=school_a, actor=lead_a, kind="pupil", given_name="Ana"
    )
    case_services.participant_add(case=case_a, person=other, role="victim", actor=lead_a)
    with nothing_written(SupportPlan, CheckIn):
        response = client.post(
            f"{CASES}{case_a.pk}/support-plans/",
            {"victim": other.pk, "first_check_in_at": old},
        )
    assert_field_error(response, "first_check_in_at")


def test_a_takedown_submitted_before_2000_is_refused(case_a, lead_a, evidence_a):
    notice = reporting_services.takedown_create(
        case=case_a,
        actor=lead_a,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        evidence_items=[evidence_a],
    )
    with nothing_written(TakedownRequest):
        response = client_for(lead_a).post(
            f"/api/v1/takedowns/{notice.pk}/submit/", {"submitted_at": "1900-01-01T00:00:00Z"}
        )
    assert_field_error(response, "submitted_at")
    notice.refresh_from_db()
    assert notice.status == TakedownRequest.Status.DRAFT


def test_the_services_refuse_implausible_dates_for_every_caller(case_a, lead_a, referral_a):
    from django.core.exceptions import ValidationError

    old = timezone.now().replace(year=1990)
    with pytest.raises(ValidationError) as error:
        reporting_services.referral_acknowledge(
            referral=referral_a, actor=lead_a, external_reference="AT-1", acknowledged_at=old
        )
    assert "acknowledged_at" in error.value.message_dict


# --- Related ids ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, 1.0, True, "1.5", [1], {"id": 1}])
def test_a_person_id_must_be_a_whole_number(case_a, lead_a, value):
    person = case_services.person_create(
        school=case_a.school, actor=lead_a, kind="pupil", given_name="Eva"
    )
    # Make the fractional value point "near" a real id: 1.5 must never become id 1.
    if isinstance(value, float):
        value = person.pk + (value - int(value))
    elif value == "1.5":
        value = f"{person.pk}.5"
    with nothing_written(Participant):
        response = client_for(lead_a).post(
            f"{CASES}{case_a.pk}/participants/",
            {"person": value, "role": "witness"},
            format="json",
        )
    message = assert_field_error(response, "person")
    assert "Incorrect type" in message


def test_a_whole_number_id_as_a_string_still_works(case_a, lead_a):
    person = case_services.person_create(
        school=case_a.school, actor=lead_a, kind="pupil", given_name="Eva"
    )
    response = client_for(lead_a).post(
        f"{CASES}{case_a.pk}/participants/",
        {"person": str(person.pk), "role": "witness"},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_reporting_ids_must_be_whole_numbers(case_a, lead_a, police_unit, evidence_a):
    client = client_for(lead_a)
    referral = {
        "case": case_a.pk + 0.5,
        "destination": police_unit.pk,
        "summary": "x",
        "legal_basis": "legal_obligation",
        "shared_sections": ["chronology"],
    }
    with nothing_written(Referral):
        response = client.post("/api/v1/referrals/", referral, format="json")
        assert "Incorrect type" in assert_field_error(response, "case")
        referral.update(case=case_a.pk, destination=float(police_unit.pk))
        response = client.post("/api/v1/referrals/", referral, format="json")
        assert "Incorrect type" in assert_field_error(response, "destination")
    notice = {
        "case": case_a.pk,
        "platform": "whatsapp",
        "legal_basis": "eu-dsa-art16",
        "evidence_items": [evidence_a.pk + 0.25],
    }
    with nothing_written(TakedownRequest):
        response = client.post("/api/v1/takedowns/", notice, format="json")
    assert "Incorrect type" in assert_field_error(response, "evidence_items")


# --- List filters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/v1/cases/?status=bogus", "status"),
        ("/api/v1/referrals/?status=bogus", "status"),
        ("/api/v1/takedowns/?status=bogus", "status"),
        ("/api/v1/people/?kind=bogus", "kind"),
    ],
)
def test_an_unknown_filter_value_is_a_400_on_every_list(lead_a, case_a, url, field):
    message = assert_field_error(client_for(lead_a).get(url), field)
    assert "bogus" in message


def test_known_filter_values_filter(lead_a, case_a, referral_a, police_unit, evidence_a):
    client = client_for(lead_a)
    draft = reporting_services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="Borrador",
        legal_basis="legal_obligation",
        shared_sections=["chronology"],
    )
    notice = reporting_services.takedown_create(
        case=case_a,
        actor=lead_a,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        evidence_items=[evidence_a],
    )
    guardian = case_services.person_create(
        school=case_a.school, actor=lead_a, kind="guardian", given_name="Rosa"
    )

    def ids(url: str) -> list[int]:
        response = client.get(url)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("/api/v1/referrals/?status=sent") == [referral_a.pk]
    assert ids("/api/v1/referrals/?status=draft") == [draft.pk]
    assert ids("/api/v1/referrals/") == [draft.pk, referral_a.pk]
    assert ids("/api/v1/takedowns/?status=draft") == [notice.pk]
    assert ids("/api/v1/takedowns/?status=overdue") == []
    assert ids("/api/v1/people/?kind=guardian") == [guardian.pk]
    assert guardian.pk not in ids("/api/v1/people/?kind=pupil")
    assert Person.objects.filter(school=case_a.school).count() == 2


# --- Wall times that never happened, or happened twice ---------------------------------

# Europe/Madrid (the default time zone) moves from 02:00 to 03:00 on 28 March 2027 and
# from 03:00 back to 02:00 on 31 October 2027.
SKIPPED = "2027-03-28T02:30:00"
REPEATED = "2027-10-31T02:30:00"


@pytest.mark.parametrize("due_at", [SKIPPED, REPEATED])
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_local_time_that_does_not_exist_or_is_ambiguous_is_refused(
    case_a, lead_a, due_at, language
):
    with nothing_written(Action):
        response = client_for(lead_a, language).post(
            f"{CASES}{case_a.pk}/actions/", {"title": "Llamar", "due_at": due_at}
        )
    message = assert_field_error(response, "due_at")
    assert "Europe/Madrid" in message
    assert ("zona horaria" in message) == (language == "es"), message


def test_the_same_times_with_an_offset_are_exact_and_accepted(case_a, lead_a):
    for due_at in (SKIPPED + "+01:00", REPEATED + "+02:00", REPEATED + "+01:00"):
        response = client_for(lead_a).post(
            f"{CASES}{case_a.pk}/actions/", {"title": "Llamar", "due_at": due_at}
        )
        assert response.status_code == 201, response.content
    assert (
        client_for(lead_a)
        .post(f"{CASES}{case_a.pk}/actions/", {"title": "Llamar", "due_at": "2027-03-27T02:30:00"})
        .status_code
        == 201
    )
