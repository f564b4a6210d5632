"""The admin's case page: read-only, scoped, audited, from the whole-case view.

Cases are read through the visibility selectors, like every other page (DESIGN rule 2):
an operator sees the cases their own memberships let them see and no other. There is no
bypass for superusers: a superuser with no membership sees no case, because need to know
applies to operators too. The page shows what ``casefile.selectors.case_view_for_user``
gives the reader, as the API and the web page do: the header fields of
``cases.permissions.CASE_PARTS`` the reader is granted, and one inline per list part
(``part``) the view shows, holding exactly the view's rows. Nothing about a case is
written here (``cases.admin_site.CaseDataAdmin``), and every page that shows case data
leaves one ``AccessEvent`` (DESIGN rule 3).
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casefile.selectors import CaseView, case_view_for_user
from cases.admin_site import CaseDataAdmin, ReadOnlyAdminMixin
from cases.exceptions import NotFound
from cases.models import (
    Action,
    Case,
    CaseEvent,
    Concern,
    EvidenceItem,
    GuardianContact,
    Participant,
    SupportPlan,
)
from cases.permissions import CASE_HEADER_FIELDS, CASE_RESTRICTED_FIELDS
from cases.selectors import case_get_for_user, case_list_for_user
from config.http import signed_in_user
from outbox.models import Message
from reporting.models import (
    TAKEDOWN_NOTICE_FIELDS_IN_CASE,
    AuthorityReport,
    Referral,
    RemovalRouteReport,
    RoutingSuggestion,
    TakedownRequest,
)


# Django's inlines are generic in the stubs only (not subscriptable at run time):
# unparametrised here, which --strict would call a missing type argument.
class CasePartInline(ReadOnlyAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    """One list part of a case (``part``, a name of ``CASE_PARTS``), read-only.
    ``CaseAdmin.get_inline_instances`` creates it only when the reader's view shows
    the part, and gives it the ``view``; its rows are the view's rows of that part."""

    part = ""
    extra = 0
    max_num = 0
    can_delete = False
    view: CaseView | None = None
    # What each row shows through a relation, read with the rows.
    related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows: QuerySet[Any]
        if self.view is None:
            rows = self.model._default_manager.none()
            return rows
        # A formset needs a query set: the view's rows, by id, nothing more.
        ids = [row.pk for row in getattr(self.view, self.part)]
        rows = self.model._default_manager.filter(pk__in=ids).select_related(*self.related)
        return rows

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        # Every column of the part, read-only (``fields`` is a flat list of names here).
        return [name for name in self.fields or () if isinstance(name, str)]

    # Granted by the case admin per part (see the class docstring), never by a model
    # permission: a permission would show the part of every visible case.
    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.view is not None


class ParticipantInline(CasePartInline):
    model = Participant
    part = "participants"
    fields = ["person", "role", "notes", "added_at"]
    related = ("person",)


class EvidenceInline(CasePartInline):
    model = EvidenceItem
    part = "evidence"
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
    related = ("platform",)


class ReferralInline(CasePartInline):
    model = Referral
    part = "referrals"
    fields = [
        "destination",
        "status",
        "shared_sections",
        "legal_basis",
        "external_reference",
        "sent_at",
        "acknowledged_at",
        "closed_at",
    ]
    related = ("destination",)


class TakedownInline(CasePartInline):
    model = TakedownRequest
    part = "takedowns"
    fields = TAKEDOWN_NOTICE_FIELDS_IN_CASE  # as the API's case page
    related = ("platform", "legal_basis")


