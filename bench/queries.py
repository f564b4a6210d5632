"""Query counts: they must not grow with the page size or the case size (an N+1 query),
nor rise above what each page needs today (``QUERY_CEILINGS``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench.client import TestResponse, Timing, api_rows, count_queries, get_ok
from bench.report import print_table, rows_label, section
from bench.world import LEAD, POLICE, World

if TYPE_CHECKING:
    from django.test import Client

# Queries per request of each row of the latency table (bench/timing.py names the
# rows). A count may go down (then lower it here); a count above its ceiling breaks the
# run. Issue 8, "Done when" 5: on main before issue 8 they were 7, 19, 33, 17, 25 and
# 48 (45 once the case view was one selector). Reading the reader's memberships once
# per request (``cases.memberships``) took out every repeated membership read and the
# organisation read per membership of ``schools_of``: the bare view keeps its 7 (session,
# user, second-factor devices, token: no role check), the others now read the
# memberships once (``SELECT … FROM cases_membership INNER JOIN cases_organisation``).
# Issue 9 added one part to the case page, the messages sent about the case
# (``CaseView.deliveries``): one more query on both case pages, a single ``SELECT`` of
# the case's outbox rows joined to their recipients and school, whatever their number.
# Issue 10 (helper "routing") added two parts, the routing advice (``CaseView.routing``)
# and the victims' own removal reports (``CaseView.removal_reports``): two more queries
# on both case pages (28 -> 30, 35 -> 37), one ``SELECT`` each joined to what its rows
# name, whatever their number. Helper "packet" made each referral say who it is about
# (the complainant, joined, and the victims of its case: ``reporting.selectors
# .referral_people_for_user``): one more ``SELECT`` of the page's victims on the referral list
# (14 -> 15), whatever the number of referrals. Helper "notices" added the reports to
# authorities (``CaseView.authority_reports``: escalations, the AEPD's routes): one more
# ``SELECT`` on both case pages (30 -> 31, 37 -> 38).
QUERY_CEILINGS: dict[str, int] = {
    "bare DRF view": 7,
    "API case list": 14,
    "API case detail": 31,
    "API referrals": 15,
    "web case list": 15,
    "web case page": 38,
}


class InvariantBroken(Exception):
    """A hard invariant of DESIGN.md "Quality bars" does not hold."""


def check_queries(world: World, clients: dict[str, Client]) -> list[list[str]]:
    """Query counts for 1 row vs a full page and for the small vs the big case; prints
    the table and returns its rows. Raises ``InvariantBroken`` if a count grows."""
    from cases.selectors import case_list_for_user

    lead, police = clients[LEAD], clients[POLICE]
    rows: list[list[str]] = []
    broken: list[str] = []
    Size = str | Callable[[TestResponse], str]

    def compare(
        name: str, client: Client, small_url: str, big_url: str, small_n: Size, big_n: Size
    ) -> None:
        get_ok(client, small_url)  # warm caches (sessions, content types) first
        get_ok(client, big_url)
        small_q, small_resp = count_queries(client, small_url)
        big_q, big_resp = count_queries(client, big_url)
        s_n = small_n(small_resp) if callable(small_n) else small_n
        b_n = big_n(big_resp) if callable(big_n) else big_n
        verdict = "ok" if big_q <= small_q else "GROWS"
        if big_q > small_q:
            broken.append(f"{name}: {small_q} → {big_q} queries")
        rows.append([name, f"{s_n}", f"{small_q}", f"{b_n}", f"{big_q}", verdict])

    def listed(response: TestResponse) -> str:
        return rows_label(api_rows(response))

    compare(
        "API /api/v1/cases/ (lead)",
        lead,
        "/api/v1/cases/?page_size=1",
        "/api/v1/cases/?page_size=50",
        listed,
        listed,
    )
    compare(
        "API /api/v1/referrals/ (police)",
        police,
        "/api/v1/referrals/?page_size=1",
        "/api/v1/referrals/?page_size=50",
        listed,
        listed,
    )
    # Counted in Python: the selector's victim_count join would inflate a GROUP BY count.
    by_category = Counter(case_list_for_user(user=world.lead).values_list("category", flat=True))
    few = min(by_category, key=lambda category: by_category[category])
    many = max(by_category, key=lambda category: by_category[category])
    compare(
        "web /cases/ (lead, filtered)",
        lead,
        f"/cases/?category={few}",
        f"/cases/?category={many}",
        rows_label(by_category[few]),
        rows_label(min(by_category[many], 50)),
    )
    small, big = world.sizes["small"], world.sizes["big"]

    def describe(size: dict[str, int]) -> str:
        return f"{size['participants']} people, {size['evidence']} evidence, {size['events']} ev."

    compare(
        "API /api/v1/cases/<id>/ (lead)",
        lead,
        f"/api/v1/cases/{world.small_case.pk}/",
        f"/api/v1/cases/{world.big_case.pk}/",
        describe(small),
        describe(big),
    )
    compare(
        "web /cases/<id>/ (lead)",
        lead,
        f"/cases/{world.small_case.pk}/",
        f"/cases/{world.big_case.pk}/",
        describe(small),
        describe(big),
    )
    compare(
        "API /api/v1/cases/<id>/ (police)",
        police,
        f"/api/v1/cases/{world.small_case.pk}/",
        f"/api/v1/cases/{world.big_case.pk}/",
        describe(small),
        describe(big),
    )
    section("Query counts (must not grow with page size or case size)")
    print_table(
        ["endpoint", "small", "queries", "big", "queries", "verdict"],
        rows,
        right={2, 4},
    )
    if broken:
        raise InvariantBroken("; ".join(broken))
    return rows


def check_ceilings(timings: list[Timing]) -> None:
    """Print each timed request's queries against ``QUERY_CEILINGS``. Raises
    ``InvariantBroken`` if a count is above its ceiling."""
    rows: list[list[str]] = []
    above: list[str] = []
    for timing in timings:
        ceiling = QUERY_CEILINGS[timing.name]
        verdict = "ok" if timing.queries <= ceiling else "ABOVE"
        if timing.queries > ceiling:
            above.append(f"{timing.name} ({timing.user}): {timing.queries} > {ceiling} queries")
        rows.append([timing.name, timing.user, f"{timing.queries}", f"{ceiling}", verdict])
    section("Queries per request against their ceilings (issue 8: no worse than before)")
    print_table(["endpoint", "user", "queries", "ceiling", "verdict"], rows, right={2, 3})
    if above:
        raise InvariantBroken("; ".join(above))
