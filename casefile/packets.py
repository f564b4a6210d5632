"""The referral packet: what a police unit, prosecutor or child-protection service
receives with a referral, as JSON and as PDF, in Spanish or English (LAW.md §2).

Built only from the one case view (``casefile.selectors.case_view_for_user``) cut to
the sections the referral shares (``within=referral.shared_sections``): the school's
lead reads every section of the case, but the packet they download carries exactly
what the destination will see; a police liaison's view is already cut to their
referrals, and the packet cuts it to this one. A section that is not shared is
**absent** from the packet (its keys are missing from the JSON and its headings from
the PDF), never a blank label over hidden data.

What comes from where (every element of LAW.md §2; sources: MASH/MARF referral forms,
the CyberTipline schema, UKCIS 2024):

1. referrer — the referral itself (who sent or drafted it, their role at the school,
   the school's contact, when, the case reference): always;
2. victims — the case's victims, their guardians, and the referral's guardians
   position (consented / informed / not asked, with the reason): ``participants``.
   Vulnerabilities or special educational needs have no field in the case file: the
   packet says "not recorded" and carries the participant's notes;
3. alleged perpetrators — minor or adult and age **at the date of the act**
   (``Participant.act_on``; else the first evidence seen; else the case's opening —
   the basis is stated), school, phone and e-mail: ``participants``; the accounts
   recorded as evidence (handles, profile links, phone numbers): ``evidence``;
4. incident — category, when and how precisely known, platforms and how it spread
   (``evidence``), and the summary written for the destination. The child's own words
   are in the school's concerns, which are ``internal`` and never leave the school
   (``cases.permissions.CASE_PARTS``): the packet says so, and the school quotes what
   the destination needs in the referral's summary;
5. aggravating flags — adult involved, coercion or extortion, under 13, immediate
   risk (risk level critical), AI-generated: the case header, always; violence has no
   field ("not recorded");
6. evidence — metadata and hashes only (SHA-256, MD5, PDQ with quality), the custody
   recorded so far (who recorded each item and when; the custody log of issue 12 will
   add to it) and where the devices are (not recorded): ``evidence``;
7. actions so far — takedown notices with tickets and status, the victim's own
   removal reports (case numbers), reports to regulators and hotlines: ``evidence``.

Plus ``chronology`` (the case's lines of the shared sections) and ``support`` (support
plans) when shared. Times are UTC (ISO 8601, ``Z``) in the JSON, with the school's
zone alongside; the PDF shows them on the school's clock with the zone's name.

The JSON shape is documented in ``docs/referral_packet.md``; ``PACKET_SCHEMA_VERSION``
changes when a key changes meaning or goes away.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casefile.selectors import CaseView, case_view_for_user
from cases.audit import SYSTEM, AuditContext, record_access
from cases.models import Case, EvidenceItem, Membership, Participant, Person, User
from cases.permissions import (
    CASE_SECTION_CHRONOLOGY,
    CASE_SECTION_EVIDENCE,
    CASE_SECTION_PARTICIPANTS,
    CASE_SECTION_SUPPORT,
    Role,
)
from cases.verbs import AccessAction, verb_label
from reporting.documents import DOCUMENT_LANGUAGES, document_record, render_pdf
from reporting.identifiers import identifier_label
from reporting.models import (
    GeneratedDocument,
    GuardianPosition,
    Referral,
)

# Changes when a key of the JSON changes meaning or goes away (docs/referral_packet.md).
PACKET_SCHEMA_VERSION = "1.0"
PACKET_TEMPLATE = "reporting/referral_packet.html"
PACKET_FORMATS = ("json", "pdf")
CONTENT_TYPES = {"json": "application/json", "pdf": "application/pdf"}

# Adults are 18 (Spain: CC art. 315; England and Wales: Family Law Reform Act 1969 s.1).
ADULT_AGE = 18


@dataclass(frozen=True)
class Packet:
    """A referral packet: ``data`` is the JSON document (datetimes still aware
    ``datetime`` objects: :meth:`as_json` writes them in UTC), ``view`` the cut case
    view it was built from, ``language`` ``"es"`` or ``"en"``."""

    referral: Referral
    view: CaseView
    language: str
    data: dict[str, Any]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.view.case.school.time_zone or "UTC")

    def as_json(self) -> bytes:
        """The packet as UTF-8 JSON (keys in a stable order, times ISO 8601 UTC)."""
        return json.dumps(_walk(self.data, _utc), ensure_ascii=False, indent=2).encode()

    def as_pdf(self) -> bytes:
        """The packet as a PDF (A4, ``reporting/referral_packet.html``), times on the
        school's clock."""
        zone = self.zone
        with translation.override(self.language):
            context = {
                "packet": _walk(self.data, lambda value: _local(value, zone)),
                "shared": set(self.data["shared_sections"]),
            }
        return render_pdf(PACKET_TEMPLATE, context, language=self.language)


