"""Admin for operations: organisations and the denied accesses.

Cases are shown read-only, scoped and audited by ``casefile.admin.CaseAdmin`` (from the
whole-case view, which lives above this app); users, memberships and groups by
``accounts.admin``.

Denied accesses (``DenialEventAdmin``, issue 7): read-only, for operators holding the
``view_denialevent`` permission (superusers), with each user's count of denials over
the last ``DENIAL_BURST_WINDOW_MINUTES`` and a flag at ``DENIAL_BURST_THRESHOLD``: a
burst is someone trying ids that are not theirs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.admin_site import ReadOnlyAdminMixin
from cases.audit import with_recent_denials
from cases.models import DenialEvent, Organisation
from cases.zones import MSG_NOT_A_ZONE, zone_named

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

    class RecentDenials(TypedDict):
        """What ``cases.audit.with_recent_denials`` adds to each row."""

        recent_denials: int

    # A denial as this admin reads it (``DenialEventAdmin.get_queryset``).
    AnnotatedDenial = WithAnnotations[DenialEvent, RecentDenials]


# Django's ModelForm and ModelAdmin are generic in the stubs only (not subscriptable at
# run time): unparametrised here, which --strict would call a missing type argument.
class OrganisationForm(forms.ModelForm):  # type: ignore[type-arg]
    """Only names of the tz database: every time a school's people type without an
    offset is read in ``time_zone`` (``cases.zones``), and a typo would break them."""

    class Meta:
        model = Organisation
        fields = ["name", "kind", "code", "jurisdiction", "time_zone", "email", "report_url"]

    def clean_time_zone(self) -> str:
        name: str = self.cleaned_data["time_zone"].strip()
        if zone_named(name) is None:
            raise forms.ValidationError(MSG_NOT_A_ZONE % {"value": name[:64]})
        return name


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = OrganisationForm
    list_display = ["name", "kind", "code", "jurisdiction", "time_zone"]
    list_filter = ["kind", "jurisdiction"]
    search_fields = ["name", "code"]


# --- Denied accesses (read-only) ----------------------------------------------------------


def burst_window() -> timedelta:
    return timedelta(minutes=settings.DENIAL_BURST_WINDOW_MINUTES)


class DenialBurstFilter(admin.SimpleListFilter):
    """Rows of users at or over ``DENIAL_BURST_THRESHOLD`` denials in the window."""

    title = _("burst")
    parameter_name = "burst"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, StrOrPromise]]:
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

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AnnotatedDenial]
    ) -> QuerySet[AnnotatedDenial]:
        if self.value() == "yes":
            return queryset.filter(recent_denials__gte=settings.DENIAL_BURST_THRESHOLD)
        if self.value() == "no":
            return queryset.filter(recent_denials__lt=settings.DENIAL_BURST_THRESHOLD)
        return queryset


@admin.register(DenialEvent)
class DenialEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
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
    def recent(self, obj: AnnotatedDenial) -> int:
        return obj.recent_denials

    @admin.display(description=_("burst"), boolean=True)
    def burst(self, obj: AnnotatedDenial) -> bool:
        threshold: int = settings.DENIAL_BURST_THRESHOLD
        return obj.recent_denials >= threshold
