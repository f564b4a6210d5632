"""Replay a demo ``Scenario`` through the services, in one transaction.

Domain rows (people, concerns, cases, participants, evidence, referrals, takedown
notices, support plans, check-ins, guardian contacts, actions) are written only by the
services in ``cases.services`` and ``reporting.services``, so the demo gets the same
validation, chronology and side effects (referral notices queued on commit) as real use.
Organisations, users and memberships have no services yet and are created with the ORM.

Idempotent: a ``scenario.loaded`` chronology row per school marks a loaded scenario; a
second run finds it and writes nothing. Two loads at once are serialised by a
transaction-scoped PostgreSQL advisory lock, so the second one sees the first's marker.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.second_factor import role_requires_second_factor
from cases import services as case_services
from cases.audit import record_case_event
from cases.models import (
    Case,
    CaseEvent,
    CheckIn,
    EvidenceItem,
    Membership,
    Organisation,
    Participant,
    Person,
    SupportPlan,
    User,
)
from cases.permissions import Role
from cases.verbs import CaseVerb
from demo.almendralejo import (
    AuthorityReportSpec,
    CaseSpec,
    ReferralSpec,
    Scenario,
    SupportPlanSpec,
    TakedownSpec,
    at,
    demo_backup_code,
    demo_totp_key,
    demo_totp_secret,
)
from reporting import services as reporting_services
from reporting.models import (
    AuthorityReport,
    LegalBasis,
    Platform,
    Referral,
    RemovalRoute,
    RemovalRouteReport,
    RoutingSuggestion,
    TakedownRequest,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class ScenarioConflict(Exception):
    """Rows the scenario would create exist already without its marker (a partly
    hand-made database): nothing is written, the message lists what clashes."""


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    organisation: str
    password: str
    # Second factor (demo only), empty for roles that need none (staff).
    totp_secret: str = ""
    backup_code: str = ""


def is_loaded(scenario: Scenario) -> bool:
    """True when every school of ``scenario`` exists and carries its marker row."""
    codes = [s.code for s in scenario.schools]
    marked = (
        CaseEvent.objects.filter(
            verb=CaseVerb.SCENARIO_LOADED,
            school__code__in=codes,
            school__kind=Organisation.Kind.SCHOOL,
            data__scenario=scenario.name,
            data__marker=scenario.marker,
        )
        .values("school_id")
        .distinct()
        .count()
    )
    return marked == len(codes)


def load(scenario: Scenario, *, now: datetime | None = None) -> bool:
    """Load ``scenario`` unless it is loaded already.

    All or nothing: one transaction. ``now`` (aware, UTC; default the current time) is
    the moment the scenario's relative times count from. Returns ``True`` if it was
    loaded now, ``False`` if it was already there (nothing written). Raises
    ``ScenarioConflict`` when some of its rows exist without the marker, and lets any
    service ``ValidationError``/``Conflict`` through (then nothing is written).
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            key = zlib.crc32(f"salvaguarda.scenario.{scenario.name}".encode())
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        if is_loaded(scenario):
            return False
        _refuse_clashes(scenario)
        _Replay(scenario, now or timezone.now()).run()
    return True


# How a liaison's role reads in the logins table, by the kind of their organisation:
# the role model has one ``police_liaison`` role for every receiving unit, but the
# prosecutor's liaison is not a police officer.
LIAISON_LABELS: dict[str, StrPromise] = {
    Organisation.Kind.POLICE_UNIT: _("Liaison (police)"),
    Organisation.Kind.PROSECUTOR: _("Liaison (prosecutor)"),
    Organisation.Kind.SOCIAL_SERVICES: _("Liaison (social services)"),
}


def role_label(role: str, organisation_kind: str) -> str:
    """The role as the logins table shows it, in the active language: a liaison's
    names their organisation's kind (e.g. "Enlace (fiscalía)"), others the role's."""
    if role == Role.POLICE_LIAISON and organisation_kind in LIAISON_LABELS:
        return str(LIAISON_LABELS[organisation_kind])
    return str(Role(role).label)


def logins(scenario: Scenario) -> list[Login]:
    """The demo accounts, for the table ``make run`` prints."""
    orgs = {o.code: o for o in scenario.organisations}
    return [
        Login(
            u.username,
            role_label(u.role, orgs[u.organisation].kind),
            orgs[u.organisation].name,
            scenario.password,
            *(
                (demo_totp_secret(u.username), demo_backup_code(u.username))
                if role_requires_second_factor(u.role)
                else ()
            ),
        )
        for u in scenario.users
    ]


