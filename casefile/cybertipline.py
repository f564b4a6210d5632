"""The NCMEC CyberTipline export: a case as an XML ``<report>`` that validates against
NCMEC's CyberTipline Reporting API schema (``../shared/fixtures/ncmec/cyber_tipline.xsd``;
``../shared/LAW.md`` §4).

A school is not an electronic service provider and cannot call NCMEC's API: the lead
downloads this report and submits it through NCMEC's public form
(https://report.cybertip.org/) or a provider partner. It carries **no file and no
image** (DESIGN rule 1): the evidence goes as metadata and hashes (SHA-256, MD5, PDQ).
``generativeAi`` is a per-file annotation of the schema (``fileDetails/fileAnnotations``)
that needs an uploaded file, so a hash-only report says "AI-generated" in the report's
``additionalInfo``, next to the hashes (LAW.md §4).

Built from the one case view (``casefile.selectors.case_view_for_user``), as every
document is, and only from the structured fields the case holds; an optional element
of the schema the case has nothing for is left out, never filled in. The free-text
fields (the case summary, a person's notes, an evidence item's description) are not
exported: they may name children and are the lead's to retell in the form. Children are
described by their age on the date of the incident, never by name or date of birth (data
minimisation; the police receive identities through the referral packet). The report is
written in English, the language of the CyberTipline.

How each part of the case maps to the schema (XSD element → case field):

- ``report/incidentSummary/incidentType`` ← ``Case.category`` and
  ``Case.coercion_or_extortion``: sextortion (the category, or the coercion/extortion
  flag) → "Online Enticement of Children for Sexual Acts" (NCMEC files sextortion under
  online enticement); every other category (AI-generated sexual imagery, non-consensual
  sharing, other image-based abuse of a minor) → "Child Pornography (possession,
  manufacture, and distribution)".
- ``incidentSummary/platform`` ← the names of the evidence items' ``platform``
  (``reporting.Platform.name``), in order of first appearance, comma-separated.
- ``incidentSummary/escalateToHighPriority`` ← ``Case.risk_level`` == critical only.
- ``incidentSummary/reportAnnotations``: ``sextortion`` ← category sextortion or
  ``coercion_or_extortion``; ``minorToMinorInteraction`` ← at least one victim and one
  alleged perpetrator, every one of them with a recorded date of birth making them under
  18 on the incident date, and ``Case.adult_involved`` false. ``csamSolicitation``,
  ``spam`` and ``sadisticOnlineExploitation`` are never set: the case holds no field for
  them.
- ``incidentSummary/incidentDateTime`` ← the earliest ``EvidenceItem.first_seen_at``, else
  ``Case.opened_at`` (UTC); ``incidentDateTimeDescription`` says which.
- ``internetDetails`` ← the evidence items, one per platform (items without a platform
  together): a messaging platform (``Platform.kind`` messaging) →
  ``chatImIncident/chatClient`` (the platform's name) with the items' locations and
  identifiers in its ``additionalInfo``; any other → ``webPageIncident`` with each
  ``EvidenceItem.location`` that is an http(s) URL as ``url``, other locations (handles)
  and ``identifiers`` in ``additionalInfo``, and ``thirdPartyHostedContent="true"`` (the
  content is on another company's servers, never the school's).
- ``lawEnforcement`` ← the first referral sent to a police unit or prosecutor
  (``Referral.sent_at``): ``agencyName`` ← its destination's name, ``caseNumber`` ←
  ``Referral.external_reference`` (the atestado number) when recorded, ``reportedToLe``
  true.
- ``reporter/reportingPerson`` ← the lead or deputy downloading the report
  (``User.first_name``, ``last_name``, ``email``) with the school's country
  (``Organisation.jurisdiction``; a US state where the school is in one) as a Business
  ``address``; ``reporter/contactPerson`` ← the school's own ``email`` and ``phone``
  when recorded.
- ``personOrUserReported`` ← each alleged perpetrator (``Participant.role``
  alleged_perpetrator): ``personOrUserReportedPerson/age`` on the incident date when a
  date of birth is recorded, and in ``additionalInfo`` what they are to the school
  (``Person.kind``).
- ``victim`` ← each victim (``Participant.role`` victim): ``victimPerson/age`` on the
  incident date when a date of birth is recorded, ``schoolName`` ← the school's name.
- ``report/additionalInfo`` ← the narrative: who reports (the school, its jurisdiction,
  the case reference), the category and flags, "AI-generated" where the case says so
  (``Case.ai_generated`` or category ai_generated), and every evidence item with its
  kind, platform, location, first-seen time and hashes (SHA-256, MD5, PDQ with quality).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import transaction

from casefile.selectors import CaseView, case_view_for_user
from cases.audit import AuditContext, record_access
from cases.exceptions import NotFound
from cases.models import Case, EvidenceItem, Organisation, Participant, Person, User
from cases.verbs import AccessAction
from reporting.documents import document_record
from reporting.models import GeneratedDocument, Referral

# ``incidentType`` values of the schema (xs:simpleType incidentType).
INCIDENT_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
INCIDENT_CSAM = "Child Pornography (possession, manufacture, and distribution)"

# ``reportAnnotations`` children set by this export (xs:complexType reportAnnotations).
SEXTORTION = "sextortion"
MINOR_TO_MINOR = "minorToMinorInteraction"

# The parts of the case view the export reads: a reader who does not see them all gets
# no export (the faces let only the school's lead or deputy download it).
PARTS_READ = ("participants", "evidence", "referrals")

_REPORTED_TO = (Organisation.Kind.POLICE_UNIT, Organisation.Kind.PROSECUTOR)
_PERSON_KIND_EN: dict[str, str] = {
    Person.Kind.PUPIL: "a pupil of the school",
    Person.Kind.STAFF: "a member of the school's staff",
    Person.Kind.GUARDIAN: "a parent or guardian",
    Person.Kind.EXTERNAL: "a person outside the school",
}
_CATEGORY_EN: dict[str, str] = {
    Case.Category.AI_GENERATED: "AI-generated sexual imagery (nudify, deepfake)",
    Case.Category.NON_CONSENSUAL_SHARING: "Non-consensual sharing of intimate images",
    Case.Category.SEXTORTION: "Sextortion",
    Case.Category.OTHER: "Other image-based abuse",
}
_EVIDENCE_KIND_EN: dict[str, str] = {
    EvidenceItem.Kind.IMAGE: "Image",
    EvidenceItem.Kind.VIDEO: "Video",
    EvidenceItem.Kind.MESSAGE: "Message",
    EvidenceItem.Kind.ACCOUNT: "Account or profile",
    EvidenceItem.Kind.GROUP: "Group or channel",
    EvidenceItem.Kind.URL: "Web page",
    EvidenceItem.Kind.OTHER: "Other",
}


@dataclass(frozen=True)
class CyberTiplineReport:
    """The export of one case: the XML bytes (UTF-8, with declaration) and, for the
    faces and tests, the report annotations set and the incident type chosen."""

    content: bytes
    incident_type: str
    annotations: tuple[str, ...]


def is_sextortion(case: Case) -> bool:
    """Whether the case is sextortion: its category, or the coercion/extortion flag."""
    return case.category == Case.Category.SEXTORTION or case.coercion_or_extortion


def is_ai_generated(case: Case) -> bool:
    """Whether the school recorded the imagery as AI-generated (flag or category)."""
    return case.ai_generated or case.category == Case.Category.AI_GENERATED


def age_on(born: date | None, day: date) -> int | None:
    """Age in whole years on ``day`` of a person born on ``born`` (``None`` if unknown)."""
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _utc(moment: datetime) -> str:
    # xs:dateTime in UTC with a "Z": 2026-05-03T10:00:00Z.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _identifiers_text(item: EvidenceItem) -> str:
    identifiers = item.identifiers if isinstance(item.identifiers, dict) else {}
    return "; ".join(f"{key}: {value}" for key, value in sorted(identifiers.items()) if value)


def _hashes_text(item: EvidenceItem) -> str:
    parts = []
    if item.sha256:
        parts.append(f"SHA-256 {item.sha256}")
    if item.md5:
        parts.append(f"MD5 {item.md5}")
    if item.pdq:
        quality = "" if item.pdq_quality is None else f" (quality {item.pdq_quality})"
        parts.append(f"PDQ {item.pdq}{quality}")
    return ", ".join(parts) or "no hash recorded"


def _incident_moment(view: CaseView) -> tuple[datetime, str]:
    seen = [item.first_seen_at for item in view.evidence]
    if seen:
        return min(seen), (
            "The earliest time the school recorded seeing the material (first seen, "
            "UTC); the acts themselves may be earlier."
        )
    return view.case.opened_at, (
        "The time the school opened its case (UTC); no evidence item records when the "
        "material was first seen."
    )


def _minor_to_minor(
    case: Case, victims: list[Participant], perpetrators: list[Participant], day: date
) -> bool:
    if case.adult_involved or not victims or not perpetrators:
        return False
    ages = [age_on(p.person.date_of_birth, day) for p in (*victims, *perpetrators)]
    return all(age is not None and age < 18 for age in ages)


def _first_referral_to_law_enforcement(view: CaseView) -> Referral | None:
    sent = [
        referral
        for referral in view.referrals
        if referral.sent_at is not None
        and referral.status != Referral.Status.WITHDRAWN
        and referral.destination.kind in _REPORTED_TO
    ]
    return min(sent, key=lambda r: (r.sent_at, r.pk)) if sent else None


def _address(parent: ET.Element, school: Organisation) -> None:
    country, _, region = school.jurisdiction.partition("-")
    address = _sub(parent, "address", type="Business")
    if country == "US" and region:
        _sub(address, "state", region)
    _sub(address, "country", country)


def _internet_details(report: ET.Element, evidence: tuple[EvidenceItem, ...]) -> None:
    groups: dict[int | None, list[EvidenceItem]] = {}
    for item in evidence:
        groups.setdefault(item.platform_id, []).append(item)
    for items in groups.values():
        platform = items[0].platform
        located = [item for item in items if item.location or _identifiers_text(item)]
        if not located:
            continue
        details = _sub(report, "internetDetails")
        notes = []
        for item in located:
            where = item.location if not _is_url(item.location) else ""
            identifiers = _identifiers_text(item)
            line = "; ".join(part for part in (where, identifiers) if part)
            if line:
                notes.append(f"{_EVIDENCE_KIND_EN.get(item.kind, item.kind)}: {line}")
        if platform is not None and platform.kind == "messaging":
            chat = _sub(details, "chatImIncident")
            _sub(chat, "chatClient", platform.name)
            urls = [item.location for item in located if _is_url(item.location)]
            lines = [f"Link: {url}" for url in urls] + notes
            if lines:
                _sub(chat, "additionalInfo", "\n".join(lines))
        else:
            page = _sub(details, "webPageIncident", thirdPartyHostedContent="true")
            for item in located:
                if _is_url(item.location):
                    _sub(page, "url", item.location)
            if notes:
                _sub(page, "additionalInfo", "\n".join(notes))


def _narrative(
    view: CaseView, *, ai: bool, incident_note: str, victims: int, perpetrators: int
) -> str:
    case = view.case
    school = case.school
    flags = [
        label
        for label, on in (
            ("coercion or extortion", case.coercion_or_extortion),
            ("adult involved", case.adult_involved),
            ("child under 13 involved", case.under_13),
            ("AI-generated imagery", ai),
        )
        if on
    ]
    lines = [
        f"Reported by {school.name}, a school ({school.jurisdiction}), from its "
        f"safeguarding case {case.reference}. The school is not an electronic service "
        "provider: this report carries no file or image, only where the material was and "
        "its hashes.",
        f"Category: {_CATEGORY_EN.get(case.category, case.category)}."
        + (f" Flags: {', '.join(flags)}." if flags else ""),
        f"Victims recorded: {victims}. Alleged perpetrators recorded: {perpetrators}. "
        "Children are described by age only; the school holds their identities.",
    ]
    if ai:
        lines.append(
            "AI-generated: the school recorded this imagery as AI-generated (e.g. a "
            "'nudify' app or deepfake). The schema's per-file generativeAi annotation "
            "needs an uploaded file; this hash-only report has none, so it is stated here."
        )
    lines.append(f"Incident time: {incident_note}")
    if view.evidence:
        lines.append(f"Evidence ({len(view.evidence)} items; hashes of the files, no file):")
        for number, item in enumerate(view.evidence, start=1):
            where = ", ".join(
                part
                for part in (
                    item.platform.name if item.platform else "",
                    item.location,
                    _identifiers_text(item),
                )
                if part
            )
            lines.append(
                f"{number}. {_EVIDENCE_KIND_EN.get(item.kind, item.kind)}"
                + (f" — {where}" if where else "")
                + f" — first seen {_utc(item.first_seen_at)} — {_hashes_text(item)}"
            )
    else:
        lines.append("Evidence: none recorded.")
    return "\n".join(lines)


def build_cybertipline_report(*, view: CaseView, reporter: User) -> CyberTiplineReport:
    """The CyberTipline ``<report>`` of the case seen through ``view`` (the one case
    view, which must show ``PARTS_READ``), reported by ``reporter`` (the school's lead
    or deputy who downloads it). Returns the UTF-8 XML and what was set; writes nothing
    (the face records the download: ``reporting.documents.document_record`` and an
    ``AccessEvent``). The element each field maps to is in the module's docstring;
    source: LAW.md §4 and NCMEC's XSD. Raises ``ValueError`` if ``view`` does not show
    the parts read."""
    missing = [part for part in PARTS_READ if not view.shows(part)]
    if missing:
        raise ValueError(f"the case view does not show {', '.join(missing)}")
    case = view.case
    school = case.school
    ai = is_ai_generated(case)
    moment, moment_note = _incident_moment(view)
    day = moment.astimezone(UTC).date()
    victims = [p for p in view.participants if p.role == Participant.Role.VICTIM]
    perpetrators = [p for p in view.participants if p.role == Participant.Role.ALLEGED_PERPETRATOR]

    report = ET.Element("report")
    # --- incidentSummary ---
    summary = _sub(report, "incidentSummary")
    incident_type = INCIDENT_ENTICEMENT if is_sextortion(case) else INCIDENT_CSAM
    _sub(summary, "incidentType", incident_type)
    platforms = list(
        dict.fromkeys(item.platform.name for item in view.evidence if item.platform is not None)
    )
    if platforms:
        _sub(summary, "platform", ", ".join(platforms))
    if case.risk_level == Case.Risk.CRITICAL:
        _sub(
            summary,
            "escalateToHighPriority",
            "The school assessed the risk to the child as critical.",
        )
    annotations = []
    if is_sextortion(case):
        annotations.append(SEXTORTION)
    if _minor_to_minor(case, victims, perpetrators, day):
        annotations.append(MINOR_TO_MINOR)
    if annotations:
        tags = _sub(summary, "reportAnnotations")
        for tag in annotations:
            _sub(tags, tag, "true")
    _sub(summary, "incidentDateTime", _utc(moment))
    _sub(summary, "incidentDateTimeDescription", moment_note)

    # --- internetDetails ---
    _internet_details(report, view.evidence)

    # --- lawEnforcement ---
    referral = _first_referral_to_law_enforcement(view)
    if referral is not None:
        police = _sub(report, "lawEnforcement")
        _sub(police, "agencyName", referral.destination.name)
        if referral.external_reference:
            _sub(police, "caseNumber", referral.external_reference)
        _sub(police, "reportedToLe", "true")

    # --- reporter ---
    reporter_el = _sub(report, "reporter")
    person = _sub(reporter_el, "reportingPerson")
    if reporter.first_name:
        _sub(person, "firstName", reporter.first_name)
    if reporter.last_name:
        _sub(person, "lastName", reporter.last_name)
    if reporter.email:
        _sub(person, "email", reporter.email, type="Work")
    _address(person, school)
    if school.email or school.phone:
        contact = _sub(reporter_el, "contactPerson")
        if school.phone:
            _sub(contact, "phone", school.phone, type="Business")
        if school.email:
            _sub(contact, "email", school.email, type="Business")

    # --- personOrUserReported ---
    for participant in perpetrators:
        reported = _sub(report, "personOrUserReported")
        age = age_on(participant.person.date_of_birth, day)
        if age is not None:
            _sub(_sub(reported, "personOrUserReportedPerson"), "age", str(age))
        what = _PERSON_KIND_EN.get(participant.person.kind, participant.person.kind)
        _sub(
            reported,
            "additionalInfo",
            f"Alleged perpetrator recorded by the school: {what}"
            + ("." if age is not None else "; age not recorded."),
        )

    # --- victim ---
    for participant in victims:
        victim = _sub(report, "victim")
        victim_person = _sub(victim, "victimPerson")
        age = age_on(participant.person.date_of_birth, day)
        if age is not None:
            _sub(victim_person, "age", str(age))
        _sub(victim, "schoolName", school.name)

    _sub(
        report,
        "additionalInfo",
        _narrative(
            view,
            ai=ai,
            incident_note=moment_note,
            victims=len(victims),
            perpetrators=len(perpetrators),
        ),
    )
    ET.indent(report)
    content = ET.tostring(report, encoding="utf-8", xml_declaration=True)
    return CyberTiplineReport(
        content=content, incident_type=incident_type, annotations=tuple(annotations)
    )


@transaction.atomic
def cybertipline_export(
    *, user: User, case_id: int | str, context: AuditContext
) -> tuple[CyberTiplineReport, GeneratedDocument]:
    """Build the CyberTipline report of case ``case_id`` for ``user`` and record the
    download: a ``GeneratedDocument`` (kind cybertipline, format xml, language en, the
    SHA-256 of the very bytes returned) with its ``document.generated`` chronology line
    (``reporting.documents.document_record``), and an ``AccessEvent``
    (``case.cybertipline``, on ``context``'s channel), in one transaction.

    Only the case's school's safeguarding lead or deputy may export (the report is
    theirs to submit; LAW.md §4): anyone else, whether or not they can see the case (a
    police liaison holding a referral), gets ``cases.exceptions.NotFound``, the same
    answer as for a case that does not exist. Returns the report and the row.
    """
    view = case_view_for_user(user=user, case_id=case_id)
    if not view.can_edit:
        raise NotFound
    report = build_cybertipline_report(view=view, reporter=user)
    document = document_record(
        case=view.case,
        actor=user,
        kind=GeneratedDocument.Kind.CYBERTIPLINE,
        content=report.content,
        fmt="xml",
        language="en",
        context=context,
    )
    record_access(
        actor=user,
        action=AccessAction.CYBERTIPLINE_EXPORT,
        case_ids=[view.case.pk],
        context=context,
        organisation=view.case.school_id,
    )
    return report, document
