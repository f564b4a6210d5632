"""Reads of a case's routing advice and of the victims' own removal reports.

The guarded doors to one suggestion or one ledger line for a writer (the school's lead
or deputy): anyone else gets ``NotFound`` (404), whether the row is absent, of another
school, or of a case they may read but not write. Lists take a ``Case`` already
obtained through ``cases.selectors`` (the caller checked the section).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from cases.denials import refused
from cases.exceptions import NotFound
from cases.models import Case, Participant, Person, User
from cases.selectors import schools_owned_by
from reporting.models import RemovalRoute, RemovalRouteReport, RoutingSuggestion
from reporting.routing import routes_for_victim

RS = RoutingSuggestion.Status


def _pk(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound from None


def case_routing_rows(*, case: Case) -> QuerySet[RoutingSuggestion]:
    """Every suggestion of ``case`` with what it names, in the model's order (API
    lists page it newest first)."""
    return RoutingSuggestion.objects.filter(case=case).select_related(
        "destination", "route__organisation", "person", "decided_by"
    )


def case_routing(*, case: Case) -> list[RoutingSuggestion]:
    """Every suggestion of ``case`` (one query): open ones first, most urgent first,
    then the decided and lapsed ones, each in the order given."""
    urgency = {u: i for i, u in enumerate(RoutingSuggestion.Urgency.values)}
    return sorted(
        case_routing_rows(case=case),
        key=lambda s: (s.status != RS.OPEN, urgency.get(s.urgency, 9), s.created_at, s.pk),
    )


def case_removal_reports(*, case: Case) -> QuerySet[RemovalRouteReport]:
    """The victims' own reports of ``case``, by date (one query)."""
    return RemovalRouteReport.objects.filter(case=case).select_related(
        "route__organisation", "victim", "recorded_by"
    )


def routing_suggestion_get_for_editor(*, user: User, suggestion_id: int | str) -> RoutingSuggestion:
    """The suggestion ``suggestion_id`` of a case of a school ``user`` owns (lead or
    deputy); else ``NotFound`` (a denial is noted if it exists elsewhere)."""
    pk = _pk(suggestion_id)
    suggestion = (
        RoutingSuggestion.objects.filter(case__school_id__in=schools_owned_by(user), pk=pk)
        .select_related("case__school", "destination", "route", "person")
        .first()
    )
    if suggestion is None:
        raise refused(
            user=user,
            records=RoutingSuggestion.objects,
            object_id=pk,
            school_field="case__school_id",
        )
    return suggestion


def removal_report_get_for_editor(
    *, user: User, report_id: int | str, case_id: int | str | None = None
) -> RemovalRouteReport:
    """The ledger line ``report_id`` (of case ``case_id`` when given) of a school
    ``user`` owns; else ``NotFound``."""
    pk = _pk(report_id)
    rows = RemovalRouteReport.objects.filter(case__school_id__in=schools_owned_by(user), pk=pk)
    if case_id is not None:
        rows = rows.filter(case_id=_pk(case_id))
    report = rows.select_related("case__school", "victim", "route").first()
    if report is None:
        raise refused(
            user=user,
            records=RemovalRouteReport.objects,
            object_id=pk,
            school_field="case__school_id",
        )
    return report


@dataclass(frozen=True)
class VictimRoutes:
    """One victim of a case and the removal routes open to them now."""

    victim: Person
    routes: tuple[RemovalRoute, ...]


def victims_routes(*, case: Case, participants: Iterable[Participant]) -> list[VictimRoutes]:
    """Each victim among ``participants`` (already read) with the routes that fit them
    (``reporting.routing.routes_for_victim``): one query for the routes."""
    victims: dict[int, Person] = {}
    for participant in participants:
        if participant.role == Participant.Role.VICTIM:
            victims.setdefault(participant.person_id, participant.person)
    if not victims:
        return []
    routes: Sequence[RemovalRoute] = list(
        RemovalRoute.objects.select_related("organisation").order_by("code")
    )
    return [
        VictimRoutes(victim, tuple(routes_for_victim(case=case, victim=victim, routes=routes)))
        for victim in victims.values()
    ]
