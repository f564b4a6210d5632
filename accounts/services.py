"""Write audit of account changes made by operators: roles granted, changed or revoked;
a user's ``is_active``/``is_staff``/``is_superuser`` switched; groups and permissions
given or taken; a password set; a second factor reset; a group's permissions changed
(DESIGN rule 3: every write leaves a hash-chained audit row in its own transaction).

A role decides which cases someone sees (DESIGN rule 2), so who gave it, to whom and
when belongs in the same chain as the case writes: one ``CaseEvent`` per change, with
``case=None`` and ``school`` = the organisation concerned, one row per organisation the
user belongs to; a user in no organisation (an operator) gets one row with
``school=None``, so no change of power is missing from the chain. ``data`` holds role,
flag, group and permission names, counts and the account id: never a password, key or
code, nothing about a child.

Who may change what (DESIGN rule 2: a power is given by someone else, on the record):
nobody changes their own flags, groups, permissions or memberships; only a superuser
changes ``is_staff``, ``is_superuser``, groups or permissions of anyone, a group's
permissions, or anything of a superuser's account (their password included: setting it
would let the operator sign in as them). Django's ``UserAdmin`` lets any holder of
``change_user`` do all of it; the admin hides those fields, and these functions refuse
(``PermissionDenied``) any other way in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import is_password_usable
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django_otp import devices_for_user
from knox.models import AuthToken

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import CaseEvent, Membership, User
from cases.verbs import CaseVerb

# The account flags whose changes are audited (who may sign in, reach the admin, do
# anything there).
ACCOUNT_FLAGS = ("is_active", "is_staff", "is_superuser")
# The flags only a superuser changes: reaching the admin, holding every permission.
SUPERUSER_ONLY_FLAGS = ("is_staff", "is_superuser")


def permission_names(permissions: models.QuerySet[Permission]) -> frozenset[str]:
    """``app_label.codename`` of each permission in the query set ``permissions``."""
    return frozenset(
        f"{app_label}.{codename}"
        for app_label, codename in permissions.values_list("content_type__app_label", "codename")
    )


def _default_flag(name: str) -> bool:
    """The default of the ``User`` flag ``name`` (one of ``ACCOUNT_FLAGS``)."""
    flag = User._meta.get_field(name)
    if not isinstance(flag, models.BooleanField):  # a relation has no default
        raise TypeError(f"User.{name} is not a flag")
    return bool(flag.get_default())


@dataclass(frozen=True)
class AccountState:
    """An account's flags, memberships, groups and permissions at one moment:
    ``memberships`` maps a membership id to ``(organisation id, role)``; ``groups`` are
    group names, ``permissions`` ``app_label.codename`` of the user's own permissions."""

    flags: dict[str, bool]
    memberships: dict[int, tuple[int, str]]
    groups: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def new(cls) -> AccountState:
        """A user not saved yet: the model's default flags, no membership."""
        return cls(
            flags={name: _default_flag(name) for name in ACCOUNT_FLAGS},
            memberships={},
        )

    @classmethod
    def of(cls, user_id: int | None) -> AccountState:
        """The account ``user_id`` as the database holds it now (four queries). Read it
        before a save: a bound admin form has already put the new values on the
        instance."""
        if user_id is None:
            return cls.new()
        flags = User.objects.filter(pk=user_id).values(*ACCOUNT_FLAGS).first()
        if flags is None:
            return cls.new()
        memberships = {
            pk: (organisation_id, role)
            for pk, organisation_id, role in Membership.objects.filter(user_id=user_id).values_list(
                "pk", "organisation_id", "role"
            )
        }
        groups = frozenset(Group.objects.filter(user__pk=user_id).values_list("name", flat=True))
        permissions = permission_names(Permission.objects.filter(user__pk=user_id))
        return cls(flags=flags, memberships=memberships, groups=groups, permissions=permissions)

    @property
    def organisations(self) -> set[int]:
        return {organisation_id for organisation_id, _role in self.memberships.values()}

    def without_memberships(self) -> AccountState:
        """The same account with every membership gone (the user is being deleted)."""
        return AccountState(
            flags=self.flags,
            memberships={},
            groups=self.groups,
            permissions=self.permissions,
        )


