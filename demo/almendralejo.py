"""The Almendralejo scenario (``shared/SCENARIO.md``) as plain data.

Everything here is invented: schools, names, dates of birth, phone numbers, handles,
links, atestado numbers. The facts it is shaped on (September 2023, BBC / AFP /
Euronews): AI-generated naked images of 20–30 girls aged 11–17, made with a nudify app
from photos on their own social media, circulated on WhatsApp and Telegram; 11 boys
aged 12–14 identified; one girl targeted with extortion; 11 complaints to the police;
the parents' support group; the AEPD Canal Prioritario asked to remove the URLs.

This module holds data only, plus a few pure helpers (dates of birth, times relative to
the load, the harmless images). Two drivers replay it:

- ``demo.loader`` through the services (``manage.py load_scenario almendralejo``);
- the end-to-end test through the HTTP API.

How to replay (both drivers do the same, in this order):

1. ``ALMENDRALEJO.organisations`` (schools, police unit, prosecutor, social services);
   the AEPD Canal Prioritario (``AEPDCP``) and the legal basis ``eu-dsa-art16`` come
   from migration ``reporting/0002_directory``.
2. ``ALMENDRALEJO.users`` with ``DEMO_PASSWORD`` and one membership each; those whose
   role needs a second factor get a TOTP device (``demo_totp_key``) and one backup code
   (``demo_backup_code``).
3. ``ALMENDRALEJO.people`` (``PersonSpec.date_of_birth(today)`` gives the DOB that makes
   the stated ``age`` true on ``today``, the Europe/Madrid date of the load), recorded
   by the school's safeguarding lead (``Scenario.lead_of(school)``).
4. For each ``CaseSpec`` in ``ALMENDRALEJO.cases``: the concern (logged by a member of
   staff), the case opened from it, participants, evidence, guardian contacts,
   referrals (create → send → acknowledge by the destination's liaison), takedown
   notices (create → submit → outcome), support plans (create → measures →
   check-ins), actions.
5. Then the deadline sweep (``reporting.services.takedowns_mark_overdue``) and the
   escalation of every ``TakedownSpec`` with ``escalate=True``.

Times are ``timedelta`` offsets from the moment of the load (``at(now, offset)``;
negative is the past), so the demo always has live clocks: the images appeared about
three weeks ago, one takedown notice is past its 48 h, check-ins fall due this week.
Cross-references are by ``key`` (people, evidence, images) or ``username`` / ``code``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from demo import images

# The one password of every demo account. Demo credentials exist only here, never in
# settings (SCENARIO.md, "Demo accounts"); it passes AUTH_PASSWORD_VALIDATORS.
DEMO_PASSWORD = "Extremadura-Demo-2023"  # noqa: S105 (public demo password, by design)

# The demo's second factor (issue 3): each account whose role needs one gets a TOTP
# device whose secret is derived from this seed and its username (``demo_totp_key``),
# and one static backup code (``demo_backup_code``). Public demo values, printed in the
# logins table, like the password: demo only, never in settings, never for real users.
DEMO_OTP_SEED = "salvaguarda-demo-otp-almendralejo-2023"


def demo_totp_key(username: str) -> bytes:
    """The demo TOTP key of ``username``: 20 bytes (HMAC-SHA256 of the username under
    ``DEMO_OTP_SEED``, truncated), stored hex-encoded in django-otp's ``TOTPDevice.key``."""
    return hmac.new(DEMO_OTP_SEED.encode(), username.encode(), hashlib.sha256).digest()[:20]


def demo_totp_secret(username: str) -> str:
    """The same key in base32 (32 characters), as an authenticator app takes it."""
    return base64.b32encode(demo_totp_key(username)).decode("ascii")


def demo_backup_code(username: str) -> str:
    """The one static backup code of ``username`` (10 hex digits; works once)."""
    digest = hmac.new(DEMO_OTP_SEED.encode(), b"backup:" + username.encode(), hashlib.sha256)
    return digest.hexdigest()[:10]


# Stable marker recorded (as a school-level CaseEvent) when the scenario is loaded.
MARKER = "almendralejo-v1"

Offset = timedelta  # relative to the load; negative = before it


def ago(days: float = 0, hours: float = 0) -> Offset:
    return -timedelta(days=days, hours=hours)


def ahead(days: float = 0, hours: float = 0) -> Offset:
    return timedelta(days=days, hours=hours)


def at(now: datetime, offset: Offset) -> datetime:
    """The aware datetime ``offset`` from ``now`` (UTC in, UTC out)."""
    return now + offset


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


def date_of_birth(*, age: int, today: date, key: str) -> date:
    """A date of birth that makes someone exactly ``age`` on ``today``.

    The birthday falls 30–329 days (fixed per ``key``) before the anniversary, so the
    age stays ``age`` for at least a month either side of ``today``: a test run just
    after midnight or a demo shown next week still sees the same ages.
    """
    shift = 30 + zlib.crc32(key.encode()) % 300
    return _years_before(today, age) - timedelta(days=shift)


# --- specs -------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSpec:
    code: str
    name: str
    kind: str  # cases.models.Organisation.Kind
    email: str
    domain: str  # of the demo users' e-mail addresses
    jurisdiction: str = "ES-BA"
    time_zone: str = "Europe/Madrid"


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    organisation: str  # OrganisationSpec.code
    role: str  # cases.models.Role
    email: str
    job: str  # shown in the logins table


@dataclass(frozen=True)
class PersonSpec:
    key: str
    school: str  # OrganisationSpec.code
    kind: str  # cases.models.Person.Kind
    given_name: str
    family_name: str
    sex: str = "unknown"
    age: int | None = None  # whole years on the day of the load (pupils only)
    year_group: str = ""
    phone: str = ""

    def date_of_birth(self, today: date) -> date | None:
        if self.age is None:
            return None
        return date_of_birth(age=self.age, today=today, key=self.key)


@dataclass(frozen=True)
class ImageSpec:
    """A harmless generated image standing in for one that circulated."""

    key: str
    seed: int
    variant: images.Variant = "original"

    def render(self) -> bytes:
        return images.render(self.seed, variant=self.variant)

    def hashes(self) -> images.ImageHashes:
        return images.hashes(self.seed, self.variant)


@dataclass(frozen=True)
class ConcernSpec:
    logged_by: str  # username of a member of staff
    source: str  # cases.models.Concern.Source
    summary: str
    childs_own_words: str
    subject: str  # PersonSpec.key
    occurred_at: Offset
    logged_at: Offset


@dataclass(frozen=True)
class ParticipantSpec:
    person: str  # PersonSpec.key
    role: str  # cases.models.Participant.Role
    notes: str = ""
    # An alleged perpetrator's date of the act (its local date): their age on it routes
    # the case (LO 5/2000; reporting.routing) and is shown in the referral packet.
    act_on: Offset | None = None


@dataclass(frozen=True)
class EvidenceSpec:
    key: str
    kind: str  # cases.models.EvidenceItem.Kind
    first_seen_at: Offset
    platform: str | None = None  # reporting.models.Platform.slug
    location: str = ""
    identifiers: Mapping[str, str] = field(default_factory=dict)
    seen_by: str = ""
    description: str = ""
    image: str | None = None  # ImageSpec.key: hashes come from that image


