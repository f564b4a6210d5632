"""factory_boy factories for the case file and what leaves the school: the one way the
tests (``tests/conftest.py``) and the benchmark (``bench/world.py``) build their world.

Two kinds of factory live here:

- **Plain rows** (``OrganisationFactory``, ``UserFactory``, ``MembershipFactory``): no
  service writes them and no audit row follows them; the tests always created them
  with the ORM.
- **Service-backed** (every case-file object): ``_create`` calls the service that the
  product calls (``cases.services.case_open``, ``reporting.services.referral_create``…),
  so each object comes with its chronology row, its audit-chain link, its case-row
  lock and its validation, exactly as in real use. A factory never writes a
  ``CaseEvent``, an ``AccessEvent`` or a status by hand: the append-only, hash-chained
  audit tables (DESIGN rule 3) are written only by the services. These factories only
  *create* (``build()`` raises): an unsaved case object would skip the service.

The non-model arguments of a service (``actor``, the person who does it) are ordinary
declarations that ``_create`` passes to the service; by default the actor is the one
who opened the case (``case.opened_by``), or a new safeguarding lead of the school.

Typed: ``XFactory.create(...)`` returns the model (factory_boy 3.3's
``DjangoModelFactory[Model]`` generics); calling ``XFactory(...)`` is untyped.

Why here and not in an installed package: factory-boy and Faker are development
dependencies, and the benchmark runs from the repository root with them installed
(``make bench`` installs ``.[dev]``), so ``tests.factories`` is importable by both.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any, TypeVar

import factory
from django.db import models
from django.utils import timezone
from factory.django import DjangoModelFactory

from cases import services as case_services
from cases.models import (
    Action,
    Case,
    CheckIn,
    Concern,
    EvidenceItem,
    GuardianContact,
    Membership,
    Organisation,
    Participant,
    Person,
    Role,
    SupportMeasure,
    SupportPlan,
    User,
)
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, Referral, TakedownRequest

__all__ = [
    "PASSWORD",
    "ActionFactory",
    "CaseFactory",
    "CheckInFactory",
    "ConcernFactory",
    "EvidenceItemFactory",
    "GuardianContactFactory",
    "GuardianFactory",
    "MembershipFactory",
    "OrganisationFactory",
    "ParticipantFactory",
    "PersonFactory",
    "PoliceUnitFactory",
    "PupilFactory",
    "ReferralFactory",
    "SchoolFactory",
    "StaffPersonFactory",
    "SupportMeasureFactory",
    "SupportPlanFactory",
    "TakedownRequestFactory",
    "UserFactory",
    "hex_digest",
    "member",
]

M = TypeVar("M", bound=models.Model)

# The password of every factory-made user (tests sign in with it).
PASSWORD = "correct-horse-battery-staple-42"


def hex_digest(text: str, *, length: int = 64) -> str:
    """``length`` lower-case hex characters derived from ``text`` (SHA-256): a stable
    stand-in for a SHA-256 (64), MD5 (32) or PDQ (64) hash. Never a hash of an image."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# --- plain rows ----------------------------------------------------------------------