def filed_under(*states: AccountState) -> list[int | None]:
    """The organisations an account change is filed under: every organisation the
    user belongs to in any of ``states``, in id order; ``[None]`` for a user in none."""
    organisations: set[int] = set()
    for state in states:
        organisations |= state.organisations
    return [*sorted(organisations)] or [None]


def _added_removed(before: frozenset[str], after: frozenset[str]) -> tuple[list[str], list[str]]:
    return sorted(after - before), sorted(before - after)


def _require_superuser_for(actor: User | None, user_is_superuser: bool) -> None:
    """A superuser's account is changed only by a superuser (or the system)."""
    if actor is not None and user_is_superuser and not actor.is_superuser:
        raise PermissionDenied


@transaction.atomic
def account_changes_record(
    *,
    actor: User,
    user: User,
    before: AccountState,
    after: AccountState,
    context: AuditContext = SYSTEM,
) -> list[CaseEvent]:
    """Append one ``CaseEvent`` per change between ``before`` and ``after``. Call inside
    the transaction that made the change.

    Verbs (``data``):
    - ``membership.granted`` (``role``, ``user_id``), in the new organisation;
    - ``membership.revoked`` (``role``, ``user_id``), in the organisation left;
    - ``membership.role_changed`` (``from``, ``to``, ``user_id``); a membership moved
      to another organisation is a revocation plus a grant;
    - ``user.flags_changed`` (``flags``: the changed flags and their new values) and
      ``user.permissions_changed`` (``user_id``, ``groups_added``, ``groups_removed``:
      group names; ``permissions_added``, ``permissions_removed``:
      ``app_label.codename``), one row per organisation the user belongs to before or
      after the change, or one row with ``school=None`` for a user in none.

    Raises ``PermissionDenied`` (the caller's transaction rolls back) if ``actor``
    changed their own memberships, flags, groups or permissions (nobody grants
    themselves a role or more power); if ``actor`` is not a superuser and changed
    ``is_staff``, ``is_superuser``, groups or permissions, or anything of a superuser's
    account. The admin already shows those fields read-only; this refuses any other
    way in.
    """
    # (verb, organisation id, object, data) of each row, worked out before any is written.
    rows: list[tuple[CaseVerb, int | None, object, dict[str, Any]]] = []

    def membership_row(verb: CaseVerb, pk: int, organisation_id: int, **data: str) -> None:
        membership = Membership(pk=pk, user_id=user.pk, organisation_id=organisation_id)
        rows.append((verb, organisation_id, membership, {**data, "user_id": user.pk}))

    for pk in sorted(before.memberships.keys() | after.memberships.keys()):
        old, new = before.memberships.get(pk), after.memberships.get(pk)
        if old == new:
            continue
        if old is not None and (new is None or new[0] != old[0]):
            membership_row(CaseVerb.MEMBERSHIP_REVOKED, pk, old[0], role=old[1])
        if new is not None and (old is None or new[0] != old[0]):
            membership_row(CaseVerb.MEMBERSHIP_GRANTED, pk, new[0], role=new[1])
        elif old is not None and new is not None:
            membership_row(
                CaseVerb.MEMBERSHIP_ROLE_CHANGED, pk, new[0], **{"from": old[1], "to": new[1]}
            )

    changed = {
        name: after.flags[name] for name in ACCOUNT_FLAGS if before.flags[name] != after.flags[name]
    }
    if changed:
        for organisation_id in filed_under(before, after):
            rows.append((CaseVerb.USER_FLAGS_CHANGED, organisation_id, user, {"flags": changed}))

    groups_added, groups_removed = _added_removed(before.groups, after.groups)
    permissions_added, permissions_removed = _added_removed(before.permissions, after.permissions)
    powers_changed = bool(
        groups_added or groups_removed or permissions_added or permissions_removed
    )
    if powers_changed:
        data = {
            "user_id": user.pk,
            "groups_added": groups_added,
            "groups_removed": groups_removed,
            "permissions_added": permissions_added,
            "permissions_removed": permissions_removed,
        }
        for organisation_id in filed_under(before, after):
            rows.append((CaseVerb.USER_PERMISSIONS_CHANGED, organisation_id, user, data))

    if rows and actor.pk == user.pk:
        raise PermissionDenied
    if rows:
        _require_superuser_for(actor, before.flags["is_superuser"])
    if (powers_changed or set(changed) & set(SUPERUSER_ONLY_FLAGS)) and not actor.is_superuser:
        raise PermissionDenied
    return [
        record_case_event(
            school=organisation_id,
            case=None,
            actor=actor,
            verb=verb,
            obj=obj,
            context=context,
            data=data,
        )
        for verb, organisation_id, obj, data in rows
    ]


