"""The text of a takedown notice: what the school pastes into a platform's report form,
sends to its abuse address, or prints (``reporting/templates/reporting/takedown_notice.html``).

One text per legal basis of the notice (``TakedownRequest.legal_basis``), each carrying
every element the law asks of a valid request (``../shared/LAW.md`` §1):

- US TAKE IT DOWN Act, 47 U.S.C. §223a(a)(1)(B)(i)–(iv): signature, identification and
  location, good-faith statement of non-consent, contact; 48 h and known identical
  copies (§223a(a)(3)).
- UK Online Safety Act 2023 s.20A(2) (intimate image content report): the three
  declarations, information to identify the content, contact details; 48 h for the
  content and content "the same or substantially the same" (s.10(3A)); its
  commencement is unconfirmed, and the text says so while the basis's ``status`` does.
- EU Digital Services Act, Reg. (EU) 2022/2065 art. 16(2)(a)–(d): a substantiated
  explanation of illegality citing the offences of the school's jurisdiction
  (``reporting.directory_selectors.offence_bases_for``: CP arts. 189 and 173.1 and
  Directive 2011/93/EU in Spain; never a draft such as art. 173 bis), exact URLs, the
  notifier's name and e-mail — or anonymity, which art. 16(2)(c) allows for offences
  under arts 3–7 of Directive 2011/93/EU —, a bona fide statement; and a request to
  confirm receipt and to notify the decision with redress options (art. 16(4)–(5)).

Every notice also carries (practice, LAW.md §1): the platform's required identifiers in
words, the uploader's account where recorded, the hashes with a request to remove
identical and near-identical copies, and never the image (UKCIS 2024).

Decision (anonymity under the DSA): there is no flag on the notice. A DSA notice
whose signature block has no name or no e-mail states that the notifier stays
anonymous as art. 16(2)(c) allows for child sexual abuse material; one with both gives
them and says that anonymity was open to the notifier. The other bases require contact
details (§223a(a)(1)(B)(iv), s.20A(2)).

The wording is kept here in Spanish and English side by side (:data:`PHRASES`), not in
the gettext catalogue: a notice is written in its own ``language`` whatever the reader's,
and both versions of a legal text are reviewed together. No child's name is written
into a notice: the person depicted is described by age (data minimisation; the school
keeps who it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from cases.audit import SYSTEM, AuditContext
from cases.models import EvidenceItem, Person, User
from reporting.directory_selectors import offence_bases_for
from reporting.documents import document_record, render_pdf
from reporting.identifiers import UPLOADER_KEYS, identifier_label
from reporting.models import (
    GeneratedDocument,
    LegalBasis,
    Platform,
    RequesterRelationship,
    TakedownRequest,
)

NOTICE_LANGUAGES = ("es", "en")

# The three families of text; a basis of another jurisdiction gets the most complete one
# (the DSA's, whose elements include the others' but the declarations).
US = "us"
GB = "gb"
EU = "eu"


@dataclass(frozen=True)
class NoticeDocument:
    """A notice's text in one language: ``subject`` (one line) and ``body`` (plain text,
    lines separated by ``\\n``), to paste into a form or send by e-mail."""

    subject: str
    body: str
    language: str
    family: str

    @property
    def text(self) -> str:
        """Subject, a blank line, the body: what a copy button or a .txt download holds."""
        return f"{self.subject}\n\n{self.body}\n"


# key: (Spanish, English). ``%(name)s`` placeholders are filled by :func:`_p`.
PHRASES: dict[str, tuple[str, str]] = {
    # --- subjects
    "subject_us": (
        "Solicitud de retirada conforme a la Ley TAKE IT DOWN (47 U.S.C. §223a): imágenes "
        "íntimas de una persona menor de edad difundidas sin consentimiento — ref. %(ref)s",
        "Removal request under the TAKE IT DOWN Act (47 U.S.C. §223a): non-consensual "
        "intimate depiction of a minor — ref. %(ref)s",
    ),
    "subject_gb": (
        "Denuncia de contenido de imagen íntima (Online Safety Act 2023, s.20A) — ref. %(ref)s",
        "Intimate image content report (Online Safety Act 2023, s.20A) — ref. %(ref)s",
    ),
    "subject_eu": (
        "Notificación de contenido ilícito (Reglamento (UE) 2022/2065, art. 16): material de "
        "abuso sexual infantil — ref. %(ref)s",
        "Notice of illegal content (Regulation (EU) 2022/2065, art. 16): child sexual abuse "
        "material — ref. %(ref)s",
    ),
    # --- header
    "to": ("Para: %(platform)s", "To: %(platform)s"),
    "via_url": ("Formulario de denuncia: %(url)s", "Report form: %(url)s"),
    "via_email": ("Dirección de denuncia: %(email)s", "Report address: %(email)s"),
    "from": (
        "De: %(school)s, en nombre de la persona que aparece en las imágenes",
        "From: %(school)s, on behalf of the person depicted",
    ),
    "date": ("Fecha: %(date)s", "Date: %(date)s"),
    "reference": ("Nuestra referencia: %(ref)s", "Our reference: %(ref)s"),
    "basis": ("Base legal: %(name)s — %(citation)s", "Legal basis: %(name)s — %(citation)s"),
    "unconfirmed": (
        "Nota: la entrada en vigor de estas disposiciones (s.10(3A) y s.20A, introducidas por "
        "la Crime and Policing Act 2026) aún no está confirmada. Si todavía no están en vigor, "
        "traten esta denuncia conforme a sus condiciones de servicio y a sus demás deberes "
        "según la Online Safety Act 2023.",
        "Note: the commencement of these provisions (s.10(3A) and s.20A, inserted by the "
        "Crime and Policing Act 2026) is not yet confirmed. If they are not yet in force, "
        "please treat this report under your terms of service and your other duties under "
        "the Online Safety Act 2023.",
    ),
    "intro": (
        "Les pedimos que retiren el contenido que se indica abajo: imágenes íntimas de %(who)s, "
        "difundidas sin su consentimiento%(ai)s.",
        "We ask you to remove the content listed below: intimate images of %(who)s, shared "
        "without their consent%(ai)s.",
    ),
    "intro_ai": (
        ", creadas o alteradas con inteligencia artificial a partir de fotografías reales",
        ", created or altered with artificial intelligence from real photographs",
    ),
    "who_minor_age": ("una persona menor de edad, de %(age)s años", "a minor aged %(age)s"),
    "who_minor": (
        "una persona menor de edad (alumna o alumno del centro)",
        "a minor (a pupil of the school)",
    ),
    "who_adult": ("una persona adulta", "an adult"),
    # --- items
    "items_us": (
        "1. Identificación y localización de cada imagen (47 U.S.C. §223a(a)(1)(B)(ii))",
        "1. Identification and location of each depiction (47 U.S.C. §223a(a)(1)(B)(ii))",
    ),
    "items_gb": (
        "Información para identificar el contenido (s.20A(2))",
        "Information sufficient to identify the content (s.20A(2))",
    ),
    "items_eu": (
        "(b) Localización electrónica exacta (art. 16(2)(b))",
        "(b) Exact electronic location (art. 16(2)(b))",
    ),
    "item": ("Elemento %(n)s — %(kind)s", "Item %(n)s — %(kind)s"),
    "location": ("Localización (URL exacta)", "Location (exact URL)"),
    "first_seen": ("Visto por primera vez", "First seen"),
    "not_recorded": ("no consta", "not recorded"),
    "uploader": ("Cuenta que lo subió o difundió", "Account that uploaded or shared it"),
    "pdq_quality": ("calidad %(q)s", "quality %(q)s"),
    "copies": (
        "Les pedimos que retiren también las copias idénticas (mismo SHA-256 o MD5) y casi "
        "idénticas (PDQ a distancia de Hamming ≤ 31) en todo su servicio.",
        "Please also remove identical copies (same SHA-256 or MD5) and near-identical "
        "copies (PDQ within Hamming distance 31) anywhere on your service.",
    ),
    "no_image": (
        "No adjuntamos ninguna imagen: el personal del centro nunca copia, guarda ni envía "
        "las imágenes. Los hashes bastan para encontrarlas.",
        "No image is attached: school staff never copy, store or send the imagery. The "
        "hashes are enough to find it.",
    ),
    # --- TAKE IT DOWN
    "good_faith_us_title": (
        "2. Declaración de buena fe (47 U.S.C. §223a(a)(1)(B)(iii))",
        "2. Statement of good faith (47 U.S.C. §223a(a)(1)(B)(iii))",
    ),
    "good_faith_us": (
        "Declaro de buena fe que cada imagen íntima identificada arriba no es consentida.",
        "I have a good-faith belief that each intimate visual depiction identified above is "
        "not consensual.",
    ),
    "relevant_minor": (
        "Información relevante: la persona que aparece es %(who)s y no puede consentir.",
        "Relevant information: the person depicted is %(who)s and cannot consent.",
    ),
    "relevant_adult": (
        "Información relevante: la persona que aparece no ha consentido su publicación.",
        "Relevant information: the person depicted did not consent to its publication.",
    ),
    "relevant_ai": (
        "Las imágenes fueron generadas o alteradas con inteligencia artificial (falsificación "
        "digital).",
        "The depictions were generated or altered with artificial intelligence (a digital "
        "forgery).",
    ),
    "contact_us_title": (
        "3. Datos de contacto (47 U.S.C. §223a(a)(1)(B)(iv))",
        "3. Contact information (47 U.S.C. §223a(a)(1)(B)(iv))",
    ),
    "deadline_us_title": (
        "4. Plazo y copias (47 U.S.C. §223a(a)(3))",
        "4. Deadline and copies (47 U.S.C. §223a(a)(3))",
    ),
    "deadline_us": (
        "La Ley les obliga a retirar estas imágenes lo antes posible y en todo caso en las 48 "
        "horas siguientes a la recepción de esta solicitud, y a hacer esfuerzos razonables "
        "para identificar y retirar las copias idénticas conocidas.",
        "The Act requires you to remove these depictions as soon as possible and no later "
        "than 48 hours after receiving this request, and to make reasonable efforts to "
        "identify and remove any known identical copies.",
    ),
    "signature_us_title": (
        "5. Firma (47 U.S.C. §223a(a)(1)(B)(i))",
        "5. Signature (47 U.S.C. §223a(a)(1)(B)(i))",
    ),
    # --- Online Safety Act
    "declarations_gb_title": (
        "Declaraciones (Online Safety Act 2023, s.20A(2))",
        "Declarations (Online Safety Act 2023, s.20A(2))",
    ),
    "declaration_gb_a": (
        "(a) El contenido identificado abajo es contenido de imagen íntima en el sentido de la "
        "Sexual Offences Act 2003, s.66B(1)–(3).",
        "(a) The content identified below is intimate image content within the meaning of "
        "section 66B(1)–(3) of the Sexual Offences Act 2003.",
    ),
    "declaration_gb_b": (
        "(b) Esta denuncia la presenta la persona que aparece en la imagen o una persona que "
        "actúa en su nombre: %(relationship)s.",
        "(b) This report is made by the person in the image or by a person acting on their "
        "behalf: %(relationship)s.",
    ),
    "declaration_gb_c": (
        "(c) Esta denuncia se presenta de buena fe y su contenido es verdadero según mi leal "
        "saber y entender.",
        "(c) This report is made in good faith and is true to the best of my knowledge and belief.",
    ),
    "contact_gb_title": (
        "Datos de contacto de quien denuncia (s.20A(2))",
        "Contact details of the reporter (s.20A(2))",
    ),
    "deadline_gb_title": ("Plazo (s.10(3A))", "Deadline (s.10(3A))"),
    "deadline_gb": (
        "La Ley les obliga a retirar este contenido, y el contenido igual o sustancialmente "
        "igual, tan pronto como sea razonablemente posible y en todo caso en las 48 horas "
        "siguientes a su recepción.",
        "The Act requires you to take down this content, and content the same or "
        "substantially the same, as soon as reasonably practicable and no later than 48 "
        "hours after receipt.",
    ),
    # --- Digital Services Act
    "illegal_eu_title": (
        "(a) Por qué el contenido es ilícito (art. 16(2)(a))",
        "(a) Why the content is illegal (art. 16(2)(a))",
    ),
    "illegal_eu": (
        "El contenido muestra a %(who)s, en imágenes de carácter sexual%(ai)s, difundidas sin "
        "su consentimiento. Es material de abuso sexual infantil: producirlo, poseerlo y "
        "difundirlo es delito según:",
        "The content shows %(who)s in sexual images%(ai)s, shared without their consent. It "
        "is child sexual abuse material: making, possessing and distributing it is an "
        "offence under:",
    ),
    "illegal_eu_adult": (
        "El contenido muestra a %(who)s en imágenes íntimas%(ai)s difundidas sin su "
        "consentimiento, lo que es delito según:",
        "The content shows %(who)s in intimate images%(ai)s shared without their consent, "
        "which is an offence under:",
    ),
    "notifier_eu_title": (
        "(c) Quién notifica (art. 16(2)(c))",
        "(c) The notifier (art. 16(2)(c))",
    ),
    "anonymous_option": (
        "Al tratarse de delitos de los arts. 3 a 7 de la Directiva 2011/93/UE, quien notifica "
        "puede permanecer en el anonimato (art. 16(2)(c)); facilitamos nuestro nombre y correo "
        "para que puedan confirmar la recepción y comunicarnos su decisión.",
        "As these are offences under arts 3 to 7 of Directive 2011/93/EU, the notifier may "
        "remain anonymous (art. 16(2)(c)); we give our name and email so that you can confirm "
        "receipt and notify us of your decision.",
    ),
    "anonymous": (
        "Quien notifica permanece en el anonimato, como permite el art. 16(2)(c) para los "
        "delitos de los arts. 3 a 7 de la Directiva 2011/93/UE (material de abuso sexual "
        "infantil).",
        "The notifier remains anonymous, as art. 16(2)(c) allows for offences under arts 3 "
        "to 7 of Directive 2011/93/EU (child sexual abuse material).",
    ),
    "bona_fide_eu_title": (
        "(d) Declaración de buena fe (art. 16(2)(d))",
        "(d) Statement of good faith (art. 16(2)(d))",
    ),
    "bona_fide_eu": (
        "Declaro de buena fe que la información y las alegaciones de esta notificación son "
        "exactas y completas.",
        "I declare my bona fide belief that the information and allegations contained in "
        "this notice are accurate and complete.",
    ),
    "receipt_eu_title": (
        "Acuse de recibo y decisión (art. 16(4)–(5))",
        "Confirmation of receipt and decision (art. 16(4)–(5))",
    ),
    "receipt_eu": (
        "Les pedimos que acusen recibo de esta notificación sin demora indebida y que nos "
        "comuniquen su decisión, con información sobre las vías de recurso disponibles "
        "(arts. 16(5), 17 y 20 del Reglamento).",
        "Please confirm receipt of this notice without undue delay and notify us of your "
        "decision, with information on the possibilities for redress (arts 16(5), 17 and 20 "
        "of the Regulation).",
    ),
    "follow_up_eu": (
        "El Reglamento exige actuar sin demora indebida; haremos seguimiento en %(hours)s horas.",
        "The Regulation requires action without undue delay; we will follow up in %(hours)s hours.",
    ),
    # --- common blocks
    "hashes_title": ("Hashes y copias", "Hashes and copies"),
    "name": ("Nombre", "Name"),
    "acting_as": ("Actúa como", "Acting as"),
    "email": ("Correo electrónico", "Email"),
    "phone": ("Teléfono", "Phone"),
    "school": ("Centro educativo", "School"),
    "consent": ("Consentimiento", "Consent"),
    "signature": ("Firma electrónica: /s/ %(name)s", "Electronic signature: /s/ %(name)s"),
    "signed_on_behalf": (
        "%(relationship)s, en nombre de la persona que aparece en las imágenes",
        "%(relationship)s, on behalf of the person depicted",
    ),
    "ticket": (
        "Indiquen, por favor, su número de caso o ticket en la respuesta.",
        "Please quote your case or ticket number in your reply.",
    ),
}

# Who signs, in words (TAKE IT DOWN §223a(a)(1)(B)(i): the individual or an authorised
# person acting on their behalf; for a minor a parent or guardian, or the school with
# their consent).
RELATIONSHIPS: dict[str, tuple[str, str]] = {
    RequesterRelationship.SELF: ("la propia persona que aparece", "the person depicted"),
    RequesterRelationship.GUARDIAN: (
        "madre, padre o tutor legal de la persona que aparece",
        "parent or legal guardian of the person depicted",
    ),
    RequesterRelationship.SCHOOL_WITH_CONSENT: (
        "el centro educativo, con el consentimiento de la familia",
        "the school, with the consent of the parents or guardians",
    ),
    RequesterRelationship.SCHOOL_DUTY: (
        "el centro educativo, en cumplimiento de su deber de protección del menor",
        "the school, under its duty to protect the child",
    ),
}

KINDS: dict[str, tuple[str, str]] = {
    EvidenceItem.Kind.IMAGE: ("Imagen", "Image"),
    EvidenceItem.Kind.VIDEO: ("Vídeo", "Video"),
    EvidenceItem.Kind.MESSAGE: ("Mensaje", "Message"),
    EvidenceItem.Kind.ACCOUNT: ("Cuenta o perfil", "Account or profile"),
    EvidenceItem.Kind.GROUP: ("Grupo o canal", "Group or channel"),
    EvidenceItem.Kind.URL: ("Página web", "Web page"),
    EvidenceItem.Kind.OTHER: ("Otro", "Other"),
}


def phrase(key: str, language: str, **values: object) -> str:
    """Phrase ``key`` of :data:`PHRASES` in ``language`` with ``values`` filled in."""
    es, en = PHRASES[key]
    text = es if language == "es" else en
    return text % values if values else text


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[0] if language == "es" else pair[1]


def basis_name(basis: LegalBasis, language: str) -> str:
    """The basis's (or offence's) name in ``language``."""
    return _pick((basis.name_es or basis.name_en, basis.name_en), language)


def basis_citation(basis: LegalBasis, language: str) -> str:
    """The basis's (or offence's) citation in ``language``."""
    return _pick((basis.citation_es or basis.citation_en, basis.citation_en), language)


def family_of(basis: LegalBasis) -> str:
    """Which text a basis gets: ``"us"`` (TAKE IT DOWN), ``"gb"`` (Online Safety Act) or
    ``"eu"`` (DSA, and any other basis: its elements are the most complete)."""
    if basis.jurisdiction == "US":
        return US
    if basis.jurisdiction == "GB":
        return GB
    return EU


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _victim_age(victim: Person | None) -> int | None:
    if victim is None:
        return None
    return victim.age_on(timezone.now().date())


def describe_person(victim: Person | None, language: str) -> tuple[str, bool]:
    """How the person depicted is described (never by name) and whether a minor: by
    age when the date of birth is known; a pupil (or nobody named) is a minor."""
    age = _victim_age(victim)
    if age is not None:
        if age < 18:
            return phrase("who_minor_age", language, age=age), True
        return phrase("who_adult", language), False
    if victim is None or victim.kind == Person.Kind.PUPIL:
        return phrase("who_minor", language), True
    return phrase("who_adult", language), False


def _identifier_lines(item: EvidenceItem, platform: Platform, language: str) -> list[str]:
    """The platform's required identifiers in words, each with the item's value or "not
    recorded", then any other identifier recorded for the item (LAW.md §1: "the
    platform's required identifiers (WhatsApp number/group, t.me link, Discord message
    link with server, channel and message ids, YouTube URL with timestamp, handles)")."""
    recorded = item.identifiers if isinstance(item.identifiers, dict) else {}
    keys = [str(key) for key in platform.required_identifiers or []]
    keys += [str(key) for key in recorded if str(key) not in keys]
    lines = []
    for key in keys:
        value = recorded.get(key)
        shown = str(value) if value not in (None, "") else phrase("not_recorded", language)
        lines.append(f"   {identifier_label(key, language)}: {shown}")
    return lines