def referral_packet(*, user: User, referral: Referral, language: str) -> Packet:
    """The packet of ``referral`` as ``user`` may read it, in ``language``.

    ``referral`` must come from ``reporting.selectors.referral_get_for_user``. The case
    is read through ``case_view_for_user(..., within=referral.shared_sections)``:
    ``cases.exceptions.NotFound`` if ``user`` may not see it (a liaison after the
    referral stopped being live). ``ValueError`` for a language not in
    ``DOCUMENT_LANGUAGES``. Reads only; the caller records the download
    (:func:`referral_packet_document`)."""
    if language not in DOCUMENT_LANGUAGES:
        raise ValueError(f"language must be one of {DOCUMENT_LANGUAGES}")
    view = case_view_for_user(
        user=user, case_id=referral.case_id, within=frozenset(referral.shared_sections)
    )
    with translation.override(language):
        data = _build(referral, view, language)
    return Packet(referral=referral, view=view, language=language, data=data)


class BadPacketRequest(ValueError):
    """A packet asked for in a language or format not offered: a 400, in the reader's
    language (``str(error)``)."""


def packet_language(*, user: User, requested: str | None) -> str:
    """The language of a packet: ``requested`` (``"es"`` or ``"en"``; anything else
    raises :class:`BadPacketRequest`), else the user's own (``User.language``), else the
    language of the request (the active one), else ``settings.LANGUAGE_CODE``."""
    if requested is not None:
        if requested not in DOCUMENT_LANGUAGES:
            raise BadPacketRequest(
                _("Choose the packet's language: %(choices)s.")
                % {"choices": ", ".join(DOCUMENT_LANGUAGES)}
            )
        return requested
    for candidate in (user.language, (translation.get_language() or "")[:2]):
        if candidate in DOCUMENT_LANGUAGES:
            return candidate
    return str(settings.LANGUAGE_CODE)[:2]


@dataclass(frozen=True)
class PacketDocument:
    """A packet rendered for one download: its bytes, type and the row recording it."""

    content: bytes
    content_type: str
    filename: str
    document: GeneratedDocument


@transaction.atomic
def referral_packet_document(
    *,
    user: User,
    referral: Referral,
    language: str,
    fmt: str,
    context: AuditContext = SYSTEM,
) -> PacketDocument:
    """Render the packet of ``referral`` for ``user`` in ``fmt`` (``"json"`` or
    ``"pdf"``) and ``language``, and record the download in one transaction (DESIGN
    rule 3, "every download audited"): a ``GeneratedDocument`` with the SHA-256 of
    exactly these bytes and its ``document.generated`` chronology line
    (``reporting.documents.document_record``), and an ``AccessEvent``
    (``referral.packet``) on ``context``'s channel. Raises ``NotFound`` (see
    :func:`referral_packet`) or ``ValueError`` for a format or language not offered."""
    if fmt not in PACKET_FORMATS:
        raise ValueError(f"format must be one of {PACKET_FORMATS}")
    packet = referral_packet(user=user, referral=referral, language=language)
    content = packet.as_pdf() if fmt == "pdf" else packet.as_json()
    case = packet.view.case
    document = document_record(
        case=case,
        actor=user,
        kind=GeneratedDocument.Kind.REFERRAL_PACKET,
        content=content,
        fmt=fmt,
        language=language,
        referral=referral,
        context=context,
    )
    record_access(
        actor=user, action=AccessAction.REFERRAL_PACKET, case_ids=[case.pk], context=context
    )
    return PacketDocument(
        content=content,
        content_type=CONTENT_TYPES[fmt],
        filename=f"{case.reference}-referral-{referral.pk}-{language}.{fmt}",
        document=document,
    )


# --- building ---------------------------------------------------------------------


