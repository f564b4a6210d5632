"""Requests through Django's test ``Client``: a client signed in the production way,
one checked GET, a GET with its query count, a timed series of GETs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.report import percentile

if TYPE_CHECKING:
    import argparse

    from django.test import Client

    from cases.models import User


# The test client's response: an ``HttpResponse`` with ``.json()`` added by the client.
TestResponse = Any


@dataclass
class Timing:
    """``samples_ms`` of ``url`` for ``user``, with the queries of one request."""

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


def signed_in(user: User) -> Client:
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


def get_ok(client: Client, url: str) -> TestResponse:
    """GET ``url``; raises ``RuntimeError`` unless it answers 200."""
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} returned {response.status_code}, expected 200")
    return response


def count_queries(client: Client, url: str) -> tuple[int, TestResponse]:
    """The number of SQL queries of one GET of ``url``, and its response."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = get_ok(client, url)
    return len(captured.captured_queries), response


def time_endpoint(
    client: Client, name: str, user: str, url: str, rows: str, args: argparse.Namespace
) -> Timing:
    """``args.warmup`` untimed GETs, one counted, then ``args.requests`` timed ones."""
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


def api_rows(response: TestResponse) -> int:
    """The number of results in a paginated API response."""
    return len(response.json()["results"])