@dataclass(frozen=True)
class ReferralSpec:
    key: str
    destination: str  # OrganisationSpec.code
    summary: str
    legal_basis: str  # reporting.models.Referral.Basis
    legal_basis_note: str
    shared_sections: tuple[str, ...]
    sent_at: Offset
    complainant: str | None = None  # PersonSpec.key of a victim (a complaint)
    acknowledged_at: Offset | None = None
    acknowledged_by: str | None = None  # username of the destination's liaison
    external_reference: str = ""  # may hold "{year}": the local year of acknowledgement
    # What the parents or guardians know (reporting.models.GuardianPosition), and why
    # they were not asked where so.
    guardians: str = "consented"
    guardians_note: str = ""
    # An urgent referral phoned in first, confirmed in writing (the send) within 24 h.
    phoned_at: Offset | None = None
    phoned_to: str = ""

    def reference_for(self, year: int) -> str:
        return self.external_reference.format(year=year)


@dataclass(frozen=True)
class TakedownSpec:
    key: str
    platform: str  # reporting.models.Platform.slug
    evidence: tuple[str, ...]  # EvidenceSpec.key, all of the same case
    legal_basis: str  # reporting.models.LegalBasis.code
    notes: str
    submitted_at: Offset
    platform_ticket: str = ""
    outcome: str | None = None  # "acknowledged" or "removed", recorded at the load
    escalate: bool = False  # after the sweep marks it overdue
    escalation_reference: str = ""
    # The signature block: the person depicted and who asks for them.
    victim: str | None = None  # PersonSpec.key
    relationship: str = "school_consent"  # reporting.models.RequesterRelationship
    consent_note: str = ""


@dataclass(frozen=True)
class AuthorityReportSpec:
    """A report to a regulator or hotline made by hand (the AEPD's ordinary complaint
    beside its Canal Prioritario); escalation drafts come from the sweep instead."""

    route: str  # reporting.models.AuthorityReport.Route (the text is drafted by the product)
    filed_at: Offset
    reference: str
    answer: str = ""  # the authority's decision, recorded as its answer


@dataclass(frozen=True)
class RoutingDismissalSpec:
    """Routing advice the lead dismissed, with the reason (the rest of the advice is
    accepted by the loader where the scenario did what it advises, or left open)."""

    rule: str  # reporting.routing rule code
    destination: str  # Organisation code
    reason: str


@dataclass(frozen=True)
class RemovalReportSpec:
    """What a victim chose to share of her own removal report (Take It Down…)."""

    victim: str  # PersonSpec.key
    route: str  # reporting.models.RemovalRoute.code
    reported_on: Offset
    case_number: str
    status: str = "reported"


@dataclass(frozen=True)
class MeasureSpec:
    kind: str  # cases.models.SupportMeasure.Kind
    description: str
    provider: str
    started_at: Offset  # its local date is the start date


@dataclass(frozen=True)
class CheckInSpec:
    held_at: Offset
    wellbeing: int  # 1–5
    notes: str


@dataclass(frozen=True)
class SupportPlanSpec:
    victim: str  # PersonSpec.key
    owner: str  # username
    summary: str
    first_check_in_at: Offset
    measures: tuple[MeasureSpec, ...]
    check_ins: tuple[CheckInSpec, ...] = ()
    check_in_every_days: int = 7


@dataclass(frozen=True)
class GuardianContactSpec:
    guardian: str  # PersonSpec.key
    method: str  # cases.models.GuardianContact.Method
    contacted_at: Offset
    notes: str


@dataclass(frozen=True)
class ActionSpec:
    title: str
    owner: str  # username
    due_at: Offset


@dataclass(frozen=True)
class CaseSpec:
    key: str
    school: str  # OrganisationSpec.code
    title: str
    summary: str
    category: str  # cases.models.Case.Category
    risk_level: str
    lead: str  # username; also the actor of the school's writes
    opened_at: Offset
    concern: ConcernSpec
    participants: tuple[ParticipantSpec, ...]
    evidence: tuple[EvidenceSpec, ...]
    referrals: tuple[ReferralSpec, ...]
    takedowns: tuple[TakedownSpec, ...]
    support_plans: tuple[SupportPlanSpec, ...]
    guardian_contacts: tuple[GuardianContactSpec, ...]
    actions: tuple[ActionSpec, ...] = ()
    authority_reports: tuple[AuthorityReportSpec, ...] = ()
    removal_reports: tuple[RemovalReportSpec, ...] = ()
    routing_dismissals: tuple[RoutingDismissalSpec, ...] = ()
    ai_generated: bool = True
    coercion_or_extortion: bool = False
    under_13: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    marker: str
    password: str
    police_unit: str  # the code of the unit that receives the complaints
    organisations: tuple[OrganisationSpec, ...]
    users: tuple[UserSpec, ...]
    people: tuple[PersonSpec, ...]
    images: tuple[ImageSpec, ...]
    cases: tuple[CaseSpec, ...]

    @property
    def schools(self) -> tuple[OrganisationSpec, ...]:
        return tuple(o for o in self.organisations if o.kind == "school")

    def lead_of(self, school: str) -> str:
        return next(
            u.username
            for u in self.users
            if u.organisation == school and u.role == "safeguarding_lead"
        )

    def person(self, key: str) -> PersonSpec:
        return next(p for p in self.people if p.key == key)

    def image(self, key: str) -> ImageSpec:
        return next(i for i in self.images if i.key == key)

    def participants(self, role: str) -> Iterator[tuple[CaseSpec, ParticipantSpec]]:
        for case in self.cases:
            for participant in case.participants:
                if participant.role == role:
                    yield case, participant


# --- organisations and users ----------------------------------------------------------

NOR, SUR, CEN = "NOR", "SUR", "CEN"
POLICE, FISCALIA, SOCIAL = "PNALM", "FMBA", "SSALM"
# The region's child-protection service, a row of the directory (reporting/directory.py):
# the demo gives it its (invented) address, as an operator would in the admin.
CHILD_PROTECTION = "SPMEX"

ORGANISATIONS = (
    OrganisationSpec(
        NOR, "IES Norte", "school", "secretaria@ies-norte.example", "ies-norte.example",
    ),
    OrganisationSpec(
        SUR, "IES Sur", "school", "secretaria@ies-sur.example", "ies-sur.example",
    ),
    OrganisationSpec(
        CEN, "Colegio Centro", "school", "secretaria@colegio-centro.example",
        "colegio-centro.example",
    ),
    OrganisationSpec(
        POLICE, "Policía Nacional — Comisaría de Almendralejo", "police_unit",
        "participacion.almendralejo@policia.example", "policia.example",
    ),
    OrganisationSpec(
        FISCALIA, "Fiscalía de Menores de Badajoz", "prosecutor",
        "menores.badajoz@fiscal.example", "fiscal.example",
    ),
    OrganisationSpec(
        SOCIAL, "Servicios Sociales de Almendralejo", "social_services",
        "infancia@servicios-sociales-almendralejo.example",
        "servicios-sociales-almendralejo.example",
    ),
    OrganisationSpec(
        CHILD_PROTECTION, "Junta de Extremadura — Servicio de Protección de Menores",
        "child_protection", "proteccion.menores@juntaex.example", "juntaex.example",
        jurisdiction="ES-EX",
    ),
)  # fmt: skip

