"""The NCMEC CyberTipline export (LAW.md §4; ``casefile.cybertipline``): a schema-valid
``<report>`` built from the one case view, hash-only, downloaded by the school's lead or
deputy and audited on every download."""

from __future__ import annotations

import hashlib
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from cases.models import AccessEvent, CaseEvent, EvidenceItem, Participant, Person, Role
from cases.verbs import AccessAction, CaseVerb
from reporting.models import AuthorityReport, GeneratedDocument, Platform
from tests.conftest import client_for
from tests.factories import (
    PASSWORD,
    CaseFactory,
    EvidenceItemFactory,
    ParticipantFactory,
    PupilFactory,
    SchoolFactory,
    UserFactory,
    hex_digest,
)


def _xsd_path() -> Path:
    """NCMEC's schema in ``shared/fixtures/ncmec`` beside the clone (or beside
    ``PDQ_FIXTURES_DIR``'s folder, for a worktree one folder deeper; or ``NCMEC_XSD``)."""
    candidates = [
        os.environ.get("NCMEC_XSD"),
        os.environ.get("PDQ_FIXTURES_DIR")
        and str(Path(os.environ["PDQ_FIXTURES_DIR"]).parent / "ncmec" / "cyber_tipline.xsd"),
        str(Path(__file__).resolve().parents[2] / "shared/fixtures/ncmec/cyber_tipline.xsd"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    pytest.fail(f"NCMEC's cyber_tipline.xsd not found (tried {candidates}); set NCMEC_XSD")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_xsd_path())))


def valid(schema: etree.XMLSchema, content: bytes) -> etree._Element:
    """The parsed report, after asserting it validates against the XSD."""
    document = etree.fromstring(content)
    assert schema.validate(document), schema.error_log
    return document


def texts(document: etree._Element, path: str) -> list[str]:
    return [element.text or "" for element in document.findall(path)]


def url(case) -> str:
    return f"/api/v1/cases/{case.pk}/cybertipline/"


def web_url(case) -> str:
    return f"/cases/{case.pk}/cybertipline.xml"


SHA, MD5, PDQ = hex_digest("foto-1"), hex_digest("foto-1-md5", length=32), hex_digest("pdq-1")


@pytest.fixture
def sextortion_case(school_a, lead_a):
    """The scenario's sextortion victim: a 15-year-old girl contacted on Instagram by an
    account demanding money for not spreading a fake image of her."""
    case = CaseFactory.create(
        school=school_a,
        actor=lead_a,
        title="Extorsión por Instagram",
        category="sextortion",
        coercion_or_extortion=True,
        ai_generated=True,
        risk_level="critical",
        summary="Lucía recibió mensajes de una cuenta que le pedía 200 € por no difundir",
    )
    girl = PupilFactory.create(
        school=school_a,
        actor=lead_a,
        given_name="Lucía",
        family_name="Gómez Peña",
        sex=Person.Sex.FEMALE,
        age=15,
        birthday=(3, 9),
    )
    ParticipantFactory.create(case=case, person=girl, notes="Muy afectada")
    instagram = Platform.objects.get(slug="instagram")
    seen = timezone.now() - timedelta(days=2)
    EvidenceItemFactory.create(
        case=case,
        kind=EvidenceItem.Kind.ACCOUNT,
        platform=instagram,
        location="https://www.instagram.com/cobro_rapido_99/",
        identifiers={"account_handle": "@cobro_rapido_99"},
        first_seen_at=seen,
        sha256="",
        description="La cuenta que le escribió a Lucía",
    )
    EvidenceItemFactory.create(
        case=case,
        kind=EvidenceItem.Kind.IMAGE,
        platform=instagram,
        location="https://www.instagram.com/direct/t/1789/",
        first_seen_at=seen + timedelta(hours=1),
        sha256=SHA,
        md5=MD5,
        pdq=PDQ,
        pdq_quality=93,
    )
    return case


