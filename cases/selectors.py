"""Reads of the case file. Every view, export, task and admin page gets case data
through these functions, which apply the visibility rule (DESIGN rule 2).

A record the user may not see raises ``cases.exceptions.NotFound`` — the same as a
record that does not exist — so no response hints that it exists. The "not yours"
branch goes through ``cases.denials.refused``, which notes the refusal for the audit
when the record exists (issue 7).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.db.models import Count, IntegerField, Q, QuerySet, Value
from django.utils import timezone

from cases.denials import refused
from cases.exceptions import NotFound
from cases.extensions import section_grants
from cases.memberships import user_memberships
from cases.models import (
    Action,
    Case,
    CaseEvent,
    CheckIn,
    Concern,
    EvidenceItem,
    GuardianContact,
    Organisation,
    Participant,
    Person,
    SupportPlan,
    User,
)
from cases.permissions import (
    ALL_CASE_SECTIONS,
    CASE_OWNER_ROLES,
    CASE_SECTION_CHRONOLOGY,
    CASE_SECTION_INTERNAL,
    CASE_SECTION_PARTICIPANTS,
    CHRONOLOGY_SECTIONS,
    CONCERN_LOGGER_ROLES,
    REFERRAL_DESTINATION_ROLES,
)

# Declared in ``cases.permissions``; also named from here by the readers that ask for a
# section (``case_get_for_section``, ``cases_sharing_section_for_user``).
from cases.permissions import CASE_SECTION_EVIDENCE as CASE_SECTION_EVIDENCE
from cases.permissions import CASE_SECTION_SUPPORT as CASE_SECTION_SUPPORT


def memberships_of(user: User, roles: set[str] | frozenset[str]) -> list[int]:
    """Ids of organisations where ``user`` holds one of ``roles``."""
    if not user.is_authenticated or not user.is_active:
        return []
    return [m.organisation_id for m in user_memberships(user) if m.role in roles]


def schools_owned_by(user: User) -> list[int]:
    """Schools whose cases ``user`` owns (safeguarding lead or deputy)."""
    return memberships_of(user, CASE_OWNER_ROLES)


def schools_of(user: User) -> list[int]:
    """Every school ``user`` belongs to, in any role."""
    if not user.is_authenticated or not user.is_active:
        return []
    return [
        m.organisation_id
        for m in user_memberships(user)
        if m.organisation.kind == Organisation.Kind.SCHOOL
    ]


def units_of(user: User) -> list[int]:
    """Police units / prosecutors / social services where ``user`` is the liaison."""
    return memberships_of(user, REFERRAL_DESTINATION_ROLES)


def case_list_for_user(*, user: User) -> QuerySet[Case]:
    """Cases ``user`` may see, with what a list shows, in a constant number of queries.

    ``victim_count`` (int) counts the case's victims only where ``user`` may read its
    ``participants`` section (``cases_sharing_section_for_user``): the school's leads
    always, a police liaison only if the live referral shares it; otherwise ``None``
    (a count of people is participant data, DESIGN rule 2).
    """
    sees_participants = Q(
        pk__in=cases_sharing_section_for_user(user=user, section=CASE_SECTION_PARTICIPANTS).values(
            "pk"
        )
    )
    return (
        Case.objects.visible_to(user)
        .select_related("school", "lead")
        .annotate(
            victim_count=models.Case(
                models.When(
                    sees_participants,
                    then=Count(
                        "participants",
                        filter=Q(participants__role=Participant.Role.VICTIM),
                        distinct=True,
                    ),
                ),
                default=Value(None),
                output_field=IntegerField(),
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
        raise refused(user=user, records=Case.objects, object_id=pk)
    return case


def can_edit_case(user: User, case: Case) -> bool:
    """Only the school's safeguarding lead or deputy writes to a case."""
    return case.school_id in schools_owned_by(user)


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


def check_ins_due_for_user(
    *, user: User, within: timedelta = timedelta(days=7)
) -> QuerySet[CheckIn]:
    """Pending check-ins due within ``within`` (default this week), of visible cases,
    ordered by due time (UTC)."""
    horizon = timezone.now() + within
    return (
        CheckIn.objects.filter(
            held_at__isnull=True,
            due_at__lte=horizon,
            plan__status=SupportPlan.Status.ACTIVE,
            # The schools the user owns (visible_to adds nothing to these cases).
            plan__case__school_id__in=schools_owned_by(user),
        )
        .select_related("plan__case", "plan__victim")
        .order_by("due_at")
    )


