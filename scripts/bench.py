"""``make bench``: latency, query counts and memory of the case list and case page.

Prints figures and ratios; it has no timing thresholds. It exits 1 only when a hard
invariant breaks: a query count that grows with the page size (list endpoints) or
with the size of the case (case page, API and web). See ``docs/bench.md``.

What it does, in one process, with Django's test ``Client`` (no network):

1. creates a throwaway database (``salvaguarda_bench`` on the server ``DATABASE_URL``
   names, or the embedded PostgreSQL when it is unset), migrates it, loads the
   Almendralejo scenario and adds ``--scale`` cases per school through the services
   (each with a victim, an alleged perpetrator, evidence and a referral to the police),
   plus a small case (one of everything) and a big case (``--big`` of everything);
2. times ``--requests`` GETs (after ``--warmup``) of the case list, the case page
   (API and web) and the police referral inbox, against a bare DRF view with the same
   authentication and middleware, mounted by a bench-only urlconf;
3. counts queries for 1 row vs a full page, and for the small vs the big case;
4. measures memory on the case-page loop (peak RSS, tracemalloc) and, in a fresh child
   process, ``cases.hashing.hash_stream`` on a generated 12-megapixel JPEG;
5. drops the database, also on error, Ctrl-C or SIGTERM.

Referral notices are not queued on the broker: the bench forces eager Celery tasks and
the in-memory e-mail backend, so a worker of the real database never sees them.

Run: ``DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python scripts/bench.py``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import io
import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
import time
import tracemalloc
import types
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB_NAME = "salvaguarda_bench"
BENCH_URLCONF = "salvaguarda_bench_urls"
BARE_PATH = "/bench/bare/"
LEAD = "lead.norte"
POLICE = "police.almendralejo"
SCHOOLS = ("NOR", "SUR", "CEN")
POLICE_UNIT = "PNALM"
HASH_WIDTH, HASH_HEIGHT = 4000, 3000  # 12 megapixels, a phone camera's photo


class InvariantBroken(Exception):
    """A hard invariant of DESIGN.md "Quality bars" does not hold."""


# --- small helpers -------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0–100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


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


def mib(n_bytes: float) -> float:
    return n_bytes / (1024 * 1024)


def print_table(headers: list[str], rows: list[list[str]], *, right: set[int]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in
              enumerate(headers)]  # fmt: skip

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def section(title: str) -> None:
    print()
    print(title)
    print("=" * len(title))


# --- hash_stream, in a fresh child process -------------------------------------------


def hash_worker(runs: int) -> None:
    """Child process: time ``hash_stream`` on a 12 MP JPEG; print one JSON line.

    Runs in its own interpreter so its peak RSS is the hashing's, not the web bench's.
    The parent gives it a ``DATABASE_URL`` that is never connected to.
    """
    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from PIL import Image, ImageDraw

    from cases.hashing import hash_stream, max_image_pixels

    # A smooth picture with mild noise compresses like a photo (a few MB of JPEG).
    rng = np.random.default_rng(12)
    y = np.linspace(0, 1, HASH_HEIGHT, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, HASH_WIDTH, dtype=np.float32)[None, :]
    channels = (200 * x + 30 * y, 120 + 80 * np.sin(6 * x + 3 * y), 220 * y + 0 * x)
    base = np.stack(channels, axis=-1)
    noise = rng.normal(0, 6, size=(HASH_HEIGHT, HASH_WIDTH, 3)).astype(np.float32)
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    del base, channels, noise, x, y
    picture = Image.fromarray(pixels, "RGB")
    del pixels
    pen = ImageDraw.Draw(picture)
    for i in range(40):  # flat shapes give PDQ something to see (quality ≥ 50)
        box = (rng.integers(0, HASH_WIDTH - 400), rng.integers(0, HASH_HEIGHT - 400))
        size = rng.integers(80, 400)
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        shape = pen.ellipse if i % 2 else pen.rectangle
        shape((*box, box[0] + size, box[1] + size), fill=colour)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    picture.close()
    del picture, pen
    jpeg = out.getvalue()
    del out
    gc.collect()

    max_bytes = settings.EVIDENCE_MAX_UPLOAD_BYTES
    rss_before_kb = proc_status_kb("VmRSS")
    peak_reset = reset_peak_rss()
    times_ms = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = hash_stream(io.BytesIO(jpeg), max_bytes=max_bytes)
        times_ms.append((time.perf_counter() - start) * 1000)
    hwm_kb = proc_status_kb("VmHWM") if peak_reset else None
    gc.collect()
    rss_after_kb = proc_status_kb("VmRSS")

    tracemalloc.start()
    hash_stream(io.BytesIO(jpeg), max_bytes=max_bytes)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        json.dumps(
            {
                "width": HASH_WIDTH,
                "height": HASH_HEIGHT,
                "file_bytes": len(jpeg),
                "content_kind": result.content_kind if result else "",
                "pdq_quality": result.pdq_quality if result else None,
                "times_ms": times_ms,
                "rss_before_kb": rss_before_kb,
                "rss_after_kb": rss_after_kb,
                "hwm_kb": hwm_kb,
                "tracemalloc_peak": traced_peak,
                "max_image_pixels": max_image_pixels(),
                "max_upload_bytes": max_bytes,
            }
        )
    )


def run_hash_bench(runs: int) -> dict:
    env = dict(os.environ)
    # Never connected to: the child only hashes. Keeps it from starting the embedded DB.
    env["DATABASE_URL"] = "postgresql://bench@127.0.0.1:1/bench_hash_worker_unused"
    env["CELERY_BROKER_URL"] = "memory://"
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    completed = subprocess.run(  # noqa: S603 (this same script, no shell, no user input)
        [sys.executable, str(Path(__file__).resolve()), "--hash-worker", "--hash-runs",
         str(runs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )  # fmt: skip
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"the hash_stream child process failed ({completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def report_hash(data: dict) -> None:
    section("Hash-only intake: cases.hashing.hash_stream (fresh child process)")
    pixels = data["width"] * data["height"]
    decoded = pixels * 3
    times = data["times_ms"]
    print(
        f"Input: {data['width']}×{data['height']} JPEG ({pixels / 1e6:.0f} MP), "
        f"{mib(data['file_bytes']):.1f} MiB; decoded RGB is {mib(decoded):.0f} MiB. "
        f"Result: {data['content_kind']}, PDQ quality {data['pdq_quality']}."
    )
    rows = [
        ["time per file (ms)", f"{percentile(times, 50):.0f}", f"{max(times):.0f}",
         f"{len(times)} runs"],
    ]  # fmt: skip
    if data["hwm_kb"] is not None and data["rss_before_kb"] is not None:
        extra = (data["hwm_kb"] - data["rss_before_kb"]) * 1024
        per_pixel = extra / pixels
        at_limit = per_pixel * data["max_image_pixels"]
        rows.append(
            ["peak RSS above baseline (MiB)", f"{mib(extra):.0f}", "",
             f"{per_pixel:.1f} B/pixel; ≈{mib(at_limit):.0f} MiB at the "
             f"{data['max_image_pixels'] / 1e6:.1f} MP limit"]
        )  # fmt: skip
        kept = (data["rss_after_kb"] - data["rss_before_kb"]) * 1024
        rows.append(["RSS kept after hashing (MiB)", f"{mib(kept):.1f}", "", "after return"])
    else:
        rows.append(["peak RSS above baseline", "n/a", "", "needs Linux /proc"])
    rows.append(
        ["tracemalloc peak (MiB)", f"{mib(data['tracemalloc_peak']):.0f}", "",
         "Python + numpy buffers; Pillow's own buffers are not traced"]
    )  # fmt: skip
    print_table(["measure", "p50/value", "max", "note"], rows, right={1, 2})
    print(
        f"Bounded: uploads above {mib(data['max_upload_bytes']):.0f} MiB and images above "
        f"{data['max_image_pixels'] / 1e6:.1f} MP are refused before decoding."
    )


# --- the throwaway database ---------------------------------------------------------


@contextmanager
def throwaway_database(name: str):
    """Create ``name`` on the configured server, migrate it, point Django at it; drop it
    on the way out whatever happens. Refuses a name that is the configured database."""
    from django.conf import settings
    from django.db import connection

    original = connection.settings_dict["NAME"]
    if name in {original, "postgres", "template0", "template1"}:
        raise SystemExit(f"Refusing to use {name!r} as the throwaway benchmark database.")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = name
    try:
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
        yield name
    finally:
        # A second Ctrl-C must not leave the database behind half-way through the drop.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        previous_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            drop_database(name, original)
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous_term)


def drop_database(name: str, original: str) -> None:
    """Drop ``name`` (only ever the benchmark's database) and point Django back."""
    from django.conf import settings
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = original
    settings.DATABASES["default"]["NAME"] = original
    quoted = connection.ops.quote_name(name)
    try:
        with connection._nodb_cursor() as cursor:
            # PostgreSQL 13+ ends any session still attached (e.g. after a kill mid-query).
            force = " WITH (FORCE)" if cursor.connection.info.server_version >= 130000 else ""
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted}{force}")
    except Exception:
        sys.stderr.write(f"Could not drop the benchmark database; run: DROP DATABASE {quoted};\n")
        raise
    print(f"\nDropped the benchmark database {name}.")


