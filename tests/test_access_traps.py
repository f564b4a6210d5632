"""The known access traps of issue 3 ("Done when" 2) that are cheap to test: a foreign
child object under an own parent id, a foreign id in a form body, filters naming another
school's records, a withdrawn referral, and a user editing their own role or school."""

from __future__ import annotations

import pytest
from django.test import Client

from cases import services as case_services
from cases.models import Case, CaseEvent, Membership, Person, Role
from reporting import services as reporting_services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def victim_of(case: Case) -> Person:
    return case.participants.get(role="victim").person


def plan_of(case: Case, lead):
    return case_services.support_plan_create(
        case=case, victim=victim_of(case), owner=lead, actor=lead
    )


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- A foreign child object under an own parent id -----------------------------------


def test_foreign_plan_under_own_case_is_not_found_on_the_web(case_a, case_b, lead_a, lead_b):
    plan_b = plan_of(case_b, lead_b)
    before = CaseEvent.objects.count()
    url = f"/cases/{case_a.pk}/support-plans/{plan_b.pk}/check-ins/new/"

    client = web_client(lead_a)
    assert client.get(url).status_code == 404
    assert client.post(url, {"wellbeing": "3", "notes": "x"}).status_code == 404
    assert CaseEvent.objects.count() == before


def test_foreign_plan_is_not_found_in_the_api(case_b, lead_a, lead_b):
    plan_b = plan_of(case_b, lead_b)
    before = CaseEvent.objects.count()
    client = client_for(lead_a)
    for path in ("check-ins", "measures"):
        response = client.post(
            f"/api/v1/support-plans/{plan_b.pk}/{path}/", {"kind": "pastoral"}, format="json"
        )
        assert response.status_code == 404
    assert CaseEvent.objects.count() == before


def test_foreign_person_in_a_form_body_is_a_form_error(case_a, case_b, lead_a):
    pupil_b = victim_of(case_b)
    before = (CaseEvent.objects.count(), case_a.participants.count())

    response = web_client(lead_a).post(
        f"/cases/{case_a.pk}/people/new/", {"person": pupil_b.pk, "role": "witness"}
    )

    assert response.status_code in (200, 400)  # the form again, with its errors
    assert "Marta" not in response.content.decode()
    assert (CaseEvent.objects.count(), case_a.participants.count()) == before


def test_foreign_person_in_an_api_body_is_refused(case_a, case_b, lead_a):
    pupil_b = victim_of(case_b)
    before = (CaseEvent.objects.count(), case_a.participants.count())

    response = client_for(lead_a).post(
        f"/api/v1/cases/{case_a.pk}/participants/",
        {"person": pupil_b.pk, "role": "witness"},
        format="json",
    )

    assert response.status_code in (400, 404)
    assert (CaseEvent.objects.count(), case_a.participants.count()) == before


# --- Filters naming another school's records ------------------------------------------

LISTS = (
    "/api/v1/cases/",
    "/api/v1/people/",
    "/api/v1/concerns/",
    "/api/v1/referrals/",
    "/api/v1/takedowns/",
    "/api/v1/clusters/",
    "/api/v1/dashboard/",
)


def test_filters_naming_b_records_change_no_count_for_a(case_a, case_b, lead_a, lead_b):
    case_services.concern_log(
        school=case_b.school, logged_by=lead_b, source="staff", summary="Solo en Beta"
    )
    client = client_for(lead_a)
    terms = {
        "case": case_b.pk,
        "case__school": case_b.school_id,
        "school": case_b.school_id,
        "search": case_b.title,
        "q": "Marta",
        "person": victim_of(case_b).pk,
        "case__title": case_b.title,
        "subject__given_name": "Marta",
    }
    for url in LISTS:
        baseline = client.get(url)
        assert baseline.status_code == 200, url
        for name, value in terms.items():
            response = client.get(url, {name: value})
            assert response.status_code in (200, 400), (url, name)
            if response.status_code == 200:
                assert response.json() == baseline.json(), (url, name)
            assert "Marta" not in response.content.decode()


# --- A withdrawn referral ends police access --------------------------------------------


def test_withdrawn_referral_ends_police_access(case_a, lead_a, police, referral_a):
    api = client_for(police)
    web = web_client(police)
    assert api.get(f"/api/v1/cases/{case_a.pk}/").status_code == 200
    assert web.get(f"/cases/{case_a.pk}/").status_code == 200

    reporting_services.referral_withdraw(referral=referral_a, actor=lead_a, reason="Error")

    assert api.get(f"/api/v1/cases/{case_a.pk}/").status_code == 404
    assert api.get(f"/api/v1/cases/{case_a.pk}/events/").status_code == 404
    assert case_a.reference not in api.get("/api/v1/cases/").content.decode()
    assert web.get(f"/cases/{case_a.pk}/").status_code == 404
    assert case_a.title not in web.get("/cases/").content.decode()


# --- Nobody edits their own role or school, nor moves a record ---------------------------


def test_no_endpoint_changes_a_users_role_or_school(case_a, lead_a, staff_a, school_b):
    client = client_for(staff_a)
    payload = {"role": Role.SAFEGUARDING_LEAD, "school": school_b.pk, "is_staff": True}
    for url in ("/api/v1/cases/", "/api/v1/people/", "/api/v1/concerns/"):
        client.patch(url, payload, format="json")
        client.post(url, payload, format="json")
    client_for(lead_a).patch(f"/api/v1/cases/{case_a.pk}/", payload, format="json")

    staff_a.refresh_from_db()
    assert not staff_a.is_staff
    assert list(Membership.objects.filter(user=staff_a).values_list("role", flat=True)) == [
        Role.STAFF
    ]
    case_a.refresh_from_db()
    assert case_a.school_id != school_b.pk


def test_patching_a_case_with_school_does_not_move_it(case_a, lead_a, school_b):
    response = client_for(lead_a).patch(
        f"/api/v1/cases/{case_a.pk}/", {"school": school_b.pk}, format="json"
    )
    assert response.status_code in (200, 400)
    case_a.refresh_from_db()
    assert case_a.school_id != school_b.pk


def test_creating_a_person_in_another_school_is_refused(lead_a, school_b):
    response = client_for(lead_a).post(
        "/api/v1/people/",
        {"school": school_b.pk, "kind": "guardian", "given_name": "Intrusa"},
        format="json",
    )
    assert response.status_code in (400, 404)
    assert not Person.objects.filter(school=school_b, given_name="Intrusa").exists()
