"""People of a school and their part in a case: recording a person, giving them a
role in a case (victim, alleged perpetrator, sharer, witness, guardian…), and contacts
with a pupil's parents or guardians."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.extensions import case_changed
from cases.models import Case, GuardianContact, Organisation, Participant, Person, User
from cases.services._common import clean, not_in_future, save_unique, validate_plausible
from cases.services.cases import lock_open_case
from cases.verbs import CaseVerb

# Youngest and oldest plausible pupil, in whole years on the day recorded. Spanish
# schooling runs from infantil (3) to bachillerato/FP (about 20); anything outside is a
# typing error (issue 2: "a date of birth that makes a pupil 2 or 40" is refused).
PUPIL_MIN_AGE = 3
PUPIL_MAX_AGE = 21

# Which kinds of person may hold each role in a case. Alleged perpetrators and sharers
# may be adults (the case's adult_involved flag); witnesses and reporters anyone.
ROLE_KINDS: dict[str, frozenset[str]] = {
    Participant.Role.VICTIM: frozenset({Person.Kind.PUPIL}),
    Participant.Role.ALLEGED_PERPETRATOR: frozenset(
        {Person.Kind.PUPIL, Person.Kind.EXTERNAL, Person.Kind.STAFF}
    ),
    Participant.Role.SHARER: frozenset(
        {Person.Kind.PUPIL, Person.Kind.EXTERNAL, Person.Kind.STAFF}
    ),
    Participant.Role.GUARDIAN: frozenset({Person.Kind.GUARDIAN}),
}


@transaction.atomic
def person_create(
    *,
    school: Organisation,
    actor: User,
    kind: str,
    given_name: str,
    family_name: str = "",
    date_of_birth: date | None = None,
    sex: str = Person.Sex.UNKNOWN,
    year_group: str = "",
    email: str = "",
    phone: str = "",
    context: AuditContext = SYSTEM,
) -> Person:
    """Record a person of ``school``.

    A pupil's date of birth must give an age from ``PUPIL_MIN_AGE`` to
    ``PUPIL_MAX_AGE`` today (Europe/Madrid date of the server clock).
    Raises ``ValidationError``.
    """
    if school.kind != Organisation.Kind.SCHOOL:
        raise ValidationError({"school": _("People belong to a school.")})
    person = Person(
        school=school,
        kind=kind,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        sex=sex,
        year_group=year_group,
        email=email,
        phone=phone,
    )
    clean(person)
    if date_of_birth is not None:
        age = person.age_on(timezone.localdate())
        if age is None or age < 0:
            raise ValidationError({"date_of_birth": _("The date of birth is in the future.")})
        if kind == Person.Kind.PUPIL and not (PUPIL_MIN_AGE <= age <= PUPIL_MAX_AGE):
            raise ValidationError(
                {
                    "date_of_birth": _(
                        "This date of birth makes the pupil %(age)d years old; pupils are "
                        "%(min)d to %(max)d."
                    )
                    % {"age": age, "min": PUPIL_MIN_AGE, "max": PUPIL_MAX_AGE}
                }
            )
    person.save()
    record_case_event(
        school=school,
        case=None,
        actor=actor,
        verb=CaseVerb.PERSON_CREATED,
        obj=person,
        context=context,
        data={"kind": kind},
    )
    return person


@transaction.atomic
def participant_add(
    *,
    case: Case,
    person: Person,
    role: str,
    actor: User,
    notes: str = "",
    act_on: date | None = None,
    context: AuditContext = SYSTEM,
) -> Participant:
    """Give ``person`` a ``role`` in ``case``. The person must be of the case's school,
    of a kind that can hold the role (``ROLE_KINDS``: a victim is a pupil, a guardian a
    parent or guardian…), and not hold that role already. One person may hold several
    roles (a victim who also shared images; DESIGN rule 4). Adding an alleged
    perpetrator under 14 records no criminal route by itself; see the referral services.
    ``act_on``: for an alleged perpetrator, the date of the act (a local date, not in
    the future): their age on it decides where the case goes in Spain (LO 5/2000 arts.
    1 and 3; ``reporting.routing``). The case's case-changed hooks follow (routing
    advice). Raises ``ValidationError``."""
    lock_open_case(case.pk)
    if person.school_id != case.school_id:
        raise ValidationError({"person": _("This person is not of this school.")})
    kinds = ROLE_KINDS.get(role)
    if kinds is not None and person.kind not in kinds:
        raise ValidationError(
            {
                "role": _("A %(kind)s cannot be recorded as %(role)s.")
                % {
                    "kind": Person.Kind(person.kind).label.lower(),
                    "role": Participant.Role(role).label.lower(),
                }
            }
        )
    if Participant.objects.filter(case=case, person=person, role=role).exists():
        raise ValidationError(
            {"non_field_errors": [_("This person already has this role in the case.")]}
        )
    if act_on is not None:
        if role != Participant.Role.ALLEGED_PERPETRATOR:
            raise ValidationError(
                {"act_on": _("Only an alleged perpetrator has a date of the act.")}
            )
        validate_plausible(act_on, "act_on")
        if act_on > timezone.localdate():
            raise ValidationError({"act_on": _("This date is in the future.")})
    participant = Participant(case=case, person=person, role=role, notes=notes, act_on=act_on)
    clean(participant)
    save_unique(participant, message=_("This person already has this role in the case."))
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.PARTICIPANT_ADDED,
        obj=participant,
        context=context,
        data={"role": role},
    )
    case_changed(case, context)  # e.g. routing advice (cases.extensions)
    return participant


@transaction.atomic
def guardian_contact_record(
    *,
    case: Case,
    guardian: Person,
    actor: User,
    method: str,
    contacted_at: datetime | None = None,
    notes: str = "",
    context: AuditContext = SYSTEM,
) -> GuardianContact:
    """Record a contact with a pupil's parent or guardian (a ``guardian`` person of the
    case's school). Raises ``ValidationError``."""
    lock_open_case(case.pk)
    if guardian.school_id != case.school_id or guardian.kind != Person.Kind.GUARDIAN:
        raise ValidationError({"guardian": _("This person is not a guardian of this school.")})
    contacted_at = contacted_at or timezone.now()
    not_in_future(contacted_at, "contacted_at")
    contact = GuardianContact(
        case=case,
        guardian=guardian,
        method=method,
        contacted_at=contacted_at,
        contacted_by=actor,
        notes=notes,
    )
    clean(contact)
    contact.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.GUARDIAN_CONTACTED,
        obj=contact,
        context=context,
        data={"method": method},
    )
    return contact