def demo_second_factor(user: User) -> None:
    """Give a demo account its second factor: a confirmed TOTP device with the demo key
    of its username, and one static backup code (``demo.almendralejo``)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(
        user=user,
        name="demo authenticator",
        key=demo_totp_key(user.username).hex(),
        confirmed=True,
    )
    backup = StaticDevice.objects.create(user=user, name="demo backup codes", confirmed=True)
    backup.token_set.create(token=demo_backup_code(user.username))


def counts(scenario: Scenario) -> dict[str, int]:
    """What the database holds for ``scenario``'s schools, as SCENARIO.md counts it.

    A system-level aggregate for the loader's report and its tests: it reads no case
    for a user, so it does not go through the visibility selectors.
    """
    codes = [s.code for s in scenario.schools]
    in_schools = Q(case__school__code__in=codes)
    participants = Participant.objects.filter(in_schools)
    referrals = Referral.objects.filter(in_schools)
    to_police = referrals.filter(destination__code=scenario.police_unit)
    takedowns = TakedownRequest.objects.filter(in_schools)
    horizon = timezone.now() + timedelta(days=7)
    return {
        "schools": Organisation.objects.filter(
            code__in=codes, kind=Organisation.Kind.SCHOOL
        ).count(),
        "victims": participants.filter(role=Participant.Role.VICTIM)
        .values("person")
        .distinct()
        .count(),
        "alleged perpetrators": participants.filter(role=Participant.Role.ALLEGED_PERPETRATOR)
        .values("person")
        .distinct()
        .count(),
        "cases": Case.objects.filter(school__code__in=codes).count(),
        "evidence items": EvidenceItem.objects.filter(in_schools).count(),
        "referrals to the police unit": to_police.count(),
        "  acknowledged": to_police.filter(status=Referral.Status.ACKNOWLEDGED).count(),
        "other referrals (prosecutor, social services)": referrals.exclude(
            destination__code=scenario.police_unit
        ).count(),
        "takedown notices": takedowns.count(),
        "  overdue or escalated": takedowns.filter(
            status__in=[TakedownRequest.Status.OVERDUE, TakedownRequest.Status.ESCALATED]
        ).count(),
        "  escalated": takedowns.filter(escalated_at__isnull=False).count(),
        "support plans": SupportPlan.objects.filter(in_schools).count(),
        "check-ins due within 7 days": CheckIn.objects.filter(
            plan__case__school__code__in=codes, held_at__isnull=True, due_at__lte=horizon
        ).count(),
    }


def _refuse_clashes(scenario: Scenario) -> None:
    problems: list[str] = []
    for spec in scenario.organisations:
        existing = Organisation.objects.filter(code=spec.code).first()
        if existing is not None and (spec.kind == "school" or existing.kind != spec.kind):
            problems.append(f"organisation {spec.code} ({existing.name}) exists")
        elif existing is None and Organisation.objects.filter(name=spec.name).exists():
            problems.append(f"an organisation named {spec.name!r} exists with another code")
    taken = User.objects.filter(username__in=[u.username for u in scenario.users])
    problems += [f"user {name} exists" for name in taken.values_list("username", flat=True)]
    if problems:
        raise ScenarioConflict(
            f"The {scenario.name} scenario is not loaded but some of its rows exist: "
            + "; ".join(problems)
        )


@dataclass(frozen=True)
class RoutingFacts:
    """What a case of the scenario did, for deciding its routing advice: sent referrals
    (destination id → when sent), authorities reported to (ids), the victims' own
    reports ((person id, route code) → case number), the town's police unit, and the
    spec's dismissals ((rule, destination id) → reason)."""

    referred: dict[int, datetime | None]
    reported: set[int]
    own_reports: dict[tuple[int, str], str]
    police_unit: Organisation
    dismissals: dict[tuple[str, int], str]