def _uploader(item: EvidenceItem) -> tuple[str, str]:
    """The uploader's account (its identifier key and value), or ``("", "")``."""
    recorded = item.identifiers if isinstance(item.identifiers, dict) else {}
    for key in UPLOADER_KEYS:
        if recorded.get(key):
            return key, str(recorded[key])
    return "", ""


def _items_block(notice: TakedownRequest, items: list[EvidenceItem], language: str) -> list[str]:
    """Each item: kind, exact location, first seen (UTC), the platform's identifiers,
    the uploader's account, and its hashes (SHA-256, MD5, PDQ with quality) — never
    the content (DESIGN rule 1)."""
    lines: list[str] = []
    for n, item in enumerate(items, start=1):
        lines.append(phrase("item", language, n=n, kind=_pick(KINDS[item.kind], language)))
        # Exact URL or message link: §223a(a)(1)(B)(ii); DSA art. 16(2)(b); s.20A(2).
        location = item.location or phrase("not_recorded", language)
        lines.append(f"   {phrase('location', language)}: {location}")
        lines.append(f"   {phrase('first_seen', language)}: {utc_text(item.first_seen_at)}")
        # The platform's required identifiers (LAW.md §1, "every notice also carries").
        lines.extend(_identifier_lines(item, notice.platform, language))
        # The uploader's account, where recorded (LAW.md §1); said once.
        key, uploader = _uploader(item)
        if uploader and key != "uploader_account":
            lines.append(f"   {phrase('uploader', language)}: {uploader}")
        # Hashes, so identical and near-identical copies can be found (LAW.md §1).
        if item.sha256:
            lines.append(f"   SHA-256: {item.sha256}")
        if item.md5:
            lines.append(f"   MD5: {item.md5}")
        if item.pdq:
            quality = (
                f" ({phrase('pdq_quality', language, q=item.pdq_quality)})"
                if item.pdq_quality is not None
                else ""
            )
            lines.append(f"   PDQ: {item.pdq}{quality}")
    return lines


