""" "Overdue takedown notices" means one thing on both dashboards (API and web): notices
whose deadline has passed and that the platform has not resolved
(``reporting.selectors.overdue_takedowns_for_user``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, TakedownRequest
from reporting.selectors import overdue_takedowns_for_user
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TS = TakedownRequest.Status


def notice(case, lead, *, submitted_hours_ago: float | None) -> TakedownRequest:
    """A notice under the US TAKE IT DOWN Act (48 h clock), submitted that long ago."""
    item = case_services.evidence_record(
        case=case,
        actor=lead,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=5),
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/invite/abc",
    )
    created = reporting_services.takedown_create(
        case=case,
        actor=lead,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="us-take-it-down"),
        evidence_items=[item],
    )
    if submitted_hours_ago is not None:
        reporting_services.takedown_submit(
            notice=created,
            actor=lead,
            submitted_at=timezone.now() - timedelta(hours=submitted_hours_ago),
        )
    return created


@pytest.fixture
def notices(case_a, lead_a):
    """One notice of each kind; the first three are overdue."""
    late_unswept = notice(case_a, lead_a, submitted_hours_ago=50)
    swept = notice(case_a, lead_a, submitted_hours_ago=60)
    escalated = notice(case_a, lead_a, submitted_hours_ago=70)
    reporting_services.takedowns_mark_overdue()  # marks ``swept`` and ``escalated``
    late_unswept.refresh_from_db()
    late_unswept.status = TS.SUBMITTED  # as if the beat had not run yet for this one
    late_unswept.save(update_fields=["status"])
    escalated.refresh_from_db()
    aepd = LegalBasis.objects.get(code="eu-dsa-art16").escalation_to
    reporting_services.takedown_escalate(notice=escalated, actor=lead_a, escalated_to=aepd)
    on_time = notice(case_a, lead_a, submitted_hours_ago=1)
    removed = notice(case_a, lead_a, submitted_hours_ago=80)
    removed.refresh_from_db()
    reporting_services.takedown_record_outcome(notice=removed, actor=lead_a, status=TS.REMOVED)
    draft = notice(case_a, lead_a, submitted_hours_ago=None)
    return {
        "overdue": [late_unswept, swept, escalated],
        "not_overdue": [on_time, removed, draft],
    }


def test_the_selector_counts_unresolved_notices_past_their_deadline(notices, lead_a):
    overdue = list(overdue_takedowns_for_user(user=lead_a))
    assert {n.pk for n in overdue} == {n.pk for n in notices["overdue"]}
    assert {n.status for n in overdue} == {TS.SUBMITTED, TS.OVERDUE, TS.ESCALATED}
    assert [n.deadline_at for n in overdue] == sorted(n.deadline_at for n in overdue)


def test_only_the_schools_leads_count_them(notices, police, lead_b, staff_a, referral_a):
    for user in (police, lead_b, staff_a):
        assert not overdue_takedowns_for_user(user=user).exists()


def test_the_api_dashboard_counts_the_same_notices(notices, lead_a, police, referral_a):
    assert client_for(lead_a).get("/api/v1/dashboard/").json()["overdue_takedowns"] == 3
    assert client_for(police).get("/api/v1/dashboard/").json()["overdue_takedowns"] == 0


def test_the_web_dashboard_lists_the_same_notices(notices, lead_a):
    client = Client()
    client.force_login(lead_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 200
    shown = response.context["overdue_takedowns"]
    assert {n.pk for n in shown} == {n.pk for n in notices["overdue"]}
    assert all(n.overdue_by > timedelta(0) for n in shown)
    assert "Escalated" in response.content.decode()