# --- data ----------------------------------------------------------------------------


@dataclass
class World:
    lead: object
    police: object
    small_case: object
    big_case: object
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _person(school, lead, kind: str, given: str, family: str, *, age: int | None, sex: str):
    from django.utils import timezone

    from cases import services

    today = timezone.localdate()
    dob = date(today.year - age, 2, 10) if age is not None else None
    return services.person_create(
        school=school,
        actor=lead,
        kind=kind,
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        sex=sex,
        year_group="3º ESO" if kind == "pupil" else "",
    )


def build_case(school, lead, police_unit, n: int, label: str):
    """A case with ``n`` victims (each with a support plan, 2 measures and a held
    check-in), ``n`` alleged perpetrators, ``n`` guardians (each contacted), ``n``
    evidence items, ``n`` actions, and ``ceil(n / 6)`` referrals and takedown notices.
    All through the services, like real use."""
    from django.utils import timezone

    from cases import services
    from reporting import services as reporting
    from reporting.models import LegalBasis, Platform

    now = timezone.now()
    case = services.case_open(
        school=school,
        actor=lead,
        title=f"Bench {label} case",
        category="sextortion" if n == 1 else "ai_generated",
        summary="Generated by scripts/bench.py",
    )
    victims, evidence = [], []
    for i in range(n):
        victim = _person(school, lead, "pupil", f"Víctima{i}", label, age=14, sex="female")
        services.participant_add(case=case, person=victim, role="victim", actor=lead)
        victims.append(victim)
        boy = _person(school, lead, "pupil", f"Alumno{i}", label, age=13, sex="male")
        services.participant_add(case=case, person=boy, role="alleged_perpetrator", actor=lead)
        guardian = _person(school, lead, "guardian", f"Madre{i}", label, age=None, sex="female")
        services.participant_add(case=case, person=guardian, role="guardian", actor=lead)
        services.guardian_contact_record(
            case=case, guardian=guardian, actor=lead, method="phone", notes="Bench contact"
        )
        evidence.append(
            services.evidence_record(
                case=case,
                actor=lead,
                kind="image",
                first_seen_at=now - timedelta(days=3, minutes=i),
                location=f"https://chat.example.invalid/{label}/{i}",
                sha256=_sha(f"{label}-{i}"),
                md5=_sha(f"md5-{label}-{i}")[:32],
                pdq=_sha(f"pdq-{label}-{i}"),
                pdq_quality=90,
            )
        )
        services.action_create(
            case=case,
            actor=lead,
            title=f"Follow-up {i}",
            owner=lead,
            due_at=now + timedelta(days=i + 1),
        )
    platform = Platform.objects.order_by("id").first()
    basis = LegalBasis.objects.order_by("id").first()
    for k in range(math.ceil(n / 6)):
        referral = reporting.referral_create(
            case=case,
            actor=lead,
            destination=police_unit,
            summary=f"Denuncia {k}",
            legal_basis="legal_obligation",
            shared_sections=["chronology", "participants", "evidence", "support"],
            complainant=victims[k],
        )
        reporting.referral_send(referral=referral, actor=lead)
        notice = reporting.takedown_create(
            case=case,
            actor=lead,
            platform=platform,
            legal_basis=basis,
            evidence_items=evidence[k * 6 : k * 6 + 6],
        )
        reporting.takedown_submit(notice=notice, actor=lead, platform_ticket=f"T-{k}")
    for i, victim in enumerate(victims):
        plan = services.support_plan_create(
            case=case, victim=victim, owner=lead, actor=lead, summary=f"Plan {i}"
        )
        services.support_measure_add(plan=plan, actor=lead, kind="counselling")
        services.support_measure_add(plan=plan, actor=lead, kind="pastoral")
        services.check_in_record(
            plan=plan, actor=lead, held_at=now - timedelta(hours=1), wellbeing=3
        )
    return case