@transaction.atomic
def account_password_set(
    *, actor: User, user: User, context: AuditContext = SYSTEM
) -> list[CaseEvent]:
    """Record that ``actor`` set (or disabled) the password of ``user``, and end every API
    token of ``user``. Call inside the transaction that saved the new password.

    Sessions end by themselves: Django's session auth hash derives from the password
    hash, so every session of ``user`` is signed out on its next request (the admin
    keeps the actor's own session when they set their own). Tokens do not: knox checks
    no password, so a token issued under the old password is deleted here.

    One ``user.password_set`` row per organisation of ``user`` (``school=None`` for
    none): ``data`` = ``user_id``, ``usable`` (``False`` when password sign-in was
    disabled), ``revoked_tokens`` (count). Never any password material.

    Raises ``PermissionDenied`` when ``actor`` is not a superuser and ``user`` is one.
    """
    stored = User.objects.filter(pk=user.pk).values("password", "is_superuser").get()
    # The flag as it was before the caller's transaction is what counts, but a
    # password form does not change it: the stored value is the old one.
    _require_superuser_for(actor, stored["is_superuser"])
    revoked, _ = AuthToken.objects.filter(user=user).delete()
    data = {
        "user_id": user.pk,
        "usable": is_password_usable(stored["password"]),
        "revoked_tokens": revoked,
    }
    return [
        record_case_event(
            school=organisation_id,
            case=None,
            actor=actor,
            verb=CaseVerb.USER_PASSWORD_SET,
            obj=user,
            context=context,
            data=data,
        )
        for organisation_id in filed_under(AccountState.of(user.pk))
    ]


