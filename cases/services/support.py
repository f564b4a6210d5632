"""Support for a victim: the plan, its measures and the check-ins it schedules."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Case, CheckIn, Participant, Person, SupportMeasure, SupportPlan, User
from cases.services._common import (
    CHECK_IN_MAX_AHEAD,
    MEASURE_START_MAX_AHEAD,
    clean,
    not_in_future,
    not_too_far_ahead,
    save_unique,
)
from cases.services.cases import lock_open_case
from cases.verbs import CaseVerb


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
    not_too_far_ahead(first_check_in_at, "first_check_in_at", limit=CHECK_IN_MAX_AHEAD)
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
    clean(plan)
    save_unique(plan, message=_("This victim already has a support plan in this case."))
    CheckIn.objects.create(
        plan=plan,
        due_at=first_check_in_at or timezone.now() + timedelta(days=check_in_every_days),
    )
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.SUPPORT_PLAN_CREATED,
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
    not_too_far_ahead(started_on, "started_on", limit=MEASURE_START_MAX_AHEAD)
    measure = SupportMeasure(
        plan=plan,
        kind=kind,
        description=description,
        provider=provider,
        started_on=started_on or timezone.localdate(),
    )
    clean(measure)
    measure.save()
    record_case_event(
        school=plan.case.school_id,
        case=plan.case,
        actor=actor,
        verb=CaseVerb.SUPPORT_MEASURE_ADDED,
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
    not_in_future(held_at, "held_at")
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
    clean(check_in)
    check_in.save()
    if not CheckIn.objects.filter(plan=plan, held_at__isnull=True).exists():
        CheckIn.objects.create(plan=plan, due_at=held_at + timedelta(days=plan.check_in_every_days))
    record_case_event(
        school=plan.case.school_id,
        case=plan.case,
        actor=actor,
        verb=CaseVerb.CHECK_IN_RECORDED,
        obj=check_in,
        context=context,
        data={"wellbeing": wellbeing},
    )
    return check_in
