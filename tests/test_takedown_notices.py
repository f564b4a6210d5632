"""Takedown notices carry the law (LAW.md §1): every element of each basis, in Spanish
and English, as text and as PDF; the signature block is checked; one step drafts the
notices of an incident; a notice on the e-mail channel leaves through the outbox once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases import services as case_services
from cases.exceptions import Conflict
from cases.models import Participant
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting import services
from reporting.models import GeneratedDocument, LegalBasis, Platform, TakedownRequest
from reporting.notices import notice_download, notice_text
from reporting.services import validate_basis_applies
from tests.factories import CaseFactory, ParticipantFactory, SchoolFactory, hex_digest, member
from tests.mailbox import messages_in, text_of
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db

SIGNATURE = {
    "requester_name": "Ana Directora",
    "requester_relationship": "school_consent",
    "requester_email": "direccion@alfa.example.org",
    "requester_phone": "+34 924 000 000",
    "consent_note": "Madre de la alumna, por teléfono, 3 dic 2026",
}


def victim_of(case):
    return Participant.objects.filter(case=case, role="victim").first().person


def evidence(case, lead, slug: str, *, n: int = 1, **identifiers):
    platform = Platform.objects.get(slug=slug)
    return case_services.evidence_record(
        case=case,
        actor=lead,
        kind="image",
        platform=platform,
        first_seen_at=timezone.now() - timedelta(days=2, hours=n),
        location=f"https://{slug}.example.invalid/item/{n}",
        identifiers=identifiers,
        sha256=hex_digest(f"{slug}{n}"),
        md5=hex_digest(f"{slug}{n}", length=32),
        pdq=hex_digest(f"pdq{slug}{n}"),
        pdq_quality=90,
    )


def draft(case, lead, slug: str, basis: str, *, language: str = "es", **overrides):
    item = evidence(case, lead, slug, phone_number="+34 600 111 222", uploader_account="@difusor")
    signature = {**SIGNATURE, "victim": victim_of(case), **overrides}
    return services.takedown_create(
        case=case,
        actor=lead,
        platform=Platform.objects.get(slug=slug),
        legal_basis=LegalBasis.objects.get(code=basis),
        evidence_items=[item],
        language=language,
        **signature,
    )


@pytest.fixture
def ai_case(case_a, lead_a):
    case_a.ai_generated = True
    case_a.save(update_fields=["ai_generated"])
    return case_a


def assert_common(text: str, notice: TakedownRequest, language: str) -> None:
    """What every notice carries: exact location, the platform's identifiers in words,
    the uploader, the hashes and the request to remove copies, never an image."""
    item = notice.evidence_items.get()
    assert item.location in text
    assert item.sha256 in text and item.md5 in text and item.pdq in text
    assert "@difusor" in text
    assert "phone_number" not in text and "uploader_account" not in text
    if language == "es":
        assert "Número de teléfono: +34 600 111 222" in text
        assert "casi idénticas" in text and "No adjuntamos ninguna imagen" in text
    else:
        assert "Phone number: +34 600 111 222" in text
        assert "near-identical" in text and "No image is attached" in text
    # No child's name is written into a notice.
    assert "Lucía" not in text


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_take_it_down_notice_carries_every_element_of_223a(ai_case, lead_a, language):
    notice = draft(ai_case, lead_a, "whatsapp", "us-take-it-down", language=language)
    document = notice_text(notice)
    text = document.text
    assert document.language == language and "223a" in document.subject
    for element in ("(B)(i)", "(B)(ii)", "(B)(iii)", "(B)(iv)", "§223a(a)(3)"):
        assert element in text
    assert "/s/ Ana Directora" in text
    assert "Madre de la alumna, por teléfono, 3 dic 2026" in text
    assert "direccion@alfa.example.org" in text and "+34 924 000 000" in text
    assert_common(text, notice, language)
    if language == "es":
        assert "no es consentida" in text
        assert "menor de edad, de 14 años" in text or "menor de edad, de 13 años" in text
        assert "inteligencia artificial" in text
        assert "48 horas" in text and "copias idénticas conocidas" in text
        assert "con el consentimiento de la familia" in text
    else:
        assert "not consensual" in text and "a minor aged" in text
        assert "artificial intelligence" in text
        assert "48 hours" in text and "known identical copies" in text
        assert "with the consent of the parents or guardians" in text


@pytest.mark.parametrize("language", ["es", "en"])
def test_an_online_safety_act_report_makes_the_three_declarations(case_a, lead_a, language):
    notice = draft(case_a, lead_a, "instagram", "uk-osa-s10-3a", language=language)
    text = notice_text(notice).text
    assert "s.20A(2)" in text and "66B(1)–(3)" in text and "s.10(3A)" in text
    assert "(a) " in text and "(b) " in text and "(c) " in text
    assert "direccion@alfa.example.org" in text
    assert_common(text, notice, language)
    if language == "es":
        assert "sustancialmente igual" in text and "48 horas" in text
        assert "aún no está confirmada" in text
        assert "de buena fe" in text
    else:
        assert "the same or substantially the same" in text and "48 hours" in text
        assert "not yet confirmed" in text
        assert "good faith" in text and "knowledge and belief" in text


def test_the_osa_text_drops_the_commencement_note_once_in_force(case_a, lead_a):
    LegalBasis.objects.filter(code="uk-osa-s10-3a").update(status="in_force")
    notice = draft(case_a, lead_a, "instagram", "uk-osa-s10-3a", language="en")
    assert "not yet confirmed" not in notice_text(notice).text


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_dsa_notice_cites_the_spanish_offences_and_never_the_draft(case_a, lead_a, language):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16", language=language)
    text = notice_text(notice).text
    for element in ("16(2)(a)", "16(2)(b)", "16(2)(c)", "16(2)(d)", "16(4)–(5)"):
        assert element in text
    assert "189" in text and "173.1" in text and "2011/93" in text
    assert "173 bis" not in text
    assert "Ana Directora" in text and "direccion@alfa.example.org" in text
    assert_common(text, notice, language)
    if language == "es":
        assert "puede permanecer en el anonimato" in text  # the option is offered
        assert "exactas y completas" in text and "acusen recibo" in text
        assert "vías de recurso" in text
    else:
        assert "may remain anonymous" in text
        assert "accurate and complete" in text and "confirm receipt" in text
        assert "redress" in text


def test_a_dsa_notice_with_no_name_says_the_notifier_stays_anonymous(case_a, lead_a):
    notice = draft(
        case_a,
        lead_a,
        "tiktok",
        "eu-dsa-art16",
        language="en",
        requester_name="",
        requester_email="",
        requester_phone="",
        # Anonymous to the platform, yet the school keeps who consented (TAKE IT DOWN's
        # "authorised person" rule is the school's own record under the DSA too).
        consent_note="Madre, 12/09, en persona",
    )
    text = notice_text(notice).text
    assert "The notifier remains anonymous" in text
    assert "Ana Directora" not in text


def test_the_notice_is_written_in_the_language_asked_for(case_a, lead_a):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16", language="es")
    assert "Notificación de contenido ilícito" in notice_text(notice).subject
    assert "Notice of illegal content" in notice_text(notice, language="en").subject
    with pytest.raises(ValueError):
        notice_text(notice, language="fr")


@pytest.mark.parametrize(
    ("basis", "slug", "language", "phrase"),
    [
        ("us-take-it-down", "whatsapp", "en", "not consensual"),
        ("us-take-it-down", "whatsapp", "es", "no es consentida"),
        ("uk-osa-s10-3a", "instagram", "en", "substantially the same"),
        ("uk-osa-s10-3a", "instagram", "es", "sustancialmente igual"),
        ("eu-dsa-art16", "tiktok", "en", "accurate and complete"),
        ("eu-dsa-art16", "tiktok", "es", "exactas y completas"),
    ],
)
def test_the_pdf_carries_the_same_elements_and_is_recorded(
    case_a, lead_a, basis, slug, language, phrase
):
    notice = draft(case_a, lead_a, slug, basis, language=language)
    download = notice_download(notice=notice, actor=lead_a, fmt="pdf")
    assert download.content.startswith(b"%PDF")
    pdf_text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(download.content)).pages
    )
    flat = " ".join(pdf_text.split())
    assert " ".join(phrase.split()) in flat
    item = notice.evidence_items.get()
    assert item.sha256[:16] in flat.replace(" ", "")
    assert "Ana Directora" in flat
    recorded = GeneratedDocument.objects.get(takedown=notice)
    assert recorded.format == "pdf" and recorded.kind == "takedown_notice"
    assert len(recorded.sha256) == 64


# --- the signature block ------------------------------------------------------------


def test_the_school_acting_with_consent_must_say_who_consented(case_a, lead_a):
    with pytest.raises(ValidationError) as caught:
        draft(case_a, lead_a, "tiktok", "eu-dsa-art16", consent_note="")
    assert "consent_note" in caught.value.message_dict
    assert not TakedownRequest.objects.exists()


def test_the_victim_must_be_a_victim_of_the_case(case_a, case_b, lead_a):
    with pytest.raises(ValidationError) as caught:
        draft(case_a, lead_a, "tiktok", "eu-dsa-art16", victim=victim_of(case_b))
    assert "victim" in caught.value.message_dict


def test_who_signs_gives_a_way_to_be_reached(case_a, lead_a):
    with pytest.raises(ValidationError) as caught:
        draft(case_a, lead_a, "tiktok", "eu-dsa-art16", requester_email="", requester_phone="")
    assert "requester_email" in caught.value.message_dict


def test_a_basis_of_another_jurisdiction_is_refused_for_a_spanish_school(case_a):
    platform = Platform.objects.get(slug="whatsapp")
    for code in ("us-take-it-down", "uk-osa-s10-3a", "es-lopdgdd-canal-prioritario"):
        with pytest.raises(ValidationError):
            services.validate_basis_applies(
                platform=platform,
                legal_basis=LegalBasis.objects.get(code=code),
                school=case_a.school,
            )
    services.validate_basis_applies(
        platform=platform,
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        school=case_a.school,
    )


# --- one step drafts the incident's notices -----------------------------------------


def test_draft_all_makes_one_notice_per_platform_and_basis_once(case_a, lead_a):
    evidence(case_a, lead_a, "whatsapp", n=1)
    evidence(case_a, lead_a, "whatsapp", n=2)
    evidence(case_a, lead_a, "telegram", n=3)
    signature = {**SIGNATURE, "victim": victim_of(case_a)}
    drafted = services.takedowns_draft_for_case(case=case_a, actor=lead_a, **signature)
    assert sorted((n.platform.slug, n.legal_basis.code) for n in drafted) == [
        ("telegram", "eu-dsa-art16"),
        ("whatsapp", "eu-dsa-art16"),
    ]
    whatsapp = next(n for n in drafted if n.platform.slug == "whatsapp")
    assert whatsapp.evidence_items.count() == 2
    assert all(n.requester_name == "Ana Directora" and n.language == "es" for n in drafted)
    # Twice: nothing new.
    assert services.takedowns_draft_for_case(case=case_a, actor=lead_a, **signature) == []
    assert TakedownRequest.objects.filter(case=case_a).count() == 2


def test_draft_all_offers_a_us_school_the_us_basis_and_keeps_clocks_apart(db):
    school = SchoolFactory.create(name="Lincoln High", code="LIN", jurisdiction="US-NY")
    lead = member("lead.lincoln", school, "safeguarding_lead")
    case = CaseFactory.create(school=school, actor=lead)
    ParticipantFactory.create(case=case)
    evidence(case, lead, "instagram", n=1)
    evidence(case, lead, "onlyfans", n=2)
    signature = {**SIGNATURE, "victim": victim_of(case), "language": "en"}
    drafted = services.takedowns_draft_for_case(case=case, actor=lead, **signature)
    assert {(n.platform.slug, n.legal_basis.code) for n in drafted} == {
        ("instagram", "us-take-it-down"),
        ("onlyfans", "us-take-it-down"),
    }
    first, second = drafted
    services.takedown_submit(notice=first, actor=lead, platform_ticket="IG-1")
    second.refresh_from_db()
    assert second.status == "draft" and second.deadline_at is None


# --- the e-mail channel goes through the outbox -------------------------------------


def test_a_notice_to_an_email_channel_is_sent_once_through_the_outbox(
    case_a, lead_a, settings, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    notice = draft(case_a, lead_a, "telegram", "eu-dsa-art16")
    services.takedown_submit(notice=notice, actor=lead_a)
    sent = Message.objects.get(kind=MessageKind.TAKEDOWN_NOTICE)
    assert sent.address == "abuse@telegram.org" and sent.about == notice
    assert "2022/2065" in sent.subject and notice.evidence_items.get().sha256 in sent.body
    assert deliver_outbox()["sent"] == 1
    with pytest.raises(Conflict):
        services.takedown_submit(notice=notice, actor=lead_a)
    assert deliver_outbox()["sent"] == 0
    assert Message.objects.filter(kind=MessageKind.TAKEDOWN_NOTICE).count() == 1
    (mail,) = messages_in(tmp_path)
    assert mail["To"] == "abuse@telegram.org"
    text = text_of(mail)
    assert "16(2)(d)" in text and "Ana Directora" in text and "Lucía" not in text


def test_a_web_form_notice_sends_nothing(case_a, lead_a):
    notice = draft(case_a, lead_a, "tiktok", "eu-dsa-art16")
    services.takedown_submit(notice=notice, actor=lead_a)
    assert not Message.objects.filter(kind=MessageKind.TAKEDOWN_NOTICE).exists()


def test_an_email_row_with_no_address_asks_for_the_sites_address(case_a, lead_a):
    notice = draft(case_a, lead_a, "adult-site", "eu-dsa-art16")
    with pytest.raises(ValidationError) as caught:
        services.takedown_submit(notice=notice, actor=lead_a)
    assert "report_email" in caught.value.message_dict
    notice.refresh_from_db()
    assert notice.status == "draft"
    typed = draft(case_a, lead_a, "adult-site", "eu-dsa-art16", report_email="abuse@site.example")
    services.takedown_submit(notice=typed, actor=lead_a)
    assert Message.objects.get(kind=MessageKind.TAKEDOWN_NOTICE).address == "abuse@site.example"


def test_a_notice_the_school_already_sent_itself_is_not_sent_again(case_a, lead_a):
    notice = draft(case_a, lead_a, "telegram", "eu-dsa-art16")
    services.takedown_submit(
        notice=notice, actor=lead_a, submitted_at=timezone.now() - timedelta(hours=1)
    )
    assert not Message.objects.filter(kind=MessageKind.TAKEDOWN_NOTICE).exists()


def test_a_british_school_is_offered_the_osa_marked_unconfirmed(db):
    school = SchoolFactory.create(name="Hill School", code="HIL", jurisdiction="GB-ENG")
    lead = member("lead.hill", school, "safeguarding_lead")
    case = CaseFactory.create(school=school, actor=lead)
    client = Client()
    client.force_login(lead)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("web:takedown_new", args=[case.pk])).content.decode()
    assert 'value="uk-osa-s10-3a"' in page and "commencement not yet confirmed" in page
    assert 'value="eu-dsa-art16"' not in page and 'value="us-take-it-down"' not in page


def test_the_school_acting_with_consent_must_record_it_even_unsigned(case_a, lead_a):
    """The relationship "with the guardians' consent" needs who consented and when,
    signed or not (issue 10: "the relationship and consent recorded")."""
    with pytest.raises(ValidationError) as refused:
        draft(
            case_a,
            lead_a,
            "tiktok",
            "eu-dsa-art16",
            requester_name="",
            requester_email="",
            requester_relationship="school_consent",
            consent_note="",
        )
    assert "consent_note" in refused.value.message_dict


def test_a_us_or_uk_notice_must_be_signed_where_the_faces_check_it(school_a):
    """TAKE IT DOWN §223a(a)(1)(B)(i) and OSA s.20A(2) want a signature; the DSA lets
    the notifier stay anonymous (art. 16(2)(c))."""
    us_school = SchoolFactory.create(jurisdiction="US-CA")
    tiktok = Platform.objects.get(slug="tiktok")
    with pytest.raises(ValidationError) as refused:
        validate_basis_applies(
            platform=tiktok,
            legal_basis=LegalBasis.objects.get(code="us-take-it-down"),
            school=us_school,
            requester_name="",
        )
    assert set(refused.value.message_dict) == {"requester_name"}
    validate_basis_applies(
        platform=tiktok,
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        school=school_a,
        requester_name="",
    )
