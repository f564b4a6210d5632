"""Template filters of the routing section: a suggestion's reason and sources in the
reader's language (``reporting.routing``), and the victims' own routes grouped by
victim."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django import template

from cases.models import Person
from reporting import routing
from reporting.models import RoutingSuggestion
from reporting.services import REFERRAL_DESTINATION_KINDS

register = template.Library()


@register.filter
def routing_reason(suggestion: RoutingSuggestion) -> str:
    return routing.reason_of(suggestion)


@register.filter
def routing_sources(suggestion: RoutingSuggestion) -> list[str]:
    return routing.sources_of(suggestion)


@register.filter
def can_refer_to(suggestion: RoutingSuggestion) -> bool:
    """Whether a referral can be drafted to the suggestion's destination."""
    return suggestion.destination_id is not None and (
        suggestion.destination_kind in REFERRAL_DESTINATION_KINDS
    )


@dataclass
class VictimSignposts:
    victim: Person
    suggestions: list[RoutingSuggestion] = field(default_factory=list)


@register.filter
def signposts_by_victim(suggestions: Iterable[RoutingSuggestion]) -> list[VictimSignposts]:
    """The victims' own routes (``signpost`` suggestions, lapsed ones left out), one
    group per victim, in order. No query: the rows carry their route and person."""
    groups: dict[int, VictimSignposts] = {}
    for s in suggestions:
        if s.urgency != RoutingSuggestion.Urgency.SIGNPOST or s.person is None:
            continue
        if s.status == RoutingSuggestion.Status.LAPSED:
            continue
        groups.setdefault(s.person.pk, VictimSignposts(s.person)).suggestions.append(s)
    return list(groups.values())


@register.filter
def advice_open(suggestions: Iterable[RoutingSuggestion]) -> list[RoutingSuggestion]:
    """Open suggestions other than the victims' own routes."""
    return [
        s
        for s in suggestions
        if s.status == RoutingSuggestion.Status.OPEN
        and s.urgency != RoutingSuggestion.Urgency.SIGNPOST
    ]


@register.filter
def advice_closed(suggestions: Iterable[RoutingSuggestion]) -> list[RoutingSuggestion]:
    """Decided and lapsed suggestions other than the victims' own routes."""
    return [
        s
        for s in suggestions
        if s.status != RoutingSuggestion.Status.OPEN
        and s.urgency != RoutingSuggestion.Urgency.SIGNPOST
    ]
