"""What the sign-in tests share: the clock's start and the codes an authenticator app
would show (the ``secure`` and ``clock`` fixtures are in ``tests/conftest.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LOGIN_URL = reverse("web:login")
VERIFY_URL = reverse("web:otp_verify")
CASES_URL = reverse("web:case_list")


def code_of(device: TOTPDevice, steps: int = 0) -> str:
    """The code the authenticator app shows now (``steps`` periods later) for ``device``."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps)
    return f"{value:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A 6-digit code the device refuses now (not one of the codes its tolerance takes)."""
    taken = {code_of(device, s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in taken)


def phone_of(user) -> TOTPDevice:
    """A confirmed authenticator app for ``user``."""
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
