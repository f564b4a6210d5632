"""API of a case's routing advice and of the victims' own removal routes ledger:
``/api/v1/cases/{id}/routing/``, ``/api/v1/routing/{id}/accept|dismiss/``,
``/api/v1/cases/{id}/removal-reports/`` (and ``{report_id}/``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import AccessEvent, CaseEvent, Organisation, Person
from reporting.models import RemovalRouteReport, RoutingSuggestion
from tests.conftest import client_for, nothing_written

pytestmark = pytest.mark.django_db
RS = RoutingSuggestion.Status


def routing_url(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}/routing/"


def decide_url(suggestion_id: int, action: str) -> str:
    return f"/api/v1/routing/{suggestion_id}/{action}/"


def ledger_url(case_id: int, report_id: int | None = None) -> str:
    tail = f"{report_id}/" if report_id else ""
    return f"/api/v1/cases/{case_id}/removal-reports/{tail}"


def police_suggestion(case) -> RoutingSuggestion:
    return (
        RoutingSuggestion.objects.filter(case=case, rule="police", status=RS.OPEN)
        .order_by("id")
        .first()
    )


def victim_of(case) -> Person:
    return case.participants.get(role="victim").person


def test_the_lead_lists_the_advice_with_reasons_and_sources_and_the_read_is_audited(case_a, lead_a):
    response = client_for(lead_a).get(routing_url(case_a.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["rule"] for r in rows} >= {"police", "aepd_priority", "victim_route"}
    police = next(r for r in rows if r["rule"] == "police")
    assert police["urgency"] == "required"
    assert "communicate them at once" in police["reason"]
    assert any("LOPIVI" in source for source in police["sources"])
    assert AccessEvent.objects.filter(action="case.routing", case_ids__contains=[case_a.pk])


def test_police_cannot_see_routing_even_with_a_live_referral(referral_a, case_a, police):
    assert client_for(police).get(routing_url(case_a.pk)).status_code == 404
    suggestion = police_suggestion(case_a)
    response = client_for(police).post(decide_url(suggestion.pk, "accept"), {}, format="json")
    assert response.status_code == 404


def test_the_case_detail_shows_routing_to_the_lead_not_to_the_police(
    referral_a, case_a, lead_a, police
):
    lead_body = client_for(lead_a).get(f"/api/v1/cases/{case_a.pk}/").json()
    assert lead_body["routing"]
    police_body = client_for(police).get(f"/api/v1/cases/{case_a.pk}/").json()
    assert police_body["routing"] == []


def test_accepting_records_the_note_and_who(case_a, lead_a):
    suggestion = police_suggestion(case_a)
    response = client_for(lead_a).post(
        decide_url(suggestion.pk, "accept"), {"note": "Phoned the unit"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "accepted"
    assert body["decision_note"] == "Phoned the unit"
    assert body["decided_by"]["id"] == lead_a.pk
    again = client_for(lead_a).post(decide_url(suggestion.pk, "accept"), {}, format="json")
    assert again.status_code == 409


def test_dismissing_without_a_reason_is_400_and_writes_nothing(case_a, lead_a):
    suggestion = police_suggestion(case_a)
    with nothing_written(RoutingSuggestion):
        response = client_for(lead_a).post(decide_url(suggestion.pk, "dismiss"), {}, format="json")
        blank = client_for(lead_a).post(
            decide_url(suggestion.pk, "dismiss"), {"reason": "   "}, format="json"
        )
    assert response.status_code == 400
    assert "reason" in str(response.json())
    assert blank.status_code == 400
    suggestion.refresh_from_db()
    assert suggestion.status == RS.OPEN


def test_dismissing_with_a_reason_is_recorded(case_a, lead_a):
    suggestion = police_suggestion(case_a)
    response = client_for(lead_a).post(
        decide_url(suggestion.pk, "dismiss"), {"reason": "Wrong unit"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["decision_note"] == "Wrong unit"
    assert CaseEvent.objects.filter(case=case_a, verb="routing.dismissed").exists()


def test_another_schools_suggestion_and_report_are_404(case_a, case_b, lead_a, lead_b):
    suggestion = police_suggestion(case_b)
    client = client_for(lead_a)
    assert client.get(routing_url(case_b.pk)).status_code == 404
    for action in ("accept", "dismiss"):
        response = client.post(decide_url(suggestion.pk, action), {"reason": "x"}, format="json")
        assert response.status_code == 404
    report = RemovalRouteReport.objects.create(
        case=case_b,
        victim=victim_of(case_b),
        route_id=suggestion.case.routing_suggestions.filter(rule="victim_route").first().route_id,
        reported_on=timezone.localdate(),
        recorded_by=lead_b,
    )
    assert (
        client.patch(
            ledger_url(case_b.pk, report.pk), {"status": "removed"}, format="json"
        ).status_code
        == 404
    )
    # Nor through one's own case's address.
    assert (
        client.patch(
            ledger_url(case_a.pk, report.pk), {"status": "removed"}, format="json"
        ).status_code
        == 404
    )


def test_the_ledger_records_and_updates_a_victims_own_report(case_a, lead_a):
    victim = victim_of(case_a)
    client = client_for(lead_a)
    response = client.post(
        ledger_url(case_a.pk),
        {
            "victim": victim.pk,
            "route": "take-it-down",
            "reported_on": timezone.localdate().isoformat(),
            "case_number": "TID-42",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    report_id = response.json()["id"]
    assert response.json()["victim"] == victim.pk
    updated = client.patch(ledger_url(case_a.pk, report_id), {"status": "removed"}, format="json")
    assert updated.status_code == 200, updated.content
    assert updated.json()["status"] == "removed"
    listed = client.get(ledger_url(case_a.pk)).json()["results"]
    assert [r["case_number"] for r in listed] == ["TID-42"]
    assert AccessEvent.objects.filter(action="case.removal_reports").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"route": "stopncii"}, "route"),  # adults only; the victim is 14
        ({"route": "report-remove"}, "route"),  # the UK only
        ({"reported_on": "2099-01-01"}, "reported_on"),
        ({"victim": "stranger"}, "victim"),
    ],
)
def test_the_ledger_refuses_what_does_not_fit(case_a, lead_a, school_a, change, field):
    payload = {
        "victim": victim_of(case_a).pk,
        "route": "take-it-down",
        "reported_on": timezone.localdate().isoformat(),
    }
    if change.get("victim") == "stranger":
        stranger = Person.objects.create(school=school_a, kind="pupil", given_name="Otra")
        change = {"victim": stranger.pk}
    payload.update(change)
    with nothing_written(RemovalRouteReport):
        response = client_for(lead_a).post(ledger_url(case_a.pk), payload, format="json")
    assert response.status_code == 400
    assert field in str(response.json())


def test_the_police_read_the_ledger_without_the_victims_name(referral_a, case_a, lead_a, police):
    victim = victim_of(case_a)
    client_for(lead_a).post(
        ledger_url(case_a.pk),
        {
            "victim": victim.pk,
            "route": "take-it-down",
            "reported_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    response = client_for(police).get(ledger_url(case_a.pk))
    assert response.status_code == 200
    assert victim.given_name not in response.content.decode()
    write = client_for(police).post(ledger_url(case_a.pk), {}, format="json")
    assert write.status_code == 403


def test_routing_lines_stay_out_of_the_polices_chronology(referral_a, case_a, lead_a, police):
    lead_verbs = {
        e["verb"] for e in client_for(lead_a).get(f"/api/v1/cases/{case_a.pk}/").json()["events"]
    }
    assert "routing.suggested" in lead_verbs
    police_verbs = {
        e["verb"] for e in client_for(police).get(f"/api/v1/cases/{case_a.pk}/").json()["events"]
    }
    assert not {v for v in police_verbs if v.startswith("routing.")}


def test_a_perpetrators_date_of_the_act_given_through_the_api_routes_the_case(
    case_a, lead_a, school_a
):
    fiscalia = Organisation.objects.create(
        name="Fiscalía de Menores X", code="FMX", kind="prosecutor", jurisdiction="ES-BA"
    )
    today = timezone.localdate()
    boy = Person.objects.create(
        school=school_a,
        kind="pupil",
        given_name="Leo",
        date_of_birth=today.replace(year=today.year - 14) - timedelta(days=30),
    )
    response = client_for(lead_a).post(
        f"/api/v1/cases/{case_a.pk}/participants/",
        {
            "person": boy.pk,
            "role": "alleged_perpetrator",
            "act_on": (today - timedelta(days=60)).isoformat(),  # he was 13
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["act_on"] == (today - timedelta(days=60)).isoformat()
    rules = set(
        RoutingSuggestion.objects.filter(case=case_a, status=RS.OPEN, person=boy).values_list(
            "rule", flat=True
        )
    )
    assert rules == {"child_protection"}
    assert not RoutingSuggestion.objects.filter(destination=fiscalia).exists()
