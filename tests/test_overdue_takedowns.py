""" "Overdue takedown notices" means one thing on both dashboards (API and web): notices
whose deadline has passed and that the platform has not resolved
(``reporting.selectors.overdue_takedowns_for_user``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
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
    assert {row.notice.pk for row in shown} == {n.pk for n in notices["overdue"]}
    assert all(row.overdue_by > timedelta(0) for row in shown)
    assert "Escalated" in response.content.decode()


# --- The deadline boundary, to the microsecond (DESIGN rule 5) ---------------------------
# A notice is overdue only *after* its deadline: at ``deadline_at`` itself the platform
# is still on time, one microsecond later it is not (PostgreSQL keeps microseconds).

SUBMITTED_AT = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)
DEADLINE = SUBMITTED_AT + timedelta(hours=48)  # US TAKE IT DOWN Act, 47 U.S.C. §223a
AFTER = DEADLINE + timedelta(microseconds=1)


@pytest.fixture
def on_the_clock(case_a, lead_a):
    """A notice submitted at ``SUBMITTED_AT`` (deadline ``DEADLINE``), with the clock
    frozen an hour after submission; shift it with ``clock.move_to``."""
    with time_machine.travel(SUBMITTED_AT + timedelta(hours=1), tick=False) as clock:
        created = notice(case_a, lead_a, submitted_hours_ago=None)
        reporting_services.takedown_submit(notice=created, actor=lead_a, submitted_at=SUBMITTED_AT)
        created.refresh_from_db()
        assert created.deadline_at == DEADLINE
        yield created, clock


def test_the_sweep_leaves_a_notice_alone_at_its_deadline(on_the_clock):
    created, _clock = on_the_clock
    assert reporting_services.takedowns_mark_overdue(now=DEADLINE) == []
    created.refresh_from_db()
    assert created.status == TS.SUBMITTED


def test_the_sweep_marks_a_notice_one_microsecond_after_its_deadline(on_the_clock):
    created, _clock = on_the_clock
    assert reporting_services.takedowns_mark_overdue(now=AFTER) == [created.pk]
    created.refresh_from_db()
    assert created.status == TS.OVERDUE


def test_an_acknowledged_notice_has_the_same_boundary(on_the_clock, lead_a):
    created, _clock = on_the_clock
    reporting_services.takedown_record_outcome(notice=created, actor=lead_a, status="acknowledged")
    assert reporting_services.takedowns_mark_overdue(now=DEADLINE) == []
    assert reporting_services.takedowns_mark_overdue(now=AFTER) == [created.pk]


def test_the_beat_job_uses_the_clock_to_the_microsecond(on_the_clock):
    from reporting.tasks import deadline_sweep

    created, clock = on_the_clock
    clock.move_to(DEADLINE)
    assert deadline_sweep()["overdue"] == []
    clock.move_to(AFTER)
    assert deadline_sweep()["overdue"] == [created.pk]


@pytest.mark.parametrize("status", [TS.SUBMITTED, TS.ACKNOWLEDGED])
def test_the_dashboard_selector_counts_a_notice_only_after_its_deadline(
    status, on_the_clock, lead_a
):
    created, _clock = on_the_clock
    if status == TS.ACKNOWLEDGED:
        reporting_services.takedown_record_outcome(notice=created, actor=lead_a, status=status)
    assert not overdue_takedowns_for_user(user=lead_a, now=DEADLINE).exists()
    assert list(overdue_takedowns_for_user(user=lead_a, now=AFTER)) == [created]


def test_an_escalated_notice_counts_only_after_its_deadline(on_the_clock, lead_a):
    created, _clock = on_the_clock
    reporting_services.takedown_record_outcome(notice=created, actor=lead_a, status="refused")
    aepd = LegalBasis.objects.get(code="eu-dsa-art16").escalation_to
    reporting_services.takedown_escalate(notice=created, actor=lead_a, escalated_to=aepd)
    assert not overdue_takedowns_for_user(user=lead_a, now=DEADLINE).exists()
    assert list(overdue_takedowns_for_user(user=lead_a, now=AFTER)) == [created]


def test_both_dashboards_count_it_only_after_its_deadline(on_the_clock, lead_a):
    _created, clock = on_the_clock
    counts = []
    for instant in (DEADLINE, AFTER):
        clock.move_to(instant)
        web = Client()
        web.force_login(lead_a)  # signed in now: a session 47 hours old has ended
        api_count = client_for(lead_a).get("/api/v1/dashboard/").json()["overdue_takedowns"]
        web_count = len(web.get(reverse("web:dashboard")).context["overdue_takedowns"])
        counts.append((api_count, web_count))
    assert counts == [(0, 0), (1, 1)]


def test_the_clock_shows_the_time_left_to_the_microsecond(on_the_clock, lead_a):
    created, clock = on_the_clock
    assert created.time_left() == timedelta(hours=47)
    clock.move_to(AFTER)
    assert created.time_left() == timedelta(microseconds=-1)
    reporting_services.takedown_record_outcome(notice=created, actor=lead_a, status="removed")
    assert created.time_left() is None  # resolved: the clock has stopped


def test_a_draft_has_no_clock(case_a, lead_a):
    assert notice(case_a, lead_a, submitted_hours_ago=None).time_left() is None
