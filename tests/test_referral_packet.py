"""The referral packet (LAW.md §2): every element in the JSON and the PDF, in Spanish and
English; nothing its referral does not share; each download recorded with its hash."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from casefile.packets import PACKET_SCHEMA_VERSION, referral_packet, referral_packet_document
from cases import services as case_services
from cases.exceptions import NotFound
from cases.models import AccessEvent, Case, CaseEvent, Organisation, Participant, Person
from cases.verbs import AccessAction
from reporting import services as reporting_services
from reporting.documents import sha256_hex
from reporting.models import (
    AuthorityReport,
    GeneratedDocument,
    Referral,
    RemovalRoute,
    RemovalRouteReport,
)
from reporting.selectors import referral_get_for_user
from tests.conftest import nothing_written
from tests.factories import (
    EvidenceItemFactory,
    GuardianFactory,
    ParticipantFactory,
    PersonFactory,
    PoliceUnitFactory,
    PupilFactory,
    ReferralFactory,
    SupportPlanFactory,
    TakedownRequestFactory,
)

SHA = "a" * 64
MD5 = "b" * 32
PDQ = "c" * 64
HANDLE = "@autor_falso_77"
SENDER = "+34600111222"


@pytest.fixture
def full_case(case_a, lead_a, school_a):
    """Case A with everything LAW.md §2 asks for: a victim (Lucía Prueba, 14), her
    guardian, a pupil perpetrator who was 13 on the day of the act, an adult sharer,
    evidence with every hash, a notice with a ticket, the victim's own report and a
    report to the AEPD."""
    case_a.adult_involved = True
    case_a.coercion_or_extortion = True
    case_a.under_13 = True
    case_a.ai_generated = True
    case_a.risk_level = "critical"
    case_a.save()
    school_a.phone = "+34924000000"
    school_a.save()
    GuardianFactory.create(
        school=school_a, actor=lead_a, given_name="Marisa", family_name="Madre", phone="+34611"
    )
    ParticipantFactory.create(
        case=case_a,
        person=Person.objects.get(given_name="Marisa"),
        role=Participant.Role.GUARDIAN,
    )
    perpetrator = PupilFactory.create(
        school=school_a, actor=lead_a, given_name="Hugo", family_name="Autor", age=15
    )
    ParticipantFactory.create(
        case=case_a, person=perpetrator, role=Participant.Role.ALLEGED_PERPETRATOR
    )
    # Two years ago he was 13 (born 15 January, 15 today): age at the act, not today.
    act_on = date(timezone.localdate().year - 2, 1, 20)
    Participant.objects.filter(person=perpetrator).update(act_on=act_on)
    adult = PersonFactory.create(
        school=school_a,
        actor=lead_a,
        kind=Person.Kind.EXTERNAL,
        given_name="Adulto",
        family_name="Externo",
        age=31,
        phone=SENDER,
    )
    ParticipantFactory.create(case=case_a, person=adult, role=Participant.Role.SHARER)
    item = EvidenceItemFactory.create(
        case=case_a,
        kind="account",
        location="https://instagram.example.invalid/autor_falso_77",
        identifiers={"account_handle": HANDLE, "phone_number": SENDER},
        description="Perfil que envió las imágenes",
        seen_by="Tutora",
        sha256=SHA,
        md5=MD5,
        pdq=PDQ,
        pdq_quality=87,
    )
    TakedownRequestFactory.create(case=case_a, evidence_items=[item], platform_ticket="TICKET-4242")
    lucia = Person.objects.get(given_name="Lucía")
    RemovalRouteReport.objects.create(
        case=case_a,
        victim=lucia,
        route=RemovalRoute.objects.order_by("code").first(),
        case_number="TID-998877",
        reported_on=timezone.localdate(),
        recorded_by=lead_a,
    )
    AuthorityReport.objects.create(
        case=case_a,
        authority=Organisation.objects.exclude(kind="school").order_by("id").first(),
        route=AuthorityReport.Route.AEPD_PRIORITY,
        reference="AEPD-5555",
        created_by=lead_a,
    )
    SupportPlanFactory.create(case=case_a, victim=lucia)
    return case_a


def _referral(case, lead, unit, sections, **extra):
    lucia = Person.objects.get(given_name="Lucía")
    defaults = {
        "guardians": "not_asked",
        "guardians_note": "El padre es sospechoso",
        "complainant": lucia,
        "phoned_at": timezone.now() - timedelta(hours=2),
        "phoned_to": "Agente Ruiz",
    }
    defaults.update(extra)
    return ReferralFactory.create(
        case=case,
        actor=lead,
        destination=unit,
        summary="Resumen para la unidad",
        shared_sections=sections,
        sent=True,
        **defaults,
    )


ALL = ["chronology", "participants", "evidence", "support"]


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_json_packet_carries_every_element_of_law_2(full_case, lead_a, police_unit, language):
    referral = _referral(full_case, lead_a, police_unit, ALL)
    packet = referral_packet(
        user=lead_a,
        referral=referral_get_for_user(user=lead_a, referral_id=referral.pk),
        language=language,
    )
    data = json.loads(packet.as_json())
    assert data["schema_version"] == PACKET_SCHEMA_VERSION
    assert data["language"] == language
    assert data["time_zone"] == "Europe/Madrid"
    assert data["generated_at"].endswith("Z")
    # 1. referrer
    referrer = data["referrer"]
    assert referrer["name"] == "lead.a" or referrer["name"]
    assert referrer["role"]
    assert referrer["school"] == "IES Alfa"
    assert referrer["email"] or referrer["phone"] == "+34924000000"
    assert referrer["referred_at"].endswith("Z")
    assert referrer["case_reference"] == full_case.reference
    # 2. victim, guardians and their position
    [victim] = data["victims"]
    assert victim["name"] == "Lucía Prueba"
    assert victim["complainant"] is True
    assert victim["age"] == 14
    assert victim["date_of_birth"]
    assert victim["school"] == "IES Alfa"
    assert victim["year_group"] == "3º ESO"
    assert victim["vulnerabilities"]
    assert data["guardians"][0]["name"] == "Marisa Madre"
    assert data["referral"]["guardians_position"]["code"] == "not_asked"
    assert data["referral"]["guardians_position"]["reason_not_asked"] == "El padre es sospechoso"
    assert data["referral"]["complainant"] == "Lucía Prueba"
    # 3. perpetrators: minor or adult, age at the act
    by_name = {p["name"]: p for p in data["alleged_perpetrators"]}
    assert by_name["Hugo Autor"]["age_at_act"] == 13
    assert by_name["Hugo Autor"]["minor"] is True
    assert by_name["Hugo Autor"]["school"] == "IES Alfa"
    assert by_name["Adulto Externo"]["minor"] is False
    assert by_name["Adulto Externo"]["phone"] == SENDER
    assert data["incident"]["accounts"][0]["identifiers"]["account_handle"] == HANDLE
    # 4. incident
    incident = data["incident"]
    assert incident["category"] == "ai_generated"
    assert incident["first_seen_at"].endswith("Z")
    assert incident["when_known"]
    assert incident["platforms"]
    assert incident["spread"]
    assert incident["summary_for_destination"] == "Resumen para la unidad"
    assert incident["disclosures_note"]
    # 5. flags
    flags = data["aggravating_flags"]
    assert flags["adult_involved"] is True
    assert flags["coercion_or_extortion"] is True
    assert flags["under_13"] is True
    assert flags["violence"] is None
    assert flags["immediate_risk"] is True
    assert flags["ai_generated"] is True
    # 6. evidence: metadata and hashes, custody, devices
    [item] = [e for e in data["evidence"]["items"] if e["sha256"] == SHA]
    assert item["md5"] == MD5
    assert item["pdq"] == PDQ
    assert item["pdq_quality"] == 87
    assert item["custody"][0]["by"]
    assert item["location"].startswith("https://instagram")
    assert data["evidence"]["devices"]
    # 7. actions so far
    actions = data["actions_so_far"]
    assert actions["takedown_notices"][0]["platform_ticket"] == "TICKET-4242"
    assert actions["victim_removal_reports"][0]["case_number"] == "TID-998877"
    assert actions["authority_reports"][0]["reference"] == "AEPD-5555"
    # the phone call and its written confirmation's clock
    assert data["referral"]["phoned_to"] == "Agente Ruiz"
    assert data["referral"]["written_confirmation_due_at"].endswith("Z")
    assert data["chronology"]
    assert data["support_plans"][0]["victim"] == "Lucía Prueba"


LABELS = {
    "en": [
        "Alleged perpetrator",
        "Legal obligation to report",
        "Evidence (metadata and hashes)",
        "CONFIDENTIAL",
    ],
    "es": [
        "Presunto autor/a",
        "Obligación legal de comunicar",
        "Pruebas (metadatos y hashes)",
        "CONFIDENCIAL",
    ],
}


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_pdf_packet_carries_every_element_of_law_2(full_case, lead_a, police_unit, language):
    referral = _referral(full_case, lead_a, police_unit, ALL)
    packet = referral_packet(
        user=lead_a,
        referral=referral_get_for_user(user=lead_a, referral_id=referral.pk),
        language=language,
    )
    content = packet.as_pdf()
    assert content.startswith(b"%PDF")
    text = _pdf_text(content)
    flat = " ".join(text.split())
    for expected in [
        full_case.reference,
        "IES Alfa",
        "+34924000000",
        "Lucía Prueba",
        "3º ESO",
        "Marisa Madre",
        "El padre es sospechoso",
        "Hugo Autor",
        "Adulto Externo",
        SENDER,
        HANDLE,
        "Resumen para la unidad",
        "TICKET-4242",
        "TID-998877",
        "AEPD-5555",
        "Agente Ruiz",
        *LABELS[language],
    ]:
        assert expected in flat, expected
    for digest in (SHA, MD5, PDQ):
        assert digest in text.replace("\n", "").replace(" ", "")
    # Times on the school's clock, with its zone's name.
    assert "CET" in flat or "CEST" in flat
    # Page numbers.
    assert "1 / " in flat


@pytest.mark.parametrize(
    ("sections", "absent"),
    [
        (["chronology"], ["Lucía Prueba", "Hugo Autor", "Marisa Madre", SHA, "TICKET-4242"]),
        (["participants"], [SHA, MD5, PDQ, "TICKET-4242", "TID-998877", HANDLE]),
        (["evidence"], ["Lucía Prueba", "Hugo Autor", "Marisa Madre", "Adulto Externo"]),
    ],
)
def test_a_packet_shows_nothing_its_referral_does_not_share(
    full_case, lead_a, police, police_unit, sections, absent
):
    referral = _referral(full_case, lead_a, police_unit, sections)
    for reader in (lead_a, police):
        packet = referral_packet(
            user=reader,
            referral=referral_get_for_user(user=reader, referral_id=referral.pk),
            language="en",
        )
        raw = packet.as_json().decode()
        pdf = " ".join(_pdf_text(packet.as_pdf()).split()).replace(" ", "")
        for value in absent:
            assert value not in raw, value
            assert value.replace(" ", "") not in pdf, value
        data = json.loads(raw)
        assert data["shared_sections"] == sections
        if "participants" not in sections:
            assert "victims" not in data
            assert "alleged_perpetrators" not in data
            assert "complainant" not in data["referral"]
        if "evidence" not in sections:
            assert "evidence" not in data
            assert "actions_so_far" not in data
            assert "platforms" not in data["incident"]
        if "chronology" not in sections:
            assert "chronology" not in data
        assert "support_plans" not in data


def test_a_liaisons_packet_is_cut_to_this_referral_even_with_another_live_one(
    full_case, lead_a, police, police_unit
):
    _referral(full_case, lead_a, police_unit, ["participants", "evidence"])
    narrow = _referral(full_case, lead_a, police_unit, ["chronology"])
    packet = referral_packet(
        user=police,
        referral=referral_get_for_user(user=police, referral_id=narrow.pk),
        language="en",
    )
    assert "Lucía" not in packet.as_json().decode()
    assert SHA not in packet.as_json().decode()


def test_the_packet_never_carries_the_childs_own_words_or_internal_parts(
    full_case, lead_a, police_unit
):
    full_case.summary = "Resumen interno del centro"
    full_case.save()
    referral = _referral(full_case, lead_a, police_unit, ALL)
    raw = referral_packet(user=lead_a, referral=referral, language="en").as_json().decode()
    assert "Resumen interno del centro" not in raw
    assert "document.generated" not in raw


def test_a_download_is_recorded_with_the_hash_of_the_bytes_served(
    full_case, lead_a, police, police_unit
):
    referral = _referral(full_case, lead_a, police_unit, ALL)
    for reader, fmt in ((lead_a, "pdf"), (police, "json")):
        before = AccessEvent.objects.filter(action=AccessAction.REFERRAL_PACKET).count()
        served = referral_packet_document(
            user=reader,
            referral=referral_get_for_user(user=reader, referral_id=referral.pk),
            language="es",
            fmt=fmt,
        )
        document = GeneratedDocument.objects.get(pk=served.document.pk)
        assert document.sha256 == sha256_hex(served.content)
        assert document.size_bytes == len(served.content)
        assert document.referral_id == referral.pk
        assert document.format == fmt
        assert document.language == "es"
        assert document.kind == GeneratedDocument.Kind.REFERRAL_PACKET
        assert AccessEvent.objects.filter(action=AccessAction.REFERRAL_PACKET).count() == before + 1
        line = CaseEvent.objects.filter(verb="document.generated").latest("id")
        assert line.data["sha256"] == document.sha256


def test_a_liaison_has_no_packet_once_the_referral_is_withdrawn(
    full_case, lead_a, police, police_unit
):
    referral = _referral(full_case, lead_a, police_unit, ALL)
    reporting_services.referral_withdraw(referral=referral, actor=lead_a, reason="Error")
    seen = referral_get_for_user(user=police, referral_id=referral.pk)
    with pytest.raises(NotFound):
        referral_packet(user=police, referral=seen, language="en")


def test_a_language_not_offered_is_refused(full_case, lead_a, police_unit):
    referral = _referral(full_case, lead_a, police_unit, ALL)
    with pytest.raises(ValueError):
        referral_packet(user=lead_a, referral=referral, language="fr")


# --- the referral's new fields (reporting.services.referral_create) ---------------


def test_guardians_not_asked_needs_a_reason_and_nothing_is_written(case_a, lead_a, police_unit):
    with nothing_written(Referral), pytest.raises(ValidationError) as error:
        reporting_services.referral_create(
            case=case_a,
            actor=lead_a,
            destination=police_unit,
            summary="x",
            legal_basis="legal_obligation",
            shared_sections=["chronology"],
            guardians="not_asked",
            guardians_note="  ",
        )
    assert "guardians_note" in error.value.message_dict


def test_a_phoned_referral_records_the_call_and_its_24_hour_clock(case_a, lead_a, police_unit):
    phoned_at = timezone.now() - timedelta(hours=1)
    referral = reporting_services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="x",
        legal_basis="legal_obligation",
        shared_sections=["chronology"],
        guardians="informed",
        phoned_at=phoned_at,
        phoned_to="Agente Ruiz",
    )
    assert referral.confirmation_due_at == phoned_at + timedelta(hours=24)
    assert CaseEvent.objects.filter(verb="referral.phoned", object_id=referral.pk).exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"phoned_at": "future", "phoned_to": "A"}, "phoned_at"),
        ({"phoned_at": "past"}, "phoned_to"),
        ({"phoned_to": "Agente"}, "phoned_at"),
        ({"guardians": "maybe"}, "guardians"),
    ],
)
def test_bad_phone_or_guardian_input_is_refused(case_a, lead_a, police_unit, extra, field):
    extra = dict(extra)
    if extra.get("phoned_at") == "future":
        extra["phoned_at"] = timezone.now() + timedelta(hours=1)
    elif extra.get("phoned_at") == "past":
        extra["phoned_at"] = timezone.now() - timedelta(hours=1)
    with nothing_written(Referral), pytest.raises(ValidationError) as error:
        reporting_services.referral_create(
            case=case_a,
            actor=lead_a,
            destination=police_unit,
            summary="x",
            legal_basis="legal_obligation",
            shared_sections=["chronology"],
            **extra,
        )
    assert field in error.value.message_dict


def test_a_destination_that_does_not_serve_the_school_is_refused(case_a, lead_a):
    ceop = PoliceUnitFactory.create(jurisdiction="GB")
    with nothing_written(Referral), pytest.raises(ValidationError) as error:
        reporting_services.referral_create(
            case=case_a,
            actor=lead_a,
            destination=ceop,
            summary="x",
            legal_basis="legal_obligation",
            shared_sections=["chronology"],
        )
    assert "destination" in error.value.message_dict


def test_a_referral_may_go_to_the_child_protection_service(case_a, lead_a):
    service = Organisation.objects.create(
        name="Servicio de Protección de Menores (prueba)",
        kind=Organisation.Kind.CHILD_PROTECTION,
        code="SPMT",
        jurisdiction="ES-BA",
    )
    referral = reporting_services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=service,
        summary="x",
        legal_basis="legal_obligation",
        shared_sections=["participants"],
    )
    assert referral.destination == service


def test_building_a_packet_costs_the_same_queries_whatever_the_case_holds(
    full_case, lead_a, police_unit
):
    referral = _referral(full_case, lead_a, police_unit, ALL)

    def count() -> int:
        seen = referral_get_for_user(user=lead_a, referral_id=referral.pk)
        with CaptureQueriesContext(connection) as queries:
            referral_packet(user=lead_a, referral=seen, language="en")
        return len(queries)

    before = count()
    for n in range(3):
        EvidenceItemFactory.create(
            case=full_case, kind="message", location=f"https://x.invalid/{n}"
        )
        ParticipantFactory.create(case=full_case, role=Participant.Role.ALLEGED_PERPETRATOR)
        TakedownRequestFactory.create(case=full_case, platform_ticket=f"T-{n}")
    assert count() == before


def test_an_adult_perpetrator_listed_makes_the_adult_flag_true(case_a, lead_a, police_unit):
    """Newcomer trial: a packet listed a 41-year-old perpetrator beside
    ``adult_involved: false`` (the case flag was unset). The flag now follows the
    people the packet shows (LAW.md §2.3 and §2.5)."""
    adult = Person.objects.create(
        school=case_a.school,
        kind=Person.Kind.EXTERNAL,
        given_name="Adulto",
        family_name="Prueba",
        date_of_birth=date(1985, 1, 1),
    )
    case_services.participant_add(
        case=case_a, person=adult, role="alleged_perpetrator", actor=lead_a
    )
    assert not Case.objects.get(pk=case_a.pk).adult_involved
    referral = _referral(case_a, lead_a, police_unit, ALL)
    packet = referral_packet(
        user=lead_a,
        referral=referral_get_for_user(user=lead_a, referral_id=referral.pk),
        language="en",
    )
    assert packet.data["aggravating_flags"]["adult_involved"] is True
