"""The world the access tests run against: schools A and B with one of everything,
built through the services, and the seven personas of issue 3 ("Done when" 1).

Every object carries a marker word (``MARKERS``) that appears nowhere else, so a test
can look for another school's data in any response body.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from cases import services as case_services
from cases.models import Membership, Organisation, Role, User
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform
from tests.access_expectations import (
    CONCERN_LOGGED_BY,
    PERSONA_ROLES,
    PERSONAS,
    REFERRAL_UNIT,
    SHARED_SECTIONS,
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
    user = User.objects.create_user(username=username, email=f"{username}@example.org")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Membership.objects.create(user=user, organisation=org, role=role)
    return user


def _fill(school: Organisation, lead: User, logger: User, unit: Organisation, owner: str):
    """One of everything for ``school``; returns the objects by kind."""
    mk = MARKERS[owner]
    now = timezone.now()
    today = timezone.localdate()
    pupil = case_services.person_create(
        school=school,
        actor=lead,
        kind="pupil",
        given_name=mk["pupil"],
        family_name="Prueba",
        date_of_birth=date(today.year - 14, 1, 15),
        sex="female",
    )
    guardian = case_services.person_create(
        school=school, actor=lead, kind="guardian", given_name=mk["guardian"]
    )
    case = case_services.case_open(
        school=school,
        actor=lead,
        title=mk["case"],
        summary=mk["summary"],
        category="ai_generated",
    )
    case_services.participant_add(case=case, person=pupil, role="victim", actor=lead)
    case_services.participant_add(case=case, person=guardian, role="guardian", actor=lead)
    concern, _ = case_services.concern_log(
        school=school, logged_by=logger, source="staff", summary=mk["concern"]
    )
    evidence = case_services.evidence_record(
        case=case,
        actor=lead,
        kind="image",
        first_seen_at=now - timedelta(days=1),
        platform=Platform.objects.get(slug="whatsapp"),
        location=f"https://chat.whatsapp.com/{mk['evidence']}",
        sha256=("a" if owner == "A" else "b") * 64,
    )
    plan = case_services.support_plan_create(
        case=case, victim=pupil, owner=lead, actor=lead, summary=mk["plan"]
    )
    case_services.support_measure_add(
        plan=plan, actor=lead, kind="counselling", description=mk["measure"]
    )
    case_services.check_in_record(
        plan=plan, actor=lead, held_at=now - timedelta(hours=1), wellbeing=3, notes=mk["checkin"]
    )
    contact = case_services.guardian_contact_record(
        case=case, guardian=guardian, actor=lead, method="phone", notes=mk["contact"]
    )
    action = case_services.action_create(
        case=case, actor=lead, title=mk["action"], owner=lead, due_at=now + timedelta(days=2)
    )
    takedown = reporting_services.takedown_create(
        case=case,
        actor=lead,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        evidence_items=[evidence],
        notes=mk["takedown"],
    )
    referral = reporting_services.referral_create(
        case=case,
        actor=lead,
        destination=unit,
        summary=mk["referral"],
        legal_basis="legal_obligation",
        shared_sections=list(SHARED_SECTIONS),
    )
    referral = reporting_services.referral_send(referral=referral, actor=lead)
    return {
        "case": case,
        "pupil": pupil,
        "guardian": guardian,
        "concern": concern,
        "evidence": evidence,
        "plan": plan,
        "contact": contact,
        "action": action,
        "takedown": takedown,
        "referral": referral,
    }


def build_world() -> World:
    """Schools A and B, police units 1 (holds A's live referral) and 2 (holds B's)."""
    org = Organisation.objects.create
    school_a = org(name="IES Alfa M", kind="school", code="ALFM", jurisdiction="ES-BA")
    school_b = org(name="IES Beta M", kind="school", code="BETM", jurisdiction="ES-BA")
    unit_1 = org(name="Comisaría Uno M", kind="police_unit", code="POL1M", jurisdiction="ES-BA")
    unit_2 = org(name="Comisaría Dos M", kind="police_unit", code="POL2M", jurisdiction="ES-BA")
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