def test_the_sextortion_case_exports_a_report_valid_against_ncmecs_schema(
    schema, sextortion_case, lead_a
):
    response = client_for(lead_a).get(url(sextortion_case))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    report = valid(schema, response.content)
    summary = report.find("incidentSummary")
    assert summary.findtext("incidentType") == "Online Enticement of Children for Sexual Acts"
    assert summary.findtext("platform") == "Instagram"
    assert summary.findtext("reportAnnotations/sextortion") == "true"
    # No alleged perpetrator is recorded: nothing says the other side is a minor.
    assert summary.find("reportAnnotations/minorToMinorInteraction") is None
    assert summary.findtext("escalateToHighPriority")
    assert texts(report, "internetDetails/webPageIncident/url") == [
        "https://www.instagram.com/cobro_rapido_99/",
        "https://www.instagram.com/direct/t/1789/",
    ]
    assert report.find("internetDetails/webPageIncident").get("thirdPartyHostedContent") == "true"
    assert report.findtext("victim/victimPerson/age") == "15"
    assert report.findtext("victim/schoolName") == sextortion_case.school.name
    assert report.findtext("reporter/reportingPerson/email") == lead_a.email
    assert report.findtext("reporter/reportingPerson/address/country") == "ES"


def test_a_hash_only_report_says_ai_generated_with_every_hash_in_the_narrative(
    schema, sextortion_case, lead_a
):
    report = valid(schema, client_for(lead_a).get(url(sextortion_case)).content)

    narrative = report.findtext("additionalInfo")
    assert "AI-generated" in narrative
    assert f"SHA-256 {SHA}" in narrative
    assert f"MD5 {MD5}" in narrative
    assert f"PDQ {PDQ} (quality 93)" in narrative
    assert sextortion_case.reference in narrative
    # ``generativeAi`` exists only per uploaded file: a hash-only report has no file.
    assert report.find(".//fileDetails") is None
    assert report.find(".//generativeAi") is None


def test_the_export_never_carries_names_birth_dates_or_free_text(sextortion_case, lead_a):
    content = client_for(lead_a).get(url(sextortion_case)).content.decode()

    girl = Participant.objects.get(case=sextortion_case).person
    for private in (
        girl.given_name,
        girl.family_name,
        girl.date_of_birth.isoformat(),
        "Muy afectada",  # the participant's notes
        "200 €",  # the case summary
        "La cuenta que le escribió",  # an evidence item's description
    ):
        assert private not in content


def test_a_case_without_extortion_has_no_sextortion_annotation(schema, school_a, lead_a):
    case = CaseFactory.create(school=school_a, actor=lead_a, category="ai_generated")
    ParticipantFactory.create(case=case)  # a victim aged 14
    boy = PupilFactory.create(school=school_a, actor=lead_a, age=13)
    ParticipantFactory.create(case=case, person=boy, role=Participant.Role.ALLEGED_PERPETRATOR)
    EvidenceItemFactory.create(
        case=case,
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/AbC",
    )

    report = valid(schema, client_for(lead_a).get(url(case)).content)

    summary = report.find("incidentSummary")
    assert summary.find("reportAnnotations/sextortion") is None
    assert summary.findtext("reportAnnotations/minorToMinorInteraction") == "true"
    assert summary.findtext("incidentType") == (
        "Child Pornography (possession, manufacture, and distribution)"
    )
    assert report.findtext("internetDetails/chatImIncident/chatClient") == "WhatsApp"
    assert report.findtext("personOrUserReported/personOrUserReportedPerson/age") == "13"
    assert "AI-generated" in report.findtext("additionalInfo")


def test_an_adult_involved_or_an_unknown_age_is_no_minor_to_minor_interaction(
    schema, school_a, lead_a
):
    adult = CaseFactory.create(
        school=school_a, actor=lead_a, category="non_consensual_sharing", adult_involved=True
    )
    unknown = CaseFactory.create(school=school_a, actor=lead_a, category="non_consensual_sharing")
    for case, age in ((adult, 16), (unknown, None)):
        ParticipantFactory.create(case=case)
        other = PupilFactory.create(school=school_a, actor=lead_a, age=age)
        ParticipantFactory.create(
            case=case, person=other, role=Participant.Role.ALLEGED_PERPETRATOR
        )

        report = valid(schema, client_for(lead_a).get(url(case)).content)

        assert report.find("incidentSummary/reportAnnotations") is None
        assert "AI-generated" not in report.findtext("additionalInfo")
    assert report.find("personOrUserReported/personOrUserReportedPerson") is None