class OrganisationFactory(DjangoModelFactory[Organisation]):
    """A school in Badajoz (ES-BA) by default; ``code`` matches ``^[A-Z0-9]{2,8}$``."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"IES Número {n}")
    kind = Organisation.Kind.SCHOOL
    code = factory.Sequence(lambda n: f"S{n:04d}")
    jurisdiction = "ES-BA"


class SchoolFactory(OrganisationFactory):
    """A school (``kind="school"``)."""


class PoliceUnitFactory(OrganisationFactory):
    """A police unit (``kind="police_unit"``), a destination of referrals."""

    name = factory.Sequence(lambda n: f"Comisaría {n}")
    kind = Organisation.Kind.POLICE_UNIT
    code = factory.Sequence(lambda n: f"P{n:04d}")


class MembershipFactory(DjangoModelFactory[Membership]):
    """A role of a user in an organisation (staff of a new school by default)."""

    class Meta:
        model = Membership

    user = factory.SubFactory("tests.factories.UserFactory")
    organisation = factory.SubFactory(SchoolFactory)
    role = Role.STAFF


class UserFactory(DjangoModelFactory[User]):
    """A user who signs in with ``PASSWORD``; ``organisation=`` and ``role=`` together
    give them one membership (``UserFactory(organisation=school, role=Role.HEAD)``)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        organisation: Organisation | None = None
        role: str | None = None

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password(PASSWORD)
    membership = factory.Maybe(
        "organisation",
        yes_declaration=factory.RelatedFactory(
            MembershipFactory,
            factory_related_name="user",
            organisation=factory.SelfAttribute("..organisation"),
            role=factory.SelfAttribute("..role"),
        ),
    )


def member(username: str, organisation: Organisation | None, role: str | None) -> User:
    """A user ``username`` (password ``PASSWORD``, e-mail ``<username>@example.org``)
    with the one membership ``role`` in ``organisation`` when both are given."""
    if organisation is None or role is None:
        return UserFactory.create(username=username)
    return UserFactory.create(username=username, organisation=organisation, role=role)


def _lead_of(school: Organisation) -> User:
    return UserFactory.create(organisation=school, role=Role.SAFEGUARDING_LEAD)


# --- written through the services -----------------------------------------------------


class ServiceFactory(DjangoModelFactory[M]):
    """Base of the factories whose rows only a service writes: subclasses implement
    ``_write(**kwargs)`` with the service call and return the created object."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type[M], *args: Any, **kwargs: Any) -> M:
        return cls._write(**kwargs)

    @classmethod
    def _build(cls, model_class: type[M], *args: Any, **kwargs: Any) -> M:
        raise TypeError(f"{cls.__name__} only creates, through the service that writes it.")

    @classmethod
    def _write(cls, **kwargs: Any) -> M:
        raise NotImplementedError


class PersonFactory(ServiceFactory[Person]):
    """A person of a school through ``person_create`` (a pupil by default).

    ``age`` (years, today) and ``birthday`` (month, day) give the date of birth (none
    when ``age`` is None); a pupil gets the year group "3º ESO"."""

    class Meta:
        model = Person

    class Params:
        age: int | None = 14
        birthday: tuple[int, int] = (1, 15)

    school = factory.SubFactory(SchoolFactory)
    actor = factory.LazyAttribute(lambda person: _lead_of(person.school))
    kind = Person.Kind.PUPIL
    given_name = factory.Faker("first_name", locale="es_ES")
    family_name = factory.Faker("last_name", locale="es_ES")
    date_of_birth = factory.LazyAttribute(
        lambda person: (
            None
            if person.age is None
            else date(timezone.localdate().year - person.age, *person.birthday)
        )
    )
    sex = Person.Sex.UNKNOWN
    year_group = factory.LazyAttribute(
        lambda person: "3º ESO" if person.kind == Person.Kind.PUPIL else ""
    )

    @classmethod
    def _write(cls, **kwargs: Any) -> Person:
        return case_services.person_create(**kwargs)


class PupilFactory(PersonFactory):
    """A pupil aged 14."""

    kind = Person.Kind.PUPIL


class GuardianFactory(PersonFactory):
    """A parent or guardian (no date of birth, no year group)."""

    class Params:
        age = None

    kind = Person.Kind.GUARDIAN


class StaffPersonFactory(PersonFactory):
    """A member of staff as a person of a case (not a user)."""

    class Params:
        age = None

    kind = Person.Kind.STAFF


class CaseFactory(ServiceFactory[Case]):
    """A case opened through ``case_open`` by ``actor`` (a new lead of the school by
    default). Other ``case_open`` arguments (``risk_level``, ``opened_at``…) pass
    through."""

    class Meta:
        model = Case

    school = factory.SubFactory(SchoolFactory)
    actor = factory.LazyAttribute(lambda case: _lead_of(case.school))
    title = factory.Sequence(lambda n: f"Caso {n}")
    category = Case.Category.AI_GENERATED
    summary = ""

    @classmethod
    def _write(cls, **kwargs: Any) -> Case:
        return case_services.case_open(**kwargs)


def _opener(obj: Any) -> User:
    """The user who opened ``obj.case``: the default actor on a case's objects."""
    opener: User = obj.case.opened_by
    return opener


