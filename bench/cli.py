"""``python -m bench``: the arguments, the environment and the order of the steps."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from types import FrameType

import bench
from bench.database import DEFAULT_DB_NAME
from bench.hashing import hash_worker, report_hash, run_hash_bench
from bench.memory import maxrss_mib


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The bench's options (``--help``); exits 2 on a value out of range."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=(bench.__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="timed GETs per endpoint (at least 20)"
    )
    parser.add_argument("--warmup", type=int, default=20, help="untimed GETs first")
    parser.add_argument(
        "--scale", type=int, default=200, help="extra cases per school (lists ≥ 200 rows)"
    )
    parser.add_argument(
        "--big",
        type=int,
        default=30,
        help="victims, perpetrators, guardians… of the big case (at least 2)",
    )
    parser.add_argument("--hash-runs", type=int, default=3, help="hash_stream repetitions")
    parser.add_argument("--skip-hash", action="store_true", help="skip the hash_stream part")
    parser.add_argument("--db-name", default=DEFAULT_DB_NAME, help="throwaway database name")
    parser.add_argument("--hash-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.requests < 20 or args.warmup < 0 or args.scale < 0 or args.big < 2:
        parser.error("need --requests ≥ 20, --warmup ≥ 0, --scale ≥ 0, --big ≥ 2")
    return args


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    """Run the bench; 0, 1 if a hard invariant broke (``InvariantBroken``), 130 if
    interrupted. Any other error propagates with its traceback."""
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.hash_worker:
        hash_worker(args.hash_runs)
        return 0

    # Referral notices run in-process and go to memory: nothing reaches a broker that a
    # worker of the real database reads, and no e-mail is written to var/mail.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    signal.signal(signal.SIGTERM, _sigterm)
    logging.disable(logging.INFO)  # the eager notice tasks log one line per referral
    # Eager tasks still take a producer from the pool (never publishing) and kombu warns
    # that the filesystem transport has no hostname.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    started = time.perf_counter()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    # Only now: these import the models (the world is built with tests.factories).
    from bench.client import signed_in
    from bench.database import throwaway_database
    from bench.memory import report_memory
    from bench.queries import InvariantBroken, check_ceilings, check_queries
    from bench.timing import run_timings
    from bench.urls import BENCH_URLCONF, install_bench_urlconf
    from bench.world import build_world

    print(
        f"Salvaguarda benchmark: PostgreSQL {connection.settings_dict['HOST'] or 'socket'}"
        f"{'' if os.environ.get('DATABASE_URL', '').strip() else ' (embedded)'}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"--requests {args.requests} --scale {args.scale} --big {args.big}"
    )
    status = 0
    try:
        hash_data = None if args.skip_hash else run_hash_bench(args.hash_runs)
        with throwaway_database(args.db_name):
            world = build_world(args.scale, args.big)
            install_bench_urlconf()
            # DEBUG off as in production: no query log, no debug-only renderers' cost.
            # The test Client speaks plain HTTP to "testserver", whatever the environment.
            with override_settings(
                ROOT_URLCONF=BENCH_URLCONF,
                DEBUG=False,
                ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
                SECURE_SSL_REDIRECT=False,
            ):
                clients = {user.username: signed_in(user) for user in (world.lead, world.police)}
                try:
                    check_queries(world, clients)
                except InvariantBroken as exc:
                    print(f"\nINVARIANT BROKEN: a query count grows with size: {exc}")
                    status = 1
                timings, memory = run_timings(args, world, clients)
                try:
                    check_ceilings(timings)
                except InvariantBroken as exc:
                    print(f"\nINVARIANT BROKEN: more queries than before issue 8: {exc}")
                    status = 1
                report_memory(memory)
        if hash_data is not None:
            report_hash(hash_data)
    except KeyboardInterrupt:
        print("\nInterrupted.")
        return 130
    print(f"\nPeak RSS of the benchmark process: {maxrss_mib():.0f} MiB (getrusage).")
    print(f"Total time {time.perf_counter() - started:.0f} s.")
    if status:
        print("FAILED: see INVARIANT BROKEN above.")
    return status
