"""Admin for operations: users, organisations and memberships, and a read-only, scoped,
audited view of cases.

Cases (``CaseAdmin``) are read through the visibility selectors, like every other page
(DESIGN rule 2): an operator sees the cases their own memberships let them see and no
other. There is no bypass for superusers: a superuser with no membership sees no case,
because need to know applies to operators too. Each case section is shown only if
``case_sections_for_user`` grants it (a police liaison sees only what the referral
shares). Nothing about a case is written here (see ``cases.admin_site.CaseDataAdmin``),
and every page that shows case data leaves an ``AccessEvent`` (DESIGN rule 3).

Accounts (``UserAdmin``): every membership granted, changed or revoked and every change
of a user's ``is_active``/``is_staff``/``is_superuser`` writes a hash-chained
``CaseEvent`` in the same transaction (``cases.accounts``). Nobody changes their own
flags, groups, permissions or memberships here.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.accounts import AccountState, account_changes_record
from cases.admin_site import CaseDataAdmin, admin_context
from cases.exceptions import NotFound
from cases.models import (
    Action,
    Case,
    CaseEvent,
    Concern,
    EvidenceItem,
    GuardianContact,
    Membership,
    Organisation,
    Participant,
    SupportPlan,
    User,
)
from cases.selectors import (
    CASE_SECTION_CHRONOLOGY,
    CASE_SECTION_EVIDENCE,
    CASE_SECTION_INTERNAL,
    CASE_SECTION_PARTICIPANTS,
    CASE_SECTION_SUPPORT,
    case_actions,
    case_events_for_user,
    case_evidence,
    case_get_for_user,
    case_guardian_contacts,
    case_list_for_user,
    case_participants,
    case_sections_for_user,
    case_support_plans,
    concerns_owned_by,
)

# --- Accounts ----------------------------------------------------------------------------

# What nobody changes on their own account: who may sign in, reach the admin, hold every
# permission (DESIGN rule 2: a role or a power is given by someone else, on the record).
SELF_LOCKED_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


def _is_self(request: HttpRequest, user: User | None) -> bool:
    return user is not None and user.pk is not None and user.pk == request.user.pk


class MembershipInline(admin.TabularInline):
    """A user's roles. Read-only on one's own account: nobody grants, changes or
    revokes their own role or organisation."""

    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]

    def has_add_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return not _is_self(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return not _is_self(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return not _is_self(request, obj) and super().has_delete_permission(request, obj)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
        fields = list(super().get_readonly_fields(request, obj))
        if _is_self(request, obj):
            fields += [name for name in SELF_LOCKED_FIELDS if name not in fields]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return not _is_self(request, obj) and super().has_delete_permission(request, obj)

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
                if _is_self(request, user):
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


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "jurisdiction", "time_zone"]
    list_filter = ["kind", "jurisdiction"]
    search_fields = ["name", "code"]


# --- Cases (read-only, scoped, audited) ---------------------------------------------------


class CaseSectionInline(admin.TabularInline):
    """One section of a case, read-only. ``CaseAdmin.get_inline_instances`` creates it
    only when ``case_sections_for_user`` grants ``section`` to the reader, and gives it
    the ``case``; its rows come from the section's selector (``rows``)."""

    section = ""
    extra = 0
    max_num = 0
    can_delete = False
    case: Case | None = None

    def rows(self, request: HttpRequest, case: Case) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        if self.case is None:
            return self.model.objects.none()
        return self.rows(request, self.case)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields

    # Granted by the case admin per section (see the class docstring), never by a model
    # permission: a permission would show the section of every visible case.
    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.case is not None

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ParticipantInline(CaseSectionInline):
    model = Participant
    section = CASE_SECTION_PARTICIPANTS
    fields = ["person", "role", "notes", "added_at"]

    def rows(self, request, case):
        return case_participants(case=case)


class EvidenceInline(CaseSectionInline):
    model = EvidenceItem
    section = CASE_SECTION_EVIDENCE
    fields = [
        "kind",
        "platform",
        "location",
        "first_seen_at",
        "description",
        "sha256",
        "md5",
        "pdq",
        "pdq_quality",
    ]

    def rows(self, request, case):
        return case_evidence(case=case)