def scale_school(school, lead, police_unit, count: int) -> None:
    """``count`` extra cases in ``school``: a victim and an alleged perpetrator (from a
    pool of pupils), one evidence item and a referral to the police unit each."""
    from django.db import transaction
    from django.utils import timezone

    from cases import services
    from reporting import services as reporting

    now = timezone.now()
    with transaction.atomic():
        pool = [
            _person(school, lead, "pupil", f"Alumnado{i}", f"Escala {school.code}", age=12 + i % 5,
                    sex="female" if i % 2 else "male")
            for i in range(24)
        ]  # fmt: skip
        for i in range(count):
            case = services.case_open(
                school=school,
                actor=lead,
                title=f"Bench {school.code} {i}",
                category="non_consensual_sharing" if i % 10 == 0 else "ai_generated",
            )
            services.participant_add(case=case, person=pool[i % 24], role="victim", actor=lead)
            services.participant_add(
                case=case, person=pool[(i + 7) % 24], role="alleged_perpetrator", actor=lead
            )
            services.evidence_record(
                case=case,
                actor=lead,
                kind="image",
                first_seen_at=now - timedelta(days=2),
                location=f"https://chat.example.invalid/{school.code}/{i}",
                sha256=_sha(f"{school.code}-{i}"),
            )
            referral = reporting.referral_create(
                case=case,
                actor=lead,
                destination=police_unit,
                summary=f"Denuncia {school.code} {i}",
                legal_basis="legal_obligation",
                shared_sections=["chronology", "evidence"],
            )
            reporting.referral_send(referral=referral, actor=lead)


