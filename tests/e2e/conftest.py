"""Real processes for end-to-end tests: a Celery worker and beat on the real broker
(``CELERY_BROKER_URL``: Redis in CI, else the filesystem transport), talking to the
pytest database, with e-mail written to files that the test reads.

Each run uses its own queue name, so no other worker on the machine (a developer's
``make run``) can take its tasks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

REPO = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """``settings.DATABASE_URL`` pointed at the database pytest-django created."""
    parts = urlsplit(settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def e2e_env(tmp_path, transactional_db, directory):
    """Environment shared by the worker and beat subprocesses and this process."""
    queue = f"e2e-{uuid.uuid4().hex[:10]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_DEADLINE_SWEEP_SECONDS": "2",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SALVAGUARDA_VAR_DIR": str(settings.VAR_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    old_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    yield {"env": env, "queue": queue, "mail_dir": mail_dir, "log_dir": tmp_path}
    celery_app.conf.task_default_queue = old_queue


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=REPO,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def celery_worker_process(e2e_env):
    """A real ``celery worker`` subprocess consuming this test's queue."""
    log = e2e_env["log_dir"] / "worker.log"
    proc = _start(
        [
            "worker",
            "-Q",
            e2e_env["queue"],
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        e2e_env["env"],
        log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"worker exited early:\n{log.read_text(errors='replace')}")
        if "ready." in log.read_text(errors="replace"):
            break
        time.sleep(0.3)
    else:
        _stop(proc)
        pytest.fail(f"worker did not start:\n{log.read_text(errors='replace')}")
    yield proc
    _stop(proc)
    # Shown by pytest only when the test failed.
    print("---- worker log ----\n" + log.read_text(errors="replace")[-20000:])


@pytest.fixture
def celery_beat_process(e2e_env, celery_worker_process):
    """A real ``celery beat`` (django-celery-beat DatabaseScheduler) sending the
    deadline sweep every 2 s to this test's queue."""
    log = e2e_env["log_dir"] / "beat.log"
    proc = _start(["beat", "--loglevel=INFO"], e2e_env["env"], log)
    yield proc
    _stop(proc)
    print("---- beat log ----\n" + log.read_text(errors="replace")[-20000:])


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.5, what: str = ""):
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")