def _copies_block(language: str) -> list[str]:
    # Identical and near-identical copies: TAKE IT DOWN §223a(a)(3) ("known identical
    # copies"), OSA s.10(3A) ("the same or substantially the same"), and practice for
    # the DSA; PDQ distance 31 is Meta's default match threshold (LAW.md §5).
    return [phrase("copies", language), phrase("no_image", language)]


def _relationship(notice: TakedownRequest, language: str) -> str:
    pair = RELATIONSHIPS.get(notice.requester_relationship)
    return _pick(pair, language) if pair else notice.requester_relationship


def _contact_block(notice: TakedownRequest, language: str, *, with_email: bool = True) -> list[str]:
    """Who to contact: name, acting as, e-mail, phone, school."""
    missing = phrase("not_recorded", language)
    lines = [
        f"{phrase('name', language)}: {notice.requester_name or missing}",
        f"{phrase('acting_as', language)}: {_relationship(notice, language)}",
    ]
    if with_email:
        lines.append(f"{phrase('email', language)}: {notice.requester_email or missing}")
    if notice.requester_phone:
        lines.append(f"{phrase('phone', language)}: {notice.requester_phone}")
    lines.append(f"{phrase('school', language)}: {notice.case.school.name}")
    return lines


def _signature_block(notice: TakedownRequest, language: str, today: str) -> list[str]:
    """The electronic signature of the individual or the authorised person, with the
    relationship and, for the school acting with consent, who consented (§223a(a)(1)(B)(i))."""
    missing = phrase("not_recorded", language)
    lines = [
        phrase("signature", language, name=notice.requester_name or missing),
        phrase("signed_on_behalf", language, relationship=_relationship(notice, language)),
    ]
    if notice.consent_note:
        lines.append(f"{phrase('consent', language)}: {notice.consent_note}")
    lines.append(phrase("date", language, date=today))
    return lines