def build_world(scale: int, big: int) -> World:
    from django.core.management import call_command

    from cases.models import Case, Organisation, User
    from cases.selectors import schools_owned_by

    start = time.perf_counter()
    call_command("load_scenario", "almendralejo", stdout=io.StringIO())
    loaded = time.perf_counter()
    police_unit = Organisation.objects.get(code=POLICE_UNIT)
    for code in SCHOOLS:
        school = Organisation.objects.get(code=code, kind="school")
        lead = next(
            u
            for u in User.objects.filter(memberships__organisation=school).distinct()
            if school.pk in schools_owned_by(u)
        )
        scale_school(school, lead, police_unit, scale)
    scaled = time.perf_counter()
    lead = User.objects.get(username=LEAD)
    nor = Organisation.objects.get(code="NOR", kind="school")
    small = build_case(nor, lead, police_unit, 1, "pequeño")
    big_case = build_case(nor, lead, police_unit, big, "grande")
    built = time.perf_counter()
    print(
        f"Data: Almendralejo scenario {loaded - start:.1f} s; {scale} extra cases × "
        f"{len(SCHOOLS)} schools {scaled - loaded:.1f} s; small and big case "
        f"{built - scaled:.1f} s. Cases in the database: {Case.objects.count()}."
    )
    world = World(
        lead=lead, police=User.objects.get(username=POLICE), small_case=small, big_case=big_case
    )
    for label, case in (("small", small), ("big", big_case)):
        world.sizes[label] = {
            "participants": case.participants.count(),
            "evidence": case.evidence_items.count(),
            "referrals": case.referrals.count(),
            "takedowns": case.takedowns.count(),
            "plans": case.support_plans.count(),
            "events": case.events.count(),
        }
    return world


# --- the bench-only urlconf ---------------------------------------------------------


def install_bench_urlconf() -> None:
    """A urlconf module (in memory only) with the product's URLs plus a bare DRF view
    that has the same authentication, permissions and middleware and does nothing."""
    from django.urls import include, path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class BareApi(APIView):
        """Baseline: default authentication and ``IsAuthenticated``, no database work."""

        def get(self, request):
            return Response({"ok": True})

    module = types.ModuleType(BENCH_URLCONF)
    module.urlpatterns = [
        path(BARE_PATH.strip("/") + "/", BareApi.as_view(), name="bench-bare"),
        path("", include("config.urls")),
    ]
    sys.modules[BENCH_URLCONF] = module


# --- measuring ------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    user: str
    url: str
    rows: str
    queries: int
    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)


def get_ok(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} returned {response.status_code}, expected 200")
    return response


def count_queries(client, url: str) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = get_ok(client, url)
    return len(captured.captured_queries), response


def time_endpoint(client, name: str, user: str, url: str, rows: str, args) -> Timing:
    for _ in range(args.warmup):
        get_ok(client, url)
    queries, _ = count_queries(client, url)
    samples = []
    for _ in range(args.requests):
        start = time.perf_counter_ns()
        response = client.get(url)
        samples.append((time.perf_counter_ns() - start) / 1e6)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} returned {response.status_code} while timing")
    return Timing(name, user, url, rows, queries, samples)


def api_rows(response) -> int:
    return len(response.json()["results"])


