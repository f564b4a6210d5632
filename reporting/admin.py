"""Admin for the directory: platforms and legal bases (the deadline hours per basis are
configured here); and referrals and takedown notices, read-only, scoped by the
visibility selectors and audited like every read of case data (DESIGN rules 2 and 3)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from cases.admin_site import CaseDataAdmin
from cases.exceptions import NotFound
from cases.permissions import CASE_SECTION_PARTICIPANTS
from cases.selectors import case_sections_for_user
from config.http import signed_in_user
from reporting.models import (
    TAKEDOWN_NOTICE_FIELDS,
    LegalBasis,
    Platform,
    Referral,
    RemovalRoute,
    TakedownRequest,
)
from reporting.selectors import (
    case_data_visible,
    referral_get_for_user,
    referral_list_for_user,
    takedown_get_for_user,
    takedown_list_for_user,
)

# --- The directory (issue 10: as data, editable here, a source per row) --------------


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin[Platform]):
    list_display = ["name", "kind", "operator", "report_channel", "report_url"]
    list_filter = ["kind", "report_channel"]
    search_fields = ["name", "slug", "operator"]
    filter_horizontal = ["legal_bases"]


@admin.register(LegalBasis)
class LegalBasisAdmin(admin.ModelAdmin[LegalBasis]):
    list_display = [
        "code",
        "name_en",
        "purpose",
        "jurisdiction",
        "status",
        "enabled",
        "deadline_hours",
        "statutory",
    ]
    list_filter = ["purpose", "jurisdiction", "status", "enabled"]
    search_fields = ["code", "name_es", "name_en", "citation_es", "citation_en"]


@admin.register(RemovalRoute)
class RemovalRouteAdmin(admin.ModelAdmin[RemovalRoute]):
    list_display = ["code", "name_en", "organisation", "jurisdiction", "min_age", "max_age"]
    search_fields = ["code", "name_es", "name_en"]


# --- Referrals and takedown notices: case data, read-only, scoped, audited -------------
# (``cases.admin_site.CaseDataAdmin``; need to know applies to operators too: no bypass
# for superusers, the selectors scope by membership only.)


@admin.register(Referral)
class ReferralAdmin(CaseDataAdmin):
    audit_name = "referral"
    list_display = ["case", "destination", "status", "sent_at", "acknowledged_at"]
    list_filter = ["status"]
    search_fields = ["case__reference", "external_reference"]
    FIELDS = (
        "case",
        "destination",
        "status",
        "shared_sections",
        "legal_basis",
        "legal_basis_note",
        "summary",
        "external_reference",
        "created_at",
        "sent_at",
        "acknowledged_at",
        "closed_at",
        "outcome",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Referral]:
        # Only referrals whose contents the reader may see. A police unit's inbox (web,
        # API) keeps a closed referral without its contents; the admin shows a referral
        # whole or not at all.
        # ``case_data_visible`` is the selector's annotation, which its return type
        # (``QuerySet[Referral]``) does not carry for the django-stubs plugin.
        return referral_list_for_user(user=signed_in_user(request)).filter(
            case_data_visible=True  # type: ignore[misc]
        )

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Referral | None:
        try:
            referral = referral_get_for_user(user=signed_in_user(request), referral_id=object_id)
        except NotFound:
            return None
        return referral if case_data_visible(referral) else None

    def get_fields(self, request: HttpRequest, obj: Referral | None = None) -> tuple[str, ...]:
        # The complainant is a person of the case: shown only with its participants.
        if obj is not None and CASE_SECTION_PARTICIPANTS in case_sections_for_user(
            user=signed_in_user(request), case=obj.case
        ):
            return (*self.FIELDS, "complainant")
        return self.FIELDS

    def get_readonly_fields(
        self, request: HttpRequest, obj: Referral | None = None
    ) -> tuple[str, ...]:
        return self.get_fields(request, obj)


@admin.register(TakedownRequest)
class TakedownRequestAdmin(CaseDataAdmin):
    audit_name = "takedown"
    list_display = ["case", "platform", "status", "submitted_at", "deadline_at"]
    list_filter = ["status", "platform"]
    search_fields = ["case__reference", "platform_ticket"]
    fields = TAKEDOWN_NOTICE_FIELDS  # the same as the API's notice resource
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[TakedownRequest]:
        # Notices belong to the evidence section of their case: the school's leads, and
        # a liaison whose live referral shares the evidence.
        return takedown_list_for_user(user=signed_in_user(request))

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> TakedownRequest | None:
        try:
            return takedown_get_for_user(user=signed_in_user(request), takedown_id=object_id)
        except NotFound:
            return None