def _build(referral: Referral, view: CaseView, language: str) -> dict[str, Any]:
    case = view.case
    sections = view.sections
    data: dict[str, Any] = {
        "schema_version": PACKET_SCHEMA_VERSION,
        "document": "referral_packet",
        "language": language,
        "confidentiality": _("CONFIDENTIAL — need to know"),
        "generated_at": timezone.now(),
        "time_zone": case.school.time_zone,
        "case_reference": case.reference,
        # In the order of ``Referral.Section``: what this packet carries besides the
        # referral, the referrer, the incident and the flags.
        "shared_sections": [s for s in Referral.Section.values if s in sections],
        "shared_section_labels": [
            str(label) for value, label in Referral.Section.choices if value in sections
        ],
        "referral": _referral(referral, view),
        "referrer": _referrer(referral, case),
        "incident": _incident(referral, view),
        "aggravating_flags": _flags(case, view),
    }
    if CASE_SECTION_PARTICIPANTS in sections:
        data["victims"] = [_victim(p, view, referral) for p in _role(view, Participant.Role.VICTIM)]
        data["guardians"] = [_guardian(p) for p in _role(view, Participant.Role.GUARDIAN)]
        data["alleged_perpetrators"] = [
            _perpetrator(p, view)
            for p in view.participants
            if p.role in (Participant.Role.ALLEGED_PERPETRATOR, Participant.Role.SHARER)
        ]
    if CASE_SECTION_EVIDENCE in sections:
        data["evidence"] = _evidence(view)
        data["actions_so_far"] = _actions_so_far(view)
    if CASE_SECTION_CHRONOLOGY in sections:
        data["chronology"] = _chronology(referral, view)
    if CASE_SECTION_SUPPORT in sections:
        data["support_plans"] = [
            {
                "victim": str(plan.victim),
                "status": plan.get_status_display(),
                "created_at": plan.created_at,
                "measures": [
                    {
                        "kind": measure.get_kind_display(),
                        "provider": measure.provider,
                        "started_on": measure.started_on,
                    }
                    for measure in plan.measures.all()
                ],
            }
            for plan in view.support_plans
        ]
    return data


def _label(value: str, choices: Iterable[tuple[Any, Any]]) -> str:
    return str(dict(choices).get(value, value))


def _referral(referral: Referral, view: CaseView) -> dict[str, Any]:
    guardians = referral.guardians
    out: dict[str, Any] = {
        "id": referral.pk,
        "status": referral.status,
        "status_label": referral.get_status_display(),
        "destination": {
            "name": referral.destination.name,
            "kind": referral.destination.kind,
            "kind_label": referral.destination.get_kind_display(),
            "jurisdiction": referral.destination.jurisdiction,
        },
        "summary": referral.summary,
        "legal_basis": {
            "code": referral.legal_basis,
            "label": _label(referral.legal_basis, Referral.Basis.choices),
            "note": referral.legal_basis_note,
        },
        # LAW.md §2.2: whether the guardians know or consented, and why not. Part of
        # the basis for sharing: shown whatever the referral shares (no name in it).
        "guardians_position": {
            "code": guardians or None,
            "label": _label(guardians, GuardianPosition.choices)
            if guardians
            else _("Not recorded"),
            "reason_not_asked": referral.guardians_note,
        },
        "created_at": referral.created_at,
        "sent_at": referral.sent_at,
        "phoned_at": referral.phoned_at,
        "phoned_to": referral.phoned_to,
        "written_confirmation_due_at": referral.confirmation_due_at,
        "external_reference": referral.external_reference,
    }
    if CASE_SECTION_PARTICIPANTS in view.sections:
        out["complainant"] = _person_name(referral.complainant)
    return out


def _person_name(person: Person | None) -> str | None:
    return str(person) if person is not None else None


def _referrer(referral: Referral, case: Case) -> dict[str, Any]:
    user = referral.sent_by or referral.created_by
    school = case.school
    membership = Membership.objects.filter(user=user, organisation=school).first()
    return {
        "name": user.get_full_name() or user.get_username(),
        "role": _label(membership.role, Role.choices) if membership else None,
        "school": school.name,
        "school_code": school.code,
        "email": user.email or school.email,
        "phone": school.phone,
        "referred_at": referral.sent_at or referral.created_at,
        "case_reference": case.reference,
    }


def _role(view: CaseView, role: str) -> list[Participant]:
    return [p for p in view.participants if p.role == role]


def _person(person: Person, case: Case) -> dict[str, Any]:
    # A person of another school is rare (an external adult is the case school's
    # record); the school's name is read only then.
    school = case.school if person.school_id == case.school_id else person.school
    return {
        "name": str(person),
        "kind": person.get_kind_display(),
        "date_of_birth": person.date_of_birth,
        "school": school.name if person.kind == Person.Kind.PUPIL else None,
        "year_group": person.year_group,
        "phone": person.phone,
        "email": person.email,
    }