class ParticipantFactory(ServiceFactory[Participant]):
    """A person's role in a case through ``participant_add`` (a new pupil of the case's
    school as its victim by default)."""

    class Meta:
        model = Participant

    case = factory.SubFactory(CaseFactory)
    person = factory.SubFactory(
        PupilFactory,
        school=factory.SelfAttribute("..case.school"),
        actor=factory.SelfAttribute("..case.opened_by"),
    )
    role = Participant.Role.VICTIM
    actor = factory.LazyAttribute(_opener)

    @classmethod
    def _write(cls, **kwargs: Any) -> Participant:
        return case_services.participant_add(**kwargs)


class ConcernFactory(ServiceFactory[Concern]):
    """A concern logged through ``concern_log`` by a member of staff (the tracking code
    that the service returns for anonymous reports is dropped)."""

    class Meta:
        model = Concern

    school = factory.SubFactory(SchoolFactory)
    logged_by = factory.LazyAttribute(
        lambda concern: UserFactory.create(organisation=concern.school, role=Role.STAFF)
    )
    source = Concern.Source.STAFF
    summary = factory.Sequence(lambda n: f"Preocupación {n}")

    @classmethod
    def _write(cls, **kwargs: Any) -> Concern:
        concern, _tracking_code = case_services.concern_log(**kwargs)
        return concern


class EvidenceItemFactory(ServiceFactory[EvidenceItem]):
    """Evidence through ``evidence_record``: where it is and its hashes, never content
    (DESIGN rule 1). By default a link and a SHA-256 derived from it; pass ``md5``,
    ``pdq`` and ``pdq_quality`` (0–100, required with ``pdq``) for more."""

    class Meta:
        model = EvidenceItem

    case = factory.SubFactory(CaseFactory)
    actor = factory.LazyAttribute(_opener)
    kind = EvidenceItem.Kind.IMAGE
    first_seen_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    location = factory.Sequence(lambda n: f"https://chat.example.invalid/evidence/{n}")
    sha256 = factory.LazyAttribute(lambda item: hex_digest(item.location))

    @classmethod
    def _write(cls, **kwargs: Any) -> EvidenceItem:
        return case_services.evidence_record(**kwargs)


class SupportPlanFactory(ServiceFactory[SupportPlan]):
    """A victim's support plan through ``support_plan_create`` (a new victim of the
    case by default), owned by the case's opener."""

    class Meta:
        model = SupportPlan

    case = factory.SubFactory(CaseFactory)
    victim = factory.LazyAttribute(
        lambda plan: ParticipantFactory.create(case=plan.case, role=Participant.Role.VICTIM).person
    )
    owner = factory.LazyAttribute(_opener)
    actor = factory.SelfAttribute("owner")
    summary = ""

    @classmethod
    def _write(cls, **kwargs: Any) -> SupportPlan:
        return case_services.support_plan_create(**kwargs)


class SupportMeasureFactory(ServiceFactory[SupportMeasure]):
    """A measure of a support plan through ``support_measure_add``."""

    class Meta:
        model = SupportMeasure

    plan = factory.SubFactory(SupportPlanFactory)
    actor = factory.SelfAttribute("plan.owner")
    kind = SupportMeasure.Kind.COUNSELLING

    @classmethod
    def _write(cls, **kwargs: Any) -> SupportMeasure:
        return case_services.support_measure_add(**kwargs)


