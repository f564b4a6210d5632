"""A police (or prosecutor's) liaison reads a referred case only through the sections
the live referral to their unit shares (``Referral.shared_sections``), everywhere: the
takedown notices (evidence), the chronology (each event by its section), the clusters
(evidence hashes); over the API and on the web pages.

Set-up: case A of school A, with a victim, an evidence item (SHA-256 and PDQ), a
takedown notice, a support plan with a measure and an internal action. Two live
referrals: to ``police_unit`` sharing chronology and evidence (``referral_a``), and to
``other_unit`` sharing only the chronology.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, CaseEvent
from cases.permissions import CHRONOLOGY_SECTIONS, event_section
from cases.selectors import case_events_for_user
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, Referral
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SHA = "5" * 64
PDQ = "f0" * 32
# Verbs a chronology-only liaison must never be shown.
EVIDENCE_VERBS = {"evidence.recorded", "takedown.created"}
PARTICIPANT_VERBS = {"participant.added"}
SUPPORT_VERBS = {"support_plan.created", "support_measure.added"}
INTERNAL_VERBS = {"action.created"}


def record_evidence(case: Case, actor):
    return case_services.evidence_record(
        case=case,
        actor=actor,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=1),
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/invite/abc",
        sha256=SHA,
        pdq=PDQ,
        pdq_quality=90,
    )


def refer(case: Case, actor, destination, sections: list[str]) -> Referral:
    referral = reporting_services.referral_create(
        case=case,
        actor=actor,
        destination=destination,
        summary="Derivación",
        legal_basis="legal_obligation",
        shared_sections=sections,
    )
    return reporting_services.referral_send(referral=referral, actor=actor)


@pytest.fixture
def filled_case(case_a, lead_a, referral_a, other_unit, other_police):
    """Case A with something in every section, referred to both units."""
    item = record_evidence(case_a, lead_a)
    notice = reporting_services.takedown_create(
        case=case_a,
        actor=lead_a,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        evidence_items=[item],
        notes="Nota interna de la retirada",
    )
    victim = case_a.participants.get(role="victim").person
    plan = case_services.support_plan_create(case=case_a, victim=victim, owner=lead_a, actor=lead_a)
    case_services.support_measure_add(plan=plan, actor=lead_a, kind="counselling")
    case_services.action_create(
        case=case_a,
        actor=lead_a,
        title="Llamar a la familia",
        owner=lead_a,
        due_at=timezone.now() + timedelta(days=2),
    )
    chronology_only = refer(case_a, lead_a, other_unit, ["chronology"])
    return {"notice": notice, "item": item, "chronology_only": chronology_only}


def verbs(events: list[dict]) -> set[str]:
    return {e["verb"] for e in events}


# --- The map ----------------------------------------------------------------------


def test_every_verb_the_services_write_has_a_section_and_unknown_ones_are_internal():
    assert event_section("evidence.recorded") == "evidence"
    assert event_section("takedown.escalated") == "evidence"
    assert event_section("participant.added") == "participants"
    assert event_section("person.created") == "participants"
    assert event_section("support_measure.added") == "support"
    assert event_section("check_in.recorded") == "support"
    assert event_section("guardian.contacted") == "support"
    assert event_section("case.opened") == "chronology"
    assert event_section("concern.linked") == "chronology"
    assert event_section("referral.sent") == "chronology"
    assert event_section("action.created") == "internal"
    assert event_section("something.new") == "internal"
    assert set(CHRONOLOGY_SECTIONS.values()) == {
        "chronology",
        "participants",
        "evidence",
        "support",
    }


def test_the_school_sees_every_event(filled_case, case_a, lead_a):
    shown = set(case_events_for_user(user=lead_a, case=case_a).values_list("verb", flat=True))
    assert shown == set(CaseEvent.objects.filter(case=case_a).values_list("verb", flat=True))
    assert shown >= INTERNAL_VERBS


# --- Takedown notices (API) ---------------------------------------------------------


def test_a_chronology_only_liaison_sees_no_takedown_notice(filled_case, other_police):
    client = client_for(other_police)
    notice = filled_case["notice"]

    listed = client.get("/api/v1/takedowns/")
    detail = client.get(f"/api/v1/takedowns/{notice.pk}/")

    assert listed.status_code == 200 and listed.json()["results"] == []
    assert detail.status_code == 404
    assert "Nota interna" not in detail.content.decode()


def test_an_evidence_sharing_liaison_reads_the_takedown_notices(filled_case, police):
    client = client_for(police)
    notice = filled_case["notice"]

    listed = client.get("/api/v1/takedowns/").json()["results"]
    detail = client.get(f"/api/v1/takedowns/{notice.pk}/")

    assert [n["id"] for n in listed] == [notice.pk]
    assert detail.status_code == 200
    assert detail.json()["evidence_items"] == [filled_case["item"].pk]


def test_takedowns_go_away_when_the_evidence_referral_ends(filled_case, police, lead_a):
    referral = Referral.objects.get(destination__code="POL1")
    reporting_services.referral_withdraw(referral=referral, actor=lead_a, reason="Error")
    client = client_for(police)
    assert client.get("/api/v1/takedowns/").json()["results"] == []
    assert client.get(f"/api/v1/takedowns/{filled_case['notice'].pk}/").status_code == 404


# --- Chronology (API) ---------------------------------------------------------------


def test_a_chronology_only_liaison_sees_only_chronology_events(
    filled_case, case_a, other_police, referral_a
):
    client = client_for(other_police)
    events = client.get(f"/api/v1/cases/{case_a.pk}/events/?page_size=200")
    detail = client.get(f"/api/v1/cases/{case_a.pk}/")

    assert events.status_code == 200 and detail.status_code == 200
    listed = events.json()["results"]
    body = detail.json()
    for shown in (listed, body["events"]):
        assert {"case.opened", "referral.created", "referral.sent"} <= verbs(shown)
        assert not verbs(shown) & (
            EVIDENCE_VERBS | PARTICIPANT_VERBS | SUPPORT_VERBS | INTERNAL_VERBS
        )
        # Referral events: only about the referral to their own unit.
        referral_ids = {e["object_id"] for e in shown if e["verb"].startswith("referral.")}
        assert referral_ids == {filled_case["chronology_only"].pk}
    for response in (events, detail):
        text = response.content.decode()
        assert SHA not in text and PDQ not in text
        assert "counselling" not in text
        assert "Comisaría Uno" not in text  # the other unit's referral
    assert body["visible_sections"] == ["chronology"]
    assert body["evidence"] == [] and body["takedowns"] == []


def test_an_evidence_sharing_liaison_sees_evidence_events_but_not_the_rest(
    filled_case, case_a, police, referral_a
):
    client = client_for(police)
    listed = client.get(f"/api/v1/cases/{case_a.pk}/events/?page_size=200").json()["results"]
    detail = client.get(f"/api/v1/cases/{case_a.pk}/").json()

    for shown in (listed, detail["events"]):
        assert verbs(shown) >= EVIDENCE_VERBS
        assert "case.opened" in verbs(shown)
        assert not verbs(shown) & (PARTICIPANT_VERBS | SUPPORT_VERBS | INTERNAL_VERBS)
        referral_ids = {e["object_id"] for e in shown if e["verb"].startswith("referral.")}
        assert referral_ids == {referral_a.pk}
    assert len(detail["takedowns"]) == 1


def test_a_liaison_without_the_chronology_gets_no_events(case_a, lead_a, police_unit, police):
    refer(case_a, lead_a, police_unit, ["evidence"])
    client = client_for(police)
    assert client.get(f"/api/v1/cases/{case_a.pk}/events/").status_code == 404
    assert client.get(f"/api/v1/cases/{case_a.pk}/").json()["events"] == []


def test_the_case_detail_keeps_a_constant_number_of_queries(filled_case, case_a, police):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(police)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/v1/cases/{case_a.pk}/")
    for _ in range(3):
        record_evidence(case_a, case_a.lead)
    with CaptureQueriesContext(connection) as more:
        client.get(f"/api/v1/cases/{case_a.pk}/")
    assert len(more) == len(few)


# --- Clusters (API) -----------------------------------------------------------------


@pytest.fixture
def twin_case(school_a, lead_a, filled_case) -> Case:
    """A second case of school A with the same image as case A."""
    case = case_services.case_open(
        school=school_a, actor=lead_a, title="Misma imagen", category="ai_generated"
    )
    record_evidence(case, lead_a)
    return case


def test_a_chronology_only_liaison_gets_no_cluster(twin_case, lead_a, other_unit, other_police):
    refer(twin_case, lead_a, other_unit, ["chronology"])
    # Both cases are visible to the other unit, through chronology-only referrals.
    client = client_for(other_police)
    assert len(client.get("/api/v1/cases/").json()["results"]) == 2

    clusters = client.get("/api/v1/clusters/")

    assert clusters.status_code == 200 and clusters.json() == []


def test_an_evidence_sharing_liaison_gets_the_cluster(
    twin_case, case_a, lead_a, police_unit, police
):
    refer(twin_case, lead_a, police_unit, ["evidence"])

    clusters = client_for(police).get("/api/v1/clusters/").json()

    assert [sorted(c["id"] for c in cl["cases"]) for cl in clusters] == [
        sorted([case_a.pk, twin_case.pk])
    ]
    assert clusters[0]["match"] == "sha256"


def test_one_evidence_referral_is_not_enough_to_link_a_chronology_only_case(
    twin_case, case_a, lead_a, police_unit, police
):
    # Case A shares evidence with the police unit; the twin only its chronology.
    refer(twin_case, lead_a, police_unit, ["chronology"])
    assert client_for(police).get("/api/v1/clusters/").json() == []


# --- Web ----------------------------------------------------------------------------


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def chronology_html(page: str) -> str:
    match = re.search(r'<section class="card" id="chronology".*?</section>', page, re.S)
    assert match, "no chronology section"
    return match.group(0)


def test_the_web_case_page_cuts_the_chronology_for_a_chronology_only_liaison(
    filled_case, case_a, other_police
):
    response = web_client(other_police).get(reverse("web:case_detail", args=[case_a.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    chronology = chronology_html(page)
    assert "Case opened" in chronology and "Referral sent" in chronology
    for label in (
        "Evidence recorded",
        "Takedown notice drafted",
        "Person added",
        "Support plan created",
        "Support measure added",
        "Action created",
    ):
        assert label not in chronology, label
    assert "Comisaría Uno" not in page  # the other unit's referral
    assert SHA not in page and PDQ not in page
    assert 'id="takedowns"' not in page


def test_the_web_case_page_shows_evidence_events_to_an_evidence_sharing_liaison(
    filled_case, case_a, police
):
    page = web_client(police).get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    chronology = chronology_html(page)
    assert "Evidence recorded" in chronology and "Takedown notice drafted" in chronology
    assert "Support plan created" not in chronology and "Person added" not in chronology
    assert "Action created" not in chronology
    assert "Comisaría Dos" not in page  # the other unit's referral
    assert 'id="takedowns"' in page


def test_the_web_case_page_shows_the_school_everything(filled_case, case_a, lead_a):
    page = web_client(lead_a).get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    chronology = chronology_html(page)
    for label in ("Evidence recorded", "Support measure added", "Action created"):
        assert label in chronology


def test_the_web_clusters_page_follows_the_shared_sections(
    twin_case, case_a, lead_a, other_unit, other_police, police_unit, police
):
    refer(twin_case, lead_a, other_unit, ["chronology"])
    refer(twin_case, lead_a, police_unit, ["evidence"])

    hidden = web_client(other_police).get(reverse("web:clusters")).content.decode()
    shown = web_client(police).get(reverse("web:clusters")).content.decode()

    assert case_a.reference not in hidden and twin_case.reference not in hidden
    assert case_a.reference in shown and twin_case.reference in shown
