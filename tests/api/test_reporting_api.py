"""Referrals, takedown notices, the directory and clusters over HTTP, with the personas
of tests/conftest.py: lead of school A, lead of school B, the police liaison of the unit
receiving A's referral, another unit's liaison, staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services as case_services
from cases.models import AccessEvent, Case, CaseEvent, Organisation
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, Referral, TakedownRequest
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

REFERRALS = "/api/v1/referrals/"
TAKEDOWNS = "/api/v1/takedowns/"
CLUSTERS = "/api/v1/clusters/"


def referral_url(pk: int, action: str = "") -> str:
    return f"{REFERRALS}{pk}/" + (f"{action}/" if action else "")


def takedown_url(pk: int, action: str = "") -> str:
    return f"{TAKEDOWNS}{pk}/" + (f"{action}/" if action else "")


def draft_payload(case: Case, destination: Organisation, **extra) -> dict:
    return {
        "case": case.pk,
        "destination": destination.pk,
        "summary": "Imágenes generadas con IA difundidas por WhatsApp.",
        "legal_basis": "legal_obligation",
        "shared_sections": ["chronology", "evidence"],
        **extra,
    }


def evidence(case: Case, actor, **hashes):
    return case_services.evidence_record(
        case=case,
        actor=actor,
        kind="image",
        first_seen_at=timezone.now() - timedelta(hours=2),
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/invite-example",
        **hashes,
    )


def other_case(school, lead, title="Segundo caso") -> Case:
    return case_services.case_open(
        school=school, actor=lead, title=title, category="non_consensual_sharing"
    )


# --- Directory ----------------------------------------------------------------------


def test_organisations_list_destinations_and_own_school_never_other_schools(
    lead_a, school_a, school_b, police_unit
):
    response = client_for(lead_a).get("/api/v1/organisations/")

    assert response.status_code == 200
    names = {o["name"] for o in response.json()["results"]}
    assert {school_a.name, police_unit.name, "AEPD Canal Prioritario"} <= names
    assert school_b.name not in names


def test_organisations_filter_by_kind_and_refuse_unknown_kinds(lead_a, police_unit):
    client = client_for(lead_a)

    police = client.get("/api/v1/organisations/", {"kind": "police_unit"}).json()["results"]
    # The directory's national units (Spain's, the UK's CEOP) and the deployment's own.
    assert {o["kind"] for o in police} == {"police_unit"}
    assert {police_unit.name, "CEOP (National Crime Agency)"} <= {o["name"] for o in police}
    assert client.get("/api/v1/organisations/", {"kind": "bakery"}).status_code == 400


def test_organisations_serving_my_school_are_those_whose_jurisdiction_covers_it(
    lead_a, school_a, school_b, police_unit
):
    # School A is in Badajoz (ES-BA): its local unit and Spain's national ones, not CEOP.
    serving = client_for(lead_a).get(
        "/api/v1/organisations/", {"kind": "police_unit", "serves_my_school": "true"}
    )

    assert serving.status_code == 200
    assert [o["name"] for o in serving.json()["results"]] == [
        police_unit.name,
        "Guardia Civil — EMUME",
        "Policía Nacional — Unidad Central de Ciberdelincuencia",
    ]
    every = client_for(lead_a).get("/api/v1/organisations/", {"serves_my_school": "true"})
    names = {o["name"] for o in every.json()["results"]}
    assert {school_a.name, "Junta de Extremadura — Servicio de Protección de Menores"} <= names
    assert names.isdisjoint({school_b.name, "CEOP (National Crime Agency)", "Ofcom"})
    refused = client_for(lead_a).get("/api/v1/organisations/", {"serves_my_school": "maybe"})
    assert refused.status_code == 400


def test_platforms_and_legal_bases_come_from_the_directory(lead_a):
    client = client_for(lead_a)

    platforms = {p["slug"]: p for p in client.get("/api/v1/platforms/").json()}
    bases = {b["code"]: b for b in client.get("/api/v1/legal-bases/").json()}

    assert {"whatsapp", "telegram", "instagram", "tiktok", "snapchat", "x", "discord"} <= set(
        platforms
    )
    assert "group_invite_link" in platforms["whatsapp"]["required_identifiers"]
    assert bases["us-take-it-down"]["deadline_hours"] == 48
    assert bases["us-take-it-down"]["statutory"] is True
    assert bases["eu-dsa-art16"]["statutory"] is False


# --- Referrals: lifecycle and visibility --------------------------------------------


def test_referral_lifecycle_draft_sent_acknowledged_closed(case_a, lead_a, police_unit, police):
    school, unit = client_for(lead_a), client_for(police)

    created = school.post(REFERRALS, draft_payload(case_a, police_unit))
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert created.json()["case"] == {"id": case_a.pk, "reference": case_a.reference}
    # A draft is the school's own business: the unit does not know it exists.
    assert unit.get(referral_url(pk)).status_code == 404

    sent = school.post(referral_url(pk, "send"))
    assert sent.status_code == 200
    assert sent.json()["status"] == "sent"
    inbox = unit.get(REFERRALS).json()["results"]
    assert [r["id"] for r in inbox] == [pk]
    assert inbox[0]["case"]["reference"] == case_a.reference
    assert inbox[0]["shared_sections"] == ["chronology", "evidence"]

    acknowledged = unit.post(referral_url(pk, "acknowledge"), {"external_reference": "AT-2023/77"})
    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["external_reference"] == "AT-2023/77"

    closed = unit.post(referral_url(pk, "close"), {"outcome": "Diligencias remitidas a Fiscalía."})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"

    # Still in the inbox, but without the case once it is no longer live.
    after = unit.get(referral_url(pk)).json()
    assert after["status"] == "closed"
    assert after["case_data_visible"] is False
    assert after["case"] is None
    assert after["shared_sections"] is None
    assert after["summary"] is None
    assert not Case.objects.visible_to(police).exists()
    # The school still sees everything.
    assert school.get(referral_url(pk)).json()["case"]["id"] == case_a.pk
    verbs = list(CaseEvent.objects.filter(case=case_a).values_list("verb", flat=True))
    assert [v for v in verbs if v.startswith("referral.")] == [
        "referral.created",
        "referral.sent",
        "referral.acknowledged",
        "referral.closed",
    ]


def test_police_of_another_unit_get_404_everywhere(referral_a, other_police):
    client = client_for(other_police)

    assert client.get(REFERRALS).json()["results"] == []
    assert client.get(referral_url(referral_a.pk)).status_code == 404
    response = client.post(referral_url(referral_a.pk, "acknowledge"), {"external_reference": "X"})
    assert response.status_code == 404
    assert client.post(referral_url(referral_a.pk, "close"), {"outcome": "x"}).status_code == 404
    referral_a.refresh_from_db()
    assert referral_a.status == "sent"


def test_another_schools_lead_and_staff_get_404(referral_a, lead_b, staff_a):
    for user in (lead_b, staff_a):
        client = client_for(user)
        assert client.get(REFERRALS).json()["results"] == []
        assert client.get(referral_url(referral_a.pk)).status_code == 404
        response = client.post(referral_url(referral_a.pk, "withdraw"), {"reason": "x"})
        assert response.status_code == 404


def test_withdrawn_referral_ends_police_access_to_the_case(referral_a, case_a, lead_a, police):
    unit = client_for(police)
    assert unit.get(referral_url(referral_a.pk)).json()["case"]["id"] == case_a.pk
    assert unit.get(f"/api/v1/cases/{case_a.pk}/").status_code == 200

    response = client_for(lead_a).post(
        referral_url(referral_a.pk, "withdraw"), {"reason": "Enviada a la unidad equivocada."}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    detail = unit.get(referral_url(referral_a.pk)).json()
    assert detail["case"] is None
    assert detail["outcome"] is None  # the school's reason stays with the school
    assert not Case.objects.visible_to(police).exists()
    assert unit.get(f"/api/v1/cases/{case_a.pk}/").status_code == 404


def test_acknowledge_without_external_reference_is_400_and_changes_nothing(referral_a, police):
    client = client_for(police)

    for payload in ({}, {"external_reference": ""}, {"external_reference": "   "}):
        response = client.post(referral_url(referral_a.pk, "acknowledge"), payload)
        assert response.status_code == 400
        assert "external_reference" in response.json()
    referral_a.refresh_from_db()
    assert referral_a.status == "sent"


def test_sending_twice_is_a_409(case_a, lead_a, police_unit):
    client = client_for(lead_a)
    pk = client.post(REFERRALS, draft_payload(case_a, police_unit)).json()["id"]
    assert client.post(referral_url(pk, "send")).status_code == 200

    again = client.post(referral_url(pk, "send"))

    assert again.status_code == 409
    assert again.json()["current_status"] == "sent"
    assert CaseEvent.objects.filter(verb="referral.sent", object_id=pk).count() == 1


def test_only_the_destination_acknowledges_and_only_the_school_sends(referral_a, lead_a, police):
    assert (
        client_for(lead_a)
        .post(referral_url(referral_a.pk, "acknowledge"), {"external_reference": "X"})
        .status_code
        == 403
    )
    assert client_for(police).post(referral_url(referral_a.pk, "send")).status_code == 403
    response = client_for(police).post(referral_url(referral_a.pk, "withdraw"), {"reason": "x"})
    assert response.status_code == 403
    referral_a.refresh_from_db()
    assert referral_a.status == "sent"


def test_reject_needs_a_reason_and_ends_access(referral_a, police):
    client = client_for(police)

    assert client.post(referral_url(referral_a.pk, "reject"), {}).status_code == 400
    response = client.post(referral_url(referral_a.pk, "reject"), {"reason": "No es competencia."})

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert not Case.objects.visible_to(police).exists()


def test_closing_a_sent_referral_is_a_409(referral_a, police):
    response = client_for(police).post(referral_url(referral_a.pk, "close"), {"outcome": "x"})

    assert response.status_code == 409


@pytest.mark.parametrize(
    "override, field",
    [
        ({"shared_sections": []}, "shared_sections"),
        ({"shared_sections": ["photos"]}, "shared_sections"),
        ({"legal_basis": "because"}, "legal_basis"),
        ({"summary": "x" * 10001}, "summary"),
        ({"case": "abc"}, "case"),
        ({"case": 999999}, "case"),
        ({"destination": 999999}, "destination"),
    ],
)
def test_bad_referral_input_is_400_and_writes_nothing(case_a, lead_a, police_unit, override, field):
    payload = {**draft_payload(case_a, police_unit), **override}

    response = client_for(lead_a).post(REFERRALS, payload)

    assert response.status_code == 400
    assert field in response.json()
    assert not Referral.objects.exists()


def test_foreign_ids_in_a_referral_are_does_not_exist(
    case_a, case_b, lead_a, school_b, police_unit
):
    client = client_for(lead_a)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    foreign_person = case_b.participants.get().person

    for payload, field in [
        (draft_payload(case_b, police_unit), "case"),
        (draft_payload(case_a, school_b), "destination"),
        (draft_payload(case_a, police_unit, complainant=foreign_person.pk), "complainant"),
    ]:
        response = client.post(REFERRALS, payload)
        assert response.status_code == 400
        assert "does not exist" in str(response.json()[field])
    assert not Referral.objects.exists()


def test_errors_come_in_the_request_language_spanish_by_default(case_b, lead_a, police_unit):
    client = client_for(lead_a)

    spanish = client.post(REFERRALS, draft_payload(case_b, police_unit)).json()["case"]
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    english = client.post(REFERRALS, draft_payload(case_b, police_unit)).json()["case"]

    assert "no existe" in spanish[0]
    assert "does not exist" in english[0]


def test_the_complainant_must_be_a_victim_in_the_case(case_a, lead_a, police_unit, school_a):
    bystander = case_services.person_create(
        school=school_a, actor=lead_a, kind="guardian", given_name="Ana", family_name="Madre"
    )

    response = client_for(lead_a).post(
        REFERRALS, draft_payload(case_a, police_unit, complainant=bystander.pk)
    )

    assert response.status_code == 400
    assert "complainant" in response.json()
    assert not Referral.objects.exists()


def test_police_cannot_draft_a_referral_of_a_case_they_can_read(referral_a, case_a, police):
    response = client_for(police).post(REFERRALS, draft_payload(case_a, referral_a.destination))

    assert response.status_code == 400
    assert Referral.objects.count() == 1


def test_referral_reads_are_audited(referral_a, case_a, police):
    client = client_for(police)

    listing = client.get(REFERRALS)
    client.get(referral_url(referral_a.pk))

    assert listing["Cache-Control"] == "no-store"
    events = list(AccessEvent.objects.filter(actor=police).order_by("id"))
    assert [(e.action, e.case_ids, e.channel) for e in events] == [
        ("referral.list", [case_a.pk], "api"),
        ("referral.detail", [case_a.pk], "api"),
    ]


def test_referral_list_uses_a_constant_number_of_queries(case_a, lead_a, police_unit, school_a):
    client = client_for(lead_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(REFERRALS).status_code == 200
        return len(ctx.captured_queries)

    reporting_services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="s",
        legal_basis="consent",
        shared_sections=["chronology"],
    )
    one = count()
    for n in range(3):
        case = other_case(school_a, lead_a, title=f"Caso {n}")
        reporting_services.referral_create(
            case=case,
            actor=lead_a,
            destination=police_unit,
            summary="s",
            legal_basis="consent",
            shared_sections=["chronology"],
        )
    assert count() == one


# --- Takedown notices ---------------------------------------------------------------


def takedown_payload(case: Case, items, **extra) -> dict:
    return {
        "case": case.pk,
        "platform": "whatsapp",
        "legal_basis": "eu-dsa-art16",
        "evidence_items": [item.pk for item in items],
        **extra,
    }


def test_takedown_create_and_submit_starts_a_48h_clock(case_a, lead_a):
    item = evidence(case_a, lead_a, sha256="a" * 64)
    client = client_for(lead_a)

    created = client.post(TAKEDOWNS, takedown_payload(case_a, [item]))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft"
    assert body["channel"] == "in_app"  # the platform's own channel by default
    assert body["evidence_items"] == [item.pk]
    assert body["deadline_at"] is None

    submitted_at = timezone.now() - timedelta(hours=1)
    response = client.post(
        takedown_url(body["id"], "submit"),
        {"submitted_at": submitted_at.isoformat(), "platform_ticket": "WA-1"},
    )

    assert response.status_code == 200
    notice = TakedownRequest.objects.get(pk=body["id"])
    assert notice.status == "submitted"
    assert notice.submitted_at == submitted_at
    assert notice.deadline_at == submitted_at + timedelta(hours=48)
    assert 46 * 3600 < response.json()["seconds_left"] <= 47 * 3600


def test_takedown_submit_in_the_future_is_400(case_a, lead_a):
    item = evidence(case_a, lead_a, sha256="a" * 64)
    client = client_for(lead_a)
    pk = client.post(TAKEDOWNS, takedown_payload(case_a, [item])).json()["id"]

    response = client.post(
        takedown_url(pk, "submit"),
        {"submitted_at": (timezone.now() + timedelta(days=1)).isoformat()},
    )

    assert response.status_code == 400
    assert TakedownRequest.objects.get(pk=pk).status == "draft"


def test_takedown_outcome_transitions(case_a, lead_a):
    item = evidence(case_a, lead_a, sha256="a" * 64)
    client = client_for(lead_a)
    pk = client.post(TAKEDOWNS, takedown_payload(case_a, [item])).json()["id"]

    # Not submitted yet: no outcome can be recorded.
    assert client.post(takedown_url(pk, "outcome"), {"status": "removed"}).status_code == 409
    client.post(takedown_url(pk, "submit"), {})
    assert client.post(takedown_url(pk, "outcome"), {"status": "overdue"}).status_code == 400
    acknowledged = client.post(takedown_url(pk, "outcome"), {"status": "acknowledged"})
    assert acknowledged.json()["status"] == "acknowledged"
    # A stale view of the status loses: 409, nothing changes.
    stale = client.post(
        takedown_url(pk, "outcome"), {"status": "removed", "expected_status": "submitted"}
    )
    assert stale.status_code == 409
    removed = client.post(
        takedown_url(pk, "outcome"),
        {"status": "removed", "expected_status": "acknowledged", "platform_ticket": "WA-9"},
    )
    assert removed.status_code == 200
    assert removed.json()["status"] == "removed"
    assert removed.json()["resolved_at"] is not None
    assert removed.json()["seconds_left"] is None
    assert client.post(takedown_url(pk, "outcome"), {"status": "refused"}).status_code == 409


def test_escalation_only_after_overdue_or_refused(case_a, lead_a):
    item = evidence(case_a, lead_a, sha256="a" * 64)
    client = client_for(lead_a)
    pk = client.post(TAKEDOWNS, takedown_payload(case_a, [item])).json()["id"]

    assert client.post(takedown_url(pk, "escalate"), {}).status_code == 409
    client.post(takedown_url(pk, "submit"), {})
    assert client.post(takedown_url(pk, "escalate"), {}).status_code == 409
    assert TakedownRequest.objects.get(pk=pk).status == "submitted"

    client.post(takedown_url(pk, "outcome"), {"status": "refused"})
    response = client.post(takedown_url(pk, "escalate"), {"reference": "CP-123"})

    assert response.status_code == 200
    assert response.json()["status"] == "escalated"
    # A Spanish school's notice rests on the EU DSA: the AEPD Canal Prioritario.
    aepd = LegalBasis.objects.get(code="eu-dsa-art16").escalation_to
    assert response.json()["escalated_to"] == aepd.pk


def test_an_overdue_notice_can_be_escalated_to_a_chosen_regulator(case_a, lead_a):
    item = evidence(case_a, lead_a, sha256="a" * 64)
    client = client_for(lead_a)
    pk = client.post(TAKEDOWNS, takedown_payload(case_a, [item])).json()["id"]
    client.post(
        takedown_url(pk, "submit"),
        {"submitted_at": (timezone.now() - timedelta(hours=49)).isoformat()},
    )
    assert reporting_services.takedowns_mark_overdue() == [pk]
    aepd = Organisation.objects.get(code="AEPDCP")

    response = client.post(takedown_url(pk, "escalate"), {"escalated_to": aepd.pk})

    assert response.status_code == 200
    assert response.json()["escalated_to"] == aepd.pk


def test_escalating_to_a_police_unit_is_400(case_a, lead_a, police_unit):
    item = evidence(case_a, lead_a, sha256="a" * 64)
    client = client_for(lead_a)
    pk = client.post(TAKEDOWNS, takedown_payload(case_a, [item])).json()["id"]
    client.post(takedown_url(pk, "submit"), {})
    client.post(takedown_url(pk, "outcome"), {"status": "refused"})

    response = client.post(takedown_url(pk, "escalate"), {"escalated_to": police_unit.pk})

    assert response.status_code == 400
    assert "escalated_to" in response.json()
    assert TakedownRequest.objects.get(pk=pk).status == "refused"


@pytest.mark.parametrize(
    "override, field",
    [
        ({"platform": "myspace"}, "platform"),
        ({"legal_basis": "none"}, "legal_basis"),
        ({"evidence_items": []}, "evidence_items"),
        ({"evidence_items": [999999]}, "evidence_items"),
        ({"channel": "pigeon"}, "channel"),
        ({"notes": "x" * 5001}, "notes"),
    ],
)
def test_bad_takedown_input_is_400_and_writes_nothing(case_a, lead_a, override, field):
    item = evidence(case_a, lead_a, sha256="a" * 64)

    payload = {**takedown_payload(case_a, [item]), **override}

    response = client_for(lead_a).post(TAKEDOWNS, payload)

    assert response.status_code == 400
    assert field in response.json()
    assert not TakedownRequest.objects.exists()


def test_foreign_case_or_evidence_in_a_takedown_does_not_exist(case_a, case_b, lead_a, lead_b):
    mine = evidence(case_a, lead_a, sha256="a" * 64)
    theirs = evidence(case_b, lead_b, sha256="b" * 64)
    client = client_for(lead_a)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")

    foreign_case = client.post(TAKEDOWNS, takedown_payload(case_b, [theirs]))
    foreign_item = client.post(TAKEDOWNS, takedown_payload(case_a, [mine, theirs]))

    assert foreign_case.status_code == 400
    assert "does not exist" in str(foreign_case.json()["case"])
    assert foreign_item.status_code == 400
    assert "does not exist" in str(foreign_item.json()["evidence_items"])
    assert not TakedownRequest.objects.exists()


def test_evidence_of_another_case_of_the_same_school_is_400(case_a, lead_a, school_a):
    second = other_case(school_a, lead_a)
    item = evidence(second, lead_a, sha256="c" * 64)

    response = client_for(lead_a).post(TAKEDOWNS, takedown_payload(case_a, [item]))

    assert response.status_code == 400
    assert "evidence_items" in response.json()
    assert not TakedownRequest.objects.exists()


def test_takedowns_are_hidden_from_other_schools_and_units(
    case_a, lead_a, lead_b, other_police, referral_a, police
):
    item = evidence(case_a, lead_a, sha256="a" * 64)
    pk = client_for(lead_a).post(TAKEDOWNS, takedown_payload(case_a, [item])).json()["id"]

    for user in (lead_b, other_police):
        client = client_for(user)
        assert client.get(TAKEDOWNS).json()["results"] == []
        assert client.get(takedown_url(pk)).status_code == 404
        assert client.post(takedown_url(pk, "submit"), {}).status_code == 404
    # The receiving unit reads the notices of a case referred to it, read-only.
    unit = client_for(police)
    assert unit.get(takedown_url(pk)).status_code == 200
    assert unit.post(takedown_url(pk, "submit"), {}).status_code == 403
    assert TakedownRequest.objects.get(pk=pk).status == "draft"


def test_takedown_reads_are_audited(case_a, lead_a):
    item = evidence(case_a, lead_a, sha256="a" * 64)
    client = client_for(lead_a)
    pk = client.post(TAKEDOWNS, takedown_payload(case_a, [item])).json()["id"]

    client.get(TAKEDOWNS)
    client.get(takedown_url(pk))

    assert list(
        AccessEvent.objects.filter(actor=lead_a).order_by("id").values_list("action", "case_ids")
    ) == [("takedown.list", [case_a.pk]), ("takedown.detail", [case_a.pk])]


# --- Clusters -----------------------------------------------------------------------

PDQ_BASE = "f" * 64


def flip_bits(hex_hash: str, n: int, shift: int = 0) -> str:
    """``hex_hash`` with ``n`` bits flipped from bit ``shift`` up (Hamming distance n)."""
    return f"{int(hex_hash, 16) ^ (((1 << n) - 1) << shift):064x}"


def test_clusters_link_cases_sharing_an_identical_sha256(case_a, lead_a, school_a):
    second, third = other_case(school_a, lead_a), other_case(school_a, lead_a, "Tercero")
    evidence(case_a, lead_a, sha256="a" * 64)
    evidence(second, lead_a, sha256="a" * 64)
    evidence(third, lead_a, sha256="b" * 64)

    response = client_for(lead_a).get(CLUSTERS)

    assert response.status_code == 200
    assert response.json() == [
        {
            "cases": [
                {"id": case_a.pk, "reference": case_a.reference, "school": school_a.name},
                {"id": second.pk, "reference": second.reference, "school": school_a.name},
            ],
            "match": "sha256",
            "hashes": ["a" * 64],
        }
    ]
    event = AccessEvent.objects.get(actor=lead_a, action="case.clusters")
    assert event.case_ids == [case_a.pk, second.pk]


def test_clusters_link_pdq_within_31_bits_of_good_quality_only(case_a, lead_a, school_a):
    near, far, blurry = (other_case(school_a, lead_a, t) for t in ("Cerca", "Lejos", "Borrosa"))
    evidence(case_a, lead_a, pdq=PDQ_BASE, pdq_quality=90)
    evidence(near, lead_a, pdq=flip_bits(PDQ_BASE, 31), pdq_quality=50)
    # Other bits than ``near``'s, so ``far`` is not within 31 bits of ``near`` either.
    evidence(far, lead_a, pdq=flip_bits(PDQ_BASE, 32, shift=128), pdq_quality=100)
    evidence(blurry, lead_a, pdq=flip_bits(PDQ_BASE, 1, shift=200), pdq_quality=49)

    clusters = client_for(lead_a).get(CLUSTERS).json()

    assert len(clusters) == 1
    assert [c["id"] for c in clusters[0]["cases"]] == [case_a.pk, near.pk]
    assert clusters[0]["match"] == "pdq"


def test_clusters_chain_links_transitively(case_a, lead_a, school_a):
    second, third = other_case(school_a, lead_a), other_case(school_a, lead_a, "Tercero")
    evidence(case_a, lead_a, sha256="a" * 64)
    evidence(second, lead_a, sha256="a" * 64, pdq=PDQ_BASE, pdq_quality=80)
    evidence(third, lead_a, pdq=flip_bits(PDQ_BASE, 10), pdq_quality=80)

    clusters = client_for(lead_a).get(CLUSTERS).json()

    assert [[c["id"] for c in cl["cases"]] for cl in clusters] == [[case_a.pk, second.pk, third.pk]]
    assert clusters[0]["match"] == "pdq"  # SHA-256 alone does not reach the third case


def test_clusters_only_use_cases_visible_to_the_user(
    case_a, case_b, lead_a, lead_b, police, referral_a, police_unit
):
    evidence(case_a, lead_a, sha256="d" * 64)
    evidence(case_b, lead_b, sha256="d" * 64)

    # Each school sees only its own case: no cluster, no hint of the other school.
    assert client_for(lead_a).get(CLUSTERS).json() == []
    assert client_for(lead_b).get(CLUSTERS).json() == []

    # Once both schools refer to the same unit, its liaison sees the link.
    referral_b = reporting_services.referral_create(
        case=case_b,
        actor=lead_b,
        destination=police_unit,
        summary="s",
        legal_basis="legal_obligation",
        shared_sections=["evidence"],
    )
    reporting_services.referral_send(referral=referral_b, actor=lead_b)
    clusters = client_for(police).get(CLUSTERS).json()
    assert [{c["school"] for c in cl["cases"]} for cl in clusters] == [{"IES Alfa", "IES Beta"}]


def test_malformed_json_is_400_and_writes_nothing(case_a, lead_a):
    client = client_for(lead_a)

    for url in (REFERRALS, TAKEDOWNS):
        response = client.post(url, data='{"case": 1,', content_type="application/json")
        assert response.status_code == 400
        response = client.post(url, data="[1, 2]", content_type="application/json")
        assert response.status_code == 400
    assert not Referral.objects.exists()
    assert not TakedownRequest.objects.exists()


def test_takedown_list_uses_a_constant_number_of_queries(case_a, lead_a):
    client = client_for(lead_a)
    item = evidence(case_a, lead_a, sha256="a" * 64)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(TAKEDOWNS).status_code == 200
        return len(ctx.captured_queries)

    client.post(TAKEDOWNS, takedown_payload(case_a, [item]))
    one = count()
    for _ in range(3):
        client.post(TAKEDOWNS, takedown_payload(case_a, [item]))
    assert count() == one
