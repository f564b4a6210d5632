"""Admin for operations: organisations, a read-only, scoped, audited view of cases, and
the denied accesses.

Cases (``CaseAdmin``) are read through the visibility selectors, like every other page
(DESIGN rule 2): an operator sees the cases their own memberships let them see and no
other. There is no bypass for superusers: a superuser with no membership sees no case,
because need to know applies to operators too. Each case section is shown only if
``case_sections_for_user`` grants it (a police liaison sees only what the referral
shares). Nothing about a case is written here (see ``cases.admin_site.CaseDataAdmin``),
and every page that shows case data leaves an ``AccessEvent`` (DESIGN rule 3).

Denied accesses (``DenialEventAdmin``, issue 7): read-only, for operators holding the
``view_denialevent`` permission (superusers), with each user's count of denials over
the last ``DENIAL_BURST_WINDOW_MINUTES`` and a flag at ``DENIAL_BURST_THRESHOLD``: a
burst is someone trying ids that are not theirs.

Accounts (users, memberships, groups) are administered in ``accounts.admin``.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.admin_site import CaseDataAdmin
from cases.audit import with_recent_denials
from cases.exceptions import NotFound
from cases.models import (
    Action,
    Case,
    CaseEvent,
    Concern,
    DenialEvent,
    EvidenceItem,
    GuardianContact,
    Organisation,
    Participant,
    SupportPlan,
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
from cases.zones import MSG_NOT_A_ZONE, zone_named


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
class DenialEventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