_DOMAINS = {o.code: o.domain for o in ORGANISATIONS}


def _user(username: str, first: str, last: str, org: str, role: str, job: str) -> UserSpec:
    return UserSpec(username, first, last, org, role, f"{username}@{_DOMAINS[org]}", job)


USERS = (
    _user("lead.norte", "Marisa", "Calvo Ortega", NOR, "safeguarding_lead",
          "Coordinadora de bienestar y protección"),
    _user("staff.norte", "Tomás", "Rivera Soto", NOR, "staff", "Tutor de 3º ESO"),
    _user("staff2.norte", "Pilar", "Navarro Gil", NOR, "staff", "Orientadora"),
    _user("head.norte", "Fernando", "Lobato Ruiz", NOR, "head", "Director"),
    _user("lead.sur", "Antonio", "Barrena Mesa", SUR, "safeguarding_lead",
          "Coordinador de bienestar y protección"),
    _user("staff.sur", "Eva", "Cordero Prieto", SUR, "staff", "Tutora de 2º ESO"),
    _user("staff2.sur", "Jesús", "Morales Vidal", SUR, "staff", "Profesor de Lengua"),
    _user("lead.centro", "Concepción", "Pérez Llanos", CEN, "safeguarding_lead",
          "Coordinadora de bienestar y protección"),
    _user("staff.centro", "Manuel", "Caro Fuentes", CEN, "staff", "Tutor de 1º ESO"),
    _user("staff2.centro", "Lidia", "Romero Sanz", CEN, "staff", "Orientadora"),
    _user("police.almendralejo", "Ramón", "Delgado Pino", POLICE, "police_liaison",
          "Agente de Participación Ciudadana (enlace con los centros)"),
    _user("fiscalia.badajoz", "Beatriz", "Chamorro León", FISCALIA, "police_liaison",
          "Enlace de la Fiscalía de Menores"),
)  # fmt: skip

# --- people ---------------------------------------------------------------------------

_YEAR = {
    11: "1º ESO",
    12: "1º ESO",
    13: "2º ESO",
    14: "3º ESO",
    15: "4º ESO",
    16: "1º Bachillerato",
    17: "2º Bachillerato",
}


def _pupil(key: str, school: str, given: str, family: str, age: int, sex: str) -> PersonSpec:
    # Colegio Centro also teaches primary: its 11-year-olds are in 6º de Primaria.
    year = "6º Primaria" if (school == CEN and age == 11) else _YEAR[age]
    return PersonSpec(key, school, "pupil", given, family, sex=sex, age=age, year_group=year)


# 24 girls, victims: 10 at IES Norte, 8 at IES Sur, 6 at Colegio Centro, aged 11–17.
GIRLS = (
    _pupil("v-nor-01", NOR, "Lucía", "Muñoz Gallardo", 14, "female"),
    _pupil("v-nor-02", NOR, "Begoña", "Ibáñez Rubio", 15, "female"),
    _pupil("v-nor-03", NOR, "María José", "Núñez Cordero", 12, "female"),
    _pupil("v-nor-04", NOR, "Aitana", "Peña Serrano", 13, "female"),
    _pupil("v-nor-05", NOR, "Nerea", "Castaño Durán", 16, "female"),
    _pupil("v-nor-06", NOR, "Paula", "Ordóñez Vega", 14, "female"),
    _pupil("v-nor-07", NOR, "Inés", "Montaño Pizarro", 17, "female"),
    _pupil("v-nor-08", NOR, "Carmen", "Sáez Lozano", 13, "female"),
    _pupil("v-nor-09", NOR, "Noelia", "Cañete Bravo", 15, "female"),
    _pupil("v-nor-10", NOR, "Sofía", "Gutiérrez Ramos", 12, "female"),
    _pupil("v-sur-01", SUR, "Irene", "Moñino Carrasco", 14, "female"),
    _pupil("v-sur-02", SUR, "Alba", "Jiménez Barroso", 15, "female"),
    _pupil("v-sur-03", SUR, "Lorena", "Peñalver Caballero", 12, "female"),
    _pupil("v-sur-04", SUR, "Ángela", "Rodríguez Mancha", 16, "female"),
    _pupil("v-sur-05", SUR, "Claudia", "Hernández Solís", 13, "female"),
    _pupil("v-sur-06", SUR, "Raquel", "Muñiz Tejada", 17, "female"),
    _pupil("v-sur-07", SUR, "Elena", "Cerdán Flores", 14, "female"),
    _pupil("v-sur-08", SUR, "Míriam", "Ortiz Baños", 12, "female"),
    _pupil("v-cen-01", CEN, "Julia", "Martín Cáceres", 11, "female"),
    _pupil("v-cen-02", CEN, "Nuria", "Domínguez Acuña", 12, "female"),
    _pupil("v-cen-03", CEN, "Lucía", "Morán Quintana", 13, "female"),
    _pupil("v-cen-04", CEN, "Daniela", "Sánchez Fariña", 14, "female"),
    _pupil("v-cen-05", CEN, "Rocío", "Villalba Cañizares", 15, "female"),
    _pupil("v-cen-06", CEN, "Candela", "Guzmán Ibarra", 11, "female"),
)

# 11 boys, alleged perpetrators: 6 at IES Norte, 5 at IES Sur. Nine are 14; two are
# under 14 (one 13, one 12): in Spain the Fiscalía de Menores acts from 14 (LO 5/2000
# art. 1 and 3); younger children go to the child-protection services.
BOYS = (
    _pupil("p-nor-01", NOR, "Hugo", "Benítez Rosado", 14, "male"),
    _pupil("p-nor-02", NOR, "Álvaro", "Cortés Miranda", 14, "male"),
    _pupil("p-nor-03", NOR, "Iván", "Parejo Toribio", 14, "male"),
    _pupil("p-nor-04", NOR, "Adrián", "Calderón Nieto", 14, "male"),
    _pupil("p-nor-05", NOR, "Mario", "Fajardo Luengo", 14, "male"),
    _pupil("p-nor-06", NOR, "Marcos", "Ibáñez Solano", 13, "male"),
    _pupil("p-sur-01", SUR, "Sergio", "Murillo Pámpano", 14, "male"),
    _pupil("p-sur-02", SUR, "Pablo", "Gordillo Reyes", 14, "male"),
    _pupil("p-sur-03", SUR, "Rubén", "Lozano Tejeda", 14, "male"),
    _pupil("p-sur-04", SUR, "Javier", "Mendoza Zamora", 14, "male"),
    _pupil("p-sur-05", SUR, "Daniel", "Espino Castillo", 12, "male"),
)

WITNESSES = (_pupil("w-nor-01", NOR, "Óscar", "Valverde Rincón", 14, "male"),)