def rows_label(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def check_queries(world: World, clients: dict) -> list[list[str]]:
    """Query counts for 1 row vs a full page and for the small vs the big case."""
    from cases.selectors import case_list_for_user

    lead, police = clients[LEAD], clients[POLICE]
    rows: list[list[str]] = []
    broken: list[str] = []

    def compare(name: str, client, small_url: str, big_url: str, small_n, big_n) -> None:
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

    compare(
        "API /api/v1/cases/ (lead)",
        lead,
        "/api/v1/cases/?page_size=1",
        "/api/v1/cases/?page_size=50",
        lambda r: rows_label(api_rows(r)),
        lambda r: rows_label(api_rows(r)),
    )
    compare(
        "API /api/v1/referrals/ (police)",
        police,
        "/api/v1/referrals/?page_size=1",
        "/api/v1/referrals/?page_size=50",
        lambda r: rows_label(api_rows(r)),
        lambda r: rows_label(api_rows(r)),
    )
    # Counted in Python: the selector's victim_count join would inflate a GROUP BY count.
    by_category = Counter(case_list_for_user(user=world.lead).values_list("category", flat=True))
    few = min(by_category, key=by_category.get)
    many = max(by_category, key=by_category.get)
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


def run_timings(args, world: World, clients: dict) -> list[Timing]:
    from cases.selectors import case_list_for_user

    lead, police = clients[LEAD], clients[POLICE]
    # As config.wsgi does at start-up: the timings measure the production process.
    from config.runtime import freeze_startup_objects

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
    for name, username, client, url, rows in plan:
        if name == "web case page":
            timings.append(memory_loop(args, client, name, username, url, rows))
        else:
            timings.append(time_endpoint(client, name, username, url, rows, args))
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
    return timings


MEMORY: dict[str, float] = {}


def memory_loop(args, client, name: str, user: str, url: str, rows: str) -> Timing:
    """The case-page loop: timed as the others, with peak RSS around it, then a shorter
    loop under tracemalloc (which slows every allocation, so it is not timed)."""
    MEMORY["rss_before_mib"] = (proc_status_kb("VmRSS") or 0) / 1024
    MEMORY["maxrss_before_mib"] = maxrss_mib()
    timing = time_endpoint(client, name, user, url, rows, args)
    MEMORY["maxrss_after_mib"] = maxrss_mib()
    MEMORY["rss_after_mib"] = (proc_status_kb("VmRSS") or 0) / 1024
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
    MEMORY["traced_requests"] = n
    MEMORY["traced_peak_mib"] = mib(max(peaks))
    MEMORY["traced_p50_mib"] = mib(percentile(peaks, 50))
    MEMORY["traced_growth_kib"] = (kept[1] - kept[0]) / 1024
    MEMORY["traced_growth_over"] = n - half
    return timing


def report_memory() -> None:
    section("Memory, web case page of the big case")
    m = MEMORY
    rows = [
        ["RSS before → after the timed loop (MiB)",
         f"{m['rss_before_mib']:.0f} → {m['rss_after_mib']:.0f}"],
        ["peak RSS of the process before → after the loop (getrusage, MiB)",
         f"{m['maxrss_before_mib']:.0f} → {m['maxrss_after_mib']:.0f}"],
        [f"tracemalloc peak per request, p50 / max of {m['traced_requests']} (MiB)",
         f"{m['traced_p50_mib']:.1f} / {m['traced_peak_mib']:.1f}"],
        [f"traced memory kept (after gc) over the last {m['traced_growth_over']} requests (KiB)",
         f"{m['traced_growth_kib']:.0f}"],
    ]  # fmt: skip
    print_table(["measure", "value"], rows, right={1})


# --- main ---------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per endpoint")
    parser.add_argument("--warmup", type=int, default=20, help="untimed GETs first")
    parser.add_argument(
        "--scale", type=int, default=200, help="extra cases per school (lists ≥ 200 rows)"
    )
    parser.add_argument(
        "--big", type=int, default=30, help="victims, perpetrators, guardians… of the big case"
    )
    parser.add_argument("--hash-runs", type=int, default=3, help="hash_stream repetitions")
    parser.add_argument("--skip-hash", action="store_true", help="skip the hash_stream part")
    parser.add_argument("--db-name", default=DEFAULT_DB_NAME, help="throwaway database name")
    parser.add_argument("--hash-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.requests < 20 or args.warmup < 0 or args.scale < 0 or args.big < 2:
        parser.error("need --requests ≥ 20, --warmup ≥ 0, --scale ≥ 0, --big ≥ 2")
    return args


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def signed_in(user):
    """A web client signed in as ``user`` the production way: a session that has passed
    the second factor (a confirmed TOTP device, ``django_otp.login``'s session key), so
    the timings include the second-factor middleware."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main(argv: list[str]) -> int:
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
                run_timings(args, world, clients)
                report_memory()
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
