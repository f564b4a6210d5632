"""Issue 9, done-when 1 (``make faults``): the outbox loses nothing when its worker is
killed by SIGKILL again and again, on Redis and on RabbitMQ, while messages are being
delivered and some of their broker messages are dropped on purpose.

What runs: a real ``celery worker`` (prefork, 2 children) and a real ``celery beat``
(the outbox sweep every second) on the broker of the parameter, with a queue of their
own; a receiver that is a police system's webhook (:class:`Receiver`, an HTTP server in
a thread that checks each request's HMAC signature with ``outbox.channels.verify`` and
counts its ``Idempotency-Key``). The test writes messages through the real path
(``outbox.relay.enqueue`` → commit → kick), and in each cycle: writes a batch, sometimes
purges the queue (drops every task message waiting in it), (re)starts the worker, waits
until it is delivering, and SIGKILLs it: the whole worker (main process and pool
children), the main process alone (its children orphaned), or one pool child (the main
process replaces it; ``reject_on_worker_lost`` gives its message back).

At the end every row is ``sent``, every key received belongs to a row, the distinct keys
received equal the rows, and each repeat (a key received twice) is the accepted one:
its row was claimed again (``attempts``) no sooner than a lease after the first copy
(ADR 0003's window, now the relay's: a worker killed after the receiver took the
message and before ``sent`` was recorded). The numbers are printed per broker; the
last ones are in docs/faults.md.

Knobs (environment): ``FAULTS_MESSAGES`` (default 520), ``FAULTS_KILLS`` (kills of the
whole worker or its main process, default 21; one pool child is killed every fourth
cycle on top), ``FAULTS_REDIS_URL``, ``FAULTS_AMQP_URL``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from kombu import pools

from config.celery import app as celery_app
from config.settings import broker_transport_options
from outbox import channels, relay
from outbox.kinds import MessageKind
from outbox.models import Message, WebhookEndpoint
from tests.e2e.conftest import _start, database_url
from tests.factories import PoliceUnitFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/14")
AMQP_VHOST = "sg_faults"
AMQP_URL = os.environ.get("FAULTS_AMQP_URL", f"amqp://guest:guest@127.0.0.1:5672/{AMQP_VHOST}")
MESSAGES = int(os.environ.get("FAULTS_MESSAGES", "520"))
WORKER_KILLS = int(os.environ.get("FAULTS_KILLS", "21"))
CONCURRENCY = 2
# The relay's numbers in the worker and beat: a sweep every second, a lease of 5 s (a
# killed worker's row is claimed again 5 s after its claim), send timeouts below it.
RELAY_ENV = {
    "OUTBOX_SWEEP_SECONDS": "1",
    "OUTBOX_SWEEP_GRACE_SECONDS": "1",
    "OUTBOX_LEASE_SECONDS": "5",
    "OUTBOX_WEBHOOK_TIMEOUT": "2",
    "EMAIL_TIMEOUT": "2",
    # Beat's other jobs stay out of the way.
    "CELERY_DEADLINE_SWEEP_SECONDS": "3600",
    "CELERY_CHECK_IN_REMINDER_SECONDS": "3600",
}
LEASE = 5.0


# --- the receiver: a police system's webhook ------------------------------------------
class Receiver:
    """An HTTP server on 127.0.0.1 (a thread) that takes signed webhook ``POST``s.

    Each request whose signature verifies (``outbox.channels.verify`` with ``secret``)
    and whose body's ``id`` equals its ``Idempotency-Key`` is recorded as
    ``(key, time.monotonic())`` in :attr:`received` and answered 200 after ``delay``
    seconds; any other request is counted in :attr:`refused` and answered 401; a
    request cut short (its sender killed while sending the body) in :attr:`cut`."""

    def __init__(self, secret: str, *, delay: float = 0.0) -> None:
        self.secret = secret
        self.delay = delay
        self.received: list[tuple[str, float]] = []
        self.refused = 0
        self.cut = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing to take
                    with receiver.lock:
                        receiver.cut += 1
                    return
                headers = dict(self.headers.items())
                key = headers.get(channels.IDEMPOTENCY_HEADER, "")
                try:
                    document_id = json.loads(body)["id"]
                except (ValueError, KeyError):
                    document_id = None
                good = channels.verify(receiver.secret, headers, body) and document_id == key
                with receiver.lock:
                    if good:
                        receiver.received.append((key, time.monotonic()))
                    else:
                        receiver.refused += 1
                if good and receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def keys(self) -> Counter[str]:
        with self.lock:
            return Counter(key for key, _ in self.received)

    def times(self, key: str) -> list[float]:
        with self.lock:
            return [at for k, at in self.received if k == key]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def police_endpoint(url: str, secret: str) -> WebhookEndpoint:
    """A police unit with a webhook endpoint at ``url`` signed with ``secret``."""
    unit = PoliceUnitFactory.create(name="Comisaría Webhook", code=f"W{uuid.uuid4().hex[:6]}")
    return WebhookEndpoint.objects.create(
        organisation=unit, url=url, key_id=f"faults-{uuid.uuid4().hex[:8]}", secret=secret
    )


def enqueue_test_messages(endpoint: WebhookEndpoint, count: int, start: int = 0) -> None:
    """Write ``count`` TEST messages to ``endpoint`` through the real path: each row in
    its own transaction, kicked on commit (autocommit: at once)."""
    for n in range(start, start + count):
        relay.enqueue(
            kind=MessageKind.TEST,
            recipient=relay.Recipient(language="es", endpoint=endpoint),
            payload={"n": n},
        )


# --- the broker this process publishes to ---------------------------------------------
def _reset_pools() -> None:
    """Close the pooled broker connections (they belong to the old URL): kombu's
    registry of pools and the Celery app's references to them."""
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def publishing_to(url: str, queue: str) -> Iterator[None]:
    """Make this process's kicks go to ``url`` (with the transport options
    ``config.settings`` would give it), queue ``queue``. Celery reads
    ``CELERY_BROKER_URL`` from the environment before its configuration, so both
    change (unless ``url`` is the configured broker); the old ones come back at the
    end."""
    old_env = os.environ.get("CELERY_BROKER_URL")
    old_queue = celery_app.conf.task_default_queue
    old_url = celery_app.conf.broker_url
    old_options = dict(celery_app.conf.broker_transport_options or {})
    if url != settings.CELERY_BROKER_URL:
        os.environ["CELERY_BROKER_URL"] = url
        celery_app.conf.broker_url = url
        celery_app.conf.broker_transport_options = broker_transport_options(
            url, settings.CELERY_BROKER_CONNECTION_TIMEOUT
        )
    celery_app.conf.task_default_queue = queue
    _reset_pools()
    relay._broker_down_until = 0.0  # kick()'s memory of a failure is about the old broker
    try:
        yield
    finally:
        _reset_pools()
        relay._broker_down_until = 0.0
        if old_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = old_env
        celery_app.conf.broker_url = old_url
        celery_app.conf.task_default_queue = old_queue
        celery_app.conf.broker_transport_options = old_options