def test_the_export_holds_no_field_the_case_does_not(schema, db):
    school = SchoolFactory.create(name="IES Vacío", code="VAC", jurisdiction="ES-CC")
    lead = UserFactory.create(organisation=school, role=Role.SAFEGUARDING_LEAD)
    case = CaseFactory.create(school=school, actor=lead, category="other")

    report = valid(schema, client_for(lead).get(url(case)).content)

    assert [child.tag for child in report] == ["incidentSummary", "reporter", "additionalInfo"]
    summary = report.find("incidentSummary")
    assert [child.tag for child in summary] == [
        "incidentType",
        "incidentDateTime",
        "incidentDateTimeDescription",
    ]
    # The case was opened now and has no evidence: the time is the opening, said so.
    assert "opened" in summary.findtext("incidentDateTimeDescription")
    reporter = report.find("reporter")
    assert [child.tag for child in reporter] == ["reportingPerson"]
    assert [child.tag for child in reporter.find("reportingPerson")] == ["email", "address"]
    assert "Evidence: none recorded." in report.findtext("additionalInfo")


def test_the_police_unit_the_case_was_referred_to_is_its_law_enforcement(
    schema, case_a, lead_a, referral_a, police_unit
):
    referral_a.external_reference = "AT-2026-118"
    referral_a.save(update_fields=["external_reference"])

    report = valid(schema, client_for(lead_a).get(url(case_a)).content)

    assert report.findtext("lawEnforcement/agencyName") == police_unit.name
    assert report.findtext("lawEnforcement/caseNumber") == "AT-2026-118"
    assert report.findtext("lawEnforcement/reportedToLe") == "true"


def test_a_us_school_gives_its_state_and_its_contact(schema, db):
    school = SchoolFactory.create(
        name="Lincoln High",
        code="LHS",
        jurisdiction="US-CA",
        email="office@lincoln.example",
        phone="+1 555 0100",
    )
    lead = UserFactory.create(
        organisation=school, role=Role.DEPUTY_LEAD, first_name="Ana", last_name="Ruiz"
    )
    case = CaseFactory.create(school=school, actor=lead, category="sextortion")

    report = valid(schema, client_for(lead).get(url(case)).content)

    person = report.find("reporter/reportingPerson")
    assert (person.findtext("firstName"), person.findtext("lastName")) == ("Ana", "Ruiz")
    assert person.findtext("address/state") == "CA"
    assert person.findtext("address/country") == "US"
    assert report.findtext("reporter/contactPerson/email") == "office@lincoln.example"
    assert report.findtext("reporter/contactPerson/phone") == "+1 555 0100"


@pytest.mark.parametrize("face", ["api", "web"])
def test_every_download_is_recorded_with_the_hash_of_the_bytes_sent(face, sextortion_case, lead_a):
    if face == "api":
        response = client_for(lead_a).get(url(sextortion_case))
    else:
        web = Client()
        assert web.login(username=lead_a.username, password=PASSWORD)
        response = web.get(web_url(sextortion_case))
    assert response.status_code == 200

    document = GeneratedDocument.objects.get(case=sextortion_case)
    assert document.kind == GeneratedDocument.Kind.CYBERTIPLINE
    assert (document.format, document.language) == ("xml", "en")
    assert document.sha256 == hashlib.sha256(response.content).hexdigest()
    assert document.size_bytes == len(response.content)
    assert document.generated_by == lead_a
    access = AccessEvent.objects.filter(action=AccessAction.CYBERTIPLINE_EXPORT)
    assert [(a.actor, a.case_ids, a.channel) for a in access] == [
        (lead_a, [sextortion_case.pk], face)
    ]
    line = CaseEvent.objects.get(case=sextortion_case, verb=CaseVerb.DOCUMENT_GENERATED)
    assert line.data["sha256"] == document.sha256


def test_two_downloads_are_two_records(sextortion_case, lead_a):
    client = client_for(lead_a)
    client.get(url(sextortion_case))
    client.get(url(sextortion_case))

    assert GeneratedDocument.objects.filter(case=sextortion_case).count() == 2
    assert AccessEvent.objects.filter(action=AccessAction.CYBERTIPLINE_EXPORT).count() == 2


def test_police_other_schools_and_staff_get_404_and_nothing_is_recorded(
    case_a, referral_a, police, lead_b, staff_a
):
    for user in (police, lead_b, staff_a):
        assert client_for(user).get(url(case_a)).status_code == 404
        web = Client()
        assert web.login(username=user.username, password=PASSWORD)
        assert web.get(web_url(case_a)).status_code == 404

    assert not GeneratedDocument.objects.exists()
    assert not AccessEvent.objects.filter(action=AccessAction.CYBERTIPLINE_EXPORT).exists()


