"""The case-file API over HTTP with the personas of tests/conftest.py: lead of school A,
staff of A, head of A, lead of school B, the police liaison of the unit that holds A's
live referral (sharing chronology and evidence) and another unit's liaison."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services as case_services
from cases.models import (
    AccessEvent,
    Action,
    Case,
    CaseEvent,
    CheckIn,
    Concern,
    Membership,
    Organisation,
    Person,
    Role,
    SupportPlan,
)
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform
from tests.conftest import client_for as _client_for

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/people/"
CONCERNS = "/api/v1/concerns/"
CASES = "/api/v1/cases/"


def client_for(user):
    """An API client for ``user`` that asks for English messages (the default is es)."""
    client = _client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def case_url(case: Case, sub: str = "") -> str:
    return f"{CASES}{case.pk}/" + (f"{sub}/" if sub else "")


def person(school, actor, given="Carmen", kind="pupil", age=13) -> Person:
    today = timezone.localdate()
    return case_services.person_create(
        school=school,
        actor=actor,
        kind=kind,
        given_name=given,
        family_name="Núñez",
        date_of_birth=date(today.year - age, 3, 1) if kind == "pupil" else None,
    )


def victim_of(case: Case) -> Person:
    return case.participants.get(role="victim").person


def evidence(case: Case, actor):
    return case_services.evidence_record(
        case=case,
        actor=actor,
        kind="group",
        first_seen_at=timezone.now() - timedelta(days=1),
        platform=Platform.objects.get(slug="telegram"),
        location="https://t.me/example-channel",
        sha256="a" * 64,
    )


# --- People -------------------------------------------------------------------------


def test_a_lead_records_a_pupil_of_their_school_without_naming_it(lead_a, school_a):
    response = client_for(lead_a).post(
        PEOPLE,
        {
            "kind": "pupil",
            "given_name": "Inés",
            "family_name": "Peña",
            "date_of_birth": "2010-05-04",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["school"]["id"] == school_a.pk
    assert body["given_name"] == "Inés"
    assert CaseEvent.objects.filter(verb="person.created", object_id=body["id"]).exists()
    assert response["Cache-Control"] == "no-store"


def test_a_lead_of_two_schools_must_choose_one_of_their_own(lead_a, school_a, school_b):
    third = Organisation.objects.create(
        name="Colegio Gamma", kind="school", code="GAM", jurisdiction="ES-BA"
    )
    Membership.objects.create(user=lead_a, organisation=third, role=Role.DEPUTY_LEAD)
    client = client_for(lead_a)
    payload = {"kind": "guardian", "given_name": "Rosa"}

    missing = client.post(PEOPLE, payload)
    foreign = client.post(PEOPLE, {**payload, "school": school_b.pk})
    chosen = client.post(PEOPLE, {**payload, "school": third.pk})

    assert missing.status_code == 400 and "school" in missing.json()
    assert foreign.status_code == 400 and "does not exist" in foreign.json()["school"][0]
    assert chosen.status_code == 201 and chosen.json()["school"]["id"] == third.pk
    assert not Person.objects.filter(school=school_b).exists()


def test_people_lists_show_only_the_leads_own_school(case_a, case_b, lead_a, staff_a):
    own = client_for(lead_a).get(PEOPLE)
    staff = client_for(staff_a).get(PEOPLE)

    assert own.status_code == 200
    assert {p["school"]["id"] for p in own.json()["results"]} == {case_a.school_id}
    assert staff.json()["results"] == []
    other = victim_of(case_b)
    assert client_for(lead_a).get(f"{PEOPLE}{other.pk}/").status_code == 404
    assert client_for(lead_a).get(f"{PEOPLE}{victim_of(case_a).pk}/").status_code == 200


def test_only_leads_and_deputies_record_people(staff_a, police):
    payload = {"kind": "pupil", "given_name": "Ana"}
    assert client_for(staff_a).post(PEOPLE, payload).status_code == 403
    assert client_for(police).post(PEOPLE, payload).status_code == 403
    assert client_for(None).post(PEOPLE, payload).status_code in (401, 403)


# --- Concerns -----------------------------------------------------------------------


def test_staff_log_a_concern_and_afterwards_see_only_its_status(staff_a, lead_a, lead_b):
    response = client_for(staff_a).post(
        CONCERNS,
        {
            "summary": "Una alumna dice que circulan fotos suyas falsas",
            "childs_own_words": "Me han hecho una foto desnuda con una app",
        },
    )
    assert response.status_code == 201, response.json()
    concern_id = response.json()["id"]

    staff_view = client_for(staff_a).get(f"{CONCERNS}{concern_id}/").json()
    lead_view = client_for(lead_a).get(f"{CONCERNS}{concern_id}/").json()

    assert staff_view["status"] == "new"
    assert staff_view["childs_own_words"] == ""
    assert staff_view["case"] is None
    assert lead_view["childs_own_words"] == "Me han hecho una foto desnuda con una app"
    assert client_for(lead_b).get(f"{CONCERNS}{concern_id}/").status_code == 404


def test_staff_see_only_the_concerns_they_logged(school_a, staff_a, lead_a):
    case_services.concern_log(
        school=school_a, logged_by=lead_a, source="staff", summary="Del coordinador"
    )
    case_services.concern_log(school=school_a, logged_by=staff_a, source="staff", summary="Mía")

    staff_list = client_for(staff_a).get(CONCERNS).json()["results"]
    lead_list = client_for(lead_a).get(CONCERNS).json()["results"]

    assert [c["summary"] for c in staff_list] == ["Mía"]
    assert {c["summary"] for c in lead_list} == {"Mía", "Del coordinador"}


def test_police_cannot_log_a_school_concern(police):
    response = client_for(police).post(CONCERNS, {"summary": "x"})
    assert response.status_code == 403
    assert not Concern.objects.exists()


# --- Cases --------------------------------------------------------------------------


def test_a_lead_opens_a_case_from_a_new_concern(lead_a, school_a):
    concern, _ = case_services.concern_log(
        school=school_a, logged_by=lead_a, source="staff", summary="Fotos manipuladas"
    )

    response = client_for(lead_a).post(
        CASES,
        {
            "title": "Imágenes con IA en 2º ESO",
            "category": "ai_generated",
            "risk_level": "high",
            "concern": concern.pk,
            "under_13": True,
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith(f"ALF-{timezone.now().year}-")
    assert body["ai_generated"] is True and body["under_13"] is True
    concern.refresh_from_db()
    assert concern.case_id == body["id"] and concern.status == "case_opened"


def test_only_case_owners_open_cases(staff_a, head_a, police):
    payload = {"title": "x", "category": "sextortion"}
    for user in (staff_a, head_a, police):
        assert client_for(user).post(CASES, payload).status_code == 403
    assert not Case.objects.exists()


def test_case_list_filters_and_records_the_access(lead_a, case_a, school_a):
    second = case_services.case_open(
        school=school_a, actor=lead_a, title="Extorsión", category="sextortion"
    )
    client = client_for(lead_a)

    everything = client.get(CASES)
    extortion = client.get(CASES, {"category": "sextortion"})
    closed = client.get(CASES, {"status": "closed"})

    assert [c["id"] for c in everything.json()["results"]] == [second.pk, case_a.pk]
    assert [c["id"] for c in extortion.json()["results"]] == [second.pk]
    assert closed.json()["results"] == []
    assert everything.json()["results"][1]["victim_count"] == 1
    assert everything["Cache-Control"] == "no-store"
    event = AccessEvent.objects.filter(action="case.list").first()
    assert event.actor == lead_a and event.channel == "api"
    assert event.case_ids == sorted([second.pk, case_a.pk])


def test_case_list_costs_the_same_queries_for_1_or_20_cases(
    lead_a, school_a, django_assert_max_num_queries
):
    for n in range(20):
        case = case_services.case_open(
            school=school_a, actor=lead_a, title=f"Caso {n}", category="ai_generated"
        )
        case_services.participant_add(
            case=case, person=person(school_a, lead_a, f"V{n}"), role="victim", actor=lead_a
        )
    client = client_for(lead_a)

    with CaptureQueriesContext(connection) as one:
        assert len(client.get(CASES, {"page_size": 1}).json()["results"]) == 1
    # The page of 20 may not cost more: memberships (visibility), the page with its
    # school, lead and victim count (one query), memberships + insert (read audit).
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(CASES, {"page_size": 20}).json()["results"]) == 20


def fill_case(case: Case, lead, n: int) -> None:
    """Add ``n`` of everything the case page shows."""
    school = case.school
    for i in range(n):
        item = evidence(case, lead)
        reporting_services.takedown_create(
            case=case,
            actor=lead,
            platform=Platform.objects.get(slug="telegram"),
            legal_basis=LegalBasis.objects.order_by("pk").first(),
            evidence_items=[item],
        )
        pupil = person(school, lead, f"Víctima {i}")
        case_services.participant_add(case=case, person=pupil, role="victim", actor=lead)
        plan = case_services.support_plan_create(case=case, victim=pupil, owner=lead, actor=lead)
        case_services.check_in_record(plan=plan, actor=lead, wellbeing=4)
        case_services.support_measure_add(plan=plan, actor=lead, kind="counselling")
        case_services.action_create(
            case=case, actor=lead, title=f"Tarea {i}", owner=lead, due_at=timezone.now()
        )
        guardian = person(school, lead, f"Madre {i}", kind="guardian")
        case_services.guardian_contact_record(
            case=case, guardian=guardian, actor=lead, method="phone"
        )


def test_case_page_costs_the_same_queries_however_much_it_holds(
    lead_a, case_a, django_assert_max_num_queries
):
    client = client_for(lead_a)
    fill_case(case_a, lead_a, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(case_url(case_a)).status_code == 200

    fill_case(case_a, lead_a, 5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(case_url(case_a))

    body = response.json()
    assert len(body["participants"]) == 7
    assert len(body["takedowns"]) == 6 and len(body["guardian_contacts"]) == 6


def test_a_lead_reads_the_whole_case_page(lead_a, case_a):
    evidence(case_a, lead_a)
    case_services.support_plan_create(
        case=case_a, victim=victim_of(case_a), owner=lead_a, actor=lead_a
    )

    response = client_for(lead_a).get(case_url(case_a))

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == case_a.reference
    assert body["visible_sections"] == [
        "chronology",
        "evidence",
        "internal",
        "participants",
        "support",
    ]
    assert [p["role"] for p in body["participants"]] == ["victim"]
    assert body["evidence"][0]["platform"] == "telegram"
    assert body["support_plans"][0]["check_ins"][0]["held_at"] is None
    assert {e["verb"] for e in body["events"]} >= {"case.opened", "evidence.recorded"}
    assert response["Cache-Control"] == "no-store"
    assert AccessEvent.objects.filter(action="case.detail", case_ids=[case_a.pk]).exists()


def test_a_lead_changes_flags_and_the_chronology_records_it(lead_a, case_a):
    read = client_for(lead_a).get(case_url(case_a)).json()
    response = client_for(lead_a).patch(
        case_url(case_a),
        {
            "risk_level": "critical",
            "coercion_or_extortion": True,
            "expected_updated_at": read["updated_at"],
        },
    )

    assert response.status_code == 200, response.json()
    case_a.refresh_from_db()
    assert case_a.risk_level == "critical" and case_a.coercion_or_extortion
    assert CaseEvent.objects.filter(case=case_a, verb="case.updated").exists()


def test_two_editors_never_silently_overwrite_each_other(lead_a, case_a):
    read = client_for(lead_a).get(case_url(case_a)).json()
    first = client_for(lead_a).patch(
        case_url(case_a), {"risk_level": "high", "expected_updated_at": read["updated_at"]}
    )
    second = client_for(lead_a).patch(
        case_url(case_a), {"risk_level": "low", "expected_updated_at": read["updated_at"]}
    )

    assert first.status_code == 200
    assert second.status_code == 409
    case_a.refresh_from_db()
    assert case_a.risk_level == "high"
    assert CaseEvent.objects.filter(case=case_a, verb="case.updated").count() == 1


def test_an_edit_without_the_version_read_is_refused(lead_a, case_a):
    response = client_for(lead_a).patch(case_url(case_a), {"risk_level": "high"})

    assert response.status_code == 400
    assert "expected_updated_at" in response.json()


def test_closing_a_case_needs_its_support_plans_closed_and_detects_races(lead_a, case_a):
    client = client_for(lead_a)
    plan = case_services.support_plan_create(
        case=case_a, victim=victim_of(case_a), owner=lead_a, actor=lead_a
    )

    refused = client.post(case_url(case_a, "close"), {"reason": "Resuelto"})
    assert refused.status_code == 400 and "status" in refused.json()

    SupportPlan.objects.filter(pk=plan.pk).update(status="closed")
    closed = client.post(case_url(case_a, "close"), {"reason": "Resuelto"})
    stale = client.post(case_url(case_a, "close"), {"reason": "Otra", "expected_status": "open"})

    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert stale.status_code == 409
    assert CaseEvent.objects.filter(case=case_a, verb="case.closed").count() == 1


# --- What hangs off a case ----------------------------------------------------------


def test_a_lead_records_participants_evidence_and_support(lead_a, case_a, school_a):
    client = client_for(lead_a)
    boy = person(school_a, lead_a, "Hugo")
    mother = person(school_a, lead_a, "Pilar", kind="guardian")

    added = client.post(
        case_url(case_a, "participants"), {"person": boy.pk, "role": "alleged_perpetrator"}
    )
    item = client.post(
        case_url(case_a, "evidence"),
        {
            "kind": "image",
            "platform": "whatsapp",
            "location": "https://chat.whatsapp.com/abc",
            "identifiers": {"group_invite_link": "https://chat.whatsapp.com/abc"},
            "first_seen_at": (timezone.now() - timedelta(days=2)).isoformat(),
            "seen_by": "Coordinadora",
            "sha256": "B" * 64,
            "pdq": "c" * 64,
            "pdq_quality": 90,
        },
    )
    plan = client.post(
        case_url(case_a, "support-plans"),
        {"victim": victim_of(case_a).pk, "check_in_every_days": 7},
    )
    contact = client.post(
        case_url(case_a, "guardian-contacts"), {"guardian": mother.pk, "method": "phone"}
    )

    assert added.status_code == 201, added.json()
    assert item.status_code == 201, item.json()
    assert item.json()["sha256"] == "b" * 64
    assert plan.status_code == 201, plan.json()
    assert contact.status_code == 201, contact.json()
    plan_id = plan.json()["id"]

    check_in = client.post(f"/api/v1/support-plans/{plan_id}/check-ins/", {"wellbeing": 3})
    measure = client.post(
        f"/api/v1/support-plans/{plan_id}/measures/",
        {"kind": "parent_support_group", "provider": "AMPA"},
    )
    assert check_in.status_code == 201, check_in.json()
    assert measure.status_code == 201, measure.json()
    assert CheckIn.objects.filter(plan_id=plan_id, held_at__isnull=True).count() == 1

    lists = {
        sub: client.get(case_url(case_a, sub)).json()["results"]
        for sub in (
            "participants",
            "evidence",
            "events",
            "support-plans",
            "guardian-contacts",
            "actions",
        )
    }
    assert len(lists["participants"]) == 2
    assert lists["evidence"][0]["identifiers"]["group_invite_link"].endswith("/abc")
    assert lists["support-plans"][0]["measures"][0]["kind"] == "parent_support_group"
    assert lists["guardian-contacts"][0]["method"] == "phone"
    assert "support_plan.created" in {e["verb"] for e in lists["events"]}


def test_actions_are_created_for_a_school_user_and_completed_once(lead_a, staff_a, case_a):
    client = client_for(lead_a)
    due = (timezone.now() + timedelta(days=1)).isoformat()

    created = client.post(
        case_url(case_a, "actions"),
        {"title": "Hablar con la tutora", "owner": staff_a.pk, "due_at": due},
    )
    assert created.status_code == 201, created.json()
    action_id = created.json()["id"]

    done = client.post(f"/api/v1/actions/{action_id}/complete/")
    again = client.post(f"/api/v1/actions/{action_id}/complete/")

    assert done.status_code == 200 and done.json()["done_at"]
    assert again.status_code == 400
    assert Action.objects.get(pk=action_id).owner == staff_a


def test_dashboard_counts_what_is_due(lead_a, case_a, staff_a):
    case_services.support_plan_create(
        case=case_a,
        victim=victim_of(case_a),
        owner=lead_a,
        actor=lead_a,
        first_check_in_at=timezone.now() + timedelta(days=2),
    )

    lead = client_for(lead_a).get("/api/v1/dashboard/").json()
    staff = client_for(staff_a).get("/api/v1/dashboard/").json()

    assert lead == {"open_cases": 1, "overdue_takedowns": 0, "check_ins_due_this_week": 1}
    assert staff == {"open_cases": 0, "overdue_takedowns": 0, "check_ins_due_this_week": 0}


# --- Scoping: 404 for what one may not see ------------------------------------------


SUBRESOURCES = ("participants", "evidence", "events", "support-plans", "guardian-contacts")


def test_a_lead_of_another_school_gets_404_everywhere_on_a_case(lead_a, lead_b, case_a):
    plan = case_services.support_plan_create(
        case=case_a, victim=victim_of(case_a), owner=lead_a, actor=lead_a
    )
    action = case_services.action_create(
        case=case_a, actor=lead_a, title="t", owner=lead_a, due_at=timezone.now()
    )
    events_before = CaseEvent.objects.count()
    client = client_for(lead_b)
    own_pupil = person(case_a.school, lead_a, "Ajena")

    assert client.get(case_url(case_a)).status_code == 404
    assert client.patch(case_url(case_a), {"risk_level": "low"}).status_code == 404
    assert client.post(case_url(case_a, "close"), {"reason": "x"}).status_code == 404
    for sub in (*SUBRESOURCES, "actions"):
        assert client.get(case_url(case_a, sub)).status_code == 404, sub
        if sub != "events":  # the chronology is read-only (405 for everyone)
            assert client.post(case_url(case_a, sub), {}).status_code == 404, sub
    assert (
        client.post(
            case_url(case_a, "participants"), {"person": own_pupil.pk, "role": "witness"}
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/support-plans/{plan.pk}/check-ins/", {}).status_code == 404
    assert (
        client.post(f"/api/v1/support-plans/{plan.pk}/measures/", {"kind": "other"}).status_code
        == 404
    )
    assert client.post(f"/api/v1/actions/{action.pk}/complete/").status_code == 404
    assert client.get(CASES).json()["results"] == []
    # Only the ``person.created`` of the fixture above was written, nothing by lead B.
    assert CaseEvent.objects.count() == events_before + 1
    assert not CaseEvent.objects.filter(actor=lead_b).exists()


def test_staff_and_heads_see_no_case_contents(staff_a, head_a, case_a):
    for user in (staff_a, head_a):
        client = client_for(user)
        assert client.get(CASES).json()["results"] == []
        assert client.get(case_url(case_a)).status_code == 404
        assert client.get(case_url(case_a, "participants")).status_code == 404


def test_police_read_only_what_the_live_referral_shares(police, lead_a, case_a, referral_a):
    evidence(case_a, lead_a)
    case_services.support_plan_create(
        case=case_a, victim=victim_of(case_a), owner=lead_a, actor=lead_a
    )
    client = client_for(police)

    detail = client.get(case_url(case_a))

    assert detail.status_code == 200
    body = detail.json()
    assert body["visible_sections"] == ["chronology", "evidence"]
    assert len(body["evidence"]) == 1 and body["events"]
    assert body["participants"] == [] and body["support_plans"] == []
    assert body["summary"] == "" and body["actions"] == [] and body["guardian_contacts"] == []
    assert [r["id"] for r in body["referrals"]] == [referral_a.pk]
    assert client.get(case_url(case_a, "evidence")).status_code == 200
    assert client.get(case_url(case_a, "events")).status_code == 200
    for sub in ("participants", "support-plans", "guardian-contacts", "actions"):
        assert client.get(case_url(case_a, sub)).status_code == 404, sub
    assert [c["id"] for c in client.get(CASES).json()["results"]] == [case_a.pk]


def test_police_cannot_write_to_a_case_they_may_read(police, case_a, referral_a):
    client = client_for(police)
    before = CaseEvent.objects.count()

    patch = client.patch(case_url(case_a), {"risk_level": "low"})
    post = client.post(
        case_url(case_a, "evidence"),
        {"kind": "url", "location": "https://x.example", "first_seen_at": "2024-01-01T00:00Z"},
    )

    assert patch.status_code == 403 and post.status_code == 403
    assert CaseEvent.objects.count() == before


def test_police_lose_the_case_when_the_referral_ends(
    police, other_police, lead_a, case_a, referral_a
):
    assert client_for(other_police).get(case_url(case_a)).status_code == 404
    reporting_services.referral_withdraw(referral=referral_a, actor=lead_a, reason="Error")

    client = client_for(police)
    assert client.get(case_url(case_a)).status_code == 404
    assert client.get(case_url(case_a, "evidence")).status_code == 404
    assert client.get(CASES).json()["results"] == []