def _header(notice: TakedownRequest, language: str, ref: str, today: str) -> list[str]:
    platform = notice.platform
    basis = notice.legal_basis
    name = f"{platform.name} ({platform.operator})" if platform.operator else platform.name
    lines = [phrase("to", language, platform=name)]
    if platform.report_email and notice.channel == Platform.Channel.EMAIL:
        lines.append(phrase("via_email", language, email=platform.report_email))
    elif platform.report_url:
        lines.append(phrase("via_url", language, url=platform.report_url))
    lines += [
        phrase("from", language, school=notice.case.school.name),
        phrase("date", language, date=today),
        phrase("reference", language, ref=ref),
        phrase(
            "basis",
            language,
            name=basis_name(basis, language),
            citation=basis_citation(basis, language),
        ),
    ]
    return lines


def notice_reference(notice: TakedownRequest) -> str:
    """The school's reference of a notice: the case's reference and the notice's id
    (``ALF-2026-0001-T12``); the platform is asked to quote it."""
    return f"{notice.case.reference}-T{notice.pk}"


def notice_text(notice: TakedownRequest, *, language: str | None = None) -> NoticeDocument:
    """The text of ``notice`` in ``language`` (``"es"``/``"en"``; default the notice's
    own ``language``) for its legal basis, with every element LAW.md §1 asks of it (see
    the module's docstring; each element is marked with its article below). Reads the
    notice's evidence items, case, school, victim and, for the DSA, the offences of the
    school's jurisdiction. Times are UTC. Raises ``ValueError`` for another language.
    Writes nothing: the caller records a download (``reporting.documents``)."""
    language = language or notice.language or "es"
    if language not in NOTICE_LANGUAGES:
        raise ValueError(f"language must be one of {NOTICE_LANGUAGES}")
    basis = notice.legal_basis
    family = family_of(basis)
    case = notice.case
    items = sorted(notice.evidence_items.all(), key=lambda item: (item.first_seen_at, item.pk))
    # The notice's date: when it was submitted (the text a platform received), else today.
    today = (notice.submitted_at or timezone.now()).astimezone(UTC).strftime("%Y-%m-%d")
    ref = notice_reference(notice)
    who, minor = describe_person(notice.victim, language)
    ai = phrase("intro_ai", language) if case.ai_generated else ""

    subject = phrase(f"subject_{family}", language, ref=ref)
    lines = _header(notice, language, ref, today)
    if basis.commencement_unconfirmed:
        # OSA s.10(3A)/s.20A: commencement not yet confirmed (LAW.md §1, basis ``status``).
        lines += ["", phrase("unconfirmed", language)]
    lines += ["", phrase("intro", language, who=who, ai=ai), ""]

    if family == US:
        # (ii) identification and information to locate it: §223a(a)(1)(B)(ii).
        lines += [phrase("items_us", language), *_items_block(notice, items, language), ""]
        # (iii) good-faith statement of non-consent, with relevant information.
        lines += [phrase("good_faith_us_title", language), phrase("good_faith_us", language)]
        lines.append(
            phrase("relevant_minor", language, who=who)
            if minor
            else phrase("relevant_adult", language)
        )
        if case.ai_generated:
            lines.append(phrase("relevant_ai", language))
        lines.append("")
        # (iv) contact information: §223a(a)(1)(B)(iv).
        lines += [phrase("contact_us_title", language), *_contact_block(notice, language), ""]
        # 48 h and known identical copies: §223a(a)(3).
        lines += [phrase("deadline_us_title", language), phrase("deadline_us", language)]
        lines += [phrase("hashes_title", language), *_copies_block(language), ""]
        # (i) signature of the individual or an authorised person: §223a(a)(1)(B)(i).
        lines += [
            phrase("signature_us_title", language),
            *_signature_block(notice, language, today),
        ]
    elif family == GB:
        # The three declarations of an intimate image content report: OSA s.20A(2).
        relationship = _relationship(notice, language)
        lines += [
            phrase("declarations_gb_title", language),
            phrase("declaration_gb_a", language),  # s.20A(2)(a), SOA 2003 s.66B(1)–(3)
            phrase("declaration_gb_b", language, relationship=relationship),  # s.20A(2)(b)
            phrase("declaration_gb_c", language),  # s.20A(2)(c)
            "",
        ]
        # Information sufficient to identify the content: s.20A(2).
        lines += [phrase("items_gb", language), *_items_block(notice, items, language), ""]
        # Contact details of the reporter: s.20A(2).
        lines += [phrase("contact_gb_title", language), *_contact_block(notice, language), ""]
        # 48 h, the same or substantially the same content: s.10(3A).
        lines += [phrase("deadline_gb_title", language), phrase("deadline_gb", language)]
        lines += [phrase("hashes_title", language), *_copies_block(language), ""]
        lines += _signature_block(notice, language, today)
    else:
        # (a) a sufficiently substantiated explanation of illegality, citing the
        # offences where the school is (DSA art. 16(2)(a); LAW.md §3: CP arts. 189 and
        # 173.1 in Spain, never the draft art. 173 bis).
        lines += [
            phrase("illegal_eu_title", language),
            phrase("illegal_eu" if minor else "illegal_eu_adult", language, who=who, ai=ai),
        ]
        for offence in offence_bases_for(school=case.school):
            name = basis_name(offence, language)
            lines.append(f" - {name} ({basis_citation(offence, language)})")
        lines.append("")
        # (b) the exact electronic location: art. 16(2)(b).
        lines += [phrase("items_eu", language), *_items_block(notice, items, language), ""]
        lines += [phrase("hashes_title", language), *_copies_block(language), ""]
        # (c) name and e-mail, except for CSAM (Directive 2011/93/EU arts 3–7), where
        # the notifier may stay anonymous: art. 16(2)(c).
        lines.append(phrase("notifier_eu_title", language))
        if notice.requester_name and notice.requester_email:
            lines += _contact_block(notice, language)
            if minor:
                lines.append(phrase("anonymous_option", language))
        else:
            lines.append(phrase("anonymous", language))
        lines.append("")
        # (d) bona fide statement: art. 16(2)(d).
        lines += [phrase("bona_fide_eu_title", language), phrase("bona_fide_eu", language), ""]
        # Confirmation of receipt and decision with redress: art. 16(4)–(5).
        lines += [phrase("receipt_eu_title", language), phrase("receipt_eu", language)]
        if basis.deadline_hours and not basis.statutory:
            lines.append(phrase("follow_up_eu", language, hours=basis.deadline_hours))
        lines.append("")
        if notice.requester_name:
            lines += _signature_block(notice, language, today)
    lines += ["", phrase("ticket", language)]
    return NoticeDocument(
        subject=subject, body="\n".join(lines).strip(), language=language, family=family
    )


