"""The latency table: p50/p95/max of each page against a bare DRF view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.client import Timing, api_rows, get_ok, time_endpoint
from bench.memory import MemoryFigures, memory_loop
from bench.report import print_table, rows_label, section
from bench.urls import BARE_PATH
from bench.world import LEAD, POLICE, World

if TYPE_CHECKING:
    import argparse

    from django.test import Client


def run_timings(
    args: argparse.Namespace, world: World, clients: dict[str, Client]
) -> tuple[list[Timing], MemoryFigures]:
    """Time every page (the web case page inside ``memory_loop``), print the latency
    table, and return the timings and the memory figures of the web case page."""
    from cases.selectors import case_list_for_user

    # As config.wsgi does at start-up: the timings measure the production process.
    from config.runtime import freeze_startup_objects

    lead, police = clients[LEAD], clients[POLICE]
    freeze_startup_objects()
    big = world.big_case.pk
    size = world.sizes["big"]
    big_rows = f"{size['participants']} people, {size['events']} events"
    web_rows = min(case_list_for_user(user=world.lead).count(), 50)
    list_rows = api_rows(get_ok(lead, "/api/v1/cases/?page_size=50"))
    ref_rows = api_rows(get_ok(police, "/api/v1/referrals/?page_size=50"))
    plan = [
        ("bare DRF view", LEAD, lead, BARE_PATH, "-"),
        ("bare DRF view", POLICE, police, BARE_PATH, "-"),
        ("API case list", LEAD, lead, "/api/v1/cases/?page_size=50", rows_label(list_rows)),
        ("API case detail", LEAD, lead, f"/api/v1/cases/{big}/", big_rows),
        ("API referrals", POLICE, police, "/api/v1/referrals/?page_size=50",
         rows_label(ref_rows)),
        ("web case list", LEAD, lead, "/cases/", rows_label(web_rows)),
        ("web case page", LEAD, lead, f"/cases/{big}/", big_rows),
    ]  # fmt: skip
    timings = []
    memory: MemoryFigures | None = None
    for name, username, client, url, rows in plan:
        if name == "web case page":
            timing, memory = memory_loop(args, client, name, username, url, rows)
            timings.append(timing)
        else:
            timings.append(time_endpoint(client, name, username, url, rows, args))
    assert memory is not None  # noqa: S101 (the plan above has the web case page)
    bare = {t.user: t for t in timings if t.name == "bare DRF view"}
    section(
        f"Latency, in-process test Client ({args.requests} requests after {args.warmup} "
        "warm-up each)"
    )
    table = []
    for t in timings:
        ratio = t.p95 / bare[t.user].p95 if t.name != "bare DRF view" else 1.0
        table.append(
            [t.name, t.user, t.url, t.rows, f"{t.queries}", f"{t.p50:.1f}", f"{t.p95:.1f}",
             f"{max(t.samples_ms):.1f}", f"{ratio:.1f}×"]
        )  # fmt: skip
    print_table(
        ["endpoint", "user", "url", "size", "queries", "p50 ms", "p95 ms", "max ms",
         "p95/bare"],
        table,
        right={4, 5, 6, 7, 8},
    )  # fmt: skip
    return timings, memory
