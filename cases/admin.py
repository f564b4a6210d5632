"""Admin for operations: users, organisations and memberships, and the denied accesses.

Cases are shown read-only, scoped and audited by ``casefile.admin.CaseAdmin`` (from the
whole-case view, which lives above this app).

Denied accesses (``DenialEventAdmin``, issue 7): read-only, for operators holding the
``view_denialevent`` permission (superusers), with each user's count of denials over
the last ``DENIAL_BURST_WINDOW_MINUTES`` and a flag at ``DENIAL_BURST_THRESHOLD``: a
burst is someone trying ids that are not theirs.

Accounts (``UserAdmin``, ``GroupAdmin``): every membership granted, changed or revoked,
every change of a user's ``is_active``/``is_staff``/``is_superuser``, groups or
permissions, every password set here and every change of a group's permissions writes a
hash-chained ``CaseEvent`` in the same transaction (``cases.accounts``). Nobody changes
their own flags, groups, permissions or memberships here; only a superuser changes
``is_staff``, ``is_superuser``, groups and permissions, groups' permissions, or a
superuser's account. A refused change is answered with 403, the form again and a
message saying why; nothing is saved.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.accounts import (
    AccountState,
    account_changes_record,
    account_password_set,
    group_changes_record,
    permission_names,
)
from cases.admin_site import ReadOnlyAdminMixin, admin_context
from cases.audit import with_recent_denials
from cases.models import DenialEvent, Membership, Organisation, User
from cases.zones import MSG_NOT_A_ZONE, zone_named

# --- Accounts ----------------------------------------------------------------------------

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


class MembershipInline(admin.TabularInline):
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
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]

    def locked_fields(self, request: HttpRequest, obj: User | None) -> tuple[tuple[str, ...], str]:
        """The fields of ``obj`` that ``request.user`` may not change, and the message
        that says why."""
        if _is_self(request, obj):
            return SELF_LOCKED_FIELDS, SELF_EDIT_REFUSED
        if not request.user.is_superuser:
            return SUPERUSER_ONLY_FIELDS, SUPERUSER_ONLY_REFUSED
        return (), ""

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
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
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
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

    def _refusal(self, request: HttpRequest, user: User | None) -> str:
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
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = ""):
        user = self.get_object(request, unquote(id))
        if user is None or request.method != "POST":
            return super().user_change_password(request, id, form_url)
        with transaction.atomic():
            before = self._password_hash(user)
            response = super().user_change_password(request, id, form_url)
            # A new salt makes even the same password a new hash: any save counts.
            if self._password_hash(user) != before:
                account_password_set(actor=request.user, user=user, context=admin_context(request))
        return response

    @staticmethod
    def _password_hash(user: User) -> str:
        return User.objects.filter(pk=user.pk).values_list("password", flat=True).get()

    # The admin runs save_model and save_related in one transaction (``changeform_view``),
    # so the audit rows commit with the change or not at all.
    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        # Read before saving: the bound form has already put the new values on ``obj``.
        form.account_before = AccountState.of(obj.pk if change else None)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        account_changes_record(
            actor=request.user,
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
            actor=request.user,
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

    def save_model(self, request: HttpRequest, obj: Group, form, change: bool) -> None:
        # Read before ``save_related`` stores the form's permissions.
        form.permissions_before = (
            permission_names(Group.objects.get(pk=obj.pk).permissions.all())
            if change
            else frozenset()
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        group_changes_record(
            actor=request.user,
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
            actor=request.user,
            group=group,
            before=permission_names(group.permissions.all()),
            after=None,
            context=admin_context(request),
        )


class OrganisationForm(forms.ModelForm):
    """Only names of the tz database: every time a school's people type without an
    offset is read in ``time_zone`` (``cases.zones``), and a typo would break them."""

    class Meta:
        model = Organisation
        fields = ["name", "kind", "code", "jurisdiction", "time_zone", "email", "report_url"]

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if zone_named(name) is None:
            raise forms.ValidationError(MSG_NOT_A_ZONE % {"value": name[:64]})
        return name


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["name", "kind", "code", "jurisdiction", "time_zone"]
    list_filter = ["kind", "jurisdiction"]
    search_fields = ["name", "code"]


# The case page (read-only, scoped, audited) is ``casefile.admin.CaseAdmin``: it reads the
# whole-case view, which lives above this app.


# --- Denied accesses (read-only) ----------------------------------------------------------


def burst_window() -> timedelta:
    return timedelta(minutes=settings.DENIAL_BURST_WINDOW_MINUTES)


class DenialBurstFilter(admin.SimpleListFilter):
    """Rows of users at or over ``DENIAL_BURST_THRESHOLD`` denials in the window."""

    title = _("burst")
    parameter_name = "burst"

    def lookups(self, request: HttpRequest, model_admin):
        return [
            (
                "yes",
                gettext("%(threshold)s or more in the last %(minutes)s minutes")
                % {
                    "threshold": settings.DENIAL_BURST_THRESHOLD,
                    "minutes": settings.DENIAL_BURST_WINDOW_MINUTES,
                },
            ),
            ("no", gettext("Fewer")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[DenialEvent]):
        if self.value() == "yes":
            return queryset.filter(recent_denials__gte=settings.DENIAL_BURST_THRESHOLD)
        if self.value() == "no":
            return queryset.filter(recent_denials__lt=settings.DENIAL_BURST_THRESHOLD)
        return queryset


@admin.register(DenialEvent)
class DenialEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refused accesses to existing records, newest first, each with how many denials
    its user had in the last ``DENIAL_BURST_WINDOW_MINUTES`` (sortable) and a burst
    flag at ``DENIAL_BURST_THRESHOLD``. Read-only: the rows are the audit
    (append-only, hash-chained). Shown to operators with ``view_denialevent``."""

    list_display = [
        "occurred_at",
        "actor_username",
        "actor_role",
        "actor_organisation",
        "school",
        "object_type",
        "object_id",
        "method",
        "path",
        "channel",
        "ip",
        "recent",
        "burst",
    ]
    list_filter = [
        DenialBurstFilter,
        "channel",
        "object_type",
        ("school", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["actor_username", "path", "request_id"]
    ordering = ["-id"]
    actions = None
    readonly_fields = [f.name for f in DenialEvent._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DenialEvent]:
        queryset = super().get_queryset(request).select_related("actor_organisation", "school")
        return with_recent_denials(queryset, window=burst_window(), now=timezone.now())

    @admin.display(description=_("denials by this user in the window"), ordering="recent_denials")
    def recent(self, obj: DenialEvent) -> int:
        return obj.recent_denials  # type: ignore[attr-defined]

    @admin.display(description=_("burst"), boolean=True)
    def burst(self, obj: DenialEvent) -> bool:
        return obj.recent_denials >= settings.DENIAL_BURST_THRESHOLD  # type: ignore[attr-defined]
