"""Admin for the directory: platforms and legal bases (the deadline hours per basis are
configured here)."""

from django.contrib import admin

from reporting.models import LegalBasis, Platform


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "report_channel", "report_url"]
    search_fields = ["name", "slug"]


@admin.register(LegalBasis)
class LegalBasisAdmin(admin.ModelAdmin):
    list_display = ["name", "citation", "jurisdiction", "deadline_hours", "statutory"]