# One guardian per child (key g-<child key>): given name, family names, relationship
# ("Madre" or "Padre", then any note). The mother of v-nor-01 is a doctor who speaks for
# the parents' group.
_GUARDIANS = {
    "v-nor-01": ("Rosa", "Gallardo Pérez",
                 "Madre. Médica de familia; portavoz del grupo de apoyo de familias"),
    "v-nor-02": ("Javier", "Ibáñez Campos", "Padre"),
    "v-nor-03": ("Esperanza", "Cordero Luna", "Madre"),
    "v-nor-04": ("Montserrat", "Serrano Díaz", "Madre"),
    "v-nor-05": ("Ángel", "Castaño Moreno", "Padre"),
    "v-nor-06": ("Yolanda", "Vega Parra", "Madre"),
    "v-nor-07": ("Remedios", "Pizarro Gil", "Madre"),
    "v-nor-08": ("José Antonio", "Sáez Marín", "Padre"),
    "v-nor-09": ("Mercedes", "Bravo Cáceres", "Madre"),
    "v-nor-10": ("Soledad", "Ramos Durán", "Madre"),
    "v-sur-01": ("Isabel", "Carrasco Núñez", "Madre"),
    "v-sur-02": ("Carmen", "Barroso Peña", "Madre"),
    "v-sur-03": ("Francisco", "Peñalver Ruiz", "Padre"),
    "v-sur-04": ("Lourdes", "Mancha Gómez", "Madre"),
    "v-sur-05": ("Raúl", "Hernández Caro", "Padre"),
    "v-sur-06": ("Pilar", "Tejada Muñoz", "Madre"),
    "v-sur-07": ("Antonia", "Flores Vidal", "Madre"),
    "v-sur-08": ("Ana Belén", "Baños Rey", "Madre"),
    "v-cen-01": ("Susana", "Cáceres Ortiz", "Madre"),
    "v-cen-02": ("Eduardo", "Domínguez León", "Padre"),
    "v-cen-03": ("Marta", "Quintana Sanz", "Madre"),
    "v-cen-04": ("Inmaculada", "Fariña Roldán", "Madre"),
    "v-cen-05": ("Ramón", "Villalba Prieto", "Padre"),
    "v-cen-06": ("Nieves", "Ibarra Gallego", "Madre"),
    "p-nor-01": ("Encarnación", "Rosado Vera", "Madre"),
    "p-nor-02": ("Luis", "Cortés Pardo", "Padre"),
    "p-nor-03": ("Gloria", "Toribio Sáez", "Madre"),
    "p-nor-04": ("Diego", "Calderón Rivas", "Padre"),
    "p-nor-05": ("Ana", "Luengo Marín", "Madre"),
    "p-nor-06": ("Rafael", "Ibáñez Moya", "Padre"),
    "p-sur-01": ("Teresa", "Pámpano Gil", "Madre"),
    "p-sur-02": ("Miguel", "Gordillo Santos", "Padre"),
    "p-sur-03": ("Cristina", "Tejeda Lobo", "Madre"),
    "p-sur-04": ("Alfonso", "Mendoza Bravo", "Padre"),
    "p-sur-05": ("Begoña", "Castillo Ferrer", "Madre"),
}  # fmt: skip

_CHILDREN = {p.key: p for p in GIRLS + BOYS}


def guardian_key(child: str) -> str:
    return f"g-{child}"


def _phone(n: int) -> str:
    # 600 000 xxx: an invented block, written as a Spanish mobile number.
    return f"+34 600 000 {100 + n:03d}"


GUARDIANS = tuple(
    PersonSpec(
        guardian_key(child),
        _CHILDREN[child].school,
        "guardian",
        given,
        family,
        sex="female" if relation.startswith("Madre") else "male",
        phone=_phone(n),
    )
    for n, (child, (given, family, relation)) in enumerate(_GUARDIANS.items())
)

PEOPLE = GIRLS + BOYS + WITNESSES + GUARDIANS

# --- images: harmless stand-ins for the ones that circulated ---------------------------

IMAGES = (
    *(ImageSpec(f"img-{n:02d}", seed=n) for n in range(1, 13)),
    # Copies forwarded through a messenger: recompressed, same PDQ within a few bits.
    ImageSpec("img-04-fwd", seed=4, variant="forwarded"),
    ImageSpec("img-07-fwd", seed=7, variant="forwarded"),
)

# --- shared places (the same group, channel and accounts reported at several schools) --

WA_GROUP = "https://chat.whatsapp.com/DEMOalmendralejoGrupo01"
WA_SENDER = "+34 600 000 901"
TG_CHANNEL = "@demo_alm_canal"
TG_URL = "https://t.me/demo_alm_canal"
IG_SOURCE = "@demo.insti.alm"
IG_EXTORTION = "@demo.cobros.alm"
# Later (SCENARIO.md): one of the images also reached an adult-content platform.
ADULT_VIDEO = "https://www.pornhub.com/view_video.php?viewkey=DEMOalmendralejo03"
ADULT_UPLOADER = "demo_alm_subidas"

_HASH_ONLY = (
    "Imagen sexual falsa generada con una aplicación de «desnudo» por IA a partir de una "
    "foto de Instagram de una alumna. El centro no la ha visto ni guardado: solo hashes. "
    "[Demo: hashes de una imagen sintética inofensiva.]"
)
_SEEN_BY_FAMILY = "Familia de la alumna (hashes calculados en su propio móvil)"


def _wa_image(key: str, image: str, seen: Offset) -> EvidenceSpec:
    return EvidenceSpec(
        key,
        "image",
        seen,
        platform="whatsapp",
        location=WA_GROUP,
        identifiers={"group_invite_link": WA_GROUP, "phone_number": WA_SENDER},
        seen_by=_SEEN_BY_FAMILY,
        description=_HASH_ONLY,
        image=image,
    )


def _tg_image(key: str, image: str, seen: Offset, message: int) -> EvidenceSpec:
    return EvidenceSpec(
        key,
        "image",
        seen,
        platform="telegram",
        location=f"{TG_URL}/{message}",
        identifiers={"channel_username": TG_CHANNEL, "message_link": f"{TG_URL}/{message}"},
        seen_by=_SEEN_BY_FAMILY,
        description=_HASH_ONLY,
        image=image,
    )


def _wa_group(key: str, seen: Offset) -> EvidenceSpec:
    return EvidenceSpec(
        key,
        "group",
        seen,
        platform="whatsapp",
        location=WA_GROUP,
        identifiers={"group_invite_link": WA_GROUP},
        seen_by="Alumnas y familias (enlace de invitación)",
        description="Grupo de WhatsApp de alumnos donde se compartieron las imágenes falsas.",
    )


def _tg_channel(key: str, seen: Offset) -> EvidenceSpec:
    return EvidenceSpec(
        key,
        "group",
        seen,
        platform="telegram",
        location=TG_URL,
        identifiers={"channel_username": TG_CHANNEL},
        seen_by="Familias (nombre del canal)",
        description="Canal de Telegram donde se publicaron imágenes falsas de alumnas de "
        "varios centros.",
    )


# --- support plans ----------------------------------------------------------------------

PARENTS_GROUP = "Grupo de apoyo de familias de Almendralejo"


