"""The second factor (issue 3, "Login"): who must pass it, checking a code, and the
self-service enrolment of an authenticator app. No HTTP here: the pages are
``web.otp`` and ``web.otp_setup``, the gate for unverified sessions is
``accounts.middleware.OTPRequiredMiddleware``, the API's is
``api.permissions.IsVerifiedWhenRequired``.

Who: a TOTP device (authenticator app, 6 digits) or a one-use static backup code
(django-otp) is required for safeguarding leads, deputies, heads, police liaisons,
authority admins (``OTP_ROLES``, from ``cases.permissions``), staff users (``is_staff``:
the admin site) and superusers, on the web and the API, while the setting
``OTP_REQUIRED`` is on (the default). Staff (teachers) need only a password. After the
password the web session is signed in but *unverified* until a code passes; the API's
token sign-in asks for the code with the password, so a token request is verified by
construction.

Who may enrol (the rule the set-up page and :func:`totp_enrol` enforce):

- an account with **no** confirmed device (TOTP or backup codes), from a session signed
  in with the password alone. Risk, accepted: whoever first signs in with the password
  enrols the second factor. Administrators therefore hand over initial passwords out
  of band (in person or by a separate channel), and the first sign-in should follow
  soon after;
- an account that **has** a confirmed device, only from a session that passed the
  second factor (:func:`is_verified`): the password alone never replaces it.

A set-up is bound to the session that started it (its pending device's id is kept in
that session), so a second session signed in with the same password never sees the
secret another session is about to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.memberships import user_memberships
from cases.models import Membership, User
from cases.permissions import SECOND_FACTOR_ROLES
from cases.verbs import CaseVerb

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# --- Who must pass it, and checking a code --------------------------------------------

# Roles that must use a second factor (superusers too): ``cases.permissions``.
OTP_ROLES = SECOND_FACTOR_ROLES


def otp_required() -> bool:
    """The ``OTP_REQUIRED`` setting (default ``True``)."""
    return bool(getattr(settings, "OTP_REQUIRED", True))


def role_requires_second_factor(role: str) -> bool:
    return role in OTP_ROLES


def requires_second_factor(user: User | AnonymousUser | None) -> bool:
    """``True`` when ``user`` must pass a second factor: a superuser or any staff user
    (admins, DESIGN "Security"; the admin site reaches accounts and roles), or a member
    of any organisation with one of ``OTP_ROLES``, while ``OTP_REQUIRED`` is on.
    Anonymous: ``False``."""
    if not otp_required() or user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    # The request's memberships (``cases.memberships``): read once per request, not
    # once per user object, which may outlive a change of role.
    return any(m.role in OTP_ROLES for m in user_memberships(user))


def is_verified(user: User | AnonymousUser | None) -> bool:
    """The session passed the second factor (``django_otp.middleware.OTPMiddleware``)."""
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def needs_verification(user: User | AnonymousUser | None) -> bool:
    """Signed in with a password only, by a user who must pass a second factor."""
    return requires_second_factor(user) and not is_verified(user)


def verify_code(user: User, code: str | None) -> Device | None:
    """The device (TOTP or static backup) that accepts ``code`` for ``user``, or ``None``.

    ``code``: 6 digits from the authenticator app, or one backup code (used up by this
    call). Spaces are ignored. Each device applies django-otp's own throttling and
    refuses a TOTP code already used (no replay).
    """
    # Backup codes are shown in lower case; accept them typed in capitals too.
    token = "".join(str(code or "").split()).lower()
    if not token or len(token) > 16:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if device.verify_token(token):
                return device
    return None


# --- Enrolment ---------------------------------------------------------------------------

PENDING_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "backup"
BACKUP_CODE_COUNT = 10


class ReplacementRefused(Exception):
    """The account has a confirmed second factor and the session has not passed it:
    the password alone may not replace the device."""


class PendingDeviceGone(Exception):
    """The set-up's unconfirmed device no longer exists (another session finished an
    enrolment and removed it, or it was never this user's)."""


@dataclass(frozen=True)
class Enrolment:
    """A confirmed enrolment: the new TOTP device, the backup codes in clear (shown
    once; django-otp stores them as they are, like the demo's), and how many TOTP
    devices it replaced."""

    device: TOTPDevice
    backup_codes: list[str]
    replaced: int


