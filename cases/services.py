"""Writes to the case file. Each service is one transaction that writes its
``CaseEvent`` (chronology + write audit) and sends side effects on commit.

Errors: ``django.core.exceptions.ValidationError`` (bad input, HTTP 400, nothing
written), ``cases.exceptions.Conflict`` (status race or forbidden transition, 409).
Callers pass objects they obtained through the visibility selectors; services do not
re-check who may see what, they check what the domain allows.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.exceptions import Conflict
from cases.extensions import closure_checks
from cases.models import (
    Action,
    Case,
    CheckIn,
    Concern,
    EvidenceItem,
    GuardianContact,
    Organisation,
    Participant,
    Person,
    SupportMeasure,
    SupportPlan,
    User,
)
from cases.transitions import transition

# Youngest and oldest plausible pupil, in whole years on the day recorded. Spanish
# schooling runs from infantil (3) to bachillerato/FP (about 20); anything outside is a
# typing error (issue 2: "a date of birth that makes a pupil 2 or 40" is refused).
PUPIL_MIN_AGE = 3
PUPIL_MAX_AGE = 21

# Anything the case file records happened after this (UTC): an earlier date is a typing
# error (dates of birth excepted: adults in the file were born before it).
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
# How far ahead planned dates may be: an action is due within two years of being set
# (a school case is not planned beyond the next school year); a support measure starts
# within a year. Further is a mistyped year.
ACTION_DUE_MAX_AHEAD = timedelta(days=2 * 365)
MEASURE_START_MAX_AHEAD = timedelta(days=365)
CHECK_IN_MAX_AHEAD = timedelta(days=365)

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

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    Case.Status.OPEN: frozenset({Case.Status.CLOSED}),
    Case.Status.CLOSED: frozenset({Case.Status.OPEN}),
}


def _clean(instance, *, exclude: list[str] | None = None) -> None:
    """Run model validation; raise ``ValidationError`` with field messages."""
    instance.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)


def _save_unique(instance, *, message) -> None:
    """Insert ``instance``; a unique-constraint race lost to a concurrent request is a
    ``ValidationError`` (400) like the pre-check ``full_clean`` makes, never a 500."""
    try:
        with transaction.atomic():  # savepoint: the outer transaction stays usable
            instance.save()
    except IntegrityError as exc:
        raise ValidationError({"non_field_errors": [message]}) from exc


def validate_plausible(value: date | datetime | None, field: str) -> None:
    """Refuse a date or time before ``EARLIEST_PLAUSIBLE`` (2000-01-01): nothing the
    case file or what leaves the school records happened then, so it is a typing
    error (``1900-01-01``, a year typed ``0224``).

    ``value``: a ``date``, an aware ``datetime`` (compared in UTC) or ``None`` (always
    accepted). ``field``: the input's name, the key of the error. Raises
    ``ValidationError({field: [message]})`` (a 400 in the API, a form error on the
    web). Public: reporting's services check their dates with it too."""
    if value is None:
        return
    earliest = EARLIEST_PLAUSIBLE if isinstance(value, datetime) else EARLIEST_PLAUSIBLE.date()
    if value < earliest:
        raise ValidationError(
            {field: _("This date is before %(year)d: check the year.") % {"year": earliest.year}}
        )


def _not_in_future(value: datetime | None, field: str) -> None:
    """Refuse a time in the future (5 minutes' allowance for clock skew between the
    client and the server) or an implausibly old one (``validate_plausible``)."""
    validate_plausible(value, field)
    if value is not None and value > timezone.now() + timedelta(minutes=5):
        raise ValidationError({field: _("This date and time is in the future.")})


def _not_too_far_ahead(value: date | datetime | None, field: str, *, limit: timedelta) -> None:
    """Refuse a date or time more than ``limit`` after now (a planned date typed with
    the wrong year), or before 2000 (``validate_plausible``)."""
    validate_plausible(value, field)
    if value is None:
        return
    if isinstance(value, datetime):
        too_far = value > timezone.now() + limit
    else:
        too_far = value > timezone.localdate() + limit
    if too_far:
        raise ValidationError(
            {field: _("This date is more than %(days)d days ahead.") % {"days": limit.days}}
        )


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
    _clean(person)
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
        verb="person.created",
        obj=person,
        context=context,
        data={"kind": kind},
    )
    return person


