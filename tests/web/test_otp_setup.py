"""Self-service set-up of the second factor (``web:otp_setup``, ``accounts.second_factor``),
with the second factor and the lockout on and a frozen clock: a lead with no device
enrols after the password and then reads cases; a wrong code confirms nothing and counts
towards the lockout; a password-only session never replaces an existing device; a
verified one does, and the old device and old backup codes stop working; the new backup
codes are shown once and work once; each enrolment is audited; the page is never cached
and keeps the strict CSP.
"""

from __future__ import annotations

import json
import re
from base64 import b32encode
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.second_factor import (
    ReplacementRefused,
    pending_device_start,
    totp_enrol,
    verify_code,
)
from cases.audit import SYSTEM
from cases.models import CaseEvent, Membership, Role
from cases.verbs import CaseVerb
from tests.conftest import PASSWORD, make_user
from tests.second_factor import (
    CASES_URL,
    LOGIN_URL,
    VERIFY_URL,
    code_of,
    phone_of,
    wrong_code_for,
)
from tests.test_security_headers import INLINE, assert_strict_policy

SETUP_URL = reverse("web:otp_setup")
BACKUP_CODE = re.compile(r"<li><code>([a-z2-7]{8})</code></li>")


def sign_in(username: str = "lead.a") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(LOGIN_URL, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def verify(client: Client, code: str):
    return client.post(VERIFY_URL, {"code": code})


def pending_of(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


def enrol(client: Client, user):
    """Open the set-up page and confirm with the code of its pending device."""
    assert client.get(SETUP_URL).status_code == 200
    device = pending_of(user)
    response = client.post(SETUP_URL, {"code": code_of(device)})
    assert response.status_code == 200, response.content.decode()[:2000]
    device.refresh_from_db()
    return response, device


def enrolled_events():
    return CaseEvent.objects.filter(verb=CaseVerb.USER_SECOND_FACTOR_ENROLLED)


# --- first enrolment ----------------------------------------------------------------


def test_a_lead_without_a_device_enrols_after_the_password_and_reads_cases(
    secure, clock, lead_a, case_a
):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    signed = client.post(LOGIN_URL, {"username": "lead.a", "password": PASSWORD, "next": CASES_URL})
    assert signed["Location"].startswith(VERIFY_URL)
    # The verify page sends a user with no device on to the set-up page, keeping next.
    onwards = client.get(signed["Location"])
    assert onwards.status_code == 302
    assert onwards["Location"] == f"{SETUP_URL}?next=%2Fcases%2F"
    # Case data stays closed until the second factor is set up.
    assert client.get(CASES_URL)["Location"].startswith(VERIFY_URL)

    page = client.get(onwards["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    device = pending_of(lead_a)
    assert device.name == "Authenticator app"
    secret = b32encode(device.bin_key).decode()
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in body
    assert device.config_url.startswith("otpauth://totp/Salvaguarda%3Alead.a?secret=")
    assert device.config_url.replace("&", "&amp;") in body
    assert "<svg" in body and "<path" in body
    # Reloading the page keeps the same secret (the app may have scanned it already).
    assert client.get(SETUP_URL).status_code == 200
    assert TOTPDevice.objects.filter(user=lead_a).count() == 1

    done = client.post(SETUP_URL, {"code": code_of(device), "next": CASES_URL})
    assert done.status_code == 200
    text = done.content.decode()
    assert "Store these codes now" in text
    assert len(BACKUP_CODE.findall(text)) == 10
    assert f'href="{CASES_URL}"' in text
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(CASES_URL).status_code == 200


def test_the_session_key_changes_when_the_enrolment_verifies_the_session(secure, clock, lead_a):
    client = sign_in()
    client.get(SETUP_URL)
    before = client.session.session_key
    enrol_response = client.post(SETUP_URL, {"code": code_of(pending_of(lead_a))})
    assert enrol_response.status_code == 200
    assert client.session.session_key != before
    assert SESSION_KEY in client.session


def test_a_wrong_code_gives_400_and_confirms_nothing(secure, clock, lead_a):
    client = sign_in()
    client.get(SETUP_URL)
    device = pending_of(lead_a)
    events = enrolled_events().count()
    refused = client.post(SETUP_URL, {"code": wrong_code_for(device)})
    assert refused.status_code == 400
    assert "That code is not valid" in refused.content.decode()
    assert "<svg" in refused.content.decode()  # the form and the code again
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # django-otp's throttle
    assert not StaticDevice.objects.filter(user=lead_a).exists()
    assert enrolled_events().count() == events
    # Counted as a failed sign-in for the lockout.
    assert AccessAttempt.objects.get(username="lead.a").failures_since_start == 1
    assert client.get(CASES_URL)["Location"].startswith(VERIFY_URL)
    # django-otp's throttle: even the right code is refused within the wait...
    assert client.post(SETUP_URL, {"code": code_of(device)}).status_code == 400
    clock.shift(timedelta(seconds=5))
    # ...and accepted after it.
    assert client.post(SETUP_URL, {"code": code_of(device)}).status_code == 200


def test_an_empty_code_gives_400_and_is_not_counted(secure, clock, lead_a):
    client = sign_in()
    client.get(SETUP_URL)
    assert client.post(SETUP_URL, {"code": "  "}).status_code == 400
    assert not AccessAttempt.objects.filter(username="lead.a").exists()
    assert pending_of(lead_a).throttling_failure_count == 0


def test_six_wrong_codes_on_the_set_up_page_lock_the_account(secure, clock, lead_a):
    client = sign_in()
    client.get(SETUP_URL)
    wrong = wrong_code_for(pending_of(lead_a))
    for _ in range(5):
        assert client.post(SETUP_URL, {"code": wrong}).status_code == 400
    locked = client.post(SETUP_URL, {"code": wrong})
    assert locked.status_code == 429
    assert "locked for 30 minutes" in locked.content.decode()
    assert SESSION_KEY not in client.session
    assert not TOTPDevice.objects.filter(user=lead_a, confirmed=True).exists()


def test_a_post_without_a_set_up_in_this_session_writes_nothing(secure, clock, lead_a):
    client = sign_in()
    response = client.post(SETUP_URL, {"code": "123456"})
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP_URL}?next=%2F"
    assert not TOTPDevice.objects.filter(user=lead_a).exists()
    assert not AccessAttempt.objects.filter(username="lead.a").exists()


def test_another_session_never_sees_this_sessions_secret_and_its_set_up_dies(secure, clock, lead_a):
    owner = sign_in()
    other = sign_in()  # someone else holding the password, at the same time
    owner.get(SETUP_URL)
    owner_device = pending_of(lead_a)
    assert other.get(SETUP_URL).status_code == 200
    other_device = TOTPDevice.objects.filter(user=lead_a, confirmed=False).exclude(
        pk=owner_device.pk
    )
    assert other_device.count() == 1
    other_device = other_device.get()
    assert other_device.key != owner_device.key
    owner_secret = b32encode(owner_device.bin_key).decode()
    assert owner_secret[:4] + " " + owner_secret[4:8] not in other.get(SETUP_URL).content.decode()

    _row, _token = AuthToken.objects.create(user=lead_a)
    done = owner.post(SETUP_URL, {"code": code_of(owner_device)})
    assert done.status_code == 200
    # A first enrolment: another session's unfinished set-up replaced nothing, so no
    # "the old one no longer works", no replaced device in the audit, tokens kept.
    assert "no longer works" not in done.content.decode()
    assert enrolled_events().get().data["replaced_devices"] == 0
    assert AuthToken.objects.filter(user=lead_a).exists()
    # The other session's pending device is gone; it now needs the owner's device.
    late = other.post(SETUP_URL, {"code": code_of(other_device)})
    assert late.status_code == 302
    assert not TOTPDevice.objects.filter(pk=other_device.pk).exists()
    assert other.get(SETUP_URL)["Location"].startswith(VERIFY_URL)
    assert list(TOTPDevice.objects.filter(user=lead_a)) == [owner_device]


# --- an existing device -------------------------------------------------------------


def test_a_password_only_session_cannot_reach_set_up_when_a_device_exists(secure, clock, lead_a):
    phone = phone_of(lead_a)
    client = sign_in()
    page = client.get(SETUP_URL)
    assert page.status_code == 302
    assert page["Location"] == f"{VERIFY_URL}?next=%2Faccount%2Ftwo-factor%2F%3Fnext%3D%252F"
    posted = client.post(SETUP_URL, {"code": code_of(phone)})
    assert posted.status_code == 302
    assert posted["Location"].startswith(VERIFY_URL)
    # No pending device, no change to the existing one, no audit row.
    assert list(TOTPDevice.objects.filter(user=lead_a)) == [phone]
    assert TOTPDevice.objects.get(pk=phone.pk).confirmed
    assert not enrolled_events().exists()
    assert client.get(CASES_URL)["Location"].startswith(VERIFY_URL)


def test_a_set_up_started_before_a_device_existed_cannot_replace_it_unverified(
    secure, clock, lead_a
):
    """The service's own guard (the race the page's redirect cannot see)."""
    pending = pending_device_start(user=lead_a, device_id=None)
    phone = phone_of(lead_a)  # enrolled meanwhile (another session, an administrator)
    with pytest.raises(ReplacementRefused):
        totp_enrol(
            user=lead_a,
            device_id=pending.pk,
            code=code_of(pending),
            session_verified=False,
            context=SYSTEM,
        )
    pending.refresh_from_db()
    assert not pending.confirmed
    assert TOTPDevice.objects.get(pk=phone.pk).confirmed
    assert not enrolled_events().exists()


def test_a_verified_user_replaces_the_device_and_the_old_one_stops_working(secure, clock, lead_a):
    old = phone_of(lead_a)
    _row, token = AuthToken.objects.create(user=lead_a)  # issued after the old device
    old_backup = StaticDevice.objects.create(user=lead_a, name="old codes", confirmed=True)
    old_backup.token_set.create(token="oldcode1")
    elsewhere = sign_in()  # another session verified with the old device
    assert verify(elsewhere, code_of(old)).status_code == 302
    clock.shift(timedelta(seconds=30))
    client = sign_in()
    assert verify(client, code_of(old)).status_code == 302
    page = client.get(SETUP_URL)
    assert page.status_code == 200
    assert "already has an authenticator app" in page.content.decode()

    done, new = enrol(client, lead_a)
    assert "The old one no longer works" in done.content.decode()
    assert list(TOTPDevice.objects.filter(user=lead_a)) == [new]
    assert not StaticDevice.objects.filter(pk=old_backup.pk).exists()
    assert client.get(CASES_URL).status_code == 200
    # The session verified with the old device is held at the verify page again, and
    # the API token issued in the old device's time is revoked.
    assert elsewhere.get(CASES_URL)["Location"].startswith(VERIFY_URL)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/cases/").status_code == 401
    assert not AuthToken.objects.filter(user=lead_a).exists()

    clock.shift(timedelta(seconds=30))
    assert verify_code(lead_a, code_of(old)) is None
    assert verify_code(lead_a, "oldcode1") is None
    fresh = sign_in()
    assert verify(fresh, code_of(old)).status_code == 400
    clock.shift(timedelta(seconds=5))  # past the throttle after that failure
    assert verify(fresh, code_of(new)).status_code == 302
    assert fresh.get(CASES_URL).status_code == 200


def test_a_user_who_needs_no_second_factor_verifies_before_replacing_a_device(
    secure, clock, staff_a
):
    phone = phone_of(staff_a)
    client = sign_in("staff.a")
    page = client.get(SETUP_URL)
    assert page["Location"].startswith(VERIFY_URL)
    # The verify page takes the code (staff are not sent there otherwise).
    assert client.get(page["Location"]).status_code == 200
    back = client.post(page["Location"], {"code": code_of(phone)})
    assert back.status_code == 302
    assert back["Location"] == f"{SETUP_URL}?next=%2F"
    assert client.get(back["Location"]).status_code == 200


# --- backup codes -------------------------------------------------------------------


def test_the_backup_codes_are_shown_once_and_each_works_once(secure, clock, lead_a):
    client = sign_in()
    done, _ = enrol(client, lead_a)
    codes = BACKUP_CODE.findall(done.content.decode())
    assert len(set(codes)) == 10
    backup = StaticDevice.objects.get(user=lead_a)
    assert backup.name == "backup" and backup.confirmed
    assert sorted(backup.token_set.values_list("token", flat=True)) == sorted(codes)
    # Shown once: the set-up page afterwards shows none of them.
    again = client.get(SETUP_URL).content.decode()
    assert not any(code in again for code in codes)

    first = sign_in()
    assert verify(first, codes[0]).status_code == 302
    assert first.get(CASES_URL).status_code == 200
    second = sign_in()
    assert verify(second, codes[0]).status_code == 400
    clock.shift(timedelta(seconds=5))
    assert verify(second, codes[1]).status_code == 302


# --- audit --------------------------------------------------------------------------


def test_each_enrolment_writes_one_audit_row_per_organisation(
    secure, clock, lead_a, school_a, school_b
):
    Membership.objects.create(user=lead_a, organisation=school_b, role=Role.DEPUTY_LEAD)
    client = sign_in()
    _, device = enrol(client, lead_a)
    rows = list(enrolled_events().order_by("school_id"))
    assert [r.school_id for r in rows] == sorted([school_a.pk, school_b.pk])
    for row in rows:
        assert row.case_id is None
        assert row.actor_id == lead_a.pk
        assert row.object_type == "totpdevice"
        assert row.object_id == device.pk
        assert row.data == {"replaced_devices": 0, "backup_codes": 10, "revoked_tokens": 0}
        stored = json.dumps(row.data)
        assert device.key not in stored
        assert b32encode(device.bin_key).decode() not in stored
    assert {r.actor_role for r in rows} == {Role.SAFEGUARDING_LEAD, Role.DEPUTY_LEAD}

    # A replacement from the verified session is audited too, counting what it replaced.
    clock.shift(timedelta(seconds=30))
    _, replacement = enrol(client, lead_a)
    latest = enrolled_events().filter(object_id=replacement.pk)
    assert latest.count() == 2
    assert {r.data["replaced_devices"] for r in latest} == {1}

    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK:")


def test_a_user_with_no_organisation_enrols_with_one_audit_row_of_no_school(secure, clock, db):
    root = make_user("root", None, None)
    root.is_superuser = True
    root.save()
    client = sign_in("root")
    _, device = enrol(client, root)
    assert device.confirmed
    row = enrolled_events().get()
    assert (row.school_id, row.actor_id, row.object_id) == (None, root.pk, device.pk)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK:")


# --- access, caching, headers -------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in():
    for response in (Client().get(SETUP_URL), Client().post(SETUP_URL, {"code": "123456"})):
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)
    assert not TOTPDevice.objects.exists()


def test_the_page_showing_a_secret_is_never_cached_and_keeps_the_strict_csp(secure, clock, lead_a):
    client = sign_in()
    page = client.get(SETUP_URL)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert_strict_policy(page)
    body = page.content.decode()
    # The QR code is inline SVG, with nothing the CSP would block.
    assert re.search(r'<div class="qr-code"[^>]*><svg [^>]*viewBox="0 0 \d+ \d+"', body)
    for pattern, what in INLINE:
        assert not pattern.search(body), what
    done = client.post(SETUP_URL, {"code": code_of(pending_of(lead_a))})
    assert done.status_code == 200
    assert done["Cache-Control"] == "no-store"
    assert_strict_policy(done)


def test_the_navigation_links_to_the_set_up_page(staff_a):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff_a)
    body = client.get(reverse("web:dashboard")).content.decode()
    assert f'href="{SETUP_URL}"' in body
    assert "Two-factor authentication" in body


def test_the_set_up_page_speaks_spanish(secure, clock, lead_a):
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.post(LOGIN_URL, {"username": "lead.a", "password": PASSWORD})
    body = client.get(SETUP_URL).content.decode()
    assert "Verificación en dos pasos" in body
    assert "Escanee este código con la aplicación" in body
