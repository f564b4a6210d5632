"""Write audit of account changes made in the admin: roles granted, changed or revoked,
and a user's ``is_active``/``is_staff``/``is_superuser`` switched (DESIGN rule 3: every
write leaves a hash-chained audit row in its own transaction).

A role decides which cases someone sees (DESIGN rule 2), so who gave it, to whom and
when belongs in the same chain as the case writes: one ``CaseEvent`` per change, with
``case=None`` and ``school`` = the organisation concerned. ``data`` holds role and flag
names and the account id, nothing about a child.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import CaseEvent, Membership, User

# The account flags whose changes are audited (who may sign in, reach the admin, do
# anything there).
ACCOUNT_FLAGS = ("is_active", "is_staff", "is_superuser")


@dataclass(frozen=True)
class AccountState:
    """An account's flags and memberships at one moment: ``memberships`` maps a
    membership id to ``(organisation id, role)``."""

    flags: dict[str, bool]
    memberships: dict[int, tuple[int, str]]

    @classmethod
    def new(cls) -> AccountState:
        """A user not saved yet: the model's default flags, no membership."""
        return cls(
            flags={name: User._meta.get_field(name).get_default() for name in ACCOUNT_FLAGS},
            memberships={},
        )

    @classmethod
    def of(cls, user_id: int | None) -> AccountState:
        """The account ``user_id`` as the database holds it now (two queries). Read it
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
        return cls(flags=flags, memberships=memberships)

    def without_memberships(self) -> AccountState:
        """The same account with every membership gone (the user is being deleted)."""
        return AccountState(flags=self.flags, memberships={})


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
    - ``user.flags_changed`` (``flags``: the changed flags and their new values), one
      row per organisation the user belongs to before or after the change.

    Raises ``PermissionDenied`` if ``actor`` changed their own memberships or flags:
    nobody grants themselves a role or more power (the admin already shows those as
    read-only to their owner; this refuses any other way in, and the caller's
    transaction rolls back).
    """
    # (verb, organisation id, object, data) of each row, worked out before any is written.
    rows: list[tuple[str, int, object, dict]] = []

    def membership_row(verb: str, pk: int, organisation_id: int, **data: str) -> None:
        membership = Membership(pk=pk, user_id=user.pk, organisation_id=organisation_id)
        rows.append((verb, organisation_id, membership, {**data, "user_id": user.pk}))

    for pk in sorted(before.memberships.keys() | after.memberships.keys()):
        old, new = before.memberships.get(pk), after.memberships.get(pk)
        if old == new:
            continue
        if old is not None and (new is None or new[0] != old[0]):
            membership_row("membership.revoked", pk, old[0], role=old[1])
        if new is not None and (old is None or new[0] != old[0]):
            membership_row("membership.granted", pk, new[0], role=new[1])
        elif old is not None and new is not None:
            membership_row("membership.role_changed", pk, new[0], **{"from": old[1], "to": new[1]})

    changed = {
        name: after.flags[name] for name in ACCOUNT_FLAGS if before.flags[name] != after.flags[name]
    }
    if changed:
        organisations = {org for org, _role in before.memberships.values()}
        organisations |= {org for org, _role in after.memberships.values()}
        # A user in no organisation gets no row here: ``CaseEvent.school`` is required,
        # and such an account sees no case data. Django's admin ``LogEntry`` (the
        # object's history: "Changed Staff status.") records who changed it and when.
        for organisation_id in sorted(organisations):
            rows.append(("user.flags_changed", organisation_id, user, {"flags": changed}))

    if rows and actor.pk == user.pk:
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