@transaction.atomic
def concern_log(
    *,
    school: Organisation,
    logged_by: User | None,
    source: str,
    summary: str,
    childs_own_words: str = "",
    occurred_at: datetime | None = None,
    subject: Person | None = None,
    logged_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> tuple[Concern, str | None]:
    """Log a concern: the first report, in the child's own words where given.

    ``logged_by`` is ``None`` only for an anonymous pupil report; then a tracking code is
    generated and returned once (only its SHA-256 is stored). ``logged_at`` (UTC,
    default now, not in the future) records a concern written down earlier, e.g. on paper.
    Returns ``(concern, tracking_code_or_None)``. Raises ``ValidationError``.
    """
    if subject is not None and subject.school_id != school.pk:
        raise ValidationError({"subject": _("This person is not of this school.")})
    _not_in_future(occurred_at, "occurred_at")
    _not_in_future(logged_at, "logged_at")
    tracking_code = None
    concern = Concern(
        school=school,
        logged_by=logged_by,
        source=source,
        summary=summary,
        childs_own_words=childs_own_words,
        occurred_at=occurred_at,
        subject=subject,
        logged_at=logged_at or timezone.now(),
    )
    if logged_by is None:
        if source != Concern.Source.PUPIL_ANONYMOUS:
            raise ValidationError({"source": _("Only anonymous pupil reports have no author.")})
        tracking_code = secrets.token_urlsafe(9)
        concern.tracking_code_sha256 = hashlib.sha256(tracking_code.encode()).hexdigest()
    _clean(concern)
    concern.save()
    record_case_event(
        school=school,
        case=None,
        actor=logged_by,
        verb="concern.logged",
        obj=concern,
        context=context,
        data={"source": source},
    )
    return concern, tracking_code


@transaction.atomic
def case_open(
    *,
    school: Organisation,
    actor: User,
    title: str,
    category: str,
    summary: str = "",
    risk_level: str = Case.Risk.MEDIUM,
    lead: User | None = None,
    concern: Concern | None = None,
    adult_involved: bool = False,
    coercion_or_extortion: bool = False,
    under_13: bool = False,
    ai_generated: bool = False,
    opened_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> Case:
    """Open a case in ``school`` and give it the next reference ``CODE-YYYY-NNNN``.

    The year is the school's local year of ``opened_at`` (default now). Numbering locks
    the school row so two cases opened at once never get the same number. If
    ``concern`` is given it must be new and of the same school; it is linked and marked
    ``case_opened``. Raises ``ValidationError`` or ``Conflict``.
    """
    if school.kind != Organisation.Kind.SCHOOL:
        raise ValidationError({"school": _("Cases belong to a school.")})
    opened_at = opened_at or timezone.now()
    _not_in_future(opened_at, "opened_at")
    if concern is not None and concern.school_id != school.pk:
        raise ValidationError({"concern": _("This concern is not of this school.")})
    # Serialises numbering per school: the lock is held until the transaction ends.
    # FOR NO KEY UPDATE, like every row lock taken before the audit chain's lock: an
    # audit row being appended (under the chain lock) checks its foreign keys with a
    # KEY SHARE lock, which a plain FOR UPDATE would block -- a deadlock (see
    # ``_lock_case``).
    Organisation.objects.select_for_update(no_key=True).get(pk=school.pk)
    local = timezone.localtime(opened_at, timezone=_zone(school))
    year = local.year
    last = Case.objects.filter(school=school, year=year).aggregate(n=Max("number"))["n"] or 0
    number = last + 1
    case = Case(
        school=school,
        year=year,
        number=number,
        reference=f"{school.code}-{year}-{number:04d}",
        title=title,
        summary=summary,
        category=category,
        risk_level=risk_level,
        lead=lead or actor,
        adult_involved=adult_involved,
        coercion_or_extortion=coercion_or_extortion or category == Case.Category.SEXTORTION,
        under_13=under_13,
        ai_generated=ai_generated or category == Case.Category.AI_GENERATED,
        opened_at=opened_at,
        opened_by=actor,
    )
    _clean(case, exclude=["reference"])
    case.save()
    # Row locks before audit rows: the audit chain's advisory lock is taken last in
    # every service, so two services can never wait on each other's locks.
    if concern is not None:
        transition(
            concern,
            allowed={Concern.Status.NEW: frozenset({Concern.Status.CASE_OPENED})},
            to=Concern.Status.CASE_OPENED,
            case=case,
        )
    record_case_event(
        school=school,
        case=case,
        actor=actor,
        verb="case.opened",
        obj=case,
        context=context,
        data={"reference": case.reference, "category": category},
    )
    if concern is not None:
        record_case_event(
            school=school,
            case=case,
            actor=actor,
            verb="concern.linked",
            obj=concern,
            context=context,
        )
    return case


def _lock_case(case_id: int) -> str:
    """Lock the case row until the transaction ends; its status as locked.

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: it still serialises the writers of a case
    (they all take it), but it does not block the ``KEY SHARE`` lock PostgreSQL takes to
    check a foreign key. A writer holding this lock waits for the audit chain's advisory
    lock; whoever holds that lock (say the beat's overdue sweep) is appending a row whose
    ``case_id`` points here, and with ``FOR UPDATE`` the two would wait for each other
    (a deadlock, seen in the end-to-end test). No service changes a case's key."""
    return (
        Case.objects.select_for_update(no_key=True)
        .filter(pk=case_id)
        .values_list("status", flat=True)
        .get()
    )


def lock_open_case(case_id: int) -> None:
    """Lock the case row until the transaction ends and refuse a closed case.

    Every service that adds to a case (participants, evidence, support, contacts,
    actions, referrals, takedown notices) calls it first: a closed case is the record
    of what was done, reopened (``case_reopen``) before it changes. The row lock
    serialises the write with ``case_close``, which takes the same lock before counting
    what is still open, so nothing can be added between that count and the close.
    Raises ``Conflict`` (409). Row locks come before the audit chain's lock (see
    ``case_open``)."""
    status = _lock_case(case_id)
    if status == Case.Status.CLOSED:
        raise Conflict(
            _("This case is closed; reopen it before changing it."), current_status=status
        )


def _zone(org: Organisation):
    from zoneinfo import ZoneInfo

    return ZoneInfo(org.time_zone)


@transaction.atomic
def case_update_flags(
    *,
    case: Case,
    actor: User,
    expected_updated_at: datetime | None = None,
    context: AuditContext = SYSTEM,
    **flags: Any,
) -> Case:
    """Change a case's title, summary, risk level or flags (``risk_level``,
    ``adult_involved``, ``coercion_or_extortion``, ``under_13``, ``ai_generated``).

    ``expected_updated_at`` is the ``updated_at`` the editor read (aware datetime): the
    row is locked and, if it changed since (an edit, a close or a reopen: every write
    moves it), ``Conflict`` (409) is raised instead of silently overwriting the other
    person's write (DESIGN rule 6). A closed case is not edited: ``Conflict`` asks to
    reopen it first. Raises ``ValidationError``, ``Conflict``."""
    allowed = {
        "risk_level",
        "adult_involved",
        "coercion_or_extortion",
        "under_13",
        "ai_generated",
        "title",
        "summary",
    }
    unknown = set(flags) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    locked = Case.objects.select_for_update(no_key=True).get(pk=case.pk)  # see _lock_case
    if expected_updated_at is not None and locked.updated_at != expected_updated_at:
        raise Conflict(
            _("Someone else changed this case since you opened it; reload and try again."),
            current_status=locked.status,
        )
    if locked.status == Case.Status.CLOSED:
        # A closed case is a record of what was done: changing it would rewrite what the
        # closure rested on. Reopening is its own audited step (``case_reopen``).
        raise Conflict(
            _("This case is closed; reopen it before changing it."),
            current_status=locked.status,
        )
    changes = {}
    for name, value in flags.items():
        if getattr(locked, name) != value:
            changes[name] = [str(getattr(locked, name)), str(value)]
            setattr(locked, name, value)
    _clean(locked)
    locked.save()
    if changes:
        record_case_event(
            school=locked.school_id,
            case=locked,
            actor=actor,
            verb="case.updated",
            obj=locked,
            context=context,
            data={"changes": {k: v for k, v in changes.items() if k not in {"title", "summary"}}},
        )
    return locked


@transaction.atomic
def case_close(
    *,
    case: Case,
    actor: User,
    reason: str,
    expected_status: str | None = None,
    expected_updated_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> Case:
    """Close a case with a reason. Refused while a referral or takedown is still open
    (the closure checks of ``cases.extensions``, registered by reporting), or an active
    support plan remains.

    ``expected_status`` and ``expected_updated_at`` (aware datetime) are what the
    caller read; the close is one conditional UPDATE on both, which also moves
    ``updated_at``: of an edit and a close made on the same reading exactly one wins,
    the other gets ``Conflict`` (409, DESIGN rule 6). Raises ``ValidationError`` or
    ``Conflict``."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for closing the case.")})
    # The lock every adding service takes (``lock_open_case``): nothing is added between
    # the count below and the close.
    _lock_case(case.pk)
    # What other apps hold that keeps a case open (reporting: open referrals and
    # takedown notices), registered in ``cases.extensions`` (ADR 0007).
    problems = [problem for check in closure_checks() for problem in check(case)]
    active_plans = case.support_plans.filter(status=SupportPlan.Status.ACTIVE).count()
    if active_plans:
        problems.append(_("%(n)d support plan(s) still active.") % {"n": active_plans})
    if problems:
        raise ValidationError({"status": problems})
    transition(
        case,
        allowed=CASE_TRANSITIONS,
        to=Case.Status.CLOSED,
        expected=expected_status,
        expected_version=expected_updated_at,
        closed_at=timezone.now(),
        closure_reason=reason,
    )
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb="case.closed",
        obj=case,
        context=context,
    )
    return case


@transaction.atomic
def case_reopen(
    *,
    case: Case,
    actor: User,
    expected_status: str | None = None,
    expected_updated_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> Case:
    """Reopen a closed case (new information, a new image found…), so that it can be
    changed again. The closure's time and reason are cleared from the case; the
    chronology keeps both events (``case.closed``, ``case.reopened``).

    The same compare-and-set as ``case_close`` (``expected_status``,
    ``expected_updated_at``: what the caller read). Raises ``Conflict`` (409) if the
    case is not closed or changed since."""
    transition(
        case,
        allowed=CASE_TRANSITIONS,
        to=Case.Status.OPEN,
        expected=expected_status,
        expected_version=expected_updated_at,
        closed_at=None,
        closure_reason="",
    )
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb="case.reopened",
        obj=case,
        context=context,
    )
    return case


@transaction.atomic
def participant_add(
    *,
    case: Case,
    person: Person,
    role: str,
    actor: User,
    notes: str = "",
    context: AuditContext = SYSTEM,
) -> Participant:
    """Give ``person`` a ``role`` in ``case``. The person must be of the case's school,
    of a kind that can hold the role (``ROLE_KINDS``: a victim is a pupil, a guardian a
    parent or guardian…), and not hold that role already. One person may hold several
    roles (a victim who also shared images; DESIGN rule 4). Adding an alleged
    perpetrator under 14 records no criminal route by itself; see the referral services.
    Raises ``ValidationError``."""
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
    participant = Participant(case=case, person=person, role=role, notes=notes)
    _clean(participant)
    _save_unique(participant, message=_("This person already has this role in the case."))
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb="participant.added",
        obj=participant,
        context=context,
        data={"role": role},
    )
    return participant


@transaction.atomic
def evidence_record(
    *,
    case: Case,
    actor: User,
    kind: str,
    first_seen_at: datetime,
    platform=None,
    location: str = "",
    identifiers: dict[str, str] | None = None,
    seen_by: str = "",
    description: str = "",
    sha256: str = "",
    md5: str = "",
    pdq: str = "",
    pdq_quality: int | None = None,
    context: AuditContext = SYSTEM,
) -> EvidenceItem:
    """Record where evidence is and its hashes (never the content, DESIGN rule 1).

    ``first_seen_at`` is an aware datetime, not in the future. Hashes are lower-case
    hex: SHA-256 (64), MD5 (32), PDQ (64, with ``pdq_quality`` 0–100).
    Raises ``ValidationError``.
    """
    lock_open_case(case.pk)
    _not_in_future(first_seen_at, "first_seen_at")
    if pdq and pdq_quality is None:
        raise ValidationError({"pdq_quality": _("Give the PDQ quality with the PDQ hash.")})
    if pdq_quality is not None and not pdq:
        raise ValidationError({"pdq_quality": _("A PDQ quality needs its PDQ hash.")})
    if not (location or sha256 or md5 or pdq):
        raise ValidationError(
            {"location": _("Give where the evidence is, or at least one of its hashes.")}
        )
    item = EvidenceItem(
        case=case,
        platform=platform,
        kind=kind,
        location=location,
        identifiers=identifiers or {},
        first_seen_at=first_seen_at,
        seen_by=seen_by,
        description=description,
        sha256=sha256.lower(),
        md5=md5.lower(),
        pdq=pdq.lower(),
        pdq_quality=pdq_quality,
        recorded_by=actor,
    )
    _clean(item)
    item.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb="evidence.recorded",
        obj=item,
        context=context,
        data={
            "kind": kind,
            "sha256": item.sha256,
            "pdq": item.pdq,
            "platform": platform.slug if platform else None,
        },
    )
    return item


@transaction.atomic
def support_plan_create(
    *,
    case: Case,
    victim: Person,
    owner: User,
    actor: User,
    summary: str = "",
    check_in_every_days: int = 7,
    first_check_in_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> SupportPlan:
    """Open a support plan for a victim of ``case`` and schedule the first check-in
    (default: ``check_in_every_days`` from now, UTC; if given, from 2000 on and at most
    ``CHECK_IN_MAX_AHEAD`` ahead). Raises ``ValidationError``."""
    lock_open_case(case.pk)
    _not_too_far_ahead(first_check_in_at, "first_check_in_at", limit=CHECK_IN_MAX_AHEAD)
    if not case.participants.filter(person=victim, role=Participant.Role.VICTIM).exists():
        raise ValidationError({"victim": _("This person is not a victim in this case.")})
    if SupportPlan.objects.filter(case=case, victim=victim).exists():
        raise ValidationError({"victim": _("This victim already has a support plan in this case.")})
    plan = SupportPlan(
        case=case,
        victim=victim,
        owner=owner,
        summary=summary,
        check_in_every_days=check_in_every_days,
    )
    _clean(plan)
    _save_unique(plan, message=_("This victim already has a support plan in this case."))
    CheckIn.objects.create(
        plan=plan,
        due_at=first_check_in_at or timezone.now() + timedelta(days=check_in_every_days),
    )
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb="support_plan.created",
        obj=plan,
        context=context,
    )
    return plan


@transaction.atomic
def support_measure_add(
    *,
    plan: SupportPlan,
    actor: User,
    kind: str,
    description: str = "",
    provider: str = "",
    started_on: date | None = None,
    context: AuditContext = SYSTEM,
) -> SupportMeasure:
    """Add a support measure (counselling, parents' group…) to a plan.

    ``started_on`` (default today, Europe/Madrid) is from 2000-01-01 on and at most
    ``MEASURE_START_MAX_AHEAD`` (1 year) ahead: a measure may be booked to start later,
    not in a mistyped year. Raises ``ValidationError``."""
    lock_open_case(plan.case_id)
    _not_too_far_ahead(started_on, "started_on", limit=MEASURE_START_MAX_AHEAD)
    measure = SupportMeasure(
        plan=plan,
        kind=kind,
        description=description,
        provider=provider,
        started_on=started_on or timezone.localdate(),
    )
    _clean(measure)
    measure.save()
    record_case_event(
        school=plan.case.school_id,
        case=plan.case,
        actor=actor,
        verb="support_measure.added",
        obj=measure,
        context=context,
        data={"kind": kind},
    )
    return measure


@transaction.atomic
def check_in_record(
    *,
    plan: SupportPlan,
    actor: User,
    held_at: datetime | None = None,
    wellbeing: int | None = None,
    notes: str = "",
    context: AuditContext = SYSTEM,
) -> CheckIn:
    """Record a check-in held with the victim and schedule the next one.

    The earliest pending check-in is marked held; if none is pending one is created.
    The next is due ``plan.check_in_every_days`` after ``held_at`` (UTC). The pending
    row is locked, so two people recording at once produce two held check-ins in turn,
    never one lost. Raises ``ValidationError`` (closed plan, future time, bad score).
    """
    lock_open_case(plan.case_id)
    if plan.status != SupportPlan.Status.ACTIVE:
        raise ValidationError({"plan": _("This support plan is closed.")})
    held_at = held_at or timezone.now()
    _not_in_future(held_at, "held_at")
    pending = (
        CheckIn.objects.select_for_update()
        .filter(plan=plan, held_at__isnull=True)
        .order_by("due_at", "id")
        .first()
    )
    check_in = pending or CheckIn(plan=plan, due_at=held_at)
    check_in.held_at = held_at
    check_in.held_by = actor
    check_in.wellbeing = wellbeing
    check_in.notes = notes
    _clean(check_in)
    check_in.save()
    if not CheckIn.objects.filter(plan=plan, held_at__isnull=True).exists():
        CheckIn.objects.create(plan=plan, due_at=held_at + timedelta(days=plan.check_in_every_days))
    record_case_event(
        school=plan.case.school_id,
        case=plan.case,
        actor=actor,
        verb="check_in.recorded",
        obj=check_in,
        context=context,
        data={"wellbeing": wellbeing},
    )
    return check_in


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
    _not_in_future(contacted_at, "contacted_at")
    contact = GuardianContact(
        case=case,
        guardian=guardian,
        method=method,
        contacted_at=contacted_at,
        contacted_by=actor,
        notes=notes,
    )
    _clean(contact)
    contact.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb="guardian.contacted",
        obj=contact,
        context=context,
        data={"method": method},
    )
    return contact


@transaction.atomic
def action_create(
    *,
    case: Case,
    actor: User,
    title: str,
    owner: User,
    due_at: datetime,
    context: AuditContext = SYSTEM,
) -> Action:
    """Create a task on a case with an owner and a due time (UTC).

    ``due_at`` is not before the case was opened (``case.opened_at``) nor more than
    ``ACTION_DUE_MAX_AHEAD`` (2 years) from now: either is a mistyped date. Raises
    ``ValidationError``."""
    lock_open_case(case.pk)
    _not_too_far_ahead(due_at, "due_at", limit=ACTION_DUE_MAX_AHEAD)
    if due_at < case.opened_at:
        raise ValidationError({"due_at": _("This date is before the case was opened.")})
    action = Action(case=case, title=title, owner=owner, due_at=due_at)
    _clean(action)
    action.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb="action.created",
        obj=action,
        context=context,
    )
    return action


@transaction.atomic
def action_complete(*, action: Action, actor: User, context: AuditContext = SYSTEM) -> Action:
    """Mark an action done (once: a second call is a ``ValidationError``)."""
    lock_open_case(action.case_id)
    updated = Action.objects.filter(pk=action.pk, done_at__isnull=True).update(
        done_at=timezone.now()
    )
    if not updated:
        raise ValidationError({"done_at": _("This action is already done.")})
    action.refresh_from_db()
    record_case_event(
        school=action.case.school_id,
        case=action.case,
        actor=actor,
        verb="action.completed",
        obj=action,
        context=context,
    )
    return action