def _measures(school_name: str, index: int) -> tuple[MeasureSpec, ...]:
    measures = [
        MeasureSpec(
            "counselling",
            "Derivación a atención psicológica; primera cita concertada con la familia.",
            f"Departamento de Orientación — {school_name}"
            if index % 3
            else "Psicóloga de la red de atención a víctimas (Junta de Extremadura)",
            ago(days=15 - index % 4),
        ),
        MeasureSpec(
            "parent_support_group",
            "La familia participa en el grupo de apoyo que crearon las madres y los padres "
            "de las chicas afectadas (reunión semanal; coordina una madre médica).",
            PARENTS_GROUP,
            ago(days=14),
        ),
    ]
    if index % 2 == 0:
        measures.append(
            MeasureSpec(
                "online_safety",
                "Ayuda para pedir la retirada de las imágenes (AEPD Canal Prioritario), "
                "revisar la privacidad de sus redes y conocer la línea 017 de INCIBE.",
                "Coordinación de bienestar del centro",
                ago(days=13),
            )
        )
    return tuple(measures)


_CHECK_IN_NOTES = (
    (3, "Ha vuelto a clase. Pide no coincidir en el recreo con los alumnos implicados."),
    (2, "Duerme mal y no quiere usar el móvil. Se refuerza la cita con la psicóloga."),
    (4, "Más tranquila; el grupo de apoyo ayuda a la familia."),
    (3, "Preocupada por si las imágenes siguen circulando. Se le explica la retirada."),
)


def _plan(victim: str, owner: str, school_name: str, index: int) -> SupportPlanSpec:
    """Weekly check-ins; every plan has one due within the week of the load.

    Even ``index``: the first check-in was held 2–6 days ago, so the next falls due
    1–5 days after the load. Odd ``index``: none held yet, the first is due in 1–6
    days, except two that are already a day late (the dashboard shows them).
    """
    if index % 2 == 0:
        held = ago(days=6 - index % 5)
        wellbeing, notes = _CHECK_IN_NOTES[index % len(_CHECK_IN_NOTES)]
        return SupportPlanSpec(
            victim,
            owner,
            "Seguimiento semanal con la alumna y su familia.",
            first_check_in_at=held - timedelta(hours=2),
            measures=_measures(school_name, index),
            check_ins=(CheckInSpec(held, wellbeing, notes),),
        )
    first = ago(days=1) if index in {1, 7} else ahead(days=1 + index % 6)
    return SupportPlanSpec(
        victim,
        owner,
        "Seguimiento semanal con la alumna y su familia.",
        first_check_in_at=first,
        measures=_measures(school_name, index),
    )


# --- referrals ----------------------------------------------------------------------------

_SECTIONS = ("chronology", "participants", "evidence")
_DUTY = "LOPIVI (LO 8/2021) art. 15–16 y LECrim art. 262: deber de comunicar a la autoridad."
_COMPLAINT = (
    "Denuncia de la alumna y su familia: imágenes sexuales falsas de ella generadas con IA a "
    "partir de fotos de sus redes sociales y difundidas por WhatsApp y Telegram (posibles "
    "delitos de los arts. 189 y 173 CP). Se comparten cronología, personas y evidencias "
    "(solo metadatos y hashes)."
)


def _complaint(
    key: str,
    victim: str,
    sent: Offset,
    acknowledged: Offset | None = None,
    atestado: int | None = None,
    summary: str = _COMPLAINT,
    phoned_at: Offset | None = None,
    phoned_to: str = "",
) -> ReferralSpec:
    return ReferralSpec(
        key,
        POLICE,
        summary,
        "legal_obligation",
        _DUTY,
        _SECTIONS,
        sent,
        complainant=victim,
        acknowledged_at=acknowledged,
        acknowledged_by="police.almendralejo" if acknowledged is not None else None,
        external_reference=f"ATESTADO {{year}}/{atestado}-ALM" if atestado else "",
        phoned_at=phoned_at,
        phoned_to=phoned_to,
    )


def _to_fiscalia(
    key: str,
    count: int,
    sent: Offset,
    *,
    acknowledged_at: Offset | None = None,
    acknowledged_by: str | None = None,
    external_reference: str = "",
) -> ReferralSpec:
    return ReferralSpec(
        key,
        FISCALIA,
        f"{count} alumnos de 14 años identificados como presuntos autores o difusores de "
        "imágenes sexuales falsas de alumnas generadas con IA. Se comunica a la Fiscalía de "
        "Menores, competente a partir de los 14 años.",
        "legal_obligation",
        "LO 5/2000 reguladora de la responsabilidad penal de los menores, art. 1 y 16.",
        _SECTIONS,
        sent,
        guardians="informed",
        acknowledged_at=acknowledged_at,
        acknowledged_by=acknowledged_by,
        external_reference=external_reference,
    )


def _to_child_protection(key: str, age: int, sent: Offset) -> ReferralSpec:
    """An alleged perpetrator under 14 at the date of the act goes to the region's
    child-protection service, not the Fiscalía (LO 5/2000 art. 3; LAW.md §3)."""
    return ReferralSpec(
        key,
        CHILD_PROTECTION,
        f"Un alumno de {age} años presuntamente implicado en la difusión de imágenes "
        "sexuales falsas de compañeras. Menor de 14 años en la fecha de los hechos: no "
        "responde penalmente; se solicita valoración de protección y apoyo a la familia.",
        "legal_obligation",
        "LO 5/2000 art. 3 (menores de 14 años) y LOPIVI art. 15.",
        ("chronology", "participants"),
        sent,
        guardians="informed",
    )


# --- guardian contacts ---------------------------------------------------------------------


def _contacts(children: tuple[str, ...], opened: Offset) -> tuple[GuardianContactSpec, ...]:
    contacts = []
    for n, child in enumerate(children):
        if child.startswith("p-"):
            contacts.append(
                GuardianContactSpec(
                    guardian_key(child),
                    "meeting",
                    opened + timedelta(days=1, hours=n),
                    "Reunión con la familia del alumno: se informa de los hechos, de la "
                    "comunicación a la Fiscalía de Menores o a Protección de Menores y del apoyo "
                    "que el centro ofrece al alumno.",
                )
            )
        elif child == "v-nor-01":
            contacts.append(
                GuardianContactSpec(
                    guardian_key(child),
                    "meeting",
                    opened + timedelta(hours=3),
                    "Reunión con la madre: plan de apoyo, denuncia y grupo de familias.",
                )
            )
        else:
            contacts.append(
                GuardianContactSpec(
                    guardian_key(child),
                    "phone",
                    opened + timedelta(hours=2, minutes=10 * n),
                    "Llamada para informar del caso, del plan de apoyo y de cómo denunciar.",
                )
            )
    return tuple(contacts)


def _victims(keys: tuple[str, ...]) -> tuple[ParticipantSpec, ...]:
    return tuple(ParticipantSpec(k, "victim") for k in keys)


def _guardians(keys: tuple[str, ...]) -> tuple[ParticipantSpec, ...]:
    out = []
    for key in keys:
        relation, _, note = _GUARDIANS[key][2].partition(". ")
        of = "de la alumna" if _CHILDREN[key].sex == "female" else "del alumno"
        notes = f"{relation} {of}." + (f" {note}" if note else "")
        out.append(ParticipantSpec(guardian_key(key), "guardian", notes))
    return tuple(out)


def _aged_14_or_more(keys: tuple[str, ...]) -> int:
    return sum(1 for k in keys if (_CHILDREN[k].age or 0) >= 14)


def _under_14_age(keys: tuple[str, ...]) -> int:
    return next(age for k in keys if (age := _CHILDREN[k].age or 0) < 14)