def drop_queued(queue: str) -> int:
    """Delete every task message waiting in ``queue`` on the current broker (kombu's
    ``queue_purge``: Redis ``DEL`` of the list, AMQP ``queue.purge``); returns how
    many were dropped. Messages a worker holds unacknowledged are not touched."""
    with celery_app.connection_for_write() as conn:
        channel = conn.channel()
        try:
            return int(channel.queue_purge(queue) or 0)
        finally:
            channel.close()


def forget_queue(url: str, queue: str) -> None:
    """Leave nothing of this run on the broker: the queue and (Redis) the unacked
    messages of killed workers, which kombu would restore an hour later."""
    with celery_app.connection_for_write() as conn:
        channel = conn.channel()
        try:
            if url.startswith("redis"):
                client = channel.client
                for name in client.keys(f"{queue}*"):
                    client.delete(name)
                client.delete("unacked", "unacked_index", "unacked_mutex")
            else:
                channel.queue_delete(queue)
        except Exception as exc:
            print(f"could not clean the broker: {exc!r}")
        finally:
            channel.close()


def ensure_vhost(url: str) -> None:
    """Create the RabbitMQ vhost of this suite (``sg_faults``) if ``rabbitmqctl`` is
    here and it is missing, so no other consumer on the machine shares it."""
    if not url.endswith("/" + AMQP_VHOST):
        return
    try:
        listed = subprocess.run(
            ["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return
    if AMQP_VHOST in listed.stdout.split():
        return
    subprocess.run(["rabbitmqctl", "add_vhost", AMQP_VHOST], capture_output=True, timeout=60)
    subprocess.run(
        ["rabbitmqctl", "set_permissions", "-p", AMQP_VHOST, "guest", ".*", ".*", ".*"],
        capture_output=True,
        timeout=60,
    )


# --- worker and beat processes -----------------------------------------------------------
def process_env(url: str | None, queue: str, **extra: str) -> dict[str, str]:
    """The environment of the worker and beat: this test's database, broker (``None``:
    this process's own) and queue, the relay's fault-test numbers (``RELAY_ENV``) and
    ``extra``."""
    env = {
        **os.environ,
        **({"CELERY_BROKER_URL": url} if url else {}),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SALVAGUARDA_VAR_DIR": str(settings.VAR_DIR),
        "PYTHONUNBUFFERED": "1",
        **RELAY_ENV,
        **extra,
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class Worker:
    """A ``celery worker`` on ``queue`` that can be killed and started again; each
    start logs to ``worker-<n>.log`` under ``log_dir``. Every process group it ever
    started is killed by :meth:`stop_all` (orphaned pool children included)."""

    def __init__(
        self, env: dict[str, str], queue: str, log_dir: Path, concurrency: int = CONCURRENCY
    ) -> None:
        self.env = env
        self.concurrency = concurrency
        self.queue = queue
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.groups: list[int] = []
        self.starts = 0
        self.start_seconds: list[float] = []

    @property
    def log(self) -> Path:
        return self.log_dir / f"worker-{self.starts}.log"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 90) -> None:
        """Start a worker and wait until it consumes (``ready.`` in its log)."""
        self.starts += 1
        began = time.monotonic()
        self.proc = _start(
            [
                "worker",
                "-Q",
                self.queue,
                f"--concurrency={self.concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"faults{self.starts}-{uuid.uuid4().hex[:6]}@%h",
            ],
            self.env,
            self.log,
        )
        self.groups.append(self.proc.pid)
        while time.monotonic() - began < timeout:
            if self.proc.poll() is not None:
                pytest.fail(f"worker exited early:\n{self.log.read_text(errors='replace')}")
            if "ready." in self.log.read_text(errors="replace"):
                self.start_seconds.append(time.monotonic() - began)
                return
            time.sleep(0.1)
        pytest.fail(f"worker did not start:\n{self.log.read_text(errors='replace')}")

    def kill(self, how: str) -> str:
        """SIGKILL ``"all"`` (the process group: main process and pool children),
        ``"main"`` (the main process alone) or ``"child"`` (one pool child, chosen at
        random; falls back to ``"all"`` if it has none). Returns what was killed."""
        assert self.proc is not None
        if how == "child":
            children = _children(self.proc.pid)
            if children:
                os.kill(random.choice(children), signal.SIGKILL)
                return "child"
            how = "all"
        if how == "all":
            os.killpg(self.proc.pid, signal.SIGKILL)
        else:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        return how

    def stop_all(self) -> None:
        for group in self.groups:
            with suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)


@contextmanager
def beat_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``celery beat`` (django-celery-beat's DatabaseScheduler) sending the
    outbox sweep every ``OUTBOX_SWEEP_SECONDS`` of ``env``."""
    proc = _start(["beat", "--loglevel=INFO"], env, log)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def check_deliveries(receiver: Receiver, *, lease: float = LEASE) -> dict[str, int]:
    """The assertions every fault test ends with; returns the counts.

    Every row is ``sent``; every signed request received carries the key of a row; the
    distinct keys received are exactly the rows' keys; and each key received more than
    once was claimed again (``attempts``) and its copy came no sooner than about a
    lease after the first: a relay that died holding it, not two live relays."""
    rows = dict(Message.objects.values_list("idempotency_key", "attempts"))
    keys = {str(k): attempts for k, attempts in rows.items()}
    states = Counter(Message.objects.values_list("state", flat=True))
    assert states == {"sent": len(keys)}, states
    received = receiver.keys()
    assert receiver.refused == 0
    assert set(received) == set(keys)
    repeats = {key: n for key, n in received.items() if n > 1}
    for key, n in repeats.items():
        assert keys[key] >= n, (key, n, keys[key])
        times = sorted(receiver.times(key))
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= lease - 1.5, (key, gaps)
    return {
        "messages": len(keys),
        "receptions": receiver.count(),
        "distinct": len(received),
        "repeats": receiver.count() - len(received),
    }


# --- the test ----------------------------------------------------------------------------
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_nothing_is_lost_when_the_worker_is_killed_again_and_again(
    broker, tmp_path, transactional_db, capsys
):
    """Done-when 1 of issue 9 on ``broker`` (the module's docstring says how)."""
    url = REDIS_URL if broker == "redis" else AMQP_URL
    if broker == "rabbitmq":
        ensure_vhost(url)
    queue = f"faults-{broker}-{uuid.uuid4().hex[:8]}"
    env = process_env(url, queue)
    cycles = WORKER_KILLS + WORKER_KILLS // 3 + 1  # one child kill every fourth cycle
    batch = -(-MESSAGES // cycles)
    secret = secrets.token_urlsafe(48)
    kills: Counter[str] = Counter()
    stalls: Counter[str] = Counter()  # cycles with no delivery, by the kill before them
    previous = "start"
    drops = purges = enqueued = 0
    began = time.monotonic()
    with Receiver(secret) as receiver, publishing_to(url, queue):
        endpoint = police_endpoint(receiver.url, secret)
        worker = Worker(env, queue, tmp_path)
        try:
            with beat_process(env, tmp_path / "beat.log"):
                worker.start()
                cycle = 0
                while kills["all"] + kills["main"] < WORKER_KILLS:
                    cycle += 1
                    # A batch every cycle (while the worker is dead, its messages wait
                    # in the queue); every third cycle they are dropped from it.
                    count = min(batch, MESSAGES - enqueued) if enqueued < MESSAGES else 5
                    enqueue_test_messages(endpoint, count, enqueued)
                    enqueued += count
                    if cycle % 3 == 0:
                        drops += drop_queued(queue)
                        purges += 1
                    if not worker.alive():
                        worker.start()
                    # Kill while it delivers: after it sent something since (re)starting.
                    seen = receiver.count()
                    if not wait_until(lambda seen=seen: receiver.count() > seen, timeout=30):
                        # Nothing delivered for 30 s: after a pool child's SIGKILL the
                        # prefork pool may wedge (celery/celery#2011). Counted and
                        # printed; this cycle's whole-worker kill ends it.
                        stalls[previous] += 1
                    previous = ("all", "all", "main", "child")[cycle % 4]
                    time.sleep(random.uniform(0.02, 0.4))
                    kills[worker.kill(previous)] += 1
                if enqueued < MESSAGES:
                    enqueue_test_messages(endpoint, MESSAGES - enqueued, enqueued)
                    enqueued = MESSAGES
                if not worker.alive():
                    worker.start()
                assert wait_until(
                    lambda: not Message.objects.exclude(state="sent").exists(), timeout=180
                ), "messages still not sent 180 s after the last kill"
                time.sleep(LEASE + 2)  # a late copy from a killed relay would land now
        finally:
            worker.stop_all()
            forget_queue(url, queue)
        counts = check_deliveries(receiver)
    took = time.monotonic() - began
    line = (
        f"\n[faults] {broker}: {counts['messages']} messages, "
        f"{sum(kills.values())} SIGKILLs (whole worker {kills['all']}, main process "
        f"{kills['main']}, pool child {kills['child']}), {drops} broker messages dropped "
        f"in {purges} purges, {counts['receptions']} receptions, {counts['distinct']} "
        f"distinct keys, {counts['repeats']} physical repeats, "
        f"worker start {sum(worker.start_seconds) / len(worker.start_seconds):.1f} s "
        f"on average, {took:.0f} s in all; stalls (30 s without a delivery, by the kill "
        f"before): {dict(stalls) or 'none'}"
    )
    with capsys.disabled():
        print(line)
    assert counts["messages"] >= MESSAGES
    assert kills["all"] + kills["main"] >= WORKER_KILLS
    assert drops > 0
    # Each SIGKILL can interrupt at most the sends in flight (one per pool child).
    assert counts["repeats"] <= sum(kills.values()) * CONCURRENCY


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_pool_child_killed_mid_task_gives_its_message_back(
    broker, tmp_path, transactional_db, capsys
):
    """``acks_late`` + ``reject_on_worker_lost`` (outbox.tasks): when the pool child
    running a delivery is SIGKILLed, the main process rejects the task message and the
    broker hands it out again (the worker logs the same task id received twice). The
    row itself, claimed by the dead child, waits for its lease and the sweep."""
    url = REDIS_URL if broker == "redis" else AMQP_URL
    if broker == "rabbitmq":
        ensure_vhost(url)
    queue = f"faults-child-{broker}-{uuid.uuid4().hex[:8]}"
    env = process_env(url, queue)
    secret = secrets.token_urlsafe(48)
    # The receiver takes its time answering: the child is killed inside the send (the
    # only child: the one running the task).
    with Receiver(secret, delay=3.0) as receiver, publishing_to(url, queue):
        endpoint = police_endpoint(receiver.url, secret)
        worker = Worker(env, queue, tmp_path, concurrency=1)
        try:
            worker.start()
            enqueue_test_messages(endpoint, 1)
            assert wait_until(lambda: receiver.count() == 1, timeout=30)
            assert worker.kill("child") == "child"
            receiver.delay = 0.0  # the next copy is answered at once (below the timeout)
            row = Message.objects.get()
            assert wait_until(lambda: _received_twice(worker.log), timeout=30), (
                worker.log.read_text()
            )
            with beat_process(env, tmp_path / "beat.log"):
                assert wait_until(lambda: Message.objects.get().state == "sent", timeout=60)
            assert worker.alive()
        finally:
            worker.stop_all()
            forget_queue(url, queue)
    row.refresh_from_db()
    assert row.attempts == 2  # the dead child's claim, then the sweep's
    assert len(receiver.keys()) == 1
    task = _received_twice(worker.log)
    with capsys.disabled():
        print(f"\n[faults] {broker}: task {task} given back after its pool child was killed")


def _received_twice(log: Path) -> str:
    """The id of a ``deliver_message`` task the worker logged as received twice, or
    ``""``."""
    received = Counter(
        line.split("[", 2)[2].split("]")[0]
        for line in log.read_text(errors="replace").splitlines()
        if "Task outbox.tasks.deliver_message[" in line and line.endswith("received")
    )
    return next((task for task, n in received.items() if n > 1), "")
