"""What the admin site keeps of the admins that third-party apps register by themselves
(``autodiscover``), decided app by app. Applied by ``accounts.admin_apps`` once every app has
registered. The rule: nothing in the admin may read a secret, act as someone else, or
write without an audit row (DESIGN rule 3); account powers change only through
``accounts.admin.UserAdmin`` and ``accounts.services``, which audit them.

- django-otp (``otp_totp``, ``otp_static``): removed. Its admins show every user's TOTP
  key and QR code and every backup code in clear, and let an operator add a device or a
  code to anyone, then sign in as them, unaudited. There is no admin path to devices at
  all: a user enrols their own at ``/account/two-factor/`` (``accounts.second_factor``); a
  lost phone is reset with ``manage.py reset_second_factor <username>``
  (``accounts.services.second_factor_reset``, audited).
- knox (API tokens): removed. The list shows who holds live tokens and lets an operator
  delete them unaudited; a token's digest is of no use to read. Tokens end through
  audited account changes: disabling the user, setting their password, resetting their
  second factor.
- django-axes: lockouts (``AccessAttempt``) stay, read-only, without the submitted form
  data: an operator can see who is locked out and until when. Unlocking (deleting the
  attempt, axes' list action) is not offered here: it is done from a shell with
  ``manage.py axes_reset_username <username>`` by someone who holds the server. The
  sign-in logs (``AccessLog``, ``AccessFailureLog``: every sign-in's address and
  browser) are removed: more personal data than seeing a lockout needs.
- django-celery-beat: periodic tasks stay, read-only (name, task, schedule, last run), so
  an operator can see that the deadline sweep runs. The schedule itself is code
  (``CELERY_BEAT_SCHEDULE``, copied to the database when beat starts): deadlines are law
  (DESIGN rule 5), so nobody switches the sweep off or slows it down from a form, and
  the schedule admins (intervals, crontabs, solar, clocked) are removed.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from cases.admin_site import ReadOnlyAdminMixin

REMOVED = (
    TOTPDevice,
    StaticDevice,
    StaticToken,
    AuthToken,
    AccessLog,
    AccessFailureLog,
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    SolarSchedule,
)


# ``Any``: the models of axes and django-celery-beat have no type information.
class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Any]):
    """Viewing only (Django's ``view`` permission): no add, change, delete or action."""


# django-axes has no type information: its admin is ``Any`` to mypy.
class LockoutAdmin(ReadOnlyAdmin, AccessAttemptAdmin):  # type: ignore[misc]
    """axes' view of failed sign-ins and lockouts, read-only, without the "Form Data"
    section (what was typed into the sign-in form)."""

    fieldsets = tuple(
        fieldset
        for fieldset in AccessAttemptAdmin.fieldsets
        if "post_data" not in fieldset[1]["fields"]
    )


class PeriodicTaskAdmin(ReadOnlyAdmin):
    list_display = ("name", "task", "enabled", "interval", "crontab", "last_run_at")
    fields = (
        "name",
        "task",
        "enabled",
        "interval",
        "crontab",
        "one_off",
        "start_time",
        "last_run_at",
        "total_run_count",
        "date_changed",
        "description",
    )
    readonly_fields = fields


REPLACED = {AccessAttempt: LockoutAdmin, PeriodicTask: PeriodicTaskAdmin}


def restrict_third_party_admins(site: admin.AdminSite) -> None:
    """Remove the admins of ``REMOVED`` and replace those of ``REPLACED`` on ``site``
    (see the module docstring for why, app by app). Call after ``autodiscover``."""
    for model in (*REMOVED, *REPLACED):
        if site.is_registered(model):
            site.unregister(model)
    for model, model_admin in REPLACED.items():
        site.register(model, model_admin)