class SupportPlanInline(CaseSectionInline):
    model = SupportPlan
    section = CASE_SECTION_SUPPORT
    fields = ["victim", "owner", "status", "check_in_every_days", "summary"]

    def rows(self, request, case):
        return case_support_plans(case=case)


class ChronologyInline(CaseSectionInline):
    model = CaseEvent
    section = CASE_SECTION_CHRONOLOGY
    verbose_name = _("Chronology")
    verbose_name_plural = _("Chronology")
    fields = ["occurred_at", "verb", "actor", "actor_role", "data"]

    def rows(self, request, case):
        # Cut to the events of the sections the reader may see (a police liaison).
        return case_events_for_user(user=request.user, case=case)


class ConcernInline(CaseSectionInline):
    model = Concern
    section = CASE_SECTION_INTERNAL
    fields = ["logged_at", "source", "summary", "status"]

    def rows(self, request, case):
        return concerns_owned_by(user=request.user).filter(case=case)


class ActionInline(CaseSectionInline):
    model = Action
    section = CASE_SECTION_INTERNAL
    fields = ["title", "owner", "due_at", "done_at"]

    def rows(self, request, case):
        return case_actions(case=case)


class GuardianContactInline(CaseSectionInline):
    model = GuardianContact
    section = CASE_SECTION_INTERNAL
    fields = ["guardian", "method", "contacted_at", "contacted_by", "notes"]

    def rows(self, request, case):
        return case_guardian_contacts(case=case)


@admin.register(Case)
class CaseAdmin(CaseDataAdmin):
    audit_name = "case"
    list_display = ["reference", "school", "category", "status", "risk_level", "opened_at"]
    # The school filter lists only the schools of the cases the reader sees.
    list_filter = [("school", admin.RelatedOnlyFieldListFilter), "status", "category"]
    search_fields = ["reference"]
    inlines = [
        ParticipantInline,
        EvidenceInline,
        SupportPlanInline,
        ChronologyInline,
        ConcernInline,
        ActionInline,
        GuardianContactInline,
    ]

    # What any reader of the case sees (the API's ``CaseOutputSerializer``); the summary
    # and closure reason are the school's own (section ``internal``).
    HEADER_FIELDS = (
        "reference",
        "school",
        "title",
        "category",
        "status",
        "risk_level",
        "lead",
        "adult_involved",
        "coercion_or_extortion",
        "under_13",
        "ai_generated",
        "opened_at",
        "closed_at",
    )
    INTERNAL_FIELDS = ("summary", "closure_reason")

    def case_id_of(self, obj: Case) -> int:
        return obj.pk

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return case_list_for_user(user=request.user)

    def get_object(self, request: HttpRequest, object_id: str, from_field=None) -> Case | None:
        # ``None`` gives Django's "doesn't exist" redirect, the same for a case of
        # another school as for an id that does not exist.
        try:
            return case_get_for_user(user=request.user, case_id=object_id)
        except NotFound:
            return None

    def sections(self, request: HttpRequest, case: Case) -> frozenset[str]:
        """The sections of ``case`` the reader may see, once per request."""
        if not hasattr(case, "_admin_sections"):
            case._admin_sections = case_sections_for_user(user=request.user, case=case)
        return case._admin_sections

    def get_fields(self, request: HttpRequest, obj: Case | None = None):
        if obj is not None and CASE_SECTION_INTERNAL in self.sections(request, obj):
            return [*self.HEADER_FIELDS, *self.INTERNAL_FIELDS]
        return list(self.HEADER_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Case | None = None):
        return self.get_fields(request, obj)

    def get_inline_instances(self, request: HttpRequest, obj: Case | None = None):
        if obj is None:
            return []
        granted = self.sections(request, obj)
        instances = []
        for inline_class in self.get_inlines(request, obj):
            if inline_class.section not in granted:
                continue
            inline = inline_class(self.model, self.admin_site)
            inline.case = obj
            instances.append(inline)
        return instances
