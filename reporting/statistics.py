"""School statistics for oversight (issue 3, "Heads see statistics, not case contents").

A head teacher, safeguarding lead, deputy or authority admin
(``cases.permissions.STATISTICS_ROLES``) sees aggregates of their own schools only:
counts and durations, never a name, a case reference or any text of a case. The figures
are computed in the database with a constant number of queries, whatever the data size.

Small-number suppression (re-identification). In a school a count of one or two can
point at a pupil ("the only 11-year-old victim"). Following the ONS guidance on
small-cell disclosure control for tables of people (Office for National Statistics,
"Disclosure control guidance for birth and death statistics" / "Statistical disclosure
control" guidance) and the ICO's anonymisation guidance (Information Commissioner's
Office, "Anonymisation: managing data protection risk code of practice", on small
numbers and cell suppression), every count from 1 to 2 is reported as the string
``"<3"``. Zero stays ``0`` (an empty cell identifies nobody); 3 and above are exact.
A median or 90th percentile computed from fewer than 3 durations is suppressed too
(``None``): with one or two cases it would be a single case's own timing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

from django.db import models
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    Q,
    Value,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from cases.denials import refused_school
from cases.exceptions import NotFound
from cases.models import Case, EvidenceItem, Organisation, Participant, User
from cases.permissions import STATISTICS_ROLES  # heads, leads, deputies, authority admins
from cases.selectors import memberships_of
from reporting.models import TakedownRequest

# Counts from 1 to SMALL_CELL_MAX are shown as SUPPRESSED (ONS/ICO small cells).
SMALL_CELL_MAX = 2
SUPPRESSED = "<3"

# Age bands of victims at case opening (whole years). Pupils under 11 and those with no
# recorded date of birth are counted apart, so the four bands stay what they say.
AGE_BANDS = ("under_11", "11-12", "13-14", "15-16", "17+", "unknown")


class SchoolRow(TypedDict):
    id: int
    name: str


class CategoryCounts(TypedDict):
    category: str
    label: str
    open: int | str
    closed: int | str


class AgeBandCount(TypedDict):
    band: str
    count: int | str


class PlatformCount(TypedDict):
    platform: str | None
    name: str
    count: int | str


class Durations(TypedDict):
    count: int | str
    median_hours: float | None
    p90_hours: float | None


class TakedownCounts(TypedDict):
    overdue: int | str
    escalated: int | str


class SchoolStatistics(TypedDict):
    """What :func:`school_statistics` returns (its docstring says what each part means)."""

    schools: list[SchoolRow]
    cases_by_category: list[CategoryCounts]
    victims_by_age_band: list[AgeBandCount]
    evidence_by_platform: list[PlatformCount]
    concern_to_referral: Durations
    takedown_to_removal: Durations
    takedowns: TakedownCounts
    generated_at: datetime


def suppress(count: int) -> int | str:
    """``count`` for publication: ``"<3"`` for 1 or 2, the number otherwise (0 stays 0)."""
    if 1 <= count <= SMALL_CELL_MAX:
        return SUPPRESSED
    return count


class Percentile(Aggregate):
    """PostgreSQL ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)``: the
    continuous percentile (linear interpolation), ``None`` over no rows."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str | Combinable, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=float(fraction), **extra)


def _hours(end: str, start: str) -> Func:
    """Hours (float) from field ``start`` to field ``end``, two UTC timestamps, in SQL."""
    return Func(
        F(end) - F(start),
        template="EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0",
        output_field=FloatField(),
    )


def statistics_schools(user: User) -> list[int]:
    """Ids of the schools whose statistics ``user`` may see: where they hold one of
    ``cases.permissions.STATISTICS_ROLES`` (head, lead, deputy or authority admin)."""
    return sorted(set(memberships_of(user, STATISTICS_ROLES)))


def _durations(values: Mapping[str, Any], prefix: str) -> Durations:
    """``{"count", "median_hours", "p90_hours"}`` with the small-number rule applied."""
    count = values[f"{prefix}_n"] or 0
    shown = count > SMALL_CELL_MAX

    def rounded(value: float | None) -> float | None:
        return round(value, 1) if shown and value is not None else None

    return {
        "count": suppress(count),
        "median_hours": rounded(values[f"{prefix}_median"]),
        "p90_hours": rounded(values[f"{prefix}_p90"]),
    }


