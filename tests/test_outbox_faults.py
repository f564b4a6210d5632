"""The fast subset of the fault suite (issue 9, done-when 3), in ``make test``: the
relay's lease, and a real worker on the suite's broker (``CELERY_BROKER_URL``: Redis in
CI, else the filesystem transport) killed with SIGKILL while it delivers, or never
given the task message at all (dropped from the queue). ``make faults``
(tests/faults/test_worker_kills.py) does the same at scale on Redis and RabbitMQ.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from outbox import channels, relay
from outbox.kinds import MessageKind
from outbox.models import Message
from tests.e2e.conftest import wait_for
from tests.faults.test_worker_kills import (
    Receiver,
    Worker,
    beat_process,
    check_deliveries,
    drop_queued,
    enqueue_test_messages,
    police_endpoint,
    process_env,
    publishing_to,
)

MS = Message.State


class Killed(BaseException):
    """The process died here (nothing after it runs, no ``except Exception`` sees it)."""


def _row_to(user) -> Message:
    return relay.enqueue(
        kind=MessageKind.TEST,
        recipient=relay.Recipient(language="es", user=user),
        subject="Prueba",
        body="Prueba",
    )


# --- the lease, with the relay called as the worker calls it ------------------------------
@pytest.mark.django_db
def test_a_row_whose_relay_died_is_claimed_again_after_its_lease_and_not_before(
    lead_a, mailoutbox, monkeypatch
):
    row = _row_to(lead_a)
    now = timezone.now()
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)

    def die(message, address):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(channels, "send_email", die)
        with pytest.raises(Killed):
            relay.deliver(row.pk, now=now)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (MS.SENDING, 1)

    # While the lease runs, neither the sweep nor a redelivered task touches it.
    assert relay.sweep(now=now + lease - timedelta(seconds=1))[relay.SENT] == 0
    assert relay.deliver(row.pk, now=now + lease - timedelta(seconds=1)) == relay.SKIPPED
    row.refresh_from_db()
    assert (row.state, row.attempts, len(mailoutbox)) == (MS.SENDING, 1, 0)

    # Once it has run out, the sweep sends it, once.
    assert relay.sweep(now=now + lease + timedelta(seconds=1))[relay.SENT] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, len(mailoutbox)) == (MS.SENT, 2, 1)
    assert relay.deliver(row.pk, now=now + 2 * lease) == relay.SKIPPED
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_relay_that_outlived_its_lease_does_not_overwrite_the_new_claim(
    lead_a, mailoutbox, monkeypatch
):
    """The outcome is recorded under the claim's token only: a relay slower than its
    lease (the accepted repeat, ADR 0010) cannot mark the new claim's row."""
    row = _row_to(lead_a)
    now = timezone.now()
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    taken_over = []

    def slow_send(message, address):
        if not taken_over:  # meanwhile the lease runs out and another relay claims it
            taken_over.append(
                Message.objects.filter(pk=message.pk).update(
                    claim_token=uuid.uuid4(), claimed_until=now + 3 * lease
                )
            )

    monkeypatch.setattr(channels, "send_email", slow_send)
    assert relay.deliver(row.pk, now=now) == relay.SENT
    row.refresh_from_db()
    assert row.state == MS.SENDING  # left to the relay that holds the claim now


# --- real worker processes ------------------------------------------------------------------
@pytest.fixture
def fault_env(tmp_path, transactional_db):
    """A queue of the test's own on the suite's broker, and the worker's environment
    (lease 5 s, sweep every second)."""
    queue = f"faults-fast-{uuid.uuid4().hex[:8]}"
    with publishing_to(settings.CELERY_BROKER_URL, queue):
        yield {"queue": queue, "env": process_env(None, queue), "dir": tmp_path}


@pytest.mark.e2e
def test_a_worker_killed_while_delivering_loses_nothing(fault_env):
    secret = secrets.token_urlsafe(48)
    with Receiver(secret, delay=0.05) as receiver:
        endpoint = police_endpoint(receiver.url, secret)
        worker = Worker(fault_env["env"], fault_env["queue"], fault_env["dir"])
        try:
            with beat_process(fault_env["env"], fault_env["dir"] / "beat.log"):
                worker.start()
                enqueue_test_messages(endpoint, 20)
                wait_for(receiver.count, timeout=30, interval=0.02, what="a first delivery")
                assert worker.kill("all") == "all"  # mid-delivery: 20 take ~0.5 s or more
                assert Message.objects.exclude(state=MS.SENT).exists()
                worker.start()
                wait_for(
                    lambda: not Message.objects.exclude(state=MS.SENT).exists(),
                    timeout=60,
                    what="every message to be sent after the kill",
                )
                time.sleep(1)
        finally:
            worker.stop_all()
        counts = check_deliveries(receiver)
    assert counts["messages"] == counts["distinct"] == 20
    assert counts["repeats"] <= 2  # at most the two sends in flight when it died


@pytest.mark.e2e
def test_a_task_message_dropped_from_the_broker_is_delivered_by_the_sweep(fault_env):
    secret = secrets.token_urlsafe(48)
    with Receiver(secret) as receiver:
        endpoint = police_endpoint(receiver.url, secret)
        enqueue_test_messages(endpoint, 3)  # no worker yet: the task messages wait...
        assert drop_queued(fault_env["queue"]) >= 3  # ...and are lost
        worker = Worker(fault_env["env"], fault_env["queue"], fault_env["dir"])
        try:
            with beat_process(fault_env["env"], fault_env["dir"] / "beat.log"):
                worker.start()
                wait_for(
                    lambda: not Message.objects.exclude(state=MS.SENT).exists(),
                    timeout=60,
                    what="the sweep to send the messages whose task was dropped",
                )
        finally:
            worker.stop_all()
        counts = check_deliveries(receiver)
    assert counts["messages"] == counts["distinct"] == counts["receptions"] == 3
    assert "outbox sweep: {'sent': " in worker.log.read_text()