# The PDF of a notice (``reporting.documents.render_pdf``).
NOTICE_TEMPLATE = "reporting/takedown_notice.html"
NOTICE_FORMATS = ("txt", "pdf")


@dataclass(frozen=True)
class NoticeDownload:
    """A notice rendered for download: its bytes, file name and content type."""

    content: bytes
    filename: str
    content_type: str
    document: NoticeDocument


@transaction.atomic
def notice_download(
    *,
    notice: TakedownRequest,
    actor: User,
    fmt: str,
    language: str | None = None,
    context: AuditContext = SYSTEM,
) -> NoticeDownload:
    """Render ``notice`` as plain text (``fmt`` ``"txt"``, UTF-8) or PDF (``"pdf"``) in
    ``language`` (default the notice's) and record it: a ``GeneratedDocument`` with its
    SHA-256 and a ``document.generated`` chronology line (``document_record``; DESIGN
    "Documents"). The caller writes the read's ``AccessEvent``
    (``AccessAction.TAKEDOWN_NOTICE_TEXT``) in the same transaction. Raises
    ``ValueError`` for an unknown format or language."""
    if fmt not in NOTICE_FORMATS:
        raise ValueError(f"format must be one of {NOTICE_FORMATS}")
    document = notice_text(notice, language=language)
    if fmt == "pdf":
        content = render_pdf(
            NOTICE_TEMPLATE,
            {
                "document": document,
                "reference": notice_reference(notice),
                "platform": notice.platform.name,
                "basis": basis_citation(notice.legal_basis, document.language),
            },
            language=document.language,
        )
        content_type = "application/pdf"
    else:
        content = document.text.encode()
        content_type = "text/plain; charset=utf-8"
    document_record(
        case=notice.case,
        actor=actor,
        kind=GeneratedDocument.Kind.TAKEDOWN_NOTICE,
        content=content,
        fmt=fmt,
        language=document.language,
        takedown=notice,
        context=context,
    )
    filename = f"{notice_reference(notice)}-{notice.platform.slug}-{document.language}.{fmt}"
    return NoticeDownload(
        content=content, filename=filename, content_type=content_type, document=document
    )
