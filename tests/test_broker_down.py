"""Issue 9, done-when 2, the fast half (the slow half, with the broker coming back, is
tests/faults/test_broker_down.py): with the broker down or silent, sending a referral
through the API answers 200 at once, the referral is sent and audited once, and its
notices wait in the outbox (``pending``, no attempt made).

A real failed connection, not a mock: the Celery app of this process publishes to a
port nothing listens on (connection refused), or to a socket that accepts the connection
and never answers (a hung broker), on Redis and on AMQP. Transactional: the kick runs on
commit, as in production.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from cases.models import CaseEvent
from outbox.models import Message, WebhookEndpoint
from reporting.models import Referral
from tests.conftest import client_for
from tests.factories import ReferralFactory
from tests.faults.test_worker_kills import publishing_to

pytestmark = pytest.mark.django_db(transaction=True)

# connection timeout (2 s, config.settings) + the request's own work, on a busy machine.
MAX_SECONDS = 4.0


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


def _send_referral(case_a, lead_a, police_unit, broker_url: str) -> tuple[Referral, float]:
    referral = ReferralFactory.create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="Denuncia",
        legal_basis="legal_obligation",
        shared_sections=["chronology"],
    )
    with publishing_to(broker_url, "broker-down"):
        began = time.monotonic()
        response = client_for(lead_a).post(f"/api/v1/referrals/{referral.pk}/send/")
        took = time.monotonic() - began
    assert response.status_code == 200, response.content
    return referral, took


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
@pytest.mark.parametrize("broker", ["down", "silent"])
def test_a_referral_sent_while_the_broker_is_unreachable_is_saved_and_waits(
    scheme, broker, closed_port, silent_port, case_a, lead_a, police_unit, police
):
    WebhookEndpoint.objects.create(
        organisation=police_unit, url="https://police.example/hook", key_id="pol1", secret="s"
    )
    port = closed_port if broker == "down" else silent_port
    url = (
        f"redis://127.0.0.1:{port}/0"
        if scheme == "redis"
        else f"amqp://guest:guest@127.0.0.1:{port}//"
    )

    referral, took = _send_referral(case_a, lead_a, police_unit, url)

    assert took < MAX_SECONDS, f"the request waited {took:.1f} s on the {broker} broker"
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert CaseEvent.objects.filter(verb="referral.sent", object_id=referral.pk).count() == 1
    rows = Message.objects.filter(about_id=referral.pk, kind="referral-notice")
    # One e-mail to the unit's liaison, one signed webhook: both wait, untried.
    assert sorted(rows.values_list("channel", "state", "attempts")) == [
        ("email", "pending", 0),
        ("webhook", "pending", 0),
    ]