class CheckInFactory(ServiceFactory[CheckIn]):
    """A check-in held an hour ago through ``check_in_record`` (which also schedules
    the next one)."""

    class Meta:
        model = CheckIn

    plan = factory.SubFactory(SupportPlanFactory)
    actor = factory.SelfAttribute("plan.owner")
    held_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    wellbeing = 3

    @classmethod
    def _write(cls, **kwargs: Any) -> CheckIn:
        return case_services.check_in_record(**kwargs)


class GuardianContactFactory(ServiceFactory[GuardianContact]):
    """A contact with a guardian of the case's school through ``guardian_contact_record``
    (a new guardian by default)."""

    class Meta:
        model = GuardianContact

    case = factory.SubFactory(CaseFactory)
    guardian = factory.SubFactory(
        GuardianFactory,
        school=factory.SelfAttribute("..case.school"),
        actor=factory.SelfAttribute("..case.opened_by"),
    )
    actor = factory.LazyAttribute(_opener)
    method = GuardianContact.Method.PHONE
    notes = ""

    @classmethod
    def _write(cls, **kwargs: Any) -> GuardianContact:
        return case_services.guardian_contact_record(**kwargs)


class ActionFactory(ServiceFactory[Action]):
    """A task on a case through ``action_create``, owned by its actor, due in 2 days."""

    class Meta:
        model = Action

    case = factory.SubFactory(CaseFactory)
    actor = factory.LazyAttribute(_opener)
    title = factory.Sequence(lambda n: f"Seguimiento {n}")
    owner = factory.SelfAttribute("actor")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))

    @classmethod
    def _write(cls, **kwargs: Any) -> Action:
        return case_services.action_create(**kwargs)


class ReferralFactory(ServiceFactory[Referral]):
    """A referral through ``referral_create`` to a new police unit, sharing chronology
    and evidence under a legal obligation; ``sent=True`` also sends it
    (``referral_send``), which makes it live for the unit."""

    class Meta:
        model = Referral

    case = factory.SubFactory(CaseFactory)
    actor = factory.LazyAttribute(_opener)
    destination = factory.SubFactory(PoliceUnitFactory)
    summary = "Denuncia"
    legal_basis = Referral.Basis.LEGAL_OBLIGATION
    shared_sections = factory.LazyFunction(lambda: ["chronology", "evidence"])
    sent = False

    @classmethod
    def _write(cls, **kwargs: Any) -> Referral:
        sent: bool = kwargs.pop("sent")
        referral = reporting_services.referral_create(**kwargs)
        if sent:
            referral = reporting_services.referral_send(referral=referral, actor=kwargs["actor"])
        return referral


class TakedownRequestFactory(ServiceFactory[TakedownRequest]):
    """A takedown notice through ``takedown_create`` to the first platform of the
    directory under its first legal basis (both loaded by a migration), for one new
    evidence item of the case; ``platform_ticket="T-1"`` also submits it
    (``takedown_submit``), which starts its legal clock."""

    class Meta:
        model = TakedownRequest

    case = factory.SubFactory(CaseFactory)
    actor = factory.LazyAttribute(_opener)
    platform = factory.LazyFunction(lambda: Platform.objects.order_by("id").first())
    legal_basis = factory.LazyFunction(lambda: LegalBasis.objects.order_by("id").first())
    evidence_items = factory.LazyAttribute(
        lambda notice: [EvidenceItemFactory.create(case=notice.case, actor=notice.actor)]
    )
    platform_ticket = None

    @classmethod
    def _write(cls, **kwargs: Any) -> TakedownRequest:
        platform_ticket: str | None = kwargs.pop("platform_ticket")
        notice = reporting_services.takedown_create(**kwargs)
        if platform_ticket is not None:
            notice = reporting_services.takedown_submit(
                notice=notice, actor=kwargs["actor"], platform_ticket=platform_ticket
            )
        return notice
