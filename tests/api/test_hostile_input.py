"""Hostile input found by a newcomer's review: each is a 4xx, never a 500, and writes
nothing."""

from __future__ import annotations

import base64

from cases.models import CaseEvent, Concern
from tests.conftest import PASSWORD, client_for


def test_a_number_that_overflows_to_infinity_is_a_400(lead_a):
    before = (Concern.objects.count(), CaseEvent.objects.count())
    response = client_for(lead_a).post(
        "/api/v1/concerns/",
        data='{"summary": "x", "school": 1e400}',
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert (Concern.objects.count(), CaseEvent.objects.count()) == before


def test_nan_and_infinity_are_refused(lead_a):
    for literal in ("NaN", "Infinity", "-Infinity"):
        response = client_for(lead_a).post(
            "/api/v1/concerns/",
            data='{"summary": "x", "school": ' + literal + "}",
            content_type="application/json",
        )
        assert response.status_code == 400, literal


def test_a_forged_cursor_is_a_404_not_a_500(lead_a, case_a):
    forged = base64.b64encode(b"p=x").decode()
    for path in ("/api/v1/cases/", "/api/v1/referrals/", "/api/v1/takedowns/"):
        response = client_for(lead_a).get(path, {"cursor": forged})
        assert response.status_code == 404, (path, response.content)


def test_a_valid_cursor_still_pages(lead_a, case_a, school_a):
    from cases.services import case_open

    case_open(school=school_a, actor=lead_a, title="Segundo", category="other")
    first = client_for(lead_a).get("/api/v1/cases/", {"page_size": 1}).json()
    second = client_for(lead_a).get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["results"][0]["id"] != first["results"][0]["id"]


def test_sign_in_is_rate_limited_per_address_and_username(api, lead_a, lead_b):
    for _ in range(10):
        wrong = api.post("/api/v1/auth/token/", {"username": "lead.a", "password": "nope"})
        assert wrong.status_code == 400
    blocked = api.post("/api/v1/auth/token/", {"username": "lead.a", "password": PASSWORD})
    assert blocked.status_code == 429
    # Another account from the same address (a school behind one NAT) is not blocked.
    other = api.post("/api/v1/auth/token/", {"username": "lead.b", "password": PASSWORD})
    assert other.status_code == 200
