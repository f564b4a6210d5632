"""The world the access tests run against: schools A and B with one of everything,
built through the services (by ``tests.factories``), and the seven personas of issue 3
("Done when" 1).

Every object carries a marker word (``MARKERS``) that appears nowhere else, so a test
can look for another school's data in any response body.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from cases.models import Organisation, Role, User
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, RemovalRoute, RoutingSuggestion
from tests.access_expectations import (
    CONCERN_LOGGED_BY,
    PERSONA_ROLES,
    PERSONAS,
    REFERRAL_UNIT,
    SHARED_SECTIONS,
)
from tests.factories import (
    ActionFactory,
    CaseFactory,
    CheckInFactory,
    ConcernFactory,
    EvidenceItemFactory,
    GuardianContactFactory,
    GuardianFactory,
    ParticipantFactory,
    PoliceUnitFactory,
    PupilFactory,
    ReferralFactory,
    SchoolFactory,
    SupportMeasureFactory,
    SupportPlanFactory,
    TakedownRequestFactory,
    UserFactory,
)

__all__ = ["KWARG_OBJECTS", "MARKERS", "OWNERS", "PERSONAS", "build_world", "rolled_back_world"]

OWNERS = ("A", "B")

# What each kind of object is called by the URL kwarg that names it.
KWARG_OBJECTS = {
    "case_id": "case",
    "person_id": "pupil",
    "concern_id": "concern",
    "referral_id": "referral",
    "takedown_id": "takedown",
    "plan_id": "plan",
    "action_id": "action",
    "delivery_id": "delivery",
    "suggestion_id": "suggestion",
    "report_id": "removal_report",
    "authority_report_id": "authority_report",
}

# One marker per object kind and school: a word found only in that object's text.
MARKER_KINDS = (
    "case",  # case title
    "summary",  # case summary (internal)
    "pupil",  # victim's given name
    "guardian",  # guardian's given name
    "concern",  # concern summary
    "evidence",  # evidence location
    "plan",  # support plan summary
    "measure",  # support measure description
    "checkin",  # check-in notes
    "contact",  # guardian contact notes
    "action",  # action title
    "referral",  # referral summary
    "takedown",  # takedown notes
)
MARKERS = {
    owner: {kind: f"Mk{kind}{word}" for kind in MARKER_KINDS}
    for owner, word in (("A", "alfa"), ("B", "beta"))
}


@dataclass
class School:
    org: Organisation
    lead: User
    objects: dict = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, User | None]
    schools: dict[str, School]
    units: dict[str, Organisation]

    def obj(self, owner: str, kind: str):
        return self.schools[owner].objects[kind]


def _user(username: str, org: Organisation, role: str) -> User:
    """A user who cannot sign in with a password, with ``role`` in ``org``."""
    return UserFactory.create(
        username=username, password=make_password(None), organisation=org, role=role
    )


def _fill(school: Organisation, lead: User, logger: User, unit: Organisation, owner: str):
    """One of everything for ``school``; returns the objects by kind."""
    mk = MARKERS[owner]
    now = timezone.now()
    whatsapp = Platform.objects.get(slug="whatsapp")
    pupil = PupilFactory.create(
        school=school,
        actor=lead,
        given_name=mk["pupil"],
        family_name="Prueba",
        sex="female",
        year_group="",
    )
    guardian = GuardianFactory.create(
        school=school, actor=lead, given_name=mk["guardian"], family_name=""
    )
    case = CaseFactory.create(
        school=school,
        actor=lead,
        title=mk["case"],
        summary=mk["summary"],
        category="ai_generated",
    )
    ParticipantFactory.create(case=case, person=pupil, role="victim", actor=lead)
    ParticipantFactory.create(case=case, person=guardian, role="guardian", actor=lead)
    concern = ConcernFactory.create(
        school=school, logged_by=logger, source="staff", summary=mk["concern"]
    )
    evidence = EvidenceItemFactory.create(
        case=case,
        actor=lead,
        kind="image",
        first_seen_at=now - timedelta(days=1),
        platform=whatsapp,
        location=f"https://chat.whatsapp.com/{mk['evidence']}",
        sha256=("a" if owner == "A" else "b") * 64,
    )
    plan = SupportPlanFactory.create(
        case=case, victim=pupil, owner=lead, actor=lead, summary=mk["plan"]
    )
    SupportMeasureFactory.create(
        plan=plan, actor=lead, kind="counselling", description=mk["measure"]
    )
    CheckInFactory.create(
        plan=plan, actor=lead, held_at=now - timedelta(hours=1), wellbeing=3, notes=mk["checkin"]
    )
    contact = GuardianContactFactory.create(
        case=case, guardian=guardian, actor=lead, method="phone", notes=mk["contact"]
    )
    action = ActionFactory.create(
        case=case, actor=lead, title=mk["action"], owner=lead, due_at=now + timedelta(days=2)
    )
    takedown = TakedownRequestFactory.create(
        case=case,
        actor=lead,
        platform=whatsapp,
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        evidence_items=[evidence],
        notes=mk["takedown"],
    )
    # A report to the AEPD escalating the notice (LAW.md §1), drafted by hand.
    authority_report = reporting_services.authority_report_create(
        case=case, actor=lead, route="aepd_priority", takedown=takedown
    )
    referral = ReferralFactory.create(
        case=case,
        actor=lead,
        destination=unit,
        summary=mk["referral"],
        legal_basis="legal_obligation",
        shared_sections=list(SHARED_SECTIONS),
        sent=True,
    )
    # Opening the case (a Spanish school) gave routing advice: one to decide on.
    suggestion = (
        RoutingSuggestion.objects.filter(case=case, status="open", rule="police")
        .order_by("id")
        .first()
    )
    # What the victim told the school of their own report (Take It Down, under 18).
    removal_report = reporting_services.removal_report_record(
        case=case,
        victim=pupil,
        route=RemovalRoute.objects.get(code="take-it-down"),
        reported_on=timezone.localdate(),
        case_number="TID-1",
        actor=lead,
    )
    # Sending the referral wrote its notice to the unit's liaison into the outbox.
    delivery = Message.objects.get(
        case=case, kind=MessageKind.REFERRAL_NOTICE, about_id=referral.pk, endpoint=None
    )
    return {
        "delivery": delivery,
        "case": case,
        "pupil": pupil,
        "guardian": guardian,
        "concern": concern,
        "evidence": evidence,
        "plan": plan,
        "contact": contact,
        "action": action,
        "takedown": takedown,
        "authority_report": authority_report,
        "referral": referral,
        "suggestion": suggestion,
        "removal_report": removal_report,
    }


def build_world() -> World:
    """Schools A and B, police units 1 (holds A's live referral) and 2 (holds B's)."""
    school_a = SchoolFactory.create(name="IES Alfa M", code="ALFM")
    school_b = SchoolFactory.create(name="IES Beta M", code="BETM")
    unit_1 = PoliceUnitFactory.create(name="Comisaría Uno M", code="POL1M")
    unit_2 = PoliceUnitFactory.create(name="Comisaría Dos M", code="POL2M")
    orgs = {"A": school_a, "B": school_b, "1": unit_1, "2": unit_2}
    users: dict[str, User | None] = {
        persona: _user(f"m.{persona}", orgs[where], role)
        for persona, (role, where) in PERSONA_ROLES.items()
    }
    users["anon"] = None
    staff_b = _user("m.staff.b", school_b, Role.STAFF)
    schools = {
        "A": School(school_a, users["lead_a"]),
        "B": School(school_b, users["lead_b"]),
    }
    loggers = {o: users[p] if p else staff_b for o, p in CONCERN_LOGGED_BY.items()}
    for owner, school in schools.items():
        unit = orgs[REFERRAL_UNIT[owner]]
        school.objects = _fill(school.org, school.lead, loggers[owner], unit, owner)
    return World(users=users, schools=schools, units={"1": unit_1, "2": unit_2})


@contextmanager
def rolled_back_world(django_db_blocker) -> Iterator[World]:
    """A world for a whole test module, inside a transaction rolled back at the end (as
    in ``test_load_scenario``): build it once, request it many times."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
        except BaseException:
            atomic.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