def _perpetrators(keys: tuple[str, ...], act: Offset) -> tuple[ParticipantSpec, ...]:
    out = []
    for n, key in enumerate(keys):
        age = _CHILDREN[key].age
        if age is not None and age < 14:
            notes = (
                f"{age} años: menor de 14, no responde penalmente (LO 5/2000 art. 3). "
                "Derivado al Servicio de Protección de Menores de la Junta de Extremadura. "
                "Presunto difusor en el grupo de WhatsApp."
            )
        elif n % 2 == 0:
            notes = "Presunto autor: habría generado imágenes con una aplicación de IA."
        else:
            notes = "Presunto difusor en el grupo de WhatsApp y en el canal de Telegram."
        out.append(ParticipantSpec(key, "alleged_perpetrator", notes, act_on=act))
    return tuple(out)


def _plans(
    victims: tuple[str, ...], owner: str, school: str, start: int
) -> tuple[SupportPlanSpec, ...]:
    return tuple(_plan(v, owner, school, start + n) for n, v in enumerate(victims))


# --- the cases ------------------------------------------------------------------------------

_NOR_VICTIMS = tuple(p.key for p in GIRLS if p.school == NOR)
_SUR_VICTIMS = tuple(p.key for p in GIRLS if p.school == SUR)
_CEN_VICTIMS = tuple(p.key for p in GIRLS if p.school == CEN)
_NOR_BOYS = tuple(p.key for p in BOYS if p.school == NOR)
_SUR_BOYS = tuple(p.key for p in BOYS if p.school == SUR)
# The girl targeted with extortion: victim of the AI images and of the extortion; her
# support plan lives in the extortion case (the higher risk).
EXTORTED = "v-sur-02"

_AI_SUMMARY = (
    "Imágenes sexuales falsas de alumnas generadas con una aplicación de «desnudo» por IA a "
    "partir de fotos de sus propias redes sociales, difundidas en un grupo de WhatsApp y un "
    "canal de Telegram. Las mismas imágenes se han comunicado en otros centros del municipio."
)

CASE_NORTE = CaseSpec(
    key="nor-ai",
    school=NOR,
    title="Imágenes sexuales falsas generadas con IA de alumnas (WhatsApp y Telegram)",
    summary=_AI_SUMMARY + " Seis alumnos del centro identificados como presuntos autores.",
    category="ai_generated",
    risk_level="high",
    lead="lead.norte",
    opened_at=ago(days=20),
    under_13=True,
    concern=ConcernSpec(
        logged_by="staff.norte",
        source="staff",
        summary="Una alumna de 3º ESO cuenta que circula una imagen falsa de ella desnuda "
        "en un grupo de WhatsApp.",
        childs_own_words="Me han dicho que en un grupo de WhatsApp hay una foto mía sin ropa. "
        "No es mi cuerpo. La cara es de una foto que subí a Instagram en verano. Dicen que "
        "la han hecho con una aplicación. Hay más chicas de clase. No quiero que la vean "
        "mis padres.",
        subject="v-nor-01",
        occurred_at=ago(days=21),
        logged_at=ago(days=20, hours=1),
    ),
    participants=(
        _victims(_NOR_VICTIMS)
        + _perpetrators(_NOR_BOYS, ago(days=21))
        + (
            ParticipantSpec(
                "w-nor-01", "witness", "Salió del grupo de WhatsApp y avisó a su tutor."
            ),
        )
        + _guardians(_NOR_VICTIMS + _NOR_BOYS)
    ),
    evidence=(
        _wa_group("e-nor-wa-group", ago(days=21)),
        _tg_channel("e-nor-tg-channel", ago(days=20, hours=6)),
        EvidenceSpec(
            "e-nor-wa-message",
            "message",
            ago(days=21),
            platform="whatsapp",
            location=WA_GROUP,
            identifiers={"group_invite_link": WA_GROUP, "phone_number": WA_SENDER},
            seen_by="Alumna (lo contó a su tutor)",
            description="Mensaje en el grupo que acompaña a las imágenes, con el nombre de "
            "pila de varias alumnas.",
        ),
        *(_wa_image(f"e-nor-img-{n:02d}", f"img-{n:02d}", ago(days=21)) for n in range(1, 6)),
        *(
            _tg_image(f"e-nor-img-{n:02d}", f"img-{n:02d}", ago(days=20, hours=6), 10 + n)
            for n in range(6, 9)
        ),
        EvidenceSpec(
            "e-nor-adult-img-03",
            "image",
            ago(days=9),
            platform="pornhub",
            location=ADULT_VIDEO,
            identifiers={"video_url": ADULT_VIDEO, "uploader_account": ADULT_UPLOADER},
            seen_by=_SEEN_BY_FAMILY,
            description="Una de las imágenes del grupo de WhatsApp, publicada después en una "
            "plataforma de contenido para adultos dentro de un montaje de vídeo. Solo hashes. "
            "[Demo: hashes de una imagen sintética inofensiva.]",
            image="img-03",
        ),
    ),
    referrals=(
        _complaint("r-nor-1", "v-nor-01", ago(days=19), ago(days=18), 1234),
        _complaint("r-nor-2", "v-nor-02", ago(days=19, hours=-2), ago(days=18), 1241),
        _complaint("r-nor-3", "v-nor-03", ago(days=18), ago(days=17), 1247),
        _complaint("r-nor-4", "v-nor-06", ago(days=17), ago(days=16), 1252),
        _to_fiscalia(
            "r-nor-fiscalia",
            _aged_14_or_more(_NOR_BOYS),
            ago(days=16),
            acknowledged_at=ago(days=14),
            acknowledged_by="fiscalia.badajoz",
            external_reference="DILIGENCIAS {year}/0213 — Fiscalía de Menores de Badajoz",
        ),
        _to_child_protection("r-nor-cp", _under_14_age(_NOR_BOYS), ago(days=16)),
    ),
    takedowns=(
        TakedownSpec(
            "t-nor-whatsapp",
            "whatsapp",
            ("e-nor-wa-group", "e-nor-wa-message", "e-nor-img-01", "e-nor-img-02"),
            "eu-dsa-art16",
            "Solicitud de cierre del grupo y retirada de las imágenes (DSA art. 16), por el "
            "formulario de WhatsApp. Sin respuesta.",
            submitted_at=ago(days=16),
            platform_ticket="WA-DEMO-58213",
            escalate=True,
            escalation_reference="AEPD-CP-DEMO-0417",
            victim="v-nor-01",
            consent_note="Madre de la alumna, en la reunión del primer día.",
        ),
        # The adult-content platform (SCENARIO.md, later facts): a notice under the DSA.
        TakedownSpec(
            "t-nor-adult",
            "pornhub",
            ("e-nor-adult-img-03",),
            "eu-dsa-art16",
            "Imagen de una alumna menor generada con IA dentro de un vídeo de la plataforma: "
            "retirada de este vídeo y de las copias idénticas o casi idénticas.",
            submitted_at=ago(days=8, hours=20),
            platform_ticket="PH-DEMO-20931",
            outcome="removed",
            victim="v-nor-03",
            consent_note="Madre de la alumna, por teléfono el mismo día.",
        ),
    ),
    # The AEPD's two routes: its Canal Prioritario (the WhatsApp notice's escalation,
    # above) and, beside it, the ordinary complaint that ended in a fine (SCENARIO.md).
    authority_reports=(
        AuthorityReportSpec(
            "aepd_complaint",
            ago(days=7),
            "AEPD EXP/DEMO/2023-0912",
            answer="Resolución sancionadora: multa de 2.000 € a los progenitores de un menor "
            "(1.200 € con las reducciones por reconocimiento y pago voluntario).",
        ),
    ),
    removal_reports=(
        RemovalReportSpec("v-nor-01", "take-it-down", ago(days=19), "TID-DEMO-4471"),
        RemovalReportSpec(
            "v-nor-03", "aepd-canal-prioritario", ago(days=9), "CP-DEMO-0588", "removed"
        ),
    ),
    support_plans=_plans(_NOR_VICTIMS, "lead.norte", "IES Norte", 0),
    guardian_contacts=_contacts(_NOR_VICTIMS + _NOR_BOYS, ago(days=20)),
    actions=(
        ActionSpec(
            "Confirmar con la AEPD la retirada del grupo de WhatsApp", "lead.norte", ahead(days=2)
        ),
        ActionSpec("Reunión con el grupo de apoyo de familias", "lead.norte", ahead(days=4)),
    ),
)

