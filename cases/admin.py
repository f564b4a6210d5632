"""Admin for operations: users, organisations and memberships only.

Case data is deliberately not registered: every read of it must go through the
visibility selectors and leave an AccessEvent (DESIGN rules 2–3). Issue 3 adds an
audited, scoped admin view of cases.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from cases.models import Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "jurisdiction", "time_zone"]
    list_filter = ["kind", "jurisdiction"]
    search_fields = ["name", "code"]