def schools_for_concerns(user: User) -> list[int]:
    """Schools where ``user`` may log a concern (lead, deputy, staff or head)."""
    return memberships_of(user, CONCERN_LOGGER_ROLES)


def case_sections_for_user(*, user: User, case: Case) -> frozenset[str]:
    """The sections of ``case`` that ``user`` may read (DESIGN rule 2, need to know).

    ``case`` must come from ``case_get_for_user`` (already visible).
    - the school's safeguarding lead or deputy: every section, ``internal`` included;
    - a police liaison: the union of ``shared_sections`` of the referrals of ``case``
      to their units that are live (sent or acknowledged); never ``internal``;
    - anyone else: nothing.
    Uses ``case.referrals`` (prefetched by ``casefile.selectors.case_view_for_user``;
    else one query).
    """
    if can_edit_case(user, case):
        return ALL_CASE_SECTIONS
    units = frozenset(units_of(user))
    if not units:
        return frozenset()
    shared: set[str] = set()
    for grant in section_grants():  # reporting's live referrals (ADR 0007)
        shared.update(grant.sections_of(case, units))
    return frozenset(shared & (ALL_CASE_SECTIONS - {CASE_SECTION_INTERNAL}))


def case_get_for_section(*, user: User, case_id: int | str, section: str) -> Case:
    """The case ``case_id`` if ``user`` may read its ``section`` (see
    :func:`case_sections_for_user`); else ``NotFound``, the same whether the case is
    absent, not visible, or visible without that section (a police liaison asking for
    a section the referral does not share: noted as a denied access)."""
    case = case_get_for_user(user=user, case_id=case_id)
    if section not in case_sections_for_user(user=user, case=case):
        raise refused(user=user, records=Case.objects, object_id=case.pk)
    return case


def cases_sharing_section_for_user(*, user: User, section: str) -> QuerySet[Case]:
    """Cases whose ``section`` ``user`` may read: the query-set twin of
    :func:`case_sections_for_user`, for lists that span cases (takedown notices,
    clusters).

    - the school's safeguarding lead or deputy: every case of their schools;
    - a police liaison: cases with a live (sent or acknowledged) referral to their unit
      whose ``shared_sections`` include ``section``; never for ``internal``;
    - anyone else: none.
    """
    owned = schools_owned_by(user)
    units = frozenset(units_of(user))
    condition = Q(pk__in=[])
    if owned:
        condition |= Q(school_id__in=owned)
    if units and section != CASE_SECTION_INTERNAL:
        for grant in section_grants():  # reporting's live referrals (ADR 0007)
            granted = grant.cases_sharing(section, units)
            if granted is not None:
                condition |= granted
    return Case.objects.visible_to(user).filter(condition)


def case_events_for_user(*, user: User, case: Case) -> QuerySet[CaseEvent]:
    """The chronology of a visible ``case`` as ``user`` may read it, oldest first (UTC).

    - the school's safeguarding lead or deputy: every event;
    - a police liaison, when the live referrals to their unit share ``chronology``:
      the events whose section (``cases.permissions.event_section``) those referrals
      share, and of the ``referral.*`` events only those about referrals sent to their
      own unit (``case_referrals_for_user``: another destination's referral, or a
      draft, is not theirs to know about);
    - anyone else, or a liaison without ``chronology``: nothing.
    ``case`` must come from ``case_get_for_user``; uses ``case.referrals`` (prefetched
    by ``casefile.selectors.case_view_for_user``). One query.
    """
    events = case_events(case=case)
    sections = case_sections_for_user(user=user, case=case)
    if CASE_SECTION_INTERNAL in sections:
        return events
    if CASE_SECTION_CHRONOLOGY not in sections:
        return events.none()
    own_referrals = [r.pk for r in case_referrals_for_user(user=user, case=case)]
    condition = Q(pk__in=[])
    for prefix, section in CHRONOLOGY_SECTIONS.items():
        if section not in sections:
            continue
        about = Q(verb__startswith=f"{prefix}.")
        if prefix == "referral":
            about &= Q(object_type="referral", object_id__in=own_referrals)
        condition |= about
    return events.filter(condition)


