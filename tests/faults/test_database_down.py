"""PostgreSQL stopped and started under load (issue 9, "Done when" 5; ``make faults``).

A throwaway PostgreSQL (``tests.faults.conftest.throwaway_postgres``), migrated and
seeded; gunicorn with two sync workers (``config.wsgi``, ``DEBUG`` off as in production)
against it; four client threads reading the case list and logging concerns through the
API, in Spanish and English by turns. Then:

1. a quick restart with no request in flight (``pg_ctl stop -m fast``, ``pg_ctl start``):
   each worker still holds the connection PostgreSQL dropped, and its first request
   after the restart must succeed (``CONN_HEALTH_CHECKS``);
2. an outage under load: stopped while requests run, a few seconds down, started again.

Asserted: no 500 (nor any answer but 200/201/503, nor a failed connection to
gunicorn); some 503s during the outage, each JSON ``{"detail": …}`` in the language
asked for, with ``Retry-After``, and each logged once; after each restart every
request succeeds and each worker's first request (gunicorn's access log names the
worker) is a success; nothing half-written: every concern logged has exactly its one
"concern.logged" case event, every 201 names a concern that exists, and the audit hash
chains verify. The counts of each status, per phase, are printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.faults.conftest import REPO, ThrowawayPostgres, free_port

pytestmark = pytest.mark.faults

THREADS = 4
PREFIX = "fallo-"
WORDS = {"es": "base de datos", "en": "database cannot be reached"}


@dataclass
class Outcome:
    phase: str
    kind: str  # "read" or "write"
    language: str
    status: int | str  # an int, or the name of the exception the client got
    detail: str = ""
    json_body: bool = False
    retry_after: str | None = None
    concern: int | None = None


@dataclass
class Load:
    """Client threads with a gate: ``pause`` waits until no request is in flight."""

    base: str
    token: str
    phase: str = "before"
    outcomes: list[Outcome] = field(default_factory=list)
    _paused: bool = False
    _inflight: int = 0
    _done: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(THREADS):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            while self._inflight:
                self._cond.wait()

    def resume(self, phase: str) -> None:
        with self._cond:
            self.phase = phase
            self._paused = False
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._done = True
            self._paused = False
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=60)

    def _run(self, n: int) -> None:
        i = 0
        while True:
            with self._cond:
                while self._paused and not self._done:
                    self._cond.wait()
                if self._done:
                    return
                self._inflight += 1
                phase = self.phase
            try:
                outcome = self._request(phase, n, i)
                with self._cond:
                    self.outcomes.append(outcome)
            finally:
                with self._cond:
                    self._inflight -= 1
                    self._cond.notify_all()
            i += 1

    def _request(self, phase: str, n: int, i: int) -> Outcome:
        language = "es" if (n + i) % 2 else "en"
        kind = "write" if i % 3 == 0 else "read"
        headers = {"Authorization": f"Token {self.token}", "Accept-Language": language}
        try:
            if kind == "write":
                response = requests.post(
                    f"{self.base}/api/v1/concerns/",
                    json={"summary": f"{PREFIX}{n}-{i}"},
                    headers=headers,
                    timeout=60,
                )
            else:
                response = requests.get(f"{self.base}/api/v1/cases/", headers=headers, timeout=60)
        except requests.RequestException as exc:
            return Outcome(phase, kind, language, type(exc).__name__)
        outcome = Outcome(phase, kind, language, response.status_code)
        outcome.retry_after = response.headers.get("Retry-After")
        if response.headers.get("Content-Type") == "application/json":
            outcome.json_body = True
            body = response.json()
            if isinstance(body, dict):
                outcome.detail = str(body.get("detail", ""))
                if response.status_code == 201:
                    outcome.concern = body["id"]
        return outcome


def _django(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, check=True, capture_output=True, text=True
    ).stdout


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _lines_after(path: Path, offset: int) -> list[str]:
    with path.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace").splitlines()


def _first_status_per_worker(lines: list[str]) -> dict[str, int]:
    """``{worker pid: status of its first request}`` from access-log lines
    ``<pid> status method path``."""
    first: dict[str, int] = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("<"):
            first.setdefault(parts[0], int(parts[1]))
    return first


def test_stopping_postgresql_under_load_gives_503s_never_500s(
    throwaway_postgres: ThrowawayPostgres, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": throwaway_postgres.create_database("salvaguarda"),
        # Production's error handling (handler500), not the debug page.
        "DJANGO_DEBUG": "0",
        # The broker is not under test here: messages stay in the web process.
        "CELERY_BROKER_URL": "memory://",
        "SALVAGUARDA_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_TEST_NAME", None)
    _django(env, "manage.py", "migrate", "--noinput", "-v", "0")
    seeded = json.loads(_django(env, "-m", "tests.faults.seed"))

    port = free_port()
    access_log = tmp_path / "access.log"
    error_log = tmp_path / "gunicorn.log"
    gunicorn = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi"),
            *("--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "60"),
            *("--access-logfile", str(access_log), "--error-logfile", str(error_log)),
            *("--access-logformat", "%(p)s %(s)s %(m)s %(U)s"),
        ],
        cwd=REPO,
        env=env,
        stdout=error_log.with_suffix(".out").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    load = Load(base=f"http://127.0.0.1:{port}", token=str(seeded["token"]))
    first_after: dict[str, dict[str, int]] = {}
    try:
        _wait_for(f"{load.base}/login/")
        load.start()
        time.sleep(3)

        # 1. A restart between requests: every worker holds a dropped connection.
        load.pause()
        throwaway_postgres.stop("fast")
        throwaway_postgres.start()
        offset = access_log.stat().st_size
        load.resume("after quick restart")
        time.sleep(3)
        first_after["quick restart"] = _first_status_per_worker(_lines_after(access_log, offset))

        # 2. An outage under load. (The pause only ends the phase: a request of the
        # phase before must not be counted as stopped under it.)
        load.pause()
        load.resume("stopping")
        throwaway_postgres.stop("fast")
        load.resume("down")
        time.sleep(5)
        load.pause()
        throwaway_postgres.start()
        offset = access_log.stat().st_size
        load.resume("after outage")
        time.sleep(3)
        first_after["outage"] = _first_status_per_worker(_lines_after(access_log, offset))
    finally:
        load.stop()
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
            gunicorn.wait(timeout=10)

    outcomes = load.outcomes
    counts = Counter((o.phase, o.kind, o.status) for o in outcomes)
    print("\nstatuses per phase (phase, request, status: count):")
    for (phase, kind, status), count in sorted(counts.items(), key=str):
        print(f"  {phase:20} {kind:5} {status}: {count}")
    print(f"first request of each worker after each restart: {first_after}")

    statuses = Counter(o.status for o in outcomes)
    assert set(statuses) <= {200, 201, 503}, statuses  # no 500, no reset connection
    unavailable = [o for o in outcomes if o.status == 503]
    assert any(o.phase == "down" for o in unavailable), counts
    for outcome in unavailable:
        assert outcome.json_body, outcome
        assert WORDS[outcome.language] in outcome.detail, outcome
        assert outcome.retry_after is not None, outcome
    for phase in ("after quick restart", "after outage"):
        after = [o for o in outcomes if o.phase == phase]
        assert after, phase
        assert {o.status for o in after} <= {200, 201}, (phase, Counter(o.status for o in after))
    for restart, first in first_after.items():
        assert len(first) == 2, (restart, first)  # both workers answered after it
        assert set(first.values()) <= {200, 201}, (restart, first)

    gunicorn_log = error_log.read_text(errors="replace") + error_log.with_suffix(".out").read_text(
        errors="replace"
    )
    assert "Internal Server Error" not in gunicorn_log
    assert gunicorn_log.count("Service Unavailable (database)") == len(unavailable)

    # Nothing half-written (PostgreSQL is up again).
    seen = json.loads(_django(env, "-m", "tests.faults.seed", "written", PREFIX))
    concerns = seen["concerns"]
    # One event per concern, no event without its concern.
    assert seen["logged_events"] == seen["all_concerns"]
    created = sorted(o.concern for o in outcomes if o.status == 201)
    assert set(created) <= set(concerns)
    print(
        f"concerns: {len(created)} answered 201, {len(concerns)} in the database "
        f"({len(concerns) - len(created)} saved but answered 503: the commit went "
        "through, the answer did not)"
    )
    assert _django(env, "manage.py", "verify_audit").startswith("OK")
