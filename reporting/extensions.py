"""What reporting adds to the case file, plugged into ``cases.extensions`` by
``ReportingConfig.ready()`` (ADR 0007): the visibility a live referral grants its
destination, the sections it shares with them, the referrals and notices that
keep a case open, and the routing advice recomputed when a case changes."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, Subquery
from django.utils.translation import gettext as _

from cases.audit import AuditContext
from cases.models import Case, Membership, User
from cases.permissions import CASE_REFERRED_READER_ROLES, CASE_SECTION_INTERNAL
from reporting.models import (
    LIVE_REFERRAL_STATUSES,
    OPEN_REFERRAL_STATUSES,
    OPEN_TAKEDOWN_STATUSES,
    Referral,
    TakedownRequest,
)
from reporting.services.routing import routing_refresh


def live_referral_grant(user: User, memberships: Sequence[Membership]) -> Q | None:
    """Visibility grant: a police liaison (the roles of ``cases.permissions.POLICY``,
    case: view by referral) sees the cases with a live (sent or acknowledged) referral
    to one of their units (DESIGN rule 2: "while the referral is live"). ``None`` for
    a user with no such role. One subquery, no query of its own."""
    units = [m.organisation_id for m in memberships if m.role in CASE_REFERRED_READER_ROLES]
    if not units:
        return None
    return Q(
        pk__in=Subquery(
            Referral.objects.filter(
                destination_id__in=units, status__in=LIVE_REFERRAL_STATUSES
            ).values("case_id")
        )
    )


class LiveReferralSections:
    """Section grant: a police liaison reads the sections that the live (sent or
    acknowledged) referrals of a case to their units share (``Referral.shared_sections``;
    DESIGN rule 2, need to know), never ``internal``."""

    def sections_of(self, case: Case, units: frozenset[int]) -> set[str]:
        shared: set[str] = set()
        for referral in case.referrals.all():  # prefetched by the case view
            if referral.destination_id in units and referral.status in LIVE_REFERRAL_STATUSES:
                shared.update(referral.shared_sections)
        shared.discard(CASE_SECTION_INTERNAL)
        return shared

    def cases_sharing(self, section: str, units: frozenset[int]) -> Q | None:
        if not units or section == CASE_SECTION_INTERNAL:
            return None
        return Q(
            pk__in=Subquery(
                Referral.objects.filter(
                    destination_id__in=units,
                    status__in=LIVE_REFERRAL_STATUSES,
                    shared_sections__contains=[section],
                ).values("case_id")
            )
        )


live_referral_sections = LiveReferralSections()


def open_reporting_problems(case: Case) -> list[str]:
    """Closure check: a referral still open (draft, sent or acknowledged) or a takedown
    notice still awaiting the platform (submitted, acknowledged, overdue, escalated)
    keeps ``case`` open; one translated message per kind. Two ``COUNT`` queries."""
    problems = []
    open_referrals = Referral.objects.filter(case=case, status__in=OPEN_REFERRAL_STATUSES).count()
    open_takedowns = TakedownRequest.objects.filter(
        case=case, status__in=OPEN_TAKEDOWN_STATUSES
    ).count()
    if open_referrals:
        problems.append(_("%(n)d referral(s) still open.") % {"n": open_referrals})
    if open_takedowns:
        problems.append(_("%(n)d takedown notice(s) still open.") % {"n": open_takedowns})
    return problems


def refresh_routing(case: Case, context: AuditContext) -> None:
    """Case-changed hook (``cases.extensions.register_case_changed``): recompute the
    case's routing advice (``reporting.services.routing_refresh``, LAW.md §3) in the
    changing service's transaction."""
    routing_refresh(case=case, context=context)
