"""What reporting adds to the case file, plugged into ``cases.extensions`` by
``ReportingConfig.ready()`` (ADR 0007): the visibility a live referral grants its
destination, and the referrals and notices that keep a case open."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, Subquery
from django.utils.translation import gettext as _

from cases.models import Case, Membership, User
from cases.permissions import CASE_REFERRED_READER_ROLES
from reporting.models import (
    LIVE_REFERRAL_STATUSES,
    OPEN_REFERRAL_STATUSES,
    OPEN_TAKEDOWN_STATUSES,
    Referral,
    TakedownRequest,
)


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
