"""Memory of this process (``/proc``, ``getrusage``) and of the web case-page loop
(RSS around the timed loop, tracemalloc per request)."""

from __future__ import annotations

import gc
import resource
import sys
import tracemalloc
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.client import Timing, get_ok, time_endpoint
from bench.report import mib, percentile, print_table, section

if TYPE_CHECKING:
    import argparse

    from django.test import Client


def proc_status_kb(field_name: str) -> int | None:
    """``VmRSS`` / ``VmHWM`` of this process in KiB from ``/proc`` (Linux), else None."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (Linux ``clear_refs``); True if done."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def maxrss_mib() -> float:
    """Peak RSS of this process so far (``getrusage``; KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclass(frozen=True)
class MemoryFigures:
    """What ``memory_loop`` measured (MiB unless the name says KiB)."""

    rss_before_mib: float
    rss_after_mib: float
    maxrss_before_mib: float
    maxrss_after_mib: float
    traced_requests: int
    traced_peak_mib: float
    traced_p50_mib: float
    traced_growth_kib: float
    traced_growth_over: int


def memory_loop(
    args: argparse.Namespace, client: Client, name: str, user: str, url: str, rows: str
) -> tuple[Timing, MemoryFigures]:
    """The case-page loop: timed as the others, with peak RSS around it, then a shorter
    loop under tracemalloc (which slows every allocation, so it is not timed)."""
    rss_before = (proc_status_kb("VmRSS") or 0) / 1024
    maxrss_before = maxrss_mib()
    timing = time_endpoint(client, name, user, url, rows, args)
    maxrss_after = maxrss_mib()
    rss_after = (proc_status_kb("VmRSS") or 0) / 1024
    n = max(10, min(args.requests // 4, 50))
    half = n // 2
    gc.collect()
    tracemalloc.start()
    peaks = []
    kept = []  # traced bytes still held after the first and the second half, after gc
    for i in range(n):
        tracemalloc.reset_peak()
        get_ok(client, url)
        peaks.append(tracemalloc.get_traced_memory()[1])
        if i in (half - 1, n - 1):
            gc.collect()
            kept.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    figures = MemoryFigures(
        rss_before_mib=rss_before,
        rss_after_mib=rss_after,
        maxrss_before_mib=maxrss_before,
        maxrss_after_mib=maxrss_after,
        traced_requests=n,
        traced_peak_mib=mib(max(peaks)),
        traced_p50_mib=mib(percentile(peaks, 50)),
        traced_growth_kib=(kept[1] - kept[0]) / 1024,
        traced_growth_over=n - half,
    )
    return timing, figures


def report_memory(m: MemoryFigures) -> None:
    """Print the memory table of the web case page."""
    section("Memory, web case page of the big case")
    rows = [
        ["RSS before → after the timed loop (MiB)",
         f"{m.rss_before_mib:.0f} → {m.rss_after_mib:.0f}"],
        ["peak RSS of the process before → after the loop (getrusage, MiB)",
         f"{m.maxrss_before_mib:.0f} → {m.maxrss_after_mib:.0f}"],
        [f"tracemalloc peak per request, p50 / max of {m.traced_requests} (MiB)",
         f"{m.traced_p50_mib:.1f} / {m.traced_peak_mib:.1f}"],
        [f"traced memory kept (after gc) over the last {m.traced_growth_over} requests (KiB)",
         f"{m.traced_growth_kib:.0f}"],
    ]  # fmt: skip
    print_table(["measure", "value"], rows, right={1})