CASE_SUR = CaseSpec(
    key="sur-ai",
    school=SUR,
    title="Imágenes sexuales falsas generadas con IA de alumnas (WhatsApp e Instagram)",
    summary=_AI_SUMMARY + " Cinco alumnos del centro identificados como presuntos autores.",
    category="ai_generated",
    risk_level="high",
    lead="lead.sur",
    opened_at=ago(days=19),
    under_13=True,
    concern=ConcernSpec(
        logged_by="staff.sur",
        source="staff",
        summary="Una alumna avisa de que unos chicos de 3º pasan fotos falsas de chicas "
        "desnudas por WhatsApp y Telegram.",
        childs_own_words="Unos chicos de 3º tienen fotos nuestras sin ropa que no son de "
        "verdad. Las pasan por WhatsApp y por Telegram. A mí me la ha mandado una amiga "
        "para avisarme. Me da vergüenza venir al instituto.",
        subject="v-sur-01",
        occurred_at=ago(days=20),
        logged_at=ago(days=19, hours=2),
    ),
    participants=(
        _victims(_SUR_VICTIMS)
        + _perpetrators(_SUR_BOYS, ago(days=20))
        + _guardians(_SUR_VICTIMS + _SUR_BOYS)
    ),
    evidence=(
        _wa_group("e-sur-wa-group", ago(days=20)),
        EvidenceSpec(
            "e-sur-ig-source",
            "account",
            ago(days=19, hours=4),
            platform="instagram",
            location=f"https://www.instagram.com/{IG_SOURCE.lstrip('@')}/",
            identifiers={"account_handle": IG_SOURCE},
            seen_by="Familias",
            description="Cuenta de Instagram que recopilaba fotos públicas de alumnas; de "
            "ella se tomaron las fotos usadas para generar las imágenes.",
        ),
        _wa_image("e-sur-img-01", "img-01", ago(days=20)),
        _wa_image("e-sur-img-02", "img-02", ago(days=20)),
        _wa_image("e-sur-img-03", "img-03", ago(days=20)),
        _wa_image("e-sur-img-04-fwd", "img-04-fwd", ago(days=19, hours=20)),
        _tg_image("e-sur-img-08", "img-08", ago(days=19, hours=18), 18),
        _tg_image("e-sur-img-09", "img-09", ago(days=19, hours=18), 19),
    ),
    referrals=(
        _complaint("r-sur-1", "v-sur-01", ago(days=18), ago(days=17), 1260),
        _complaint("r-sur-2", "v-sur-03", ago(days=17), ago(days=15), 1263),
        _complaint("r-sur-3", "v-sur-04", ago(days=3)),
        _to_fiscalia("r-sur-fiscalia", _aged_14_or_more(_SUR_BOYS), ago(days=15)),
        _to_child_protection("r-sur-cp", _under_14_age(_SUR_BOYS), ago(days=15)),
    ),
    takedowns=(
        TakedownSpec(
            "t-sur-instagram",
            "instagram",
            ("e-sur-ig-source",),
            "eu-dsa-art16",
            "Solicitud de retirada de la cuenta que recopilaba fotos de alumnas.",
            submitted_at=ago(hours=20),
            platform_ticket="IG-DEMO-770412",
            outcome="acknowledged",
            # An account collecting many pupils' photos: the school acts on its own duty.
            relationship="school_duty",
        ),
        TakedownSpec(
            "t-sur-whatsapp",
            "whatsapp",
            ("e-sur-wa-group", "e-sur-img-01", "e-sur-img-04-fwd"),
            "eu-dsa-art16",
            "Nuevas copias reenviadas de las imágenes en el mismo grupo.",
            submitted_at=ago(hours=6),
            victim="v-sur-01",
            consent_note="Padre de la alumna, por teléfono.",
        ),
    ),
    support_plans=_plans(
        tuple(v for v in _SUR_VICTIMS if v != EXTORTED), "lead.sur", "IES Sur", 10
    ),
    routing_dismissals=(
        RoutingDismissalSpec(
            "aepd_complaint",
            "AEPDREC",
            "La reclamación ante la AEPD por las mismas imágenes la presentó IES Norte "
            "(AEPD EXP/DEMO/2023-0912); las familias del centro se han sumado a ella.",
        ),
    ),
    guardian_contacts=_contacts(_SUR_VICTIMS + _SUR_BOYS, ago(days=19)),
    actions=(
        ActionSpec("Reunión de seguimiento con Servicios Sociales", "lead.sur", ahead(days=4)),
    ),
)

