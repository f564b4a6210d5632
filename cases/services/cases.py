"""A case's own life: open it (numbered per school and year), edit its title and
flags, close and reopen it, and the row lock every service that adds to a case takes
first (``lock_open_case``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.exceptions import Conflict
from cases.extensions import case_changed, closure_checks
from cases.models import Case, Concern, Organisation, SupportPlan, User
from cases.services._common import clean, not_in_future
from cases.transitions import transition
from cases.verbs import CaseVerb

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    Case.Status.OPEN: frozenset({Case.Status.CLOSED}),
    Case.Status.CLOSED: frozenset({Case.Status.OPEN}),
}


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
    not_in_future(opened_at, "opened_at")
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
    clean(case, exclude=["reference"])
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
        verb=CaseVerb.CASE_OPENED,
        obj=case,
        context=context,
        data={"reference": case.reference, "category": category},
    )
    if concern is not None:
        record_case_event(
            school=school,
            case=case,
            actor=actor,
            verb=CaseVerb.CONCERN_LINKED,
            obj=concern,
            context=context,
        )
    case_changed(case, context)  # e.g. routing advice (cases.extensions)
    return case


def _lock_case(case_id: int) -> str:
    """Lock the case row until the transaction ends; its status as locked.

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: it still serialises the writers of a case
    (they all take it), but it does not block the ``KEY SHARE`` lock PostgreSQL takes to
    check a foreign key. A writer holding this lock waits for the audit chain's advisory
    lock; whoever holds that lock (say the beat's overdue sweep) is appending a row whose
    ``case_id`` points here, and with ``FOR UPDATE`` the two would wait for each other
    (a deadlock, seen in the end-to-end test). No service changes a case's key."""
    status: str = (
        Case.objects.select_for_update(no_key=True)
        .filter(pk=case_id)
        .values_list("status", flat=True)
        .get()
    )
    return status


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


def _zone(org: Organisation) -> ZoneInfo:
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
    clean(locked)
    locked.save()
    if changes:
        record_case_event(
            school=locked.school_id,
            case=locked,
            actor=actor,
            verb=CaseVerb.CASE_UPDATED,
            obj=locked,
            context=context,
            data={"changes": {k: v for k, v in changes.items() if k not in {"title", "summary"}}},
        )
        if set(changes) - {"title", "summary"}:
            case_changed(locked, context)  # e.g. routing advice (cases.extensions)
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
        verb=CaseVerb.CASE_CLOSED,
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
        verb=CaseVerb.CASE_REOPENED,
        obj=case,
        context=context,
    )
    return case
