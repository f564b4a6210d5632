"""Issue 9, done-when 2 (``make faults``): with the broker unreachable, sending a referral
answers 200 and its notices wait in the outbox; once the broker is back they are
delivered within about one sweep interval, by the worker and beat that ran all along
(they reconnect by themselves: no manual step).

The broker is a ``redis-server`` of the test's own on a free port (no persistence), so
the machine's shared Redis is never stopped. It is killed with SIGKILL (a crash: what it
held is gone) while a real worker and a real beat use it.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from outbox.models import Message, WebhookEndpoint
from tests.conftest import client_for
from tests.e2e.conftest import wait_for
from tests.factories import ReferralFactory
from tests.faults.test_worker_kills import (
    RELAY_ENV,
    Receiver,
    Worker,
    beat_process,
    process_env,
    publishing_to,
)
from tests.mailbox import messages_in

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SWEEP_SECONDS = 2


class OwnRedis:
    """A ``redis-server`` on 127.0.0.1:``port`` with no persistence, started and killed
    at will (a crash loses whatever it held)."""

    def __init__(self, log: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server not found")
        self.binary = binary
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(args, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis.log")
    server.start()
    yield server
    server.kill()


@pytest.mark.parametrize("beat_starts", ["before", "during"])
def test_a_referral_sent_while_the_broker_is_down_goes_out_once_it_is_back(
    beat_starts, own_redis, tmp_path, transactional_db, capsys, case_a, lead_a, police_unit, police
):
    queue = f"faults-down-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = process_env(
        own_redis.url,
        queue,
        OUTBOX_SWEEP_SECONDS=str(SWEEP_SECONDS),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    secret = secrets.token_urlsafe(48)
    referral = ReferralFactory.create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="Denuncia",
        legal_basis="legal_obligation",
        shared_sections=["chronology"],
    )
    with Receiver(secret) as receiver, publishing_to(own_redis.url, queue):
        WebhookEndpoint.objects.create(
            organisation=police_unit, url=receiver.url, key_id="pol1-faults", secret=secret
        )
        worker = Worker(env, queue, tmp_path)
        try:
            with ExitStack() as beat:
                worker.start()
                if beat_starts == "before":
                    beat.enter_context(beat_process(env, tmp_path / "beat.log"))
                    wait_for(
                        lambda: "Task outbox.tasks.sweep[" in worker.log.read_text(),
                        what="beat's first sweep to reach the worker",
                    )
                own_redis.kill()  # the broker crashes under a running worker (and beat)
                if beat_starts == "during":  # beat (re)started while the broker is down
                    beat.enter_context(beat_process(env, tmp_path / "beat.log"))

                began = time.monotonic()
                response = client_for(lead_a).post(f"/api/v1/referrals/{referral.pk}/send/")
                request_seconds = time.monotonic() - began
                assert response.status_code == 200, response.content
                rows = Message.objects.filter(about_id=referral.pk, kind="referral-notice")
                assert sorted(rows.values_list("state", flat=True)) == ["pending", "pending"]

                # Down long enough for Celery's own back-off to reach 10 s between attempts.
                time.sleep(25)
                assert set(rows.values_list("state", flat=True)) == {"pending"}
                own_redis.start()
                back = time.monotonic()
                wait_for(
                    lambda: set(rows.values_list("state", flat=True)) == {"sent"},
                    timeout=90,
                    interval=0.1,
                    what="the notices to go out after the broker came back",
                )
                delivered_after = time.monotonic() - back
                assert worker.alive()  # the same worker, reconnected by itself
        finally:
            worker.stop_all()
    assert len(messages_in(mail_dir)) == 1
    assert len(receiver.keys()) == 1
    line = (
        f"\n[faults] broker down (beat started {beat_starts} the outage): the send "
        f"answered {response.status_code} in {request_seconds:.2f} s; notices delivered "
        f"{delivered_after:.1f} s after the broker came back (sweep every {SWEEP_SECONDS} s, grace "
        f"{RELAY_ENV['OUTBOX_SWEEP_GRACE_SECONDS']} s)"
    )
    with capsys.disabled():
        print(line)
    assert request_seconds < 4
    # One sweep interval, its grace, the reconnection of the worker and beat (every 2 s
    # at most: config.celery) and a little slack.
    assert delivered_after < SWEEP_SECONDS + 1 + 2 + 4
