"""One client address for the sign-in throttle, the lockout and the audit
(``config.proxies.client_ip``; issue 7, "Done when" 3): a forged ``X-Forwarded-For``
moves none of them; the header of a declared, trusted proxy moves all of them."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from cases.models import AccessEvent
from config.proxies import client_ip
from tests.conftest import PASSWORD, client_for
from tests.second_factor import LOGIN_URL

TOKEN_URL = "/api/v1/auth/token/"
PEER = "198.51.100.7"
PROXY = "10.0.0.5"
CLIENT_1 = "203.0.113.20"
CLIENT_2 = "203.0.113.21"
RATE = 10  # API_AUTH_THROTTLE_RATE's default, 10/min


def meta(remote: str | None = PEER, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote} if remote is not None else {}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **extra)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    return request


# --- The function ---------------------------------------------------------------------


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(meta(forwarded="192.0.2.1")) == PEER
    assert client_ip(meta(forwarded="192.0.2.1, 192.0.2.2")) == PEER
    assert client_ip(meta(remote=None, forwarded="192.0.2.1")) is None


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, CLIENT_1, CLIENT_1),
        # What the client itself wrote stands left of what our proxy appended.
        (1, f"192.0.2.99, {CLIENT_1}", CLIENT_1),
        (1, f"192.0.2.99,{CLIENT_1} ", CLIENT_1),
        (2, f"192.0.2.99, {CLIENT_1}, {PROXY}", CLIENT_1),
        # Fewer entries than proxies, or not an address: not believed.
        (2, CLIENT_1, PEER),
        (1, "", PEER),
        (1, "unknown", PEER),
        (1, f"{CLIENT_1}, not-an-ip", PEER),
        # Normalised like the audit stores it.
        (1, "2001:DB8::0001", "2001:db8::1"),
    ],
)
def test_a_trusted_proxy_names_the_client(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_HOPS = hops
    settings.TRUSTED_PROXY_NETWORKS = []
    assert client_ip(meta(forwarded=forwarded)) == expected


def test_the_header_is_believed_only_from_the_proxies_networks(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    assert client_ip(meta(remote=PROXY, forwarded=CLIENT_1)) == CLIENT_1
    # A client reaching the web process directly cannot use the header.
    assert client_ip(meta(remote=PEER, forwarded=CLIENT_1)) == PEER


def test_a_bad_proxy_network_stops_the_start():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "TRUSTED_PROXY_NETWORKS": "10.0.0.0/8,not-a-network",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXY_NETWORKS" in result.stderr


# --- The sign-in throttle -------------------------------------------------------------


def exhaust(api_for, username: str) -> None:
    for _ in range(RATE):
        api_for().post(TOKEN_URL, {"username": username, "password": "wrong"})


def test_a_forged_header_does_not_move_the_api_throttle_key(settings, staff_a):
    settings.TRUSTED_PROXY_HOPS = 0
    exhaust(lambda: APIClient(REMOTE_ADDR=PEER), "staff.a")
    assert (
        APIClient(REMOTE_ADDR=PEER)
        .post(TOKEN_URL, {"username": "staff.a", "password": PASSWORD})
        .status_code
        == 429
    )
    for n in range(5):
        forged = APIClient(REMOTE_ADDR=PEER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
        response = forged.post(TOKEN_URL, {"username": "staff.a", "password": PASSWORD})
        assert response.status_code == 429, n


def test_a_forged_header_does_not_move_the_web_throttle_key(settings, staff_a):
    settings.TRUSTED_PROXY_HOPS = 0
    exhaust(lambda: APIClient(REMOTE_ADDR=PEER), "staff.a")
    for n in range(5):
        forged = Client(REMOTE_ADDR=PEER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
        response = forged.post(LOGIN_URL, {"username": "staff.a", "password": PASSWORD})
        assert response.status_code == 429, n


def test_a_trusted_proxys_header_moves_the_throttle_key(settings, staff_a):
    settings.TRUSTED_PROXY_HOPS = 1

    def via_proxy(address: str) -> APIClient:
        return APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)

    exhaust(lambda: via_proxy(CLIENT_1), "staff.a")
    assert via_proxy(CLIENT_1).post(TOKEN_URL, {"username": "staff.a"}).status_code == 429
    # Another pupil's school behind the same proxy is another client: not throttled.
    ok = via_proxy(CLIENT_2).post(TOKEN_URL, {"username": "staff.a", "password": PASSWORD})
    assert ok.status_code == 200


# --- The lockout and the audit --------------------------------------------------------


def test_the_lockout_and_the_audit_record_the_trusted_client(settings, secure, staff_a, case_a):
    settings.TRUSTED_PROXY_HOPS = 1
    via_proxy = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.9, {CLIENT_1}")
    via_proxy.post(TOKEN_URL, {"username": "staff.a", "password": "wrong"})
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_1}
    # The audit of a read, for a lead past the second factor (a forced sign-in has none).
    settings.OTP_REQUIRED = False

    lead = case_a.lead
    api = client_for(lead)
    api.get(f"/api/v1/cases/{case_a.pk}/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT_2)
    assert AccessEvent.objects.filter(actor=lead).latest("pk").ip == CLIENT_2


def test_the_lockout_and_the_audit_ignore_a_forged_header(settings, secure, staff_a, case_a):
    settings.TRUSTED_PROXY_HOPS = 0
    forged = APIClient(REMOTE_ADDR=PEER, HTTP_X_FORWARDED_FOR=CLIENT_1)
    forged.post(TOKEN_URL, {"username": "staff.a", "password": "wrong"})
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PEER}
    # The audit of a read, for a lead past the second factor (a forced sign-in has none).
    settings.OTP_REQUIRED = False

    lead = case_a.lead
    client_for(lead).get(
        f"/api/v1/cases/{case_a.pk}/", REMOTE_ADDR=PEER, HTTP_X_FORWARDED_FOR=CLIENT_2
    )
    assert AccessEvent.objects.filter(actor=lead).latest("pk").ip == PEER