def test_the_case_page_links_the_export_for_the_lead_only(case_a, lead_a, referral_a, police):
    pages = {}
    for user in (lead_a, police):
        web = Client()
        assert web.login(username=user.username, password=PASSWORD)
        pages[user] = web.get(f"/cases/{case_a.pk}/").content.decode()

    assert web_url(case_a) in pages[lead_a]
    assert web_url(case_a) not in pages[police]


def test_ages_are_counted_on_the_incident_date(schema, school_a, lead_a):
    case = CaseFactory.create(school=school_a, actor=lead_a, category="ai_generated")
    tomorrow = timezone.now().date() + timedelta(days=1)
    girl = PupilFactory.create(school=school_a, actor=lead_a, age=None)
    # Eighteen tomorrow (UTC): still 17 on an incident seen minutes ago.
    girl.date_of_birth = date(tomorrow.year - 18, tomorrow.month, tomorrow.day)
    girl.save(update_fields=["date_of_birth"])
    ParticipantFactory.create(case=case, person=girl)
    EvidenceItemFactory.create(case=case, first_seen_at=timezone.now() - timedelta(minutes=5))

    report = valid(schema, client_for(lead_a).get(url(case)).content)

    assert report.findtext("victim/victimPerson/age") == "17"


# --- Recording the submission (NCMEC's report number) ----------------------------------


def filed_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/cybertipline/filed/"


def test_the_lead_records_the_submission_with_ncmecs_report_number(case_a, lead_a):
    response = client_for(lead_a).post(filed_url(case_a), {"reference": "184467"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["route"], body["status"], body["reference"]) == (
        "cybertipline",
        "filed",
        "184467",
    )
    assert body["authority"] == "NCMECCT"
    report = AuthorityReport.objects.get(case=case_a)
    assert (report.filed_by, report.created_by, report.takedown) == (lead_a, lead_a, None)
    line = CaseEvent.objects.get(case=case_a, verb=CaseVerb.AUTHORITY_REPORT_FILED)
    assert line.data["reference"] == "184467"


@pytest.mark.parametrize("reference", ["", "CT-184467", "١٨٤", "1" * 19])
def test_a_report_number_that_is_not_one_is_refused_and_nothing_written(case_a, lead_a, reference):
    response = client_for(lead_a).post(filed_url(case_a), {"reference": reference}, format="json")

    assert response.status_code == 400
    assert "reference" in response.json()
    assert not AuthorityReport.objects.exists()


def test_the_same_report_number_is_recorded_once_and_a_future_time_is_refused(case_a, lead_a):
    client = client_for(lead_a)
    assert client.post(filed_url(case_a), {"reference": "77"}, format="json").status_code == 201

    again = client.post(filed_url(case_a), {"reference": "77"}, format="json")
    future = client.post(
        filed_url(case_a),
        {"reference": "78", "filed_at": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )

    assert again.status_code == 400 and "reference" in again.json()
    assert future.status_code == 400 and "filed_at" in future.json()
    assert AuthorityReport.objects.count() == 1


def test_the_referred_unit_gets_403_and_other_schools_404_when_recording(
    case_a, referral_a, police, lead_b
):
    assert (
        client_for(police).post(filed_url(case_a), {"reference": "1"}, format="json").status_code
        == 403
    )
    assert (
        client_for(lead_b).post(filed_url(case_a), {"reference": "1"}, format="json").status_code
        == 404
    )
    assert not AuthorityReport.objects.exists()


def test_the_web_form_records_the_submission(case_a, lead_a):
    web = Client()
    assert web.login(username=lead_a.username, password=PASSWORD)
    form_url = f"/cases/{case_a.pk}/cybertipline/filed/"

    assert web.get(form_url).status_code == 200
    bad = web.post(form_url, {"reference": "abc"})
    assert bad.status_code == 400
    done = web.post(form_url, {"reference": "99001"})

    assert done.status_code == 302
    assert AuthorityReport.objects.get(case=case_a).reference == "99001"


def test_a_client_asking_for_xml_gets_the_report_and_errors_stay_json(case_a, lead_a, lead_b):
    asked = client_for(lead_a).get(url(case_a), HTTP_ACCEPT="application/xml")
    refused = client_for(lead_b).get(url(case_a), HTTP_ACCEPT="application/xml")

    assert asked.status_code == 200
    assert asked.content.startswith(b"<?xml")
    assert refused.status_code == 404
    assert refused["Content-Type"] == "application/json"
