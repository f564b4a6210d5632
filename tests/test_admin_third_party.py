"""The admins that third-party apps register by themselves (``accounts.admin_third_party``),
over HTTP, as a superuser with no membership (``root``): nothing of django-otp or knox is
reachable; axes lockouts and celery-beat periodic tasks are shown read-only; nothing else
slipped in.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from cases.models import User
from tests.conftest import PASSWORD

ADMIN = reverse("admin:index")

# Every model the admin shows, each one decided on (see ``accounts.admin_third_party``). A
# new dependency that registers its own admin fails here until someone decides.
EXPECTED_ADMIN_MODELS = {
    "cases.User",
    "cases.Organisation",
    "cases.Case",
    "cases.DenialEvent",  # read-only, for operators with view_denialevent (issue 7)
    "auth.Group",
    "reporting.Platform",
    "reporting.LegalBasis",
    "reporting.RemovalRoute",  # the victims' own removal routes (issue 10)
    "reporting.Referral",
    "reporting.TakedownRequest",
    "outbox.WebhookEndpoint",  # police systems' signed webhooks (issue 9)
    "axes.AccessAttempt",  # read-only
    "django_celery_beat.PeriodicTask",  # read-only
}


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser(
        username="root", password=PASSWORD, email="root@example.org"
    )


def admin_client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def admin_urls(model, pk: int) -> list[str]:
    """Every admin URL Django would give ``model`` (and django-otp's TOTP ``config``)."""
    base = f"{ADMIN}{model._meta.app_label}/{model._meta.model_name}/"
    return [
        f"{ADMIN}{model._meta.app_label}/",
        base,
        f"{base}add/",
        f"{base}{pk}/",
        f"{base}{pk}/change/",
        f"{base}{pk}/delete/",
        f"{base}{pk}/history/",
        f"{base}{pk}/config/",
        f"{base}{pk}/qrcode/",
    ]


def test_the_admin_shows_only_the_models_decided_on():
    assert {model._meta.label for model in admin.site._registry} == EXPECTED_ADMIN_MODELS


def test_no_second_factor_or_token_model_is_reachable_in_the_admin(root, lead_a):
    totp = TOTPDevice.objects.create(user=lead_a, name="phone", confirmed=True)
    static = StaticDevice.objects.create(user=lead_a, name="backup", confirmed=True)
    StaticToken.objects.create(device=static, token="secret12")
    token = AuthToken.objects.create(user=lead_a)[0]
    client = admin_client(root)
    objects = {TOTPDevice: totp.pk, StaticDevice: static.pk, StaticToken: 1, AuthToken: token.pk}
    models = [
        model
        for label in ("otp_totp", "otp_static", "knox")
        for model in apps.get_app_config(label).get_models()
    ]
    assert set(objects) <= set(models)
    for model in models:
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for url in admin_urls(model, objects.get(model, 1)):
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"token": "mine1234", "device": static.pk}).status_code == 404
    # Nobody added a backup code to the lead through the admin.
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["secret12"]
    index = client.get(ADMIN).content.decode()
    assert "otp_totp" not in index and "otp_static" not in index and "knox" not in index


def test_lockouts_are_shown_read_only_and_cannot_be_unlocked_in_the_admin(root):
    attempt = AccessAttempt.objects.create(
        username="lead.a",
        ip_address="192.0.2.7",
        user_agent="curl",
        path_info="/accounts/login/",
        get_data="",
        post_data="username=lead.a&password=********",
        failures_since_start=6,
        attempt_time=timezone.now(),
    )
    client = admin_client(root)
    base = f"{ADMIN}axes/accessattempt/"
    listing = client.get(base)
    assert listing.status_code == 200
    assert "lead.a" in listing.content.decode()
    page = client.get(f"{base}{attempt.pk}/change/")
    assert page.status_code == 200
    assert "post_data" not in page.context["adminform"].readonly_fields
    assert "password=" not in page.content.decode()
    # No unlock: no delete page, no delete or clean-up action, no edit.
    assert client.get(f"{base}{attempt.pk}/delete/").status_code == 403
    assert client.post(f"{base}{attempt.pk}/delete/", {"post": "yes"}).status_code == 403
    assert (
        client.post(f"{base}{attempt.pk}/change/", {"failures_since_start": 0}).status_code == 403
    )
    for action in ("delete_selected", "cleanup_expired_attempts"):
        client.post(base, {"action": action, "_selected_action": [attempt.pk], "post": "yes"})
    attempt.refresh_from_db()
    assert attempt.failures_since_start == 6
    # The sign-in logs are not in the admin at all.
    for model in (AccessLog, AccessFailureLog):
        assert client.get(f"{ADMIN}axes/{model._meta.model_name}/").status_code == 404


def test_the_deadline_sweep_schedule_is_shown_read_only(root):
    every = IntervalSchedule.objects.create(every=120, period=IntervalSchedule.SECONDS)
    sweep = PeriodicTask.objects.create(
        name="deadline-sweep", task="reporting.tasks.deadline_sweep", interval=every
    )
    client = admin_client(root)
    base = f"{ADMIN}django_celery_beat/periodictask/"
    assert "deadline-sweep" in client.get(base).content.decode()
    assert client.get(f"{base}{sweep.pk}/change/").status_code == 200
    change = {"name": "deadline-sweep", "task": sweep.task, "enabled": "", "interval": every.pk}
    assert client.post(f"{base}{sweep.pk}/change/", change).status_code == 403
    assert client.post(f"{base}{sweep.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{base}add/", change).status_code == 403
    for action in ("disable_tasks", "toggle_tasks", "delete_selected"):
        client.post(base, {"action": action, "_selected_action": [sweep.pk], "post": "yes"})
    sweep.refresh_from_db()
    assert sweep.enabled
    # The schedules themselves are not editable anywhere in the admin.
    interval_page = f"{ADMIN}django_celery_beat/intervalschedule/{every.pk}/change/"
    assert client.post(interval_page, {"every": 86400, "period": "seconds"}).status_code == 404
    every.refresh_from_db()
    assert every.every == 120
