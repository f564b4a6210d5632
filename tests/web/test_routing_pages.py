"""The case page's "Where this case should go" section and the victims' own reports
ledger (``web/templates/web/_routing.html``, ``web.views_routing``)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent
from reporting.models import RemovalRouteReport, RoutingSuggestion

pytestmark = pytest.mark.django_db
RS = RoutingSuggestion.Status


def client_as(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def police_suggestion(case) -> RoutingSuggestion:
    return (
        RoutingSuggestion.objects.filter(case=case, rule="police", status=RS.OPEN)
        .order_by("id")
        .first()
    )


def test_the_lead_sees_the_advice_its_sources_and_the_victims_own_routes(case_a, lead_a):
    body = client_as(lead_a).get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert "Where this case should go" in body
    assert 'data-part="routing"' in body
    assert "communicate them at once" in body  # LOPIVI reason
    assert "LOPIVI" in body  # its source
    assert "Take It Down (NCMEC)" in body  # a victim's own route
    assert "never reports through them on the victim" in body
    suggestion = police_suggestion(case_a)
    referral = reverse("web:referral_new", args=[case_a.pk])
    assert f"{referral}?destination={suggestion.destination_id}" in body


def test_the_police_page_has_no_routing_section(referral_a, case_a, police):
    body = client_as(police).get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert 'data-part="routing"' not in body
    assert "Where this case should go" not in body


def test_accept_form_records_the_note(case_a, lead_a):
    suggestion = police_suggestion(case_a)
    url = reverse("web:routing_accept", args=[case_a.pk, suggestion.pk])
    response = client_as(lead_a).post(url, {"note": "Phoned"})
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decision_note, suggestion.decided_by) == (
        RS.ACCEPTED,
        "Phoned",
        lead_a,
    )
    page = client_as(lead_a).get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert "Decided or no longer applying" in page
    assert "Phoned" in page


def test_dismiss_form_requires_a_reason_and_writes_nothing_without(case_a, lead_a):
    suggestion = police_suggestion(case_a)
    url = reverse("web:routing_dismiss", args=[case_a.pk, suggestion.pk])
    before = CaseEvent.objects.count()
    response = client_as(lead_a).post(url, {"reason": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert CaseEvent.objects.count() == before
    suggestion.refresh_from_db()
    assert suggestion.status == RS.OPEN
    ok = client_as(lead_a).post(url, {"reason": "Already reported"}, headers={"HX-Request": "true"})
    assert ok.status_code == 200
    assert ok["HX-Retarget"] == "#case-body"
    suggestion.refresh_from_db()
    assert suggestion.status == RS.DISMISSED


def test_another_schools_suggestion_is_404(case_a, case_b, lead_a):
    other = police_suggestion(case_b)
    url = reverse("web:routing_accept", args=[case_a.pk, other.pk])
    assert client_as(lead_a).post(url, {"note": ""}).status_code == 404
    url = reverse("web:routing_accept", args=[case_b.pk, other.pk])
    assert client_as(lead_a).get(url).status_code == 404


def test_the_referral_form_starts_with_the_advised_destination(case_a, lead_a):
    suggestion = police_suggestion(case_a)
    url = (
        reverse("web:referral_new", args=[case_a.pk]) + f"?destination={suggestion.destination_id}"
    )
    form = client_as(lead_a).get(url).context["form"]
    assert form.initial["destination"] == suggestion.destination_id


def test_the_ledger_form_records_and_updates_a_victims_report(case_a, lead_a):
    victim = case_a.participants.get(role="victim").person
    client = client_as(lead_a)
    response = client.post(
        reverse("web:removal_report_new", args=[case_a.pk]),
        {
            "victim": victim.pk,
            "route": "take-it-down",
            "reported_on": timezone.localdate().isoformat(),
            "case_number": "TID-7",
            "status": "reported",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = RemovalRouteReport.objects.get(case=case_a)
    response = client.post(
        reverse("web:removal_report_update", args=[case_a.pk, report.pk]),
        {
            "case_number": "TID-7",
            "reported_on": report.reported_on.isoformat(),
            "status": "removed",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "removed"
    page = client.get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert "TID-7" in page


def test_the_ledger_form_refuses_a_route_that_does_not_fit(case_a, lead_a):
    victim = case_a.participants.get(role="victim").person
    response = client_as(lead_a).post(
        reverse("web:removal_report_new", args=[case_a.pk]),
        {
            "victim": victim.pk,
            "route": "stopncii",  # adults only: not even offered
            "reported_on": timezone.localdate().isoformat(),
            "status": "reported",
        },
    )
    assert response.status_code == 400
    assert not RemovalRouteReport.objects.filter(case=case_a).exists()
