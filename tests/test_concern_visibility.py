"""Staff see only the concerns they logged (DESIGN "Users": staff "log a concern;
afterwards see only the status of what they logged"), on every face that lists or
shows concerns: the selector, the API list and detail, the web dashboard.

School A has concerns logged by two staff members, its head, its lead and an anonymous
pupil; school B one by its own staff. (The web has no concern page for staff: they
follow their concerns on the dashboard.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.models import Concern, Role
from cases.selectors import concerns_for_user
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

MISSING_ID = 2_147_483_000


@dataclass
class Logged:
    by_staff_a: list[Concern]
    by_colleague: Concern
    by_head: Concern
    by_lead: Concern
    anonymous: Concern
    in_school_b: Concern

    def of_school_a(self) -> set[int]:
        rows = [*self.by_staff_a, self.by_colleague, self.by_head, self.by_lead, self.anonymous]
        return {c.pk for c in rows}


def _log(school, user, summary, source="staff") -> Concern:
    concern, _code = case_services.concern_log(
        school=school, logged_by=user, source=source, summary=summary
    )
    return concern


@pytest.fixture
def logged(school_a, school_b, staff_a, head_a, lead_a, lead_b):
    colleague = make_user("staff.a2", school_a, Role.STAFF)
    staff_b = make_user("staff.b", school_b, Role.STAFF)
    return Logged(
        by_staff_a=[_log(school_a, staff_a, "MiaUno"), _log(school_a, staff_a, "MiaDos")],
        by_colleague=_log(school_a, colleague, "DeLaCompañera"),
        by_head=_log(school_a, head_a, "DelDirector"),
        by_lead=_log(school_a, lead_a, "DelCoordinador"),
        anonymous=_log(school_a, None, "DeUnAlumno", source="pupil_anonymous"),
        in_school_b=_log(school_b, staff_b, "DeOtroColegio"),
    )


OTHERS = ("DeLaCompañera", "DelDirector", "DelCoordinador", "DeUnAlumno", "DeOtroColegio")


def api_summaries(user) -> set[str]:
    return {c["summary"] for c in client_for(user).get(reverse("api:concerns")).json()["results"]}


def test_the_selector_gives_staff_only_their_own(logged, staff_a):
    assert {c.pk for c in concerns_for_user(user=staff_a)} == {c.pk for c in logged.by_staff_a}


def test_the_api_list_gives_staff_only_their_own(logged, staff_a):
    assert api_summaries(staff_a) == {"MiaUno", "MiaDos"}


def test_the_api_detail_opens_only_their_own(logged, staff_a):
    client = client_for(staff_a)
    for concern in logged.by_staff_a:
        response = client.get(reverse("api:concern-detail", args=[concern.pk]))
        assert response.status_code == 200
        assert response.json()["summary"] == concern.summary
    missing = client.get(reverse("api:concern-detail", args=[MISSING_ID]))
    for concern in (
        logged.by_colleague,
        logged.by_head,
        logged.by_lead,
        logged.anonymous,
        logged.in_school_b,
    ):
        response = client.get(reverse("api:concern-detail", args=[concern.pk]))
        assert (response.status_code, response.json()) == (404, missing.json())


def test_the_web_dashboard_lists_only_their_own(logged, staff_a):
    client = Client()
    client.force_login(staff_a)
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 200
    assert {c.pk for c in response.context["my_concerns"]} == {c.pk for c in logged.by_staff_a}
    html = response.content.decode()
    assert "MiaUno" in html and "MiaDos" in html
    assert [word for word in OTHERS if word in html] == []


def test_a_colleague_sees_only_theirs_too(logged):
    colleague = logged.by_colleague.logged_by
    assert api_summaries(colleague) == {"DeLaCompañera"}
    assert {c.pk for c in concerns_for_user(user=colleague)} == {logged.by_colleague.pk}


def test_a_head_sees_only_the_concerns_they_logged(logged, head_a):
    assert api_summaries(head_a) == {"DelDirector"}
    url = reverse("api:concern-detail", args=[logged.by_staff_a[0].pk])
    assert client_for(head_a).get(url).status_code == 404


def test_the_lead_sees_every_concern_of_the_school_and_none_of_another(logged, lead_a):
    listed = client_for(lead_a).get(reverse("api:concerns")).json()["results"]
    assert {c["id"] for c in listed} == logged.of_school_a()
    url = reverse("api:concern-detail", args=[logged.in_school_b.pk])
    assert client_for(lead_a).get(url).status_code == 404


def test_staff_keep_seeing_their_concern_once_a_case_is_opened_but_not_the_case(
    logged, staff_a, lead_a, school_a
):
    concern = logged.by_staff_a[0]
    case = case_services.case_open(
        school=school_a, actor=lead_a, title="Caso", category="ai_generated", concern=concern
    )
    body = client_for(staff_a).get(reverse("api:concern-detail", args=[concern.pk])).json()
    assert body["status"] == "case_opened"
    assert body["case"] is None
    assert client_for(staff_a).get(reverse("api:case-detail", args=[case.pk])).status_code == 404