def pending_device_get(*, user: User, device_id: int | None) -> TOTPDevice | None:
    """The unconfirmed TOTP device ``device_id`` of ``user``, or ``None``."""
    if device_id is None:
        return None
    return TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()


def pending_device_start(*, user: User, device_id: int | None) -> TOTPDevice:
    """The unconfirmed TOTP device of this set-up: ``device_id`` if it is still an
    unconfirmed device of ``user``, else a new one (a fresh random 160-bit key, named
    ``PENDING_DEVICE_NAME``). An unconfirmed device never verifies a sign-in (django-otp
    uses confirmed devices only), so creating one changes nothing about access; it is
    not audited. Callers keep its id in the session."""
    device = pending_device_get(user=user, device_id=device_id)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=PENDING_DEVICE_NAME, confirmed=False)
    return device


def _new_backup_codes() -> list[str]:
    codes: set[str] = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(StaticToken.random_token())  # 8 base32 characters, 40 random bits
    return sorted(codes)


@transaction.atomic
def totp_enrol(
    *,
    user: User,
    device_id: int,
    code: str,
    session_verified: bool,
    context: AuditContext = SYSTEM,
) -> Enrolment | None:
    """Confirm the pending TOTP device ``device_id`` of ``user`` with ``code`` (the 6
    digits the app shows; spaces ignored).

    Wrong code: returns ``None`` and writes nothing but django-otp's throttle counter on
    the pending device (each failure doubles the wait before the next try); the caller
    counts it towards the lockout. Right code, in one transaction: the device is
    confirmed; every other TOTP device of ``user`` is deleted (a replacement, which also
    revokes every API token of ``user``); every
    static device is deleted and a new one, ``BACKUP_DEVICE_NAME``, gets
    ``BACKUP_CODE_COUNT`` new backup codes (old codes stop working); one
    ``user.second_factor_enrolled`` audit row per organisation ``user`` belongs to.

    Raises ``ReplacementRefused`` when ``user`` has a confirmed device and
    ``session_verified`` is false, ``PendingDeviceGone`` when ``device_id`` is not an
    unconfirmed device of ``user``; nothing is written then.
    """
    # Lock the user row: two sessions enrolling at once (the owner and someone else
    # holding the password) serialise here, and the second sees the first's device.
    # NO KEY, like every row lock before the audit chain's (cases.services.cases._lock_case).
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).exists()
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(pk=device_id, user=user, confirmed=False)
        .first()
    )
    if device is None:
        raise PendingDeviceGone
    if not session_verified and user_has_device(user, confirmed=True):
        raise ReplacementRefused
    # verify_token applies the throttle and saves its counter on failure; the
    # transaction commits that (and nothing else) when we return None.
    if not device.verify_token("".join(str(code).split())):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    others = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
    # Replaced: the confirmed devices. Other sessions' unfinished set-ups (unconfirmed,
    # never able to sign in) are dropped too, but replace nothing.
    replaced, _ = others.filter(confirmed=True).delete()
    others.delete()
    revoked = 0
    if replaced:
        # A replaced device may be a lost phone: API tokens issued after its codes end
        # with it (clients sign in again with the new app). Sessions verified with it
        # are held at the verify page by django-otp (their device id no longer exists).
        revoked, _ = AuthToken.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()  # its tokens go with it (cascade)
    backup = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = _new_backup_codes()
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=c) for c in codes)
    # One row per organisation the user acts for, so each organisation's audit shows
    # it; one row with no organisation for a user in none (an operator).
    organisations: list[int | None] = list(
        Membership.objects.filter(user=user)
        .order_by("organisation_id")
        .values_list("organisation_id", flat=True)
    )
    for organisation_id in organisations or [None]:
        record_case_event(
            school=organisation_id,
            case=None,
            actor=user,
            verb=CaseVerb.USER_SECOND_FACTOR_ENROLLED,
            obj=device,
            context=context,
            # Never the key or the codes: counts only.
            data={
                "replaced_devices": replaced,
                "backup_codes": len(codes),
                "revoked_tokens": revoked,
            },
        )
    return Enrolment(device=device, backup_codes=codes, replaced=replaced)