def person_get_for_user(*, user: User, person_id: int | str) -> Person:
    """A person of a school whose cases ``user`` owns; else ``NotFound``."""
    person = people_for_user(user=user).select_related("school").filter(pk=person_id).first()
    if person is None:
        raise refused(user=user, records=Person.objects, object_id=person_id)
    return person


def concern_get_for_user(*, user: User, concern_id: int | str) -> Concern:
    """A concern ``user`` may see (see ``concerns_for_user``); else ``NotFound``."""
    concern = concerns_for_user(user=user).filter(pk=concern_id).first()
    if concern is None:
        raise refused(user=user, records=Concern.objects, object_id=concern_id)
    return concern


def concerns_owned_by(*, user: User) -> QuerySet[Concern]:
    """Concerns of the schools whose cases ``user`` owns (those a case may link)."""
    return Concern.objects.filter(school_id__in=schools_owned_by(user))


def school_users(*, school_id: int) -> QuerySet[User]:
    """Active users with any role in the school (who may own an action on its cases)."""
    return User.objects.filter(is_active=True, memberships__organisation_id=school_id).distinct()


def support_plan_get_for_editor(*, user: User, plan_id: int | str) -> SupportPlan:
    """A support plan of a case ``user`` may write to (lead/deputy of its school);
    anyone else gets ``NotFound``, so the id's existence is not revealed."""
    plan = (
        SupportPlan.objects.filter(case__school_id__in=schools_owned_by(user))
        .select_related("case__school", "victim", "owner")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise refused(
            user=user,
            records=SupportPlan.objects,
            object_id=plan_id,
            school_field="case__school_id",
        )
    return plan


def action_get_for_editor(*, user: User, action_id: int | str) -> Action:
    """An action of a case ``user`` may write to; else ``NotFound``."""
    action = (
        Action.objects.filter(case__school_id__in=schools_owned_by(user))
        .select_related("case", "owner")
        .filter(pk=action_id)
        .first()
    )
    if action is None:
        raise refused(
            user=user, records=Action.objects, object_id=action_id, school_field="case__school_id"
        )
    return action


def case_participants(*, case: Case) -> QuerySet[Participant]:
    return Participant.objects.filter(case=case).select_related("person")


def case_evidence(*, case: Case) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(case=case).select_related("platform", "recorded_by")


def case_events(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor")


def case_support_plans(*, case: Case) -> QuerySet[SupportPlan]:
    return (
        SupportPlan.objects.filter(case=case)
        .select_related("victim", "owner")
        .prefetch_related("measures", "check_ins__held_by")
    )


def case_guardian_contacts(*, case: Case) -> QuerySet[GuardianContact]:
    return GuardianContact.objects.filter(case=case).select_related("guardian", "contacted_by")


def case_actions(*, case: Case) -> QuerySet[Action]:
    return Action.objects.filter(case=case).select_related("owner")


def open_cases_for_user(*, user: User) -> QuerySet[Case]:
    """Open cases ``user`` may see (``Case.objects.visible_to``): for a lead or deputy
    their schools' open cases; for a police liaison the open cases that a live referral
    to their unit shares. The "open cases" count of both dashboards (API and web), and
    the same rows as the case list filtered by ``status=open``, which the web tile
    links to."""
    return Case.objects.visible_to(user).filter(status=Case.Status.OPEN)


def case_concerns(*, case: Case) -> QuerySet[Concern]:
    """The concerns linked to ``case`` (its first reports), newest first."""
    return Concern.objects.filter(case=case)


def case_referrals_for_user(*, user: User, case: Case) -> list[Any]:
    """Referrals of a visible ``case`` that ``user`` may see: all of them for the
    school's lead or deputy; for a police liaison only those to their own units that
    were sent (whatever their status since: they are the unit's own records), never a
    draft, which is the school's work until sent (as in the unit's inbox,
    ``reporting.selectors.referral_list_for_user``). Uses ``case.referrals``
    (prefetched by ``casefile.selectors.case_view_for_user``). The rows are
    ``reporting.models.Referral``, typed ``Any`` here: cases may not import reporting
    (ADR 0007)."""
    if can_edit_case(user, case):
        return list(case.referrals.all())
    units = set(units_of(user))
    return [r for r in case.referrals.all() if r.destination_id in units and r.sent_at is not None]
