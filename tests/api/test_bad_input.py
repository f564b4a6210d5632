"""Issue 2, "Bad input": malformed JSON, unknown or foreign ids, wrong choices, dates in
the future, implausible pupil ages and over-long text each get a 400 (or 404 for a case
in the URL) with field errors in the request's language, and nothing is written: every
test counts the rows of the model concerned and of ``CaseEvent`` before and after."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import (
    Action,
    Case,
    CheckIn,
    Concern,
    EvidenceItem,
    GuardianContact,
    Participant,
    Person,
    SupportMeasure,
    SupportPlan,
)
from tests.conftest import client_for as _client_for
from tests.conftest import nothing_written

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
HUGE_ID = 2**70  # beyond bigint: must be "does not exist", not a database error


def client_for(user, language: str = "en"):
    client = _client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def case_url(case: Case, sub: str = "") -> str:
    return f"{CASES}{case.pk}/" + (f"{sub}/" if sub else "")


def in_future(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


def in_past(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


def person_of(case: Case, kind: str = "pupil") -> Person:
    return case_services.person_create(
        school=case.school,
        actor=case.lead,
        kind=kind,
        given_name="Sofía",
        date_of_birth=date(timezone.localdate().year - 13, 2, 2) if kind == "pupil" else None,
    )


def evidence_payload(**extra) -> dict:
    return {
        "kind": "image",
        "platform": "whatsapp",
        "location": "https://chat.whatsapp.com/abc",
        "first_seen_at": in_past(days=1),
        **extra,
    }


# --- Malformed bodies ---------------------------------------------------------------


BODY_ENDPOINTS = [
    ("/api/v1/people/", Person),
    ("/api/v1/concerns/", Concern),
    (CASES, Case),
]
CASE_BODY_ENDPOINTS = [
    ("participants", Participant),
    ("evidence", EvidenceItem),
    ("support-plans", SupportPlan),
    ("guardian-contacts", GuardianContact),
    ("actions", Action),
]


@pytest.mark.parametrize("url,model", BODY_ENDPOINTS)
@pytest.mark.parametrize("body", ['{"title": "sin cerrar",', "[1, 2]", '"texto"', "null"])
def test_a_body_that_is_not_a_json_object_is_400(lead_a, url, model, body):
    with nothing_written(model):
        response = client_for(lead_a).post(url, body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("sub,model", CASE_BODY_ENDPOINTS)
def test_malformed_json_on_a_case_is_400(lead_a, case_a, sub, model):
    with nothing_written(model):
        response = client_for(lead_a).post(
            case_url(case_a, sub), '{"role": ', content_type="application/json"
        )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_form_encoded_bodies_are_refused(lead_a):
    with nothing_written(Case):
        response = client_for(lead_a).post(
            CASES, "title=x&category=other", content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 415


# --- Unknown and foreign ids ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["unknown", "foreign", "huge", "not_a_number"])
def test_an_unknown_or_foreign_person_is_the_same_does_not_exist(lead_a, case_a, case_b, kind):
    person_id = {
        "unknown": 987654321,
        "foreign": case_b.participants.get().person_id,
        "huge": HUGE_ID,
        "not_a_number": "abc",
    }[kind]

    with nothing_written(Participant):
        response = client_for(lead_a).post(
            case_url(case_a, "participants"), {"person": person_id, "role": "witness"}
        )

    assert response.status_code == 400
    message = response.json()["person"][0]
    if kind == "not_a_number":
        assert "Incorrect type" in message
    else:
        assert message == f'Invalid pk "{person_id}" - object does not exist.'


def test_foreign_ids_in_every_reference_field_do_not_exist(
    lead_a, lead_b, case_a, case_b, school_b
):
    foreign_pupil = case_b.participants.get().person
    foreign_guardian = person_of(case_b, kind="guardian")
    foreign_concern, _ = case_services.concern_log(
        school=school_b, logged_by=lead_b, source="staff", summary="Ajena"
    )
    client = client_for(lead_a)
    attempts = [
        (
            CASES,
            {"title": "x", "category": "other", "concern": foreign_concern.pk},
            "concern",
            Case,
        ),
        (
            case_url(case_a, "support-plans"),
            {"victim": foreign_pupil.pk},
            "victim",
            SupportPlan,
        ),
        (
            case_url(case_a, "guardian-contacts"),
            {"guardian": foreign_guardian.pk, "method": "phone"},
            "guardian",
            GuardianContact,
        ),
        (
            case_url(case_a, "actions"),
            {"title": "x", "owner": lead_b.pk, "due_at": in_future(days=1)},
            "owner",
            Action,
        ),
        (
            "/api/v1/concerns/",
            {"summary": "x", "subject": foreign_pupil.pk},
            "subject",
            Concern,
        ),
        (
            "/api/v1/people/",
            {"kind": "pupil", "given_name": "x", "school": school_b.pk},
            "school",
            Person,
        ),
    ]
    for url, payload, field, model in attempts:
        with nothing_written(model):
            response = client.post(url, payload)
        assert response.status_code == 400, (url, response.json())
        assert "does not exist" in response.json()[field][0], (url, response.json())


def test_an_unknown_platform_slug_does_not_exist(lead_a, case_a):
    with nothing_written(EvidenceItem):
        response = client_for(lead_a).post(
            case_url(case_a, "evidence"), evidence_payload(platform="myspace")
        )
    assert response.status_code == 400
    assert response.json()["platform"] == ["Object with slug=myspace does not exist."]


@pytest.mark.parametrize("sub,model", CASE_BODY_ENDPOINTS)
def test_a_foreign_or_unknown_case_in_the_url_is_404(lead_b, case_a, sub, model):
    client = client_for(lead_b)
    with nothing_written(model):
        foreign = client.post(case_url(case_a, sub), {"role": "witness"})
        unknown = client.post(f"{CASES}{HUGE_ID}/{sub}/", {"role": "witness"})
    assert foreign.status_code == 404
    assert unknown.status_code == 404
    assert foreign.json() == unknown.json()


def test_foreign_support_plans_and_actions_are_404(lead_a, lead_b, case_a):
    victim = case_a.participants.get().person
    plan = case_services.support_plan_create(case=case_a, victim=victim, owner=lead_a, actor=lead_a)
    action = case_services.action_create(
        case=case_a, actor=lead_a, title="x", owner=lead_a, due_at=timezone.now()
    )
    client = client_for(lead_b)
    with nothing_written(CheckIn, SupportMeasure, Action):
        assert client.post(f"/api/v1/support-plans/{plan.pk}/check-ins/", {}).status_code == 404
        assert (
            client.post(f"/api/v1/support-plans/{plan.pk}/measures/", {"kind": "other"}).status_code
            == 404
        )
        assert client.post(f"/api/v1/actions/{action.pk}/complete/").status_code == 404
    action.refresh_from_db()
    assert action.done_at is None


# --- Wrong choices -------------------------------------------------------------------


def test_wrong_choices_are_400_with_the_field_named(lead_a, case_a):
    client = client_for(lead_a)
    pupil = person_of(case_a)
    attempts = [
        (CASES, {"title": "x", "category": "nudes"}, "category", Case),
        (CASES, {"title": "x", "category": "other", "risk_level": "extreme"}, "risk_level", Case),
        (CASES, {"title": "x", "category": "other", "under_13": "maybe"}, "under_13", Case),
        (
            case_url(case_a, "participants"),
            {"person": pupil.pk, "role": "boss"},
            "role",
            Participant,
        ),
        (case_url(case_a, "evidence"), evidence_payload(kind="photo"), "kind", EvidenceItem),
        ("/api/v1/people/", {"kind": "pupil", "given_name": "x", "sex": "x"}, "sex", Person),
        ("/api/v1/concerns/", {"summary": "x", "source": "rumour"}, "source", Concern),
    ]
    for url, payload, field, model in attempts:
        with nothing_written(model):
            response = client.post(url, payload)
        assert response.status_code == 400, (url, response.json())
        assert field in response.json(), (url, response.json())


def test_a_wrong_choice_in_a_list_filter_is_400(lead_a, case_a):
    response = client_for(lead_a).get(CASES, {"status": "archived"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_a_wrong_choice_in_a_patch_changes_nothing(lead_a, case_a):
    with nothing_written(Case):
        response = client_for(lead_a).patch(
            case_url(case_a),
            {"risk_level": "extreme", "expected_updated_at": case_a.updated_at.isoformat()},
        )
    assert response.status_code == 400
    assert "risk_level" in response.json()
    case_a.refresh_from_db()
    assert case_a.risk_level == "medium"


# --- Dates ----------------------------------------------------------------------------


def test_evidence_first_seen_in_the_future_is_400(lead_a, case_a):
    with nothing_written(EvidenceItem):
        response = client_for(lead_a).post(
            case_url(case_a, "evidence"), evidence_payload(first_seen_at=in_future(days=1))
        )
    assert response.status_code == 400
    assert response.json() == {"first_seen_at": ["This date and time is in the future."]}


def test_other_dates_in_the_future_are_400(lead_a, case_a):
    client = client_for(lead_a)
    guardian = person_of(case_a, kind="guardian")
    attempts = [
        (
            CASES,
            {"title": "x", "category": "other", "opened_at": in_future(days=2)},
            "opened_at",
            Case,
        ),
        (
            "/api/v1/concerns/",
            {"summary": "x", "occurred_at": in_future(hours=1)},
            "occurred_at",
            Concern,
        ),
        (
            case_url(case_a, "guardian-contacts"),
            {"guardian": guardian.pk, "method": "phone", "contacted_at": in_future(days=1)},
            "contacted_at",
            GuardianContact,
        ),
    ]
    for url, payload, field, model in attempts:
        with nothing_written(model):
            response = client.post(url, payload)
        assert response.status_code == 400, (url, response.json())
        assert field in response.json(), (url, response.json())


@pytest.mark.parametrize("age", [2, 40])
def test_a_pupil_aged_2_or_40_is_refused(lead_a, age):
    today = timezone.localdate()
    born = today.replace(year=today.year - age) - timedelta(days=1)
    with nothing_written(Person):
        response = client_for(lead_a).post(
            "/api/v1/people/",
            {"kind": "pupil", "given_name": "Error", "date_of_birth": born.isoformat()},
        )
    assert response.status_code == 400
    assert f"{age} years old" in response.json()["date_of_birth"][0]


def test_a_date_of_birth_that_is_not_a_date_is_400(lead_a):
    with nothing_written(Person):
        response = client_for(lead_a).post(
            "/api/v1/people/", {"kind": "pupil", "given_name": "x", "date_of_birth": "31/02/2011"}
        )
    assert response.status_code == 400
    assert "date_of_birth" in response.json()


# --- Over-long and unsafe text --------------------------------------------------------


def test_over_long_text_is_400(lead_a, case_a):
    client = client_for(lead_a)
    attempts = [
        (CASES, {"title": "x" * 201, "category": "other"}, "title", Case),
        (CASES, {"title": "x", "category": "other", "summary": "x" * 10001}, "summary", Case),
        ("/api/v1/concerns/", {"summary": "x" * 301}, "summary", Concern),
        (
            "/api/v1/concerns/",
            {"summary": "x", "childs_own_words": "x" * 10001},
            "childs_own_words",
            Concern,
        ),
        (
            case_url(case_a, "evidence"),
            evidence_payload(location="https://x.example/" + "a" * 2000),
            "location",
            EvidenceItem,
        ),
        (
            case_url(case_a, "evidence"),
            evidence_payload(identifiers={f"id{n}": "x" for n in range(21)}),
            "identifiers",
            EvidenceItem,
        ),
    ]
    for url, payload, field, model in attempts:
        with nothing_written(model):
            response = client.post(url, payload)
        assert response.status_code == 400, (url, field)
        assert field in response.json(), (url, response.json())


def test_an_over_long_title_in_a_patch_changes_nothing(lead_a, case_a):
    with nothing_written(Case):
        response = client_for(lead_a).patch(
            case_url(case_a),
            {"title": "x" * 201, "expected_updated_at": case_a.updated_at.isoformat()},
        )
    assert response.status_code == 400
    assert "title" in response.json()
    case_a.refresh_from_db()
    assert case_a.title == "Imágenes manipuladas"


def test_a_nul_character_is_400_not_a_database_error(lead_a):
    with nothing_written(Case):
        response = client_for(lead_a).post(CASES, {"title": "a\x00b", "category": "other"})
    assert response.status_code == 400
    assert "title" in response.json()


def test_malformed_hashes_are_400(lead_a, case_a):
    client = client_for(lead_a)
    attempts = [
        (evidence_payload(sha256="zz" * 32), "sha256"),
        (evidence_payload(md5="a" * 31), "md5"),
        (evidence_payload(pdq="a" * 64), "pdq_quality"),  # a PDQ needs its quality
        (evidence_payload(pdq="a" * 64, pdq_quality=101), "pdq_quality"),
    ]
    for payload, field in attempts:
        with nothing_written(EvidenceItem):
            response = client.post(case_url(case_a, "evidence"), payload)
        assert response.status_code == 400, field
        assert field in response.json(), (field, response.json())


def test_out_of_range_numbers_are_400(lead_a, case_a):
    victim = case_a.participants.get().person
    client = client_for(lead_a)
    with nothing_written(SupportPlan):
        response = client.post(
            case_url(case_a, "support-plans"), {"victim": victim.pk, "check_in_every_days": 0}
        )
    assert response.status_code == 400 and "check_in_every_days" in response.json()
    plan = case_services.support_plan_create(case=case_a, victim=victim, owner=lead_a, actor=lead_a)
    with nothing_written(CheckIn):
        response = client.post(f"/api/v1/support-plans/{plan.pk}/check-ins/", {"wellbeing": 9})
    assert response.status_code == 400 and "wellbeing" in response.json()


# --- Messages in the request's language -----------------------------------------------


def test_errors_come_in_spanish_or_english_as_asked(lead_a, case_a, case_b):
    foreign = case_b.participants.get().person_id
    payload = {"person": foreign, "role": "witness"}
    url = case_url(case_a, "participants")

    with nothing_written(Participant):
        spanish = client_for(lead_a, "es").post(url, payload).json()
        english = client_for(lead_a, "en").post(url, payload).json()
        spanish_missing = client_for(lead_a, "es").post(CASES, {"category": "other"}).json()
        english_missing = client_for(lead_a, "en").post(CASES, {"category": "other"}).json()

    assert spanish["person"] == [f'Clave primaria "{foreign}" inválida - objeto no existe.']
    assert english["person"] == [f'Invalid pk "{foreign}" - object does not exist.']
    assert spanish_missing["title"] == ["Este campo es requerido."]
    assert english_missing["title"] == ["This field is required."]
