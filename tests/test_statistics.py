"""School statistics (issue 3, "Heads see statistics, not case contents").

A small fixture in school A with known numbers; the small-number rule (1–2 → "<3");
who may see what (head/lead of their own school only, 404 for anyone else); no names or
references in the payload; a constant number of queries as data grows.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.exceptions import NotFound
from cases.models import AccessEvent, Case, Role
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, TakedownRequest
from reporting.statistics import SUPPRESSED, school_statistics, suppress
from tests.conftest import client_for, make_user

URL = "/api/v1/statistics/"


def _victim(case, lead, given, age_years):
    opened = case.opened_at.date()
    person = case_services.person_create(
        school=case.school,
        actor=lead,
        kind="pupil",
        given_name=given,
        family_name="Apellidoestadistica",
        date_of_birth=opened - timedelta(days=int(age_years * 365.25) + 40),
    )
    case_services.participant_add(case=case, person=person, role="victim", actor=lead)
    return person


def _case_with_referral(school, lead, unit, *, base, hours, n):
    concern, _code = case_services.concern_log(
        school=school,
        logged_by=lead,
        source="staff",
        summary=f"Resumen secreto {n}",
        logged_at=base,
    )
    case = case_services.case_open(
        school=school,
        actor=lead,
        title=f"Titulo secreto {n}",
        category="ai_generated",
        concern=concern,
        opened_at=base + timedelta(hours=1),
    )
    referral = reporting_services.referral_create(
        case=case,
        actor=lead,
        destination=unit,
        summary="Denuncia secreta",
        legal_basis="legal_obligation",
        shared_sections=["chronology"],
    )
    reporting_services.referral_send(
        referral=referral, actor=lead, sent_at=base + timedelta(hours=hours)
    )
    return case


@pytest.fixture
def head_b(school_b):
    return make_user("head.b", school_b, Role.HEAD)


@pytest.fixture
def world(school_a, lead_a, police_unit):
    """School A: three open AI-generated cases with victims aged 14 and referrals sent
    10, 20 and 30 hours after the concern; one closed sextortion case with a
    17-year-old victim; three evidence items on one platform and one with none; one
    takedown notice removed 5 hours after submission, one overdue."""
    base = timezone.now() - timedelta(days=10)
    cases = [
        _case_with_referral(school_a, lead_a, police_unit, base=base, hours=h, n=i)
        for i, h in enumerate((10, 20, 30))
    ]
    for i, case in enumerate(cases):
        _victim(case, lead_a, f"Nombreoculto{i}", 14)
    closed = case_services.case_open(
        school=school_a, actor=lead_a, title="Titulo secreto cerrado", category="sextortion"
    )
    _victim(closed, lead_a, "Nombreocultomayor", 17)
    case_services.case_close(case=closed, actor=lead_a, reason="Resuelto")

    platform = Platform.objects.get(slug="whatsapp")
    items = [
        case_services.evidence_record(
            case=cases[0],
            actor=lead_a,
            kind="image",
            platform=platform,
            location=f"https://example.org/secreto/{i}",
            first_seen_at=base,
        )
        for i in range(3)
    ]
    case_services.evidence_record(
        case=cases[1],
        actor=lead_a,
        kind="message",
        location="https://example.org/secreto/m",
        first_seen_at=base,
    )
    basis = LegalBasis.objects.get(code="eu-dsa-art16")
    removed = reporting_services.takedown_create(
        case=cases[0], actor=lead_a, platform=platform, legal_basis=basis, evidence_items=items
    )
    removed = reporting_services.takedown_submit(
        notice=removed, actor=lead_a, submitted_at=timezone.now() - timedelta(hours=5)
    )
    reporting_services.takedown_record_outcome(notice=removed, actor=lead_a, status="removed")
    late = reporting_services.takedown_create(
        case=cases[0], actor=lead_a, platform=platform, legal_basis=basis, evidence_items=items
    )
    reporting_services.takedown_submit(
        notice=late,
        actor=lead_a,
        submitted_at=timezone.now() - timedelta(hours=basis.deadline_hours + 5),
    )
    reporting_services.takedowns_mark_overdue()
    return {"cases": cases, "closed": closed, "platform": platform}


def _by(rows, key):
    return {row[key]: row for row in rows}


# --- The numbers --------------------------------------------------------------------


def test_suppress_rule():
    assert [suppress(n) for n in (0, 1, 2, 3, 10)] == [0, SUPPRESSED, SUPPRESSED, 3, 10]


def test_numbers_on_a_small_fixture(world, head_a, school_a):
    stats = school_statistics(user=head_a)
    assert stats["schools"] == [{"id": school_a.pk, "name": school_a.name}]

    categories = _by(stats["cases_by_category"], "category")
    assert categories["ai_generated"]["open"] == 3
    assert categories["ai_generated"]["closed"] == 0
    assert categories["sextortion"]["open"] == 0
    assert categories["sextortion"]["closed"] == SUPPRESSED
    assert categories["non_consensual_sharing"] == {
        "category": "non_consensual_sharing",
        "label": categories["non_consensual_sharing"]["label"],
        "open": 0,
        "closed": 0,
    }

    bands = {row["band"]: row["count"] for row in stats["victims_by_age_band"]}
    assert bands == {
        "under_11": 0,
        "11-12": 0,
        "13-14": 3,
        "15-16": 0,
        "17+": SUPPRESSED,
        "unknown": 0,
    }

    platforms = _by(stats["evidence_by_platform"], "platform")
    assert platforms[world["platform"].slug]["count"] == 3
    assert platforms[None]["count"] == SUPPRESSED

    referral = stats["concern_to_referral"]
    assert referral == {"count": 3, "median_hours": 20.0, "p90_hours": 28.0}

    # One removal only: its count is suppressed and so are its median and p90.
    assert stats["takedown_to_removal"] == {
        "count": SUPPRESSED,
        "median_hours": None,
        "p90_hours": None,
    }
    assert stats["takedowns"] == {"overdue": SUPPRESSED, "escalated": 0}


def test_removal_times_shown_from_three_notices(world, lead_a):
    case = world["cases"][1]
    basis = LegalBasis.objects.get(code="eu-dsa-art16")
    item = case_services.evidence_record(
        case=case,
        actor=lead_a,
        kind="image",
        location="https://example.org/secreto/r",
        first_seen_at=timezone.now() - timedelta(days=1),
    )
    for hours in (2, 4):
        notice = reporting_services.takedown_create(
            case=case,
            actor=lead_a,
            platform=world["platform"],
            legal_basis=basis,
            evidence_items=[item],
        )
        notice = reporting_services.takedown_submit(
            notice=notice, actor=lead_a, submitted_at=timezone.now() - timedelta(hours=hours)
        )
        reporting_services.takedown_record_outcome(notice=notice, actor=lead_a, status="removed")
    removal = school_statistics(user=lead_a)["takedown_to_removal"]
    assert removal["count"] == 3
    assert removal["median_hours"] == pytest.approx(4.0, abs=0.1)
    assert removal["p90_hours"] == pytest.approx(4.8, abs=0.1)


def test_empty_school_is_all_zeros(head_a):
    stats = school_statistics(user=head_a)
    assert all(r["open"] == 0 and r["closed"] == 0 for r in stats["cases_by_category"])
    assert all(r["count"] == 0 for r in stats["victims_by_age_band"])
    assert stats["evidence_by_platform"] == []
    assert stats["concern_to_referral"] == {"count": 0, "median_hours": None, "p90_hours": None}
    assert stats["takedowns"] == {"overdue": 0, "escalated": 0}


# --- Who may see them ---------------------------------------------------------------


def test_head_and_lead_of_a_get_a(world, head_a, lead_a, school_a):
    for user in (head_a, lead_a):
        before = AccessEvent.objects.count()
        response = client_for(user).get(URL)
        assert response.status_code == 200, response.content
        assert response.json()["schools"] == [{"id": school_a.pk, "name": school_a.name}]
        response = client_for(user).get(URL, {"school": school_a.pk})
        assert response.status_code == 200
        # Aggregates, not case data: no read-audit row.
        assert AccessEvent.objects.count() == before


def test_head_of_b_cannot_get_a(world, head_b, lead_b, school_a, school_b):
    for user in (head_b, lead_b):
        assert client_for(user).get(URL, {"school": school_a.pk}).status_code == 404
        own = client_for(user).get(URL)
        assert own.status_code == 200
        body = own.json()
        assert body["schools"] == [{"id": school_b.pk, "name": school_b.name}]
        assert all(r["open"] == 0 for r in body["cases_by_category"])
    with pytest.raises(NotFound):
        school_statistics(user=head_b, school_id=school_a.pk)


def test_authority_admin_sees_the_schools_it_oversees_only(world, school_a, school_b):
    """DESIGN "Users": an authority admin has statistics and oversight, no case contents.
    The role is held per school (``cases.permissions.POLICY``)."""
    admin = make_user("authority.a", school_a, Role.AUTHORITY_ADMIN)
    client = client_for(admin)
    response = client.get(URL)
    assert response.status_code == 200, response.content
    assert response.json()["schools"] == [{"id": school_a.pk, "name": school_a.name}]
    assert client.get(URL, {"school": school_b.pk}).status_code == 404
    # No case contents: the case list is empty and a case of its school is "not found".
    assert client.get("/api/v1/cases/").json()["results"] == []
    a_case = Case.objects.filter(school=school_a).first()
    assert client.get(f"/api/v1/cases/{a_case.pk}/").status_code == 404


def test_staff_and_police_get_404(world, staff_a, police, school_a):
    for user in (staff_a, police):
        assert client_for(user).get(URL).status_code == 404
        assert client_for(user).get(URL, {"school": school_a.pk}).status_code == 404
        with pytest.raises(NotFound):
            school_statistics(user=user)


def test_anonymous_must_sign_in(api):
    assert api.get(URL).status_code in (401, 403)


def test_bad_school_parameter_is_400_or_404(head_a):
    client = client_for(head_a)
    assert client.get(URL, {"school": "abc"}).status_code == 400
    assert client.get(URL, {"school": 999999}).status_code == 404


def test_no_names_or_references_in_the_payload(world, head_a):
    body = json.dumps(client_for(head_a).get(URL).json())
    for case in [*world["cases"], world["closed"]]:
        assert case.reference not in body
        assert case.title not in body
    for word in ("Nombreoculto", "Apellidoestadistica", "secreto", "Resumen", "Denuncia"):
        assert word not in body


# --- Web page -----------------------------------------------------------------------


def test_web_page_for_head_and_404_for_others(world, head_a, staff_a, police):
    web = Client()
    web.force_login(head_a)
    dashboard = web.get(reverse("web:dashboard"))
    assert reverse("web:statistics") in dashboard.content.decode()
    page = web.get(reverse("web:statistics"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;3" in html
    assert world["cases"][0].reference not in html
    assert "Nombreoculto" not in html
    for user in (staff_a, police):
        other = Client()
        other.force_login(user)
        assert other.get(reverse("web:statistics")).status_code == 404
    assert Client().get(reverse("web:statistics")).status_code == 302


def test_dashboard_links_statistics_for_leads(lead_a):
    web = Client()
    web.force_login(lead_a)
    assert reverse("web:statistics") in web.get(reverse("web:dashboard")).content.decode()


# --- Constant number of queries -----------------------------------------------------


def _queries(user) -> int:
    user = type(user).objects.get(pk=user.pk)  # fresh: no cached memberships
    with CaptureQueriesContext(connection) as ctx:
        school_statistics(user=user)
    return len(ctx.captured_queries)


def test_query_count_constant_when_data_grows(world, head_a, lead_a, school_a, police_unit):
    small = _queries(head_a)
    base = timezone.now() - timedelta(days=5)
    for i in range(5):
        case = _case_with_referral(school_a, lead_a, police_unit, base=base, hours=3 + i, n=10 + i)
        _victim(case, lead_a, f"Otro{i}", 12 + i)
        case_services.evidence_record(
            case=case,
            actor=lead_a,
            kind="url",
            location=f"https://example.org/secreto/g{i}",
            platform=world["platform"],
            first_seen_at=base,
        )
    assert TakedownRequest.objects.exists()
    assert _queries(head_a) == small
    assert small <= 8