CASE_SUR_EXTORTION = CaseSpec(
    key="sur-extortion",
    school=SUR,
    title="Intento de extorsión a una alumna con una imagen falsa",
    summary="Una cuenta de Instagram desconocida envió a una alumna una imagen sexual falsa "
    "de ella (de las difundidas en el municipio) y le exigió dinero o más imágenes a cambio "
    "de no enviarla a sus seguidores.",
    category="sextortion",
    risk_level="critical",
    lead="lead.sur",
    opened_at=ago(days=11),
    coercion_or_extortion=True,
    concern=ConcernSpec(
        logged_by="staff2.sur",
        source="staff",
        summary="Una alumna recibe por Instagram una imagen falsa de ella y una petición de "
        "dinero o más fotos.",
        childs_own_words="Una cuenta de Instagram que no conozco me escribió. Me mandó una "
        "foto falsa mía y me dijo que si no le pagaba 50 euros o le mandaba más fotos la "
        "enviaría a mis seguidores. No le he contestado.",
        subject=EXTORTED,
        occurred_at=ago(days=12),
        logged_at=ago(days=11, hours=1),
    ),
    participants=(
        ParticipantSpec(EXTORTED, "victim", "También víctima en el caso de imágenes con IA."),
        # The same pupil: victim in the AI-images case, witness here (rule 4).
        ParticipantSpec(
            "v-sur-01",
            "witness",
            "Vio los mensajes y acompañó a su amiga a hablar con el profesor.",
        ),
        *_guardians((EXTORTED,)),
    ),
    evidence=(
        EvidenceSpec(
            "e-ext-account",
            "account",
            ago(days=12),
            platform="instagram",
            location=f"https://www.instagram.com/{IG_EXTORTION.lstrip('@')}/",
            identifiers={"account_handle": IG_EXTORTION},
            seen_by="Alumna",
            description="Cuenta desconocida que escribió a la alumna.",
        ),
        EvidenceSpec(
            "e-ext-message",
            "message",
            ago(days=12),
            platform="instagram",
            location=f"https://www.instagram.com/{IG_EXTORTION.lstrip('@')}/",
            identifiers={"account_handle": IG_EXTORTION},
            seen_by="Alumna",
            description="Mensajes directos: exige 50 € o más imágenes y amenaza con enviar "
            "la imagen a sus seguidores.",
        ),
        EvidenceSpec(
            "e-ext-image",
            "image",
            ago(days=12),
            platform="instagram",
            location=f"https://www.instagram.com/{IG_EXTORTION.lstrip('@')}/",
            identifiers={"account_handle": IG_EXTORTION},
            seen_by=_SEEN_BY_FAMILY,
            description="La imagen falsa enviada con la amenaza; coincide con una de las "
            "difundidas en el grupo de WhatsApp. Solo hashes. "
            "[Demo: hashes de una imagen sintética inofensiva.]",
            image="img-06",
        ),
    ),
    referrals=(
        # Sextortion: immediate police referral (UKCIS 2024), by phone an hour after the
        # case opened, confirmed in writing within 24 h (LAW.md §2).
        _complaint(
            "r-ext-1",
            EXTORTED,
            ago(days=10, hours=8),
            ago(days=10),
            1271,
            phoned_at=ago(days=10, hours=23),
            phoned_to="Agente de guardia, Comisaría de Almendralejo",
            summary="Denuncia de la alumna y su familia: intento de extorsión con una imagen "
            "sexual falsa de ella (posibles delitos de los arts. 189 y 243 CP). Se comparten "
            "cronología, personas y evidencias (solo metadatos y hashes).",
        ),
    ),
    takedowns=(
        TakedownSpec(
            "t-ext-instagram",
            "instagram",
            ("e-ext-account", "e-ext-message", "e-ext-image"),
            "eu-dsa-art16",
            "Denuncia de la cuenta por extorsión sexual y petición de retirada de la imagen.",
            submitted_at=ago(hours=3),
            victim=EXTORTED,
            consent_note="Madre de la alumna, en la reunión del día de la denuncia.",
        ),
    ),
    support_plans=(_plan(EXTORTED, "lead.sur", "IES Sur", 17),),
    guardian_contacts=(
        GuardianContactSpec(
            guardian_key(EXTORTED),
            "meeting",
            ago(days=11, hours=-2),
            "Reunión con la madre: no responder ni pagar, conservar los mensajes sin "
            "reenviarlos, denuncia en la comisaría.",
        ),
    ),
    actions=(
        ActionSpec(
            "Revisar con la familia la privacidad de la cuenta de Instagram",
            "lead.sur",
            ahead(days=1),
        ),
    ),
)

CASE_CENTRO = CaseSpec(
    key="cen-ai",
    school=CEN,
    title="Imágenes sexuales falsas generadas con IA de alumnas (canal de Telegram)",
    summary=_AI_SUMMARY + " No hay alumnos del centro identificados como autores.",
    category="ai_generated",
    risk_level="high",
    lead="lead.centro",
    opened_at=ago(days=18),
    under_13=True,
    concern=ConcernSpec(
        logged_by="staff.centro",
        source="staff",
        summary="Una alumna de 1º ESO cuenta que su cara aparece en fotos falsas en un canal "
        "de Telegram.",
        childs_own_words="Mi madre ha visto en el móvil de mi primo un canal de Telegram con "
        "fotos de niñas del cole. Sale mi cara. Yo nunca me he hecho esa foto.",
        subject="v-cen-02",
        occurred_at=ago(days=19),
        logged_at=ago(days=18, hours=2),
    ),
    participants=_victims(_CEN_VICTIMS) + _guardians(_CEN_VICTIMS),
    evidence=(
        _tg_channel("e-cen-tg-channel", ago(days=19)),
        EvidenceSpec(
            "e-cen-tg-message",
            "message",
            ago(days=19),
            platform="telegram",
            location=f"{TG_URL}/57",
            identifiers={"channel_username": TG_CHANNEL, "message_link": f"{TG_URL}/57"},
            seen_by="Familia",
            description="Publicación del canal con nombres de pila de alumnas del colegio.",
        ),
        _tg_image("e-cen-img-02", "img-02", ago(days=19), 41),
        _tg_image("e-cen-img-05", "img-05", ago(days=19), 42),
        _tg_image("e-cen-img-07-fwd", "img-07-fwd", ago(days=19), 43),
        _tg_image("e-cen-img-10", "img-10", ago(days=19), 44),
        _tg_image("e-cen-img-11", "img-11", ago(days=18, hours=20), 45),
        _tg_image("e-cen-img-12", "img-12", ago(days=18, hours=20), 46),
    ),
    referrals=(
        _complaint("r-cen-1", "v-cen-01", ago(days=17), ago(days=16), 1288),
        _complaint("r-cen-2", "v-cen-02", ago(days=17, hours=-3), ago(days=15), 1290),
        _complaint("r-cen-3", "v-cen-04", ago(days=2)),
    ),
    takedowns=(
        TakedownSpec(
            "t-cen-telegram",
            "telegram",
            ("e-cen-tg-channel", "e-cen-tg-message", "e-cen-img-02", "e-cen-img-05"),
            "eu-dsa-art16",
            "Petición de cierre del canal y retirada de las imágenes (DSA art. 16) a "
            "abuse@telegram.org.",
            submitted_at=ago(hours=40),
            platform_ticket="TG-DEMO-3391",
            outcome="removed",
            victim="v-cen-02",
            consent_note="Madre de la alumna, por teléfono.",
        ),
    ),
    support_plans=_plans(_CEN_VICTIMS, "lead.centro", "Colegio Centro", 18),
    guardian_contacts=_contacts(_CEN_VICTIMS, ago(days=18)),
    actions=(
        ActionSpec(
            "Charla de educación digital para 6º Primaria y 1º ESO con la Policía",
            "lead.centro",
            ahead(days=6),
        ),
    ),
)

ALMENDRALEJO = Scenario(
    name="almendralejo",
    marker=MARKER,
    password=DEMO_PASSWORD,
    police_unit=POLICE,
    organisations=ORGANISATIONS,
    users=USERS,
    people=PEOPLE,
    images=IMAGES,
    cases=(CASE_NORTE, CASE_SUR, CASE_SUR_EXTORTION, CASE_CENTRO),
)

SCENARIOS = {ALMENDRALEJO.name: ALMENDRALEJO}


def image_bytes(key: str) -> bytes:
    """The bytes of the harmless image ``key`` (e.g. ``"img-03"``), generated in memory.
    For a driver that uploads files to the evidence endpoint instead of giving hashes."""
    return ALMENDRALEJO.image(key).render()
