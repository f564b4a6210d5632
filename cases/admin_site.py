"""Case data in the admin: read-only, scoped and audited (DESIGN rules 2 and 3).

``CaseDataAdmin`` is the base of every admin page that shows case data (cases,
referrals, takedown notices): its query set comes from the visibility selectors, it
never writes (``ReadOnlyAdminMixin``), and each page it shows leaves an ``AccessEvent``
in the transaction that read the data. The site itself (second factor, audited
autocomplete) is ``accounts.admin_site.SalvaguardaAdminSite``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from cases.audit import AuditContext, record_access
from cases.verbs import AccessAction
from config.http import mark_case_data, signed_in_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from cases.models import User

ADMIN_CHANNEL = "admin"


def admin_context(request: HttpRequest) -> AuditContext:
    """Where an admin request came from, for the audit rows (``channel="admin"``)."""
    return AuditContext.from_request(request, channel=ADMIN_CHANNEL)


def is_operator(user: User | AnonymousUser) -> bool:
    """An active staff user: someone the admin site lets in at all."""
    return bool(user.is_active and user.is_staff)


class ReadOnlyAdminMixin:
    """No add, change or delete: the one statement of "read-only" for every admin that
    only shows (case data, denied accesses, lockouts, periodic tasks) and for inlines.
    Viewing stays with Django's ``view`` permission or the admin's own
    ``has_view_permission``."""

    # No bulk actions (not even "delete selected"). Typed as ModelAdmin's attribute.
    actions: Sequence[Any] | None = None

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def _context_of(response: HttpResponse) -> dict[str, Any]:
    """The template context of an admin page (Django answers with a
    ``TemplateResponse``, not yet rendered); ``{}`` for a redirect."""
    if isinstance(response, TemplateResponse):
        return response.context_data or {}
    return {}


def _render(response: HttpResponse) -> None:
    # Rendered inside the view's transaction: the audit row and the page stand or fall
    # together (see ``CaseDataAdmin``).
    if isinstance(response, TemplateResponse):
        response.render()


# Django's ModelAdmin is generic in the stubs only (not subscriptable at run time):
# unparametrised here, which --strict would call a missing type argument.
class CaseDataAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Base of the admin pages of case data: read-only, scoped, audited.

    Subclasses set ``audit_name`` (the ``AccessEvent.action`` is
    ``admin.<audit_name>.<list|view|autocomplete>``), ``get_queryset`` and
    ``get_object`` from the visibility selectors, and ``case_id_of``.

    No bypass for superusers: the selectors scope by membership only, so an operator
    with no membership sees no case (need to know applies to operators too).
    """

    audit_name = ""

    def case_id_of(self, obj: Any) -> int:
        """The id of the case ``obj`` belongs to (for ``AccessEvent.case_ids``): its
        ``case_id``, or what a subclass says."""
        case_id: int = obj.case_id
        return case_id

    # Read-only by decision. Every write to case data goes through a service
    # (``cases.services``, ``reporting.services``) that checks the status table,
    # compare-and-sets and writes the chronology in the write's transaction (DESIGN
    # rules 3 and 6); an admin form would do none of that. Viewing is allowed to every
    # active staff user because the query set decides what each one sees: a model
    # permission can only show or hide the whole table, never scope it to a school.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_operator(request.user)

    # --- Audited views: the read, the audit row and the rendering in one transaction,
    # so a failed audit write means no page (DESIGN rule 3). ---------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with transaction.atomic():
            response = super().changelist_view(request, extra_context)
            cl = _context_of(response).get("cl")
            if cl is not None:
                # The page's rows, read once and reused by the template: the audit row
                # lists exactly the cases shown.
                cl.result_list = shown = list(cl.result_list)
                self.record_read(request, "list", shown)
                _render(response)
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        with transaction.atomic():
            response = super().change_view(request, object_id, form_url, extra_context)
            self._record_object(request, response, _context_of(response).get("original"))
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with transaction.atomic():
            response = super().history_view(request, object_id, extra_context)
            self._record_object(request, response, _context_of(response).get("object"))
        return response

    def _record_object(
        self, request: HttpRequest, response: HttpResponse, obj: Model | None
    ) -> None:
        if obj is None:
            # Django's "doesn't exist" redirect, the same for a foreign id and a missing
            # one: nothing was shown, so there is nothing to record.
            return
        self.record_read(request, "view", [obj])
        _render(response)

    def record_read(self, request: HttpRequest, view: str, shown: Iterable[Model]) -> None:
        """Write the read-audit row for the objects ``shown`` and mark the response as
        case data (``config.http.mark_case_data``: ``Cache-Control: no-store``).
        ``PermissionDenied`` for a request without a signed-in user (the admin site
        lets none in)."""
        actor = signed_in_user(request)
        mark_case_data(request)
        record_access(
            actor=actor,
            # Built from the admin and the page; declared in AccessAction (ValueError if not).
            action=AccessAction(f"admin.{self.audit_name}.{view}"),
            case_ids=[self.case_id_of(obj) for obj in shown],
            context=admin_context(request),
        )
