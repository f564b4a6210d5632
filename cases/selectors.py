"""Reads of the case file. Every view, export, task and admin page gets case data
through these functions, which apply the visibility rule (DESIGN rule 2).

A record the user may not see raises ``cases.exceptions.NotFound`` — the same as a
record that does not exist — so no response hints that it exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from cases.exceptions import NotFound
from cases.models import (
    CASE_OWNER_ROLES,
    Case,
    CaseEvent,
    CheckIn,
    Concern,
    EvidenceItem,
    Organisation,
    Participant,
    Person,
    Role,
    SupportPlan,
    User,
)


def memberships_of(user: User, roles: set[str] | frozenset[str]) -> list[int]:
    """Ids of organisations where ``user`` holds one of ``roles``."""
    if not user.is_authenticated or not user.is_active:
        return []
    return [m.organisation_id for m in user.memberships.all() if m.role in roles]


def schools_owned_by(user: User) -> list[int]:
    """Schools whose cases ``user`` owns (safeguarding lead or deputy)."""
    return memberships_of(user, CASE_OWNER_ROLES)


def schools_of(user: User) -> list[int]:
    """Every school ``user`` belongs to, in any role."""
    if not user.is_authenticated or not user.is_active:
        return []
    return [
        m.organisation_id
        for m in user.memberships.all()
        if m.organisation.kind == Organisation.Kind.SCHOOL
    ]


def units_of(user: User) -> list[int]:
    """Police units / prosecutors / social services where ``user`` is the liaison."""
    return memberships_of(user, {Role.POLICE_LIAISON})


def case_list_for_user(*, user: User) -> QuerySet[Case]:
    """Cases ``user`` may see, with what a list shows, in a constant number of queries."""
    return (
        Case.objects.visible_to(user)
        .select_related("school", "lead")
        .annotate(
            victim_count=Count(
                "participants",
                filter=Q(participants__role=Participant.Role.VICTIM),
                distinct=True,
            )
        )
        .order_by("-opened_at", "-id")
    )


def case_get_for_user(*, user: User, case_id: int | str) -> Case:
    """The case ``case_id`` if ``user`` may see it; else ``NotFound`` (never 403)."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound from None
    case = Case.objects.visible_to(user).select_related("school", "lead").filter(pk=pk).first()
    if case is None:
        raise NotFound
    return case


def can_edit_case(user: User, case: Case) -> bool:
    """Only the school's safeguarding lead or deputy writes to a case."""
    return case.school_id in schools_owned_by(user)


def case_page(*, user: User, case_id: int | str) -> Case:
    """A case with everything its page shows prefetched (constant query count)."""
    case = case_get_for_user(user=user, case_id=case_id)
    from reporting.models import Referral, TakedownRequest

    return (
        Case.objects.filter(pk=case.pk)
        .select_related("school", "lead")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.select_related("person").order_by("role", "id"),
            ),
            Prefetch("evidence_items", queryset=EvidenceItem.objects.select_related("platform")),
            Prefetch(
                "referrals", queryset=Referral.objects.select_related("destination", "complainant")
            ),
            Prefetch(
                "takedowns",
                queryset=TakedownRequest.objects.select_related(
                    "platform", "legal_basis", "escalated_to"
                ).prefetch_related("evidence_items"),
            ),
            Prefetch(
                "support_plans",
                queryset=SupportPlan.objects.select_related("victim", "owner").prefetch_related(
                    "measures", "check_ins"
                ),
            ),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
            "concerns",
            "actions",
            "guardian_contacts__guardian",
        )
        .get()
    )


def people_for_user(*, user: User) -> QuerySet[Person]:
    """People of the schools whose cases ``user`` owns."""
    return Person.objects.filter(school_id__in=schools_owned_by(user))


def concerns_for_user(*, user: User) -> QuerySet[Concern]:
    """Concerns ``user`` may see: all of their schools' for leads/deputies; staff see
    only the ones they logged (DESIGN "Users")."""
    owned = schools_owned_by(user)
    return Concern.objects.filter(
        Q(school_id__in=owned) | Q(logged_by_id=user.pk if user.is_authenticated else None)
    ).select_related("school", "case", "logged_by")


def check_ins_due_for_user(*, user: User, within: timedelta = timedelta(days=7)):
    """Pending check-ins due within ``within`` (default this week), of visible cases,
    ordered by due time (UTC)."""
    horizon = timezone.now() + within
    return (
        CheckIn.objects.filter(
            held_at__isnull=True,
            due_at__lte=horizon,
            plan__status=SupportPlan.Status.ACTIVE,
            plan__case__in=Case.objects.visible_to(user).filter(
                school_id__in=schools_owned_by(user)
            ),
        )
        .select_related("plan__case", "plan__victim")
        .order_by("due_at")
    )
