"""Strong sign-in (issue 3, "Login"), with a frozen clock: the lockout (django-axes, 6
failures lock a username for 30 minutes, whatever ``X-Forwarded-For`` says) and the
second factor (django-otp) for the roles that see case data, on the web and the API.

``tests/conftest.py`` turns both off for the rest of the suite; ``secure`` turns them
back on here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.second_factor import requires_second_factor, verify_code
from cases.models import AccessEvent, Role
from demo.almendralejo import (
    ALMENDRALEJO,
    demo_backup_code,
    demo_totp_key,
    demo_totp_secret,
)
from demo.loader import demo_second_factor, logins
from tests.conftest import PASSWORD, make_user
from tests.second_factor import (
    CASES_URL,
    LOGIN_URL,
    VERIFY_URL,
    code_of,
    phone_of,
    wrong_code_for,
)

TOKEN_URL = "/api/v1/auth/token/"
API_CASES = "/api/v1/cases/"
ATTACKER = "198.51.100.7"
VICTIM = "203.0.113.20"


def web_sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def token(api: APIClient, username: str, password: str = PASSWORD, **body):
    return api.post(TOKEN_URL, {"username": username, "password": password, **body})


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- settings -----------------------------------------------------------------------


def test_settings_state_the_lockout_and_the_second_factor():
    assert settings.AXES_FAILURE_LIMIT == 6
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    assert settings.AXES_CLIENT_IP_CALLABLE == "config.proxies.client_ip"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert "django_otp.middleware.OTPMiddleware" in settings.MIDDLEWARE
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE


# --- lockout --------------------------------------------------------------------------


def test_six_web_failures_lock_the_username_for_30_minutes(secure, clock, staff_a):
    client = Client(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        assert web_sign_in(client, "staff.a", "wrong-password").status_code == 200
    sixth = web_sign_in(client, "staff.a", "wrong-password")
    assert sixth.status_code == 429
    assert "locked for 30 minutes" in sixth.content.decode()
    # The right password does not help while the lock lasts, from anywhere.
    clock.shift(timedelta(minutes=1))
    assert web_sign_in(client, "staff.a").status_code == 429
    assert web_sign_in(Client(REMOTE_ADDR=VICTIM), "staff.a").status_code == 429
    assert not signed_in(client)
    clock.shift(timedelta(minutes=28, seconds=59))  # 29:59 after the sixth failure
    assert web_sign_in(client, "staff.a").status_code == 429
    clock.shift(timedelta(minutes=1, seconds=2))  # the 31st minute
    response = web_sign_in(client, "staff.a")
    assert response.status_code == 302
    assert signed_in(client)


def test_six_api_failures_lock_the_username_for_30_minutes(secure, clock, staff_a):
    api = APIClient(REMOTE_ADDR=ATTACKER)
    for _ in range(5):
        assert token(api, "staff.a", "wrong-password").status_code == 400
    sixth = token(api, "staff.a", "wrong-password")
    assert sixth.status_code == 429
    # In the request's language (Spanish by default).
    assert "bloqueada durante 30 minutos" in sixth.json()["detail"]
    clock.shift(timedelta(minutes=1))
    locked = token(APIClient(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en"), "staff.a")
    assert locked.status_code == 429
    assert "locked for 30 minutes" in locked.json()["detail"]
    assert "token" not in locked.json()
    clock.shift(timedelta(minutes=28, seconds=59))
    assert token(api, "staff.a").status_code == 429
    clock.shift(timedelta(minutes=1, seconds=2))
    assert token(api, "staff.a").status_code == 200


def test_the_lock_is_per_username_and_counts_web_and_api_together(secure, clock, staff_a):
    other = make_user("staff.other", staff_a.memberships.get().organisation, Role.STAFF)
    client = Client(REMOTE_ADDR=ATTACKER)
    api = APIClient(REMOTE_ADDR=ATTACKER)
    for _ in range(3):
        web_sign_in(client, "staff.a", "wrong-password")
        token(api, "staff.a", "wrong-password")
    assert token(api, "staff.a").status_code == 429
    # Another account from the same address (a school behind one NAT) is not locked.
    assert token(api, other.username).status_code == 200
    # A variant spelling of the username is the same lock.
    assert token(api, "  STAFF.A ").status_code == 429
    assert token(api, "staff.a").status_code == 429


def test_a_forged_x_forwarded_for_neither_evades_nor_misdirects_the_lock(secure, clock, staff_a):
    victim = make_user("staff.victim", staff_a.memberships.get().organisation, Role.STAFF)
    # Evade: a different forged address on every attempt still locks the username.
    for n in range(6):
        forged = APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
        token(forged, "staff.a", "wrong-password")
    fresh = APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert token(fresh, "staff.a").status_code == 429
    web = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.201")
    assert web_sign_in(web, "staff.a").status_code == 429
    # Misdirect: the attacker named the victim's address; the victim is not locked.
    for _ in range(6):
        forged = APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=VICTIM)
        token(forged, "staff.a", "wrong-password")
    assert token(APIClient(REMOTE_ADDR=VICTIM), victim.username).status_code == 200
    assert web_sign_in(Client(REMOTE_ADDR=VICTIM), victim.username).status_code == 302
    # What axes recorded is the real peer address, never the forged one.
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {ATTACKER}


# --- second factor: who needs it ------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "needs"),
    [
        (Role.SAFEGUARDING_LEAD, True),
        (Role.DEPUTY_LEAD, True),
        (Role.HEAD, True),
        (Role.POLICE_LIAISON, True),
        (Role.AUTHORITY_ADMIN, True),
        (Role.STAFF, False),
    ],
)
def test_the_roles_that_need_a_second_factor(secure, school_a, role, needs):
    user = make_user(f"user.{role}", school_a, role)
    assert requires_second_factor(user) is needs


def test_a_superuser_needs_a_second_factor(secure, db):
    admin = make_user("root", None, None)
    admin.is_superuser = True
    admin.save()
    assert requires_second_factor(admin)


def test_nobody_needs_one_when_it_is_switched_off(settings, lead_a):
    settings.OTP_REQUIRED = False
    assert not requires_second_factor(lead_a)


# --- second factor: web ---------------------------------------------------------------


def test_a_password_only_web_session_cannot_read_case_data(secure, clock, lead_a, case_a):
    device = phone_of(lead_a)
    client = Client()
    response = web_sign_in(client, "lead.a")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY_URL)
    assert signed_in(client)  # password accepted, second factor still due
    reads = AccessEvent.objects.count()
    for url in (CASES_URL, reverse("web:case_detail", args=[case_a.pk]), "/"):
        held = client.get(url)
        assert held.status_code == 302
        assert held["Location"].startswith(VERIFY_URL)
    # Session-authenticated API calls are refused too.
    assert client.get(API_CASES).status_code == 403
    assert client.get(f"{API_CASES}{case_a.pk}/").status_code == 403
    assert AccessEvent.objects.count() == reads  # nothing was read
    # The verify page itself renders; a wrong code is refused.
    assert client.get(VERIFY_URL).status_code == 200
    assert client.post(VERIFY_URL, {"code": "000000"}).status_code == 400
    assert client.get(CASES_URL).status_code == 302
    clock.shift(timedelta(seconds=5))  # past django-otp's throttle after a failure
    verified = client.post(VERIFY_URL, {"code": code_of(device), "next": CASES_URL})
    assert verified.status_code == 302
    assert verified["Location"] == CASES_URL
    assert client.get(CASES_URL).status_code == 200
    assert client.get(API_CASES).status_code == 200
    assert AccessEvent.objects.count() > reads


def test_a_user_without_a_device_cannot_get_past_the_verify_page(secure, clock, lead_a):
    client = Client()
    web_sign_in(client, "lead.a")
    assert client.post(VERIFY_URL, {"code": "123456"}).status_code == 400
    assert client.get(CASES_URL)["Location"].startswith(VERIFY_URL)


def test_staff_need_only_a_password(secure, clock, staff_a):
    client = Client()
    response = web_sign_in(client, "staff.a")
    assert response.status_code == 302
    assert not response["Location"].startswith(VERIFY_URL)
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert client.get(API_CASES).status_code == 200
    api = APIClient()
    issued = token(api, "staff.a")
    assert issued.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    assert api.get("/api/v1/concerns/").status_code == 200


def test_a_backup_code_works_once(secure, clock, lead_a):
    backup = StaticDevice.objects.create(user=lead_a, name="backup", confirmed=True)
    backup.token_set.create(token="spare-code-1")
    first = Client()
    web_sign_in(first, "lead.a")
    assert first.post(VERIFY_URL, {"code": "spare-code-1"}).status_code == 302
    assert first.get(CASES_URL).status_code == 200
    second = Client()
    web_sign_in(second, "lead.a")
    assert second.post(VERIFY_URL, {"code": "spare-code-1"}).status_code == 400
    assert second.get(CASES_URL)["Location"].startswith(VERIFY_URL)
    # Nor over the API.
    assert token(APIClient(), "lead.a", otp_code="spare-code-1").status_code == 400


def test_six_wrong_codes_lock_the_account_and_end_the_session(secure, clock, lead_a):
    phone_of(lead_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    web_sign_in(client, "lead.a")
    for _ in range(5):
        assert client.post(VERIFY_URL, {"code": "000000"}).status_code == 400
    locked = client.post(VERIFY_URL, {"code": "000000"})
    assert locked.status_code == 429
    assert "locked for 30 minutes" in locked.content.decode()
    assert not signed_in(client)
    assert web_sign_in(client, "lead.a").status_code == 429


def test_the_verify_page_goes_nowhere_outside_the_site(secure, clock, lead_a):
    device = phone_of(lead_a)
    client = Client()
    web_sign_in(client, "lead.a")
    response = client.post(VERIFY_URL, {"code": code_of(device), "next": "https://evil.test/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:dashboard")


# --- second factor: API ---------------------------------------------------------------


def test_an_api_token_needs_the_code(secure, clock, lead_a, case_a):
    device = phone_of(lead_a)
    api = APIClient()
    missing = token(api, "lead.a")
    assert missing.status_code == 400
    wrong_code = token(api, "lead.a", otp_code="000000")
    assert wrong_code.status_code == 400
    wrong_password = token(api, "lead.a", "wrong-password", otp_code=code_of(device))
    assert wrong_password.status_code == 400
    # One message for all three: it never says which part was wrong.
    assert missing.json() == wrong_code.json() == wrong_password.json()
    assert "token" not in missing.json()
    clock.shift(timedelta(seconds=5))  # past django-otp's throttle after a failure
    issued = token(api, "lead.a", otp_code=code_of(device))
    assert issued.status_code == 200, issued.json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    assert api.get(f"{API_CASES}{case_a.pk}/").status_code == 200
    # The same code cannot be replayed for a second token.
    assert token(APIClient(), "lead.a", otp_code=code_of(device)).status_code == 400


def test_session_api_calls_need_the_second_factor(secure, clock, lead_a):
    device = phone_of(lead_a)
    api = APIClient()
    assert web_sign_in(api, "lead.a", format="multipart").status_code == 302
    assert api.get("/api/v1/organisations/").status_code == 403
    # The token endpoint stays open to that session: it asks for the code itself.
    assert token(api, "lead.a").status_code == 400
    verified = api.post(VERIFY_URL, {"code": code_of(device)}, format="multipart")
    assert verified.status_code == 302
    assert api.get("/api/v1/organisations/").status_code == 200


# --- the demo's second factor ---------------------------------------------------------


def test_the_demo_second_factor_matches_the_printed_secret(secure, clock, school_a):
    lead = make_user("lead.demo", school_a, Role.SAFEGUARDING_LEAD)
    demo_second_factor(lead)
    assert demo_totp_key("lead.demo").hex() == TOTPDevice.objects.get(user=lead).key
    assert len(demo_totp_secret("lead.demo")) == 32
    code = f"{totp(demo_totp_key('lead.demo')):06d}"
    assert verify_code(lead, code) is not None
    assert verify_code(lead, demo_backup_code("lead.demo")) is not None
    assert verify_code(lead, demo_backup_code("lead.demo")) is None  # used up


def test_the_demo_logins_table_gives_a_second_factor_to_the_roles_that_need_it():
    for login, user in zip(logins(ALMENDRALEJO), ALMENDRALEJO.users, strict=True):
        if user.role == Role.STAFF:
            assert login.totp_secret == login.backup_code == ""
        else:
            assert login.totp_secret == demo_totp_secret(user.username)
            assert login.backup_code == demo_backup_code(user.username)


def test_demo_code_prints_the_code_the_demo_device_accepts(db):
    from io import StringIO

    from django.core.management import call_command
    from django_otp.oath import TOTP

    from demo.almendralejo import demo_totp_key

    out = StringIO()
    call_command("demo_code", "lead.norte", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    assert TOTP(demo_totp_key("lead.norte")).verify(int(code), tolerance=1)
    assert not TOTP(demo_totp_key("lead.sur")).verify(int(code), tolerance=0)


def test_demo_code_refuses_accounts_outside_the_demo(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo_code", "someone.else")


# --- the failure count after a successful sign-in ---------------------------------------


def test_a_complete_sign_in_clears_the_failure_count(secure, clock, staff_a, lead_a):
    """Five typos then a real sign-in: the next typo is the first of a new count."""
    client = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(5):
        web_sign_in(client, "staff.a", "wrong-password")
    assert web_sign_in(client, "staff.a").status_code == 302  # staff: password only
    assert web_sign_in(Client(), "staff.a", "wrong-password").status_code == 200
    assert web_sign_in(Client(), "staff.a").status_code == 302  # not locked

    phone = phone_of(lead_a)
    api = APIClient()
    for _ in range(5):
        token(api, "lead.a", "wrong-password")
    assert token(api, "lead.a", otp_code=code_of(phone)).status_code == 200
    assert token(api, "lead.a", "wrong-password").status_code == 400  # 1 of a new count


def test_the_password_alone_does_not_clear_the_count_of_a_second_factor_user(secure, clock, lead_a):
    """Else whoever holds the password could guess codes forever, five at a time."""
    phone = phone_of(lead_a)
    for _ in range(5):
        client = Client()
        assert web_sign_in(client, "lead.a").status_code == 302  # the password is right
        clock.shift(timedelta(seconds=60))  # past django-otp's throttle
        assert client.post(VERIFY_URL, {"code": wrong_code_for(phone)}).status_code == 400
    client = Client()
    web_sign_in(client, "lead.a")
    clock.shift(timedelta(seconds=120))
    sixth = client.post(VERIFY_URL, {"code": wrong_code_for(phone)})
    assert sixth.status_code == 429


def test_backup_codes_are_accepted_in_capitals(secure, clock, lead_a):
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=lead_a, name="backup", confirmed=True)
    device.token_set.create(token="abcd2345")
    assert verify_code(lead_a, "ABCD 2345") == device