def _victim(participant: Participant, view: CaseView, referral: Referral) -> dict[str, Any]:
    person = participant.person
    today = timezone.localdate(timezone=ZoneInfo(view.case.school.time_zone or "UTC"))
    return {
        **_person(person, view.case),
        "age": person.age_on(today),
        "complainant": person.pk == referral.complainant_id,
        # No field records vulnerabilities or special educational needs (SEN): say so
        # rather than guess; the participant's notes may say more.
        "vulnerabilities": _("Not recorded"),
        "notes": participant.notes,
    }


def _guardian(participant: Participant) -> dict[str, Any]:
    person = participant.person
    return {"name": str(person), "phone": person.phone, "email": person.email}


def _act_date(participant: Participant, view: CaseView) -> tuple[date, str]:
    """The date of the act for ``participant`` and how it is known: the recorded
    ``act_on``; else the day the first evidence was seen; else the case's opening.
    The school's concerns (when a disclosure says it happened) are internal and not
    in a packet's view, so the estimate can be later than the one routing advice uses
    (``reporting.routing.act_date``, which starts from the first concern): the packet
    says it is an estimate, and recording the date of the act (``act_on``) makes the
    two agree."""
    zone = ZoneInfo(view.case.school.time_zone or "UTC")
    if participant.act_on is not None:
        return participant.act_on, _("date of the act recorded")
    seen = [item.first_seen_at for item in view.evidence]
    if seen:
        return timezone.localtime(min(seen), zone).date(), _(
            "estimated: the day the first evidence was seen"
        )
    return timezone.localtime(view.case.opened_at, zone).date(), _(
        "estimated: the day the case was opened"
    )


def _perpetrator(participant: Participant, view: CaseView) -> dict[str, Any]:
    person = participant.person
    act_on, basis = _act_date(participant, view)
    age = person.age_on(act_on)
    if age is not None:
        minor: bool | None = age < ADULT_AGE
    else:  # a pupil is a child; anyone else with no date of birth: unknown
        minor = True if person.kind == Person.Kind.PUPIL else None
    return {
        **_person(person, view.case),
        "role": participant.get_role_display(),
        "date_of_act": act_on,
        "date_of_act_basis": basis,
        "age_at_act": age,
        "minor": minor,
        "minor_label": _("Minor") if minor else _("Adult") if minor is False else _("Unknown"),
        "notes": participant.notes,
    }


def _incident(referral: Referral, view: CaseView) -> dict[str, Any]:
    case = view.case
    out: dict[str, Any] = {
        "category": case.category,
        "category_label": case.get_category_display(),
        "title": case.title,
        "opened_at": case.opened_at,
        # The child's own words are in the concerns, internal (they never leave the
        # school); what the destination needs is quoted in the referral's summary.
        "summary_for_destination": referral.summary,
        "disclosures_note": _(
            "The child's own words are kept by the school; what the destination needs "
            "of them is in the summary written for this referral."
        ),
    }
    if CASE_SECTION_EVIDENCE in view.sections:
        items = view.evidence
        seen = [item.first_seen_at for item in items]
        out["first_seen_at"] = min(seen) if seen else None
        out["when_known"] = (
            _("from the first evidence seen (date and time recorded)")
            if seen
            else _("not recorded: the case was opened on the date above")
        )
        out["platforms"] = sorted(
            {i.platform.name for i in items if i.platform is not None}
            | {t.platform.name for t in view.takedowns}
        )
        out["spread"] = [
            {
                "platform": item.platform.name if item.platform else None,
                "kind": item.get_kind_display(),
                "location": item.location,
                "first_seen_at": item.first_seen_at,
            }
            for item in items
            if item.kind
            in (
                EvidenceItem.Kind.GROUP,
                EvidenceItem.Kind.MESSAGE,
                EvidenceItem.Kind.URL,
                EvidenceItem.Kind.ACCOUNT,
            )
        ]
        out["accounts"] = [
            {
                "platform": item.platform.name if item.platform else None,
                "location": item.location,
                "identifiers": dict(item.identifiers),
                "identifier_list": _identifier_list(item.identifiers),
            }
            for item in items
            if item.kind == EvidenceItem.Kind.ACCOUNT
            or any(k in item.identifiers for k in ("phone_number", "account_handle"))
        ]
    return out


