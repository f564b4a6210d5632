"""Session lifetime and disabled users (issue 3), with a frozen clock: a session ends
after 15 minutes idle and 12 hours after sign-in however active; disabling a user ends
their sessions and tokens at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.sessions import SIGNED_IN_AT
from tests.conftest import PASSWORD

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LOGIN_URL = reverse("web:login")


def dashboard(client: Client):
    return client.get(reverse("web:dashboard"))


def sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


def api_session_get(client: Client):
    return client.get(reverse("api:organisation-list"))


def test_settings_state_the_limits():
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_ABSOLUTE_AGE == 12 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_a_session_ends_after_15_minutes_idle(staff_a):
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(staff_a)
        assert dashboard(client).status_code == 200
        clock.shift(timedelta(minutes=14))
        assert dashboard(client).status_code == 200  # activity moves the expiry on
        clock.shift(timedelta(minutes=16))
        assert sent_to_sign_in(dashboard(client))
        assert api_session_get(client).status_code in (401, 403)


def test_an_idle_session_also_ends_for_the_api(staff_a):
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(staff_a)
        assert api_session_get(client).status_code == 200
        clock.shift(timedelta(minutes=16))
        assert api_session_get(client).status_code in (401, 403)


def test_an_active_session_ends_12_hours_after_sign_in(staff_a):
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(staff_a)
        assert client.session[SIGNED_IN_AT] == int(START.timestamp())
        # A request every 10 minutes for 12 hours: never idle, always signed in.
        for _ in range(12 * 6):
            clock.shift(timedelta(minutes=10))
            assert dashboard(client).status_code == 200
        clock.shift(timedelta(minutes=1))  # 12 h 1 min after sign-in
        response = dashboard(client)
        assert sent_to_sign_in(response)
        # The session was flushed, not merely refused: the next request is anonymous too.
        assert SESSION_KEY not in client.session
        assert sent_to_sign_in(dashboard(client))


def test_the_api_refuses_a_session_past_12_hours(staff_a):
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(staff_a)
        for _ in range(12 * 6):
            clock.shift(timedelta(minutes=10))
            assert api_session_get(client).status_code == 200
        clock.shift(timedelta(minutes=1))
        assert api_session_get(client).status_code in (401, 403)


def test_signing_in_again_starts_a_new_12_hours(staff_a):
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(staff_a)
        clock.shift(timedelta(hours=11, minutes=55))
        response = client.post(LOGIN_URL, {"username": staff_a.username, "password": PASSWORD})
        assert response.status_code == 302
        assert client.session[SIGNED_IN_AT] == int(
            (START + timedelta(hours=11, minutes=55)).timestamp()
        )
        clock.shift(timedelta(minutes=10))
        assert dashboard(client).status_code == 200


def test_a_signed_in_session_without_a_sign_in_time_is_ended(staff_a):
    client = Client()
    client.force_login(staff_a)
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()
    assert sent_to_sign_in(dashboard(client))


def test_a_token_sign_in_stamps_no_session(staff_a):
    client = APIClient()
    response = client.post(
        reverse("api:auth-token"),
        {"username": staff_a.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


# --- Disabling a user ends their access at once ------------------------------------------


def test_disabling_a_user_ends_their_live_web_session(staff_a):
    client = Client()
    client.force_login(staff_a)
    assert dashboard(client).status_code == 200
    staff_a.is_active = False
    staff_a.save()
    assert sent_to_sign_in(dashboard(client))
    assert api_session_get(client).status_code in (401, 403)


def test_disabling_a_user_deletes_and_refuses_their_tokens(staff_a, lead_a):
    _, token = AuthToken.objects.create(staff_a)
    AuthToken.objects.create(lead_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api:organisation-list")).status_code == 200

    staff_a.is_active = False
    staff_a.save()
    assert not AuthToken.objects.filter(user=staff_a).exists()
    assert AuthToken.objects.filter(user=lead_a).count() == 1  # nobody else's
    assert client.get(reverse("api:organisation-list")).status_code == 401


def test_knox_refuses_the_token_of_an_inactive_user_even_if_not_deleted(staff_a):
    """Belt and braces: an ``update()`` bypasses ``post_save``; knox still refuses."""
    _, token = AuthToken.objects.create(staff_a)
    type(staff_a).objects.filter(pk=staff_a.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api:organisation-list")).status_code == 401


def test_a_disabled_user_cannot_sign_in_again(staff_a):
    staff_a.is_active = False
    staff_a.save()
    response = Client().post(LOGIN_URL, {"username": staff_a.username, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    token = APIClient().post(
        reverse("api:auth-token"),
        {"username": staff_a.username, "password": PASSWORD},
        format="json",
    )
    assert token.status_code == 400


@pytest.mark.django_db
def test_saving_an_active_user_keeps_their_tokens(staff_a):
    AuthToken.objects.create(staff_a)
    staff_a.first_name = "Ana"
    staff_a.save()
    assert AuthToken.objects.filter(user=staff_a).count() == 1