def routing_decision(
    facts: RoutingFacts,
    *,
    rule: str,
    destination_id: int | None,
    person_id: int | None,
    route_code: str | None,
) -> tuple[str, str] | None:
    """What the scenario's lead does with one piece of open routing advice: accept it
    where the scenario did what it advises (a referral to that destination, a report to
    that authority, a victim's own report on that route), dismiss what the spec
    dismisses and other police units where the town's unit got the case; else ``None``
    (left open, as a lead would find it). ``("accept", note)`` or ``("dismiss",
    reason)``, in Spanish (the demo's language). Shared by the loader and the end-to-end
    test, which replays the same decisions over HTTP."""
    if rule == "victim_route":
        # A route the victim uses herself: only her own report settles it (the school's
        # escalation to the same authority is not hers).
        if person_id is not None and route_code and (person_id, route_code) in facts.own_reports:
            number = facts.own_reports[(person_id, route_code)]
            return "accept", f"La familia lo presentó ella misma (n.º {number})."
        return None
    if destination_id is not None and (rule, destination_id) in facts.dismissals:
        return "dismiss", facts.dismissals[(rule, destination_id)]
    if destination_id is not None and destination_id in facts.referred:
        sent = facts.referred[destination_id]
        day = timezone.localdate(sent).strftime("%d/%m/%Y") if sent else ""
        return "accept", f"Derivación enviada el {day}."
    if destination_id is not None and destination_id in facts.reported:
        return "accept", "Comunicado a la autoridad."
    if rule == "police" and facts.police_unit.pk in facts.referred:
        return (
            "dismiss",
            f"Denuncias presentadas en {facts.police_unit.name}, la unidad que atiende el "
            "municipio.",
        )
    return None