@transaction.atomic
def user_language_set(
    *, user: User, language: str, context: AuditContext = SYSTEM
) -> list[CaseEvent]:
    """Keep ``language`` (a code of ``settings.LANGUAGES``) as the one Salvaguarda writes
    to ``user`` in (``User.language``: the outbox's e-mails, ``cases.notifications``),
    as the user chose it with the language switch. Nothing is written if it is already
    theirs; else one ``user.language_set`` row per organisation of ``user``
    (``data``: ``user_id``, ``language``). Raises ``ValueError`` for a code that is not
    one of ``settings.LANGUAGES`` (the caller checked it)."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"not a language of this site: {language!r}")
    if not User.objects.filter(pk=user.pk).exclude(language=language).update(language=language):
        return []
    user.language = language
    return [
        record_case_event(
            school=organisation_id,
            case=None,
            actor=user,
            verb=CaseVerb.USER_LANGUAGE_SET,
            obj=user,
            context=context,
            data={"user_id": user.pk, "language": language},
        )
        for organisation_id in filed_under(AccountState.of(user.pk))
    ]


def _end_sessions_of(user: User) -> int:
    """Delete every live session signed in as ``user``; return how many.

    Sessions are not indexed by user, so this decodes each live session: a scan of the
    session table, fine for an operator's rare command. Needs a database-backed session
    engine (Django's default, used here); any other engine raises ``AttributeError``.
    """
    model = import_module(settings.SESSION_ENGINE).SessionStore.get_model_class()
    user_key = str(user.pk)
    ended = [
        session.pk
        for session in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == user_key
    ]
    model.objects.filter(pk__in=ended).delete()
    return len(ended)


@dataclass(frozen=True)
class SecondFactorReset:
    devices: int
    revoked_tokens: int
    ended_sessions: int
    events: list[CaseEvent]


@transaction.atomic
def second_factor_reset(
    *, actor: User | None, user: User, context: AuditContext = SYSTEM
) -> SecondFactorReset:
    """Remove every second-factor device of ``user`` (authenticator apps and backup
    codes: a lost phone), end their API tokens and sessions, and record it. The user
    then signs in with their password and enrols a new device at
    ``/account/two-factor/`` (``accounts.second_factor``), as at their first sign-in.

    Sessions end because a session verified with a deleted device would otherwise be
    held at the verify page and sent on to enrol a device: whoever holds it (the finder
    of the phone, say) must sign in with the password again.

    One ``user.second_factor_reset`` row per organisation of ``user`` (``school=None``
    for none): ``data`` = ``user_id`` and counts of ``devices``, ``revoked_tokens``,
    ``ended_sessions``; never a key or code. ``actor`` is the operator's account, or
    ``None`` (the system) when run from the command line without one.

    Raises ``PermissionDenied`` when ``actor`` is not a superuser and ``user`` is one.
    """
    # Lock the user row: an enrolment running at the same moment (``totp_enrol`` takes
    # the same lock) finishes before the reset, or starts after it.
    # NO KEY: audit rows naming this user as actor check the key (cases.services.cases._lock_case).
    locked = User.objects.select_for_update(no_key=True).get(pk=user.pk)
    _require_superuser_for(actor, locked.is_superuser)
    devices = list(devices_for_user(locked, confirmed=None))
    for device in devices:
        device.delete()  # a static device's backup codes go with it (cascade)
    revoked, _ = AuthToken.objects.filter(user=locked).delete()
    ended = _end_sessions_of(locked)
    data = {
        "user_id": locked.pk,
        "devices": len(devices),
        "revoked_tokens": revoked,
        "ended_sessions": ended,
    }
    events = [
        record_case_event(
            school=organisation_id,
            case=None,
            actor=actor,
            verb=CaseVerb.USER_SECOND_FACTOR_RESET,
            obj=locked,
            context=context,
            data=data,
        )
        for organisation_id in filed_under(AccountState.of(locked.pk))
    ]
    return SecondFactorReset(
        devices=len(devices), revoked_tokens=revoked, ended_sessions=ended, events=events
    )


@transaction.atomic
def group_changes_record(
    *,
    actor: User,
    group: Group,
    before: frozenset[str],
    after: frozenset[str] | None,
    context: AuditContext = SYSTEM,
) -> CaseEvent | None:
    """Record a change of ``group``'s permissions (``after``), or its deletion
    (``after=None``): every member gains or loses those permissions at once. Call
    inside the transaction that made the change, before a deletion.

    One row with ``school=None`` (a group belongs to no organisation):
    ``group.permissions_changed`` (``group``: name, ``members``: user ids,
    ``permissions_added``, ``permissions_removed``) or ``group.deleted`` (``group``,
    ``members``, ``permissions``). ``None`` when nothing changed.

    Raises ``PermissionDenied`` when ``actor`` is not a superuser.
    """
    members = sorted(group.user_set.values_list("pk", flat=True)) if group.pk else []
    if after is None:
        verb = CaseVerb.GROUP_DELETED
        data = {"group": group.name, "members": members, "permissions": sorted(before)}
    else:
        added, removed = _added_removed(before, after)
        if not (added or removed):
            return None
        verb = CaseVerb.GROUP_PERMISSIONS_CHANGED
        data = {
            "group": group.name,
            "members": members,
            "permissions_added": added,
            "permissions_removed": removed,
        }
    if not actor.is_superuser:
        raise PermissionDenied
    return record_case_event(
        school=None, case=None, actor=actor, verb=verb, obj=group, context=context, data=data
    )