class RoutingInline(CasePartInline):
    model = RoutingSuggestion
    part = "routing"
    fields = [
        "rule",
        "urgency",
        "destination",
        "route",
        "person",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    related = ("destination", "route", "person", "decided_by")


class RemovalReportInline(CasePartInline):
    model = RemovalRouteReport
    part = "removal_reports"
    # No victim column: the ledger goes with the evidence section, which a referral may
    # share without the participants (who the victim is).
    fields = ["route", "case_number", "reported_on", "status", "recorded_at"]
    related = ("route",)


class AuthorityReportInline(CasePartInline):
    model = AuthorityReport
    part = "authority_reports"
    fields = ["route", "authority", "takedown", "status", "reference", "created_at", "filed_at"]
    related = ("authority", "takedown")


class SupportPlanInline(CasePartInline):
    model = SupportPlan
    part = "support_plans"
    fields = ["victim", "owner", "status", "check_in_every_days", "summary"]
    related = ("victim", "owner")


class ChronologyInline(CasePartInline):
    model = CaseEvent
    part = "events"
    verbose_name = _("Chronology")
    verbose_name_plural = _("Chronology")
    fields = ["occurred_at", "verb", "actor", "actor_role", "data"]
    related = ("actor",)


class ActionInline(CasePartInline):
    model = Action
    part = "actions"
    fields = ["title", "owner", "due_at", "done_at"]
    related = ("owner",)


class GuardianContactInline(CasePartInline):
    model = GuardianContact
    part = "guardian_contacts"
    fields = ["guardian", "method", "contacted_at", "contacted_by", "notes"]
    related = ("guardian", "contacted_by")


class ConcernInline(CasePartInline):
    model = Concern
    part = "concerns"
    fields = ["logged_at", "source", "summary", "status"]


class DeliveryInline(CasePartInline):
    model = Message
    fk_name = "case"
    part = "deliveries"
    verbose_name = _("Message sent")
    verbose_name_plural = _("Messages sent")
    # Never the address, subject or body here: a liaison reading the admin sees the
    # rows the view gives them, and those fields are the school's (``casefile.deliveries``).
    fields = [
        "kind",
        "channel",
        "recipient_label",
        "state",
        "created_at",
        "sent_at",
        "failed_at",
        "attempts",
        "last_error",
    ]
    related = ("recipient_user", "recipient_organisation", "endpoint__organisation")


@admin.register(Case)
class CaseAdmin(CaseDataAdmin):
    audit_name = "case"
    list_display = ["reference", "school", "category", "status", "risk_level", "opened_at"]
    # The school filter lists only the schools of the cases the reader sees.
    list_filter = [("school", admin.RelatedOnlyFieldListFilter), "status", "category"]
    search_fields = ["reference"]
    # One inline per list part of ``CASE_PARTS``, in its order.
    inlines = [
        ParticipantInline,
        EvidenceInline,
        ReferralInline,
        TakedownInline,
        RoutingInline,
        RemovalReportInline,
        AuthorityReportInline,
        SupportPlanInline,
        ChronologyInline,
        ActionInline,
        GuardianContactInline,
        ConcernInline,
        DeliveryInline,
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The reader's view of the case, built once per request (the change page asks
        # for the fields and the inlines separately). Keyed by the request, never by
        # the case: two readers of one case see different views.
        self._views: WeakKeyDictionary[HttpRequest, CaseView] = WeakKeyDictionary()

    def case_id_of(self, obj: Case) -> int:
        return obj.pk

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return case_list_for_user(user=signed_in_user(request))

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Case | None:
        # ``None`` gives Django's "doesn't exist" redirect, the same for a case of
        # another school as for an id that does not exist.
        try:
            return case_get_for_user(user=signed_in_user(request), case_id=object_id)
        except NotFound:
            return None

    def view_of(self, request: HttpRequest, case: Case) -> CaseView:
        """What the reader may see of ``case`` (``case_view_for_user``), once per
        request."""
        view = self._views.get(request)
        if view is None or view.case.pk != case.pk:
            view = case_view_for_user(user=signed_in_user(request), case_id=case.pk)
            self._views[request] = view
        return view

    def get_fields(self, request: HttpRequest, obj: Case | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        # The case header (the API's ``CaseOutputSerializer`` reads the same list), and
        # the school's own fields where the reader is granted them.
        shown = self.view_of(request, obj).parts
        return tuple(
            name for name in (*CASE_HEADER_FIELDS, *CASE_RESTRICTED_FIELDS) if name in shown
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Case | None = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def get_inline_instances(
        self, request: HttpRequest, obj: Case | None = None
    ) -> list[InlineModelAdmin[Any, Any]]:
        if obj is None:
            return []
        view = self.view_of(request, obj)
        instances: list[InlineModelAdmin[Any, Any]] = []
        for inline_class in self.get_inlines(request, obj):
            if not issubclass(inline_class, CasePartInline):
                raise ImproperlyConfigured(f"{inline_class.__name__}: not a CasePartInline.")
            if not view.shows(inline_class.part):
                continue
            inline = inline_class(self.model, self.admin_site)
            inline.view = view
            instances.append(inline)
        return instances