class _Replay:
    """One load: resolves the scenario's keys to rows as it creates them."""

    def __init__(self, scenario: Scenario, now: datetime) -> None:
        self.s = scenario
        self.now = now
        self.today = timezone.localdate(now)
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.people: dict[str, Person] = {}
        self.evidence: dict[str, EvidenceItem] = {}
        self.to_escalate: list[tuple[TakedownRequest, User, str]] = []
        self.built: list[tuple[Case, CaseSpec]] = []
        self.platforms = {p.slug: p for p in Platform.objects.all()}
        self.bases = {b.code: b for b in LegalBasis.objects.all()}

    def at(self, offset: timedelta) -> datetime:
        return at(self.now, offset)

    def run(self) -> None:
        self.organisations()
        self.accounts()
        self.persons()
        for case in self.s.cases:
            self.case(case)
        # The beat job's sweep, as it would run: marks the notice past its clock overdue.
        reporting_services.takedowns_mark_overdue()
        for notice, actor, reference in self.to_escalate:
            notice.refresh_from_db()
            reporting_services.takedown_escalate(notice=notice, actor=actor, reference=reference)
        # What each case then did about the routing advice computed as it was built.
        for built_case, case_spec in self.built:
            self.routing_decisions(built_case, case_spec)
        for spec in self.s.schools:
            record_case_event(
                school=self.orgs[spec.code],
                case=None,
                actor=None,
                verb=CaseVerb.SCENARIO_LOADED,
                obj=None,
                data={"scenario": self.s.name, "marker": self.s.marker},
            )

    def organisations(self) -> None:
        for spec in self.s.organisations:
            org = Organisation.objects.filter(code=spec.code, kind=spec.kind).first()
            if org is None:
                org = Organisation(
                    name=spec.name,
                    kind=spec.kind,
                    code=spec.code,
                    jurisdiction=spec.jurisdiction,
                    time_zone=spec.time_zone,
                    email=spec.email,
                )
                org.full_clean()
                org.save()
            elif spec.email and not org.email:
                # A row of the directory (the region's child-protection service) that has
                # no address yet: the demo fills it in, as an operator would in the admin.
                org.email = spec.email
                org.save(update_fields=["email"])
            self.orgs[spec.code] = org

    def accounts(self) -> None:
        for spec in self.s.users:
            user = User.objects.create_user(
                username=spec.username,
                email=spec.email,
                password=self.s.password,
                first_name=spec.first_name,
                last_name=spec.last_name,
            )
            Membership.objects.create(
                user=user, organisation=self.orgs[spec.organisation], role=spec.role
            )
            if role_requires_second_factor(spec.role):
                demo_second_factor(user)
            self.users[spec.username] = user

    def persons(self) -> None:
        for spec in self.s.people:
            self.people[spec.key] = case_services.person_create(
                school=self.orgs[spec.school],
                actor=self.users[self.s.lead_of(spec.school)],
                kind=spec.kind,
                given_name=spec.given_name,
                family_name=spec.family_name,
                date_of_birth=spec.date_of_birth(self.today),
                sex=spec.sex,
                year_group=spec.year_group,
                phone=spec.phone,
            )

    def case(self, spec: CaseSpec) -> None:
        school = self.orgs[spec.school]
        lead = self.users[spec.lead]
        c = spec.concern
        concern, _code = case_services.concern_log(
            school=school,
            logged_by=self.users[c.logged_by],
            source=c.source,
            summary=c.summary,
            childs_own_words=c.childs_own_words,
            occurred_at=self.at(c.occurred_at),
            subject=self.people[c.subject],
            logged_at=self.at(c.logged_at),
        )
        case = case_services.case_open(
            school=school,
            actor=lead,
            title=spec.title,
            category=spec.category,
            summary=spec.summary,
            risk_level=spec.risk_level,
            lead=lead,
            concern=concern,
            coercion_or_extortion=spec.coercion_or_extortion,
            under_13=spec.under_13,
            ai_generated=spec.ai_generated,
            opened_at=self.at(spec.opened_at),
        )
        for p in spec.participants:
            case_services.participant_add(
                case=case,
                person=self.people[p.person],
                role=p.role,
                actor=lead,
                notes=p.notes,
                act_on=timezone.localdate(self.at(p.act_on)) if p.act_on is not None else None,
            )
        for e in spec.evidence:
            sha256 = md5 = pdq = ""
            pdq_quality: int | None = None
            if e.image is not None:
                h = self.s.image(e.image).hashes()
                sha256, md5, pdq, pdq_quality = h.sha256, h.md5, h.pdq, h.pdq_quality
            self.evidence[e.key] = case_services.evidence_record(
                case=case,
                actor=lead,
                kind=e.kind,
                first_seen_at=self.at(e.first_seen_at),
                platform=self.platforms[e.platform] if e.platform else None,
                location=e.location,
                identifiers=dict(e.identifiers),
                seen_by=e.seen_by,
                description=e.description,
                sha256=sha256,
                md5=md5,
                pdq=pdq,
                pdq_quality=pdq_quality,
            )
        for g in spec.guardian_contacts:
            case_services.guardian_contact_record(
                case=case,
                guardian=self.people[g.guardian],
                actor=lead,
                method=g.method,
                contacted_at=self.at(g.contacted_at),
                notes=g.notes,
            )
        for r in spec.referrals:
            self.referral(case, lead, r)
        for t in spec.takedowns:
            self.takedown(case, lead, t)
        for report_spec in spec.authority_reports:
            self.authority_report(case, lead, report_spec)
        for rr in spec.removal_reports:
            reporting_services.removal_report_record(
                case=case,
                victim=self.people[rr.victim],
                route=RemovalRoute.objects.get(code=rr.route),
                reported_on=timezone.localdate(self.at(rr.reported_on)),
                actor=lead,
                case_number=rr.case_number,
                status=rr.status,
            )
        self.built.append((case, spec))
        for plan_spec in spec.support_plans:
            self.support_plan(case, lead, plan_spec)
        for a in spec.actions:
            case_services.action_create(
                case=case,
                actor=lead,
                title=a.title,
                owner=self.users[a.owner],
                due_at=self.at(a.due_at),
            )

    def referral(self, case: Case, lead: User, r: ReferralSpec) -> None:
        referral = reporting_services.referral_create(
            case=case,
            actor=lead,
            destination=self.orgs[r.destination],
            summary=r.summary,
            legal_basis=r.legal_basis,
            legal_basis_note=r.legal_basis_note,
            shared_sections=list(r.shared_sections),
            complainant=self.people[r.complainant] if r.complainant else None,
            guardians=r.guardians,
            guardians_note=r.guardians_note,
            phoned_at=self.at(r.phoned_at) if r.phoned_at is not None else None,
            phoned_to=r.phoned_to,
        )
        reporting_services.referral_send(referral=referral, actor=lead, sent_at=self.at(r.sent_at))
        if r.acknowledged_at is not None:
            if r.acknowledged_by is None:
                raise ValueError(f"referral {r.key}: acknowledged_at without acknowledged_by")
            when = self.at(r.acknowledged_at)
            zone = ZoneInfo(referral.destination.time_zone)
            year = timezone.localtime(when, zone).year
            reporting_services.referral_acknowledge(
                referral=referral,
                actor=self.users[r.acknowledged_by],
                external_reference=r.reference_for(year),
                acknowledged_at=when,
            )

    def takedown(self, case: Case, lead: User, t: TakedownSpec) -> None:
        notice = reporting_services.takedown_create(
            case=case,
            actor=lead,
            platform=self.platforms[t.platform],
            legal_basis=self.bases[t.legal_basis],
            evidence_items=[self.evidence[k] for k in t.evidence],
            notes=t.notes,
            victim=self.people[t.victim] if t.victim else None,
            requester_name=lead.get_full_name(),
            requester_relationship=t.relationship,
            requester_email=lead.email,
            consent_note=t.consent_note,
        )
        reporting_services.takedown_submit(
            notice=notice,
            actor=lead,
            submitted_at=self.at(t.submitted_at),
            platform_ticket=t.platform_ticket,
        )
        if t.outcome is not None:
            reporting_services.takedown_record_outcome(notice=notice, actor=lead, status=t.outcome)
        if t.escalate:
            self.to_escalate.append((notice, lead, t.escalation_reference))

    def authority_report(self, case: Case, lead: User, a: AuthorityReportSpec) -> None:
        report = reporting_services.authority_report_create(case=case, actor=lead, route=a.route)
        reporting_services.authority_report_file(
            report=report, actor=lead, reference=a.reference, filed_at=self.at(a.filed_at)
        )
        if a.answer:
            reporting_services.authority_report_record_answer(
                report=report, actor=lead, answer=a.answer
            )

    def routing_decisions(self, case: Case, spec: CaseSpec) -> None:
        """Decide the case's open routing advice as :func:`routing_decision` says."""
        lead = self.users[spec.lead]
        facts = RoutingFacts(
            referred={r.destination_id: r.sent_at for r in Referral.objects.filter(case=case)},
            reported=set(
                AuthorityReport.objects.filter(case=case).values_list("authority_id", flat=True)
            )
            | set(
                TakedownRequest.objects.filter(case=case, escalated_to__isnull=False).values_list(
                    "escalated_to_id", flat=True
                )
            ),
            own_reports={
                (r.victim_id, r.route.code): r.case_number
                for r in RemovalRouteReport.objects.filter(case=case).select_related("route")
            },
            police_unit=self.orgs[self.s.police_unit],
            dismissals={
                (d.rule, self.orgs_by_code(d.destination).pk): d.reason
                for d in spec.routing_dismissals
            },
        )
        open_advice = RoutingSuggestion.objects.filter(
            case=case, status=RoutingSuggestion.Status.OPEN
        ).select_related("route")
        for advice in open_advice:
            decision = routing_decision(
                facts,
                rule=advice.rule,
                destination_id=advice.destination_id,
                person_id=advice.person_id,
                route_code=advice.route.code if advice.route else None,
            )
            if decision is None:
                continue
            verb, text = decision
            if verb == "accept":
                reporting_services.routing_accept(suggestion=advice, actor=lead, note=text)
            else:
                reporting_services.routing_dismiss(suggestion=advice, actor=lead, reason=text)

    def orgs_by_code(self, code: str) -> Organisation:
        return self.orgs.get(code) or Organisation.objects.get(code=code)

    def support_plan(self, case: Case, lead: User, p: SupportPlanSpec) -> None:
        owner = self.users[p.owner]
        plan = case_services.support_plan_create(
            case=case,
            victim=self.people[p.victim],
            owner=owner,
            actor=lead,
            summary=p.summary,
            check_in_every_days=p.check_in_every_days,
            first_check_in_at=self.at(p.first_check_in_at),
        )
        for m in p.measures:
            case_services.support_measure_add(
                plan=plan,
                actor=lead,
                kind=m.kind,
                description=m.description,
                provider=m.provider,
                started_on=timezone.localdate(self.at(m.started_at)),
            )
        for ci in p.check_ins:
            case_services.check_in_record(
                plan=plan,
                actor=owner,
                held_at=self.at(ci.held_at),
                wellbeing=ci.wellbeing,
                notes=ci.notes,
            )