def school_statistics(*, user: User, school_id: int | str | None = None) -> SchoolStatistics:
    """Aggregates for the schools where ``user`` holds one of ``STATISTICS_ROLES``.

    ``school_id`` narrows to one of them; ``None`` covers all of them together.

    Returns a dict (all times UTC, durations in hours, counts suppressed by
    :func:`suppress`):

    - ``schools``: ``[{"id", "name"}]`` covered;
    - ``cases_by_category``: per ``Case.Category``, ``open`` and ``closed`` counts;
    - ``victims_by_age_band``: per band of :data:`AGE_BANDS`, victims (participants
      with role victim, one per case) by whole years of age on the UTC date the case
      was opened, from ``Person.date_of_birth``;
    - ``evidence_by_platform``: evidence items per platform (``platform`` is the
      directory slug, ``None`` when no platform was recorded), largest first;
    - ``concern_to_referral``: per case with a referral sent, hours from the first
      concern logged (the case's opening when it has no concern) to the first referral
      sent: ``count``, ``median_hours``, ``p90_hours`` (``None`` under 3 cases);
    - ``takedown_to_removal``: per notice removed, hours from submission to removal,
      same shape;
    - ``takedowns``: ``overdue`` (now past deadline, not escalated) and ``escalated``
      (ever escalated) notices;
    - ``generated_at``: ISO 8601 UTC.

    Never a name, a case reference or any free text of a case. Six queries, whatever
    the amount of data.

    Raises :class:`cases.exceptions.NotFound` if ``user`` holds none of them in any
    school, or ``school_id`` is not one of theirs (or not a number): 404, no hint
    (another school's id is noted as a denied access, ``cases.denials``).
    """
    own = statistics_schools(user)
    if school_id is not None:
        try:
            wanted = int(school_id)
        except (TypeError, ValueError):
            raise NotFound from None
        if wanted not in own:
            raise refused_school(user=user, school_id=wanted)
        own = [wanted]
    if not own:
        raise NotFound
    schools: list[SchoolRow] = list(
        Organisation.objects.filter(pk__in=own, kind=Organisation.Kind.SCHOOL)
        .order_by("name")
        .values("id", "name")
    )
    ids = [s["id"] for s in schools]
    if not ids:
        raise NotFound

    # 1. Cases by category and status.
    case_counts = {
        (row["category"], row["status"]): row["n"]
        for row in Case.objects.filter(school_id__in=ids)
        .order_by()
        .values("category", "status")
        .annotate(n=Count("id"))
    }
    cases_by_category: list[CategoryCounts] = [
        {
            "category": value,
            "label": str(label),
            "open": suppress(case_counts.get((value, Case.Status.OPEN), 0)),
            "closed": suppress(case_counts.get((value, Case.Status.CLOSED), 0)),
        }
        for value, label in Case.Category.choices
    ]

    # 2. Victims by age band at case opening.
    age = Func(
        Func(Cast("case__opened_at", DateField()), F("person__date_of_birth"), function="AGE"),
        template="EXTRACT(YEAR FROM %(expressions)s)",
        output_field=IntegerField(),
    )
    band = models.Case(
        models.When(person__date_of_birth__isnull=True, then=Value("unknown")),
        models.When(age__lt=11, then=Value("under_11")),
        models.When(age__lte=12, then=Value("11-12")),
        models.When(age__lte=14, then=Value("13-14")),
        models.When(age__lte=16, then=Value("15-16")),
        default=Value("17+"),
    )
    band_counts = {
        row["band"]: row["n"]
        for row in Participant.objects.filter(case__school_id__in=ids, role=Participant.Role.VICTIM)
        .order_by()
        .annotate(age=age)
        .annotate(band=band)
        .values("band")
        .annotate(n=Count("id"))
    }
    victims_by_age_band: list[AgeBandCount] = [
        {"band": b, "count": suppress(band_counts.get(b, 0))} for b in AGE_BANDS
    ]

    # 3. Evidence items by platform.
    evidence_by_platform: list[PlatformCount] = [
        {
            "platform": row["platform__slug"],
            "name": row["platform__name"] or "",
            "count": suppress(row["n"]),
        }
        for row in EvidenceItem.objects.filter(case__school_id__in=ids)
        .order_by()
        .values("platform__slug", "platform__name")
        .annotate(n=Count("id"))
        .order_by("-n", "platform__name")
    ]

    # 4. Concern logged → first referral sent, per case.
    referral_times = (
        Case.objects.filter(school_id__in=ids)
        .order_by()
        .annotate(
            first_sent=Min("referrals__sent_at"),
            first_logged=Coalesce(Min("concerns__logged_at"), F("opened_at")),
        )
        .filter(first_sent__isnull=False)
        .annotate(hours=_hours("first_sent", "first_logged"))
        .aggregate(
            referral_n=Count("id"),
            referral_median=Percentile("hours", 0.5),
            referral_p90=Percentile("hours", 0.9),
        )
    )

    # 5. Takedowns: submitted → removed, overdue and escalated.
    removed = Q(status=TakedownRequest.Status.REMOVED, resolved_at__isnull=False)
    removal_hours = _hours("resolved_at", "submitted_at")
    takedowns = TakedownRequest.objects.filter(case__school_id__in=ids).aggregate(
        removal_n=Count("id", filter=removed),
        removal_median=Percentile(removal_hours, 0.5, filter=removed),
        removal_p90=Percentile(removal_hours, 0.9, filter=removed),
        overdue=Count("id", filter=Q(status=TakedownRequest.Status.OVERDUE)),
        escalated=Count("id", filter=Q(escalated_at__isnull=False)),
    )

    return {
        "schools": schools,
        "cases_by_category": cases_by_category,
        "victims_by_age_band": victims_by_age_band,
        "evidence_by_platform": evidence_by_platform,
        "concern_to_referral": _durations(referral_times, "referral"),
        "takedown_to_removal": _durations(takedowns, "removal"),
        "takedowns": {
            "overdue": suppress(takedowns["overdue"]),
            "escalated": suppress(takedowns["escalated"]),
        },
        "generated_at": timezone.now(),
    }
