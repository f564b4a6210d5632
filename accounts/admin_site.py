"""The admin site: Django's, behind the second factor, with an audited autocomplete
(DESIGN rules 2 and 3). Installed by ``accounts.admin_apps``; the base of the case-data
pages is ``cases.admin_site.CaseDataAdmin``.

``SalvaguardaAdminSite`` refuses a password-only session of a user who must pass a
second factor, and audits the autocomplete endpoint, which answers for any registered
model with ``search_fields``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.second_factor import needs_verification
from cases.admin_site import CaseDataAdmin


class SalvaguardaAdminSite(admin.AdminSite):
    site_header = _("Salvaguarda administration")
    site_title = _("Salvaguarda administration")

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff with a verified session. ``accounts.middleware.OTPRequiredMiddleware``
        already sends a password-only session to the verify page; this holds even if
        the middleware is removed or reordered (defence in depth): such a session gets
        the admin's sign-in page, never an admin page."""
        return super().has_permission(request) and not needs_verification(request.user)

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        response = AuditedAutocompleteJsonView.as_view(admin_site=self)(request)
        # ``as_view`` is typed to answer any ``HttpResponseBase``; this view answers JSON
        # (``AutocompleteJsonView.get``) or raises, never a streaming response.
        if not isinstance(response, HttpResponse):
            raise TypeError(f"autocomplete answered {type(response).__name__}")
        return response


class AuditedAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete, with a read-audit row when it answers with case data.

    Django serves ``/admin/autocomplete/`` for any model reachable through a foreign
    key whose admin has ``search_fields``, whether or not a form uses it (any foreign
    key to ``Case`` reaches ``CaseAdmin``). Results come from the model admin's
    ``get_queryset``, so they are scoped; the rows shown are recorded here.
    """

    # The rows of the page answered, read once by ``get_context_data``.
    shown: list[Any]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().get(request, *args, **kwargs)
            if isinstance(self.model_admin, CaseDataAdmin):
                self.model_admin.record_read(request, "autocomplete", self.shown)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The page's rows, read once: the audit lists exactly what is answered.
        context["object_list"] = self.shown = list(context["object_list"])
        return context
