"""Account administration in the admin: users, their memberships (roles) and groups.

Every membership granted, changed or revoked, every change of a user's
``is_active``/``is_staff``/``is_superuser``, groups or permissions, every password set
here and every change of a group's permissions writes a hash-chained ``CaseEvent`` in the
same transaction (``accounts.services``). Nobody changes their own flags, groups,
permissions or memberships here; only a superuser changes ``is_staff``, ``is_superuser``,
groups and permissions, groups' permissions, or a superuser's account. A refused change
is answered with 403, the form again and a message saying why; nothing is saved.

``User`` and ``Membership`` keep their app label ``cases`` (``AUTH_USER_MODEL``), so the
pages stay at ``/admin/cases/user/``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.services import (
    AccountState,
    account_changes_record,
    account_password_set,
    group_changes_record,
    permission_names,
)
from cases.admin_site import admin_context
from cases.models import Membership, User
from config.http import signed_in_user

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What nobody changes on their own account: who may sign in, reach the admin, hold every
# permission (DESIGN rule 2: a role or a power is given by someone else, on the record).
SELF_LOCKED_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")
# What only a superuser changes, on anyone: reaching the admin, holding every permission,
# groups and permissions (Django's UserAdmin lets any holder of ``change_user`` make
# anyone a superuser).
SUPERUSER_ONLY_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
# The prefix of the memberships inline's fields in the form (Django's default: the
# reverse accessor, ``user.memberships``).
MEMBERSHIPS_PREFIX = Membership._meta.get_field("user").remote_field.get_accessor_name()

SELF_EDIT_REFUSED = _(
    "You cannot change your own status, groups, permissions or roles: another operator "
    "must do it. Nothing was saved."
)
SUPERUSER_ONLY_REFUSED = _(
    "Only a superuser can change staff status, superuser status, groups or permissions. "
    "Nothing was saved."
)


def _is_self(request: HttpRequest, user: User | None) -> bool:
    return user is not None and user.pk is not None and user.pk == request.user.pk


def _may_edit_account(request: HttpRequest, user: User | None) -> bool:
    """Nobody edits their own roles; only a superuser edits a superuser's account (their
    password included: setting it would let the operator sign in as them)."""
    if user is None or user.pk is None:
        return True
    if _is_self(request, user):
        return False
    return request.user.is_superuser or not user.is_superuser


class MembershipInline(admin.TabularInline[Membership, User]):
    """A user's roles. Read-only on one's own account (nobody grants, changes or
    revokes their own role or organisation) and, for an operator who is not a
    superuser, on a superuser's account."""

    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]

    def has_add_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return _may_edit_account(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return _may_edit_account(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return _may_edit_account(request, obj) and super().has_delete_permission(request, obj)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    inlines = [MembershipInline]
    # Django's sections, with the language Salvaguarda writes to the user in (e-mail
    # notifications, cases.notifications.recipient_language) beside the e-mail address.
    fieldsets = tuple(
        (name, {**options, "fields": (*options["fields"], "language")})
        if "email" in options["fields"]
        else (name, options)
        for name, options in DjangoUserAdmin.fieldsets or ()
    )

    def locked_fields(
        self, request: HttpRequest, obj: User | None
    ) -> tuple[tuple[str, ...], StrOrPromise]:
        """The fields of ``obj`` that ``request.user`` may not change, and the message
        that says why."""
        if _is_self(request, obj):
            return SELF_LOCKED_FIELDS, SELF_EDIT_REFUSED
        if not request.user.is_superuser:
            return SUPERUSER_ONLY_FIELDS, SUPERUSER_ONLY_REFUSED
        return (), ""

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        locked, _message = self.locked_fields(request, obj)
        fields += [name for name in locked if name not in fields]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # A superuser's account is changed only by a superuser (view only for other
        # operators): its password or e-mail in other hands is a way to act as them.
        # One's own account stays editable (name, e-mail, password): its locked fields
        # are read-only instead (``locked_fields``).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return _may_edit_account(request, obj) and super().has_delete_permission(request, obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A POST that tries to change what the reader may not (``locked_fields``; a
        forged form, since the page shows those fields read-only) saves nothing: 403,
        the stored account shown again and a message saying why. Django alone would
        save the rest of the form and drop those fields silently."""
        if request.method == "POST":
            user = self.get_object(request, unquote(object_id))
            message = self._refusal(request, user)
            if message:
                messages.error(request, message)
                shown = copy.copy(request)
                shown.method = "GET"
                response = super().change_view(shown, object_id, form_url, extra_context)
                response.status_code = 403
                return response
        return super().change_view(request, object_id, form_url, extra_context)

    def _refusal(self, request: HttpRequest, user: User | None) -> StrOrPromise:
        """The message refusing this POST, or "" if it touches nothing locked."""
        if user is None:
            return ""
        locked, message = self.locked_fields(request, user)
        if any(name in request.POST for name in locked):
            return message
        # Memberships: the inline is read-only on one's own account, so its form sends
        # no organisation, role or DELETE field; any such field is an attempt.
        if _is_self(request, user):
            fields = ("organisation", "role", "DELETE")
            for key in request.POST:
                prefix, _sep, rest = key.partition("-")
                if prefix == MEMBERSHIPS_PREFIX and rest.rpartition("-")[2] in fields:
                    return message
        return ""

    # The password page (``/admin/cases/user/<id>/password/``), in one transaction with
    # its audit row: a password set by someone else is a way to act as its owner.
    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        user = self.get_object(request, unquote(id))
        if user is None or request.method != "POST":
            return super().user_change_password(request, id, form_url)
        with transaction.atomic():
            before = self._password_hash(user)
            response = super().user_change_password(request, id, form_url)
            # A new salt makes even the same password a new hash: any save counts.
            if self._password_hash(user) != before:
                account_password_set(
                    actor=signed_in_user(request), user=user, context=admin_context(request)
                )
        return response

    @staticmethod
    def _password_hash(user: User) -> str:
        return User.objects.filter(pk=user.pk).values_list("password", flat=True).get()

    # The admin runs save_model and save_related in one transaction (``changeform_view``),
    # so the audit rows commit with the change or not at all.
    # ``form``: the ModelForm ``get_form`` builds for this request (``Any`` in the stubs);
    # it carries the account as it was before the save on to ``save_related``.
    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Read before saving: the bound form has already put the new values on ``obj``.
        form.account_before = AccountState.of(obj.pk if change else None)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        account_changes_record(
            actor=signed_in_user(request),
            user=form.instance,
            before=form.account_before,
            after=AccountState.of(form.instance.pk),
            context=admin_context(request),
        )

    # Deleting a user revokes their memberships (cascade): record each revocation.
    def delete_model(self, request: HttpRequest, obj: User) -> None:
        with transaction.atomic():
            self._record_removal(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transaction.atomic():
            for user in queryset:
                if not _may_edit_account(request, user):
                    raise PermissionDenied
                self._record_removal(request, user)
            super().delete_queryset(request, queryset)

    def _record_removal(self, request: HttpRequest, user: User) -> None:
        before = AccountState.of(user.pk)
        account_changes_record(
            actor=signed_in_user(request),
            user=user,
            before=before,
            after=before.without_memberships(),
            context=admin_context(request),
        )


# Django's own GroupAdmin lets any holder of ``change_group`` add every permission to a
# group they belong to, unaudited: here only a superuser changes groups, and each change
# of a group's permissions (which changes every member's powers) is recorded.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.is_superuser

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        # Read before ``save_related`` stores the form's permissions.
        form.permissions_before = (
            permission_names(Group.objects.get(pk=obj.pk).permissions.all())
            if change
            else frozenset()
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        group_changes_record(
            actor=signed_in_user(request),
            group=form.instance,
            before=form.permissions_before,
            after=permission_names(form.instance.permissions.all()),
            context=admin_context(request),
        )

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        with transaction.atomic():
            self._record_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        with transaction.atomic():
            for group in queryset:
                self._record_deletion(request, group)
            super().delete_queryset(request, queryset)

    def _record_deletion(self, request: HttpRequest, group: Group) -> None:
        group_changes_record(
            actor=signed_in_user(request),
            group=group,
            before=permission_names(group.permissions.all()),
            after=None,
            context=admin_context(request),
        )