def _flags(case: Case, view: CaseView) -> dict[str, Any]:
    """LAW.md §2.5. "Adult involved" is the case's flag, or any alleged perpetrator the
    packet lists who was 18 or over on the date of the act (never a flag that
    contradicts the people it shows)."""
    adults = [
        participant.person
        for participant in view.participants
        if participant.role in (Participant.Role.ALLEGED_PERPETRATOR, Participant.Role.SHARER)
        and (age := participant.person.age_on(_act_date(participant, view)[0])) is not None
        and age >= ADULT_AGE
    ]
    return {
        "adult_involved": case.adult_involved or bool(adults),
        "coercion_or_extortion": case.coercion_or_extortion,
        "under_13": case.under_13,
        # No field records violence: "not recorded" (null), never a guess.
        "violence": None,
        "immediate_risk": case.risk_level == Case.Risk.CRITICAL,
        "ai_generated": case.ai_generated,
        "risk_level": case.risk_level,
        "risk_level_label": case.get_risk_level_display(),
    }


def _evidence(view: CaseView) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": item.pk,
                "kind": item.get_kind_display(),
                "platform": item.platform.name if item.platform else None,
                "location": item.location,
                "identifiers": dict(item.identifiers),
                # The same identifiers named in the packet's language (the keys are the
                # platform's form fields: ``reporting.identifiers``).
                "identifier_list": _identifier_list(item.identifiers),
                "first_seen_at": item.first_seen_at,
                "seen_by": item.seen_by,
                "description": item.description,
                "sha256": item.sha256 or None,
                "md5": item.md5 or None,
                "pdq": item.pdq or None,
                "pdq_quality": item.pdq_quality,
                # The custody recorded so far: who recorded the item and when. The
                # custody log (issue 12) will add each later handling.
                "custody": [
                    {
                        "action": _("recorded"),
                        "by": item.recorded_by.get_full_name() or item.recorded_by.get_username(),
                        "at": item.recorded_at,
                    }
                ],
            }
            for item in view.evidence
        ],
        "devices": _("Where the devices are now: not recorded."),
        "note": _("Metadata and hashes only: no image is ever stored or sent."),
    }


def _identifier_list(identifiers: dict[str, Any]) -> list[dict[str, Any]]:
    """An item's identifiers as ``[{"key", "label", "value"}]``, the label in the active
    language (``reporting.identifiers``: "Group invite link", not ``group_invite_link``)."""
    language = (translation.get_language() or "es")[:2]
    return [
        {"key": key, "label": identifier_label(key, language), "value": value}
        for key, value in identifiers.items()
    ]


def _actions_so_far(view: CaseView) -> dict[str, Any]:
    # The victim's own removal reports and the reports to authorities are parts of the
    # view, with the evidence section (``CASE_PARTS``): empty unless the referral shares it.
    removal = view.removal_reports
    authority = view.authority_reports
    names = CASE_SECTION_PARTICIPANTS in view.sections
    return {
        "takedown_notices": [
            {
                "platform": notice.platform.name,
                "legal_basis": notice.legal_basis.name,
                "citation": notice.legal_basis.citation,
                "status": notice.status,
                "status_label": notice.get_status_display(),
                "platform_ticket": notice.platform_ticket,
                "submitted_at": notice.submitted_at,
                "deadline_at": notice.deadline_at,
                "resolved_at": notice.resolved_at,
                "escalated_to": notice.escalated_to.name if notice.escalated_to else None,
                "escalation_reference": notice.escalation_reference,
            }
            for notice in view.takedowns
        ],
        "victim_removal_reports": [
            {
                "route": report.route.name,
                "case_number": report.case_number,
                "reported_on": report.reported_on,
                "status": report.get_status_display(),
                # A name only where the referral shares the people.
                **({"victim": str(report.victim)} if names else {}),
            }
            for report in removal
        ],
        "authority_reports": [
            {
                "authority": report.authority.name,
                "route": report.get_route_display(),
                "status": report.get_status_display(),
                "reference": report.reference,
                "filed_at": report.filed_at,
            }
            for report in authority
        ],
    }


def _chronology(referral: Referral, view: CaseView) -> list[dict[str, Any]]:
    # Lines about other referrals (to other destinations) are not this one's business.
    return [
        {"at": event.occurred_at, "verb": event.verb, "label": verb_label(event.verb)}
        for event in view.events
        if not (
            event.verb.startswith("referral.")
            and event.object_type == "referral"
            and event.object_id != referral.pk
        )
    ]


# --- serialising -------------------------------------------------------------------


def _walk(value: Any, leaf: Callable[[Any], Any]) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item, leaf) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(item, leaf) for item in value]
    return leaf(value)


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _local(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        local = timezone.localtime(value, zone)
        return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return value
