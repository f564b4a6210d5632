"""The case page's routing section (``web/templates/web/_routing.html``): accept or
dismiss a piece of routing advice (LAW.md §3), and record or update what a victim told
the school of their own removal report. Forms as in ``web.views_actions`` (htmx into the
section's slot; the whole case body re-rendered on success)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from config.http import signed_in_user
from reporting import services as reporting_services
from reporting.models import RemovalRouteReport, RoutingSuggestion
from reporting.routing import reason_of
from web import forms_routing as forms
from web.views_actions import CaseFormView, _of_case


class RoutingDecisionView(CaseFormView):
    section = "routing"

    def load_more(self, request: HttpRequest, **kwargs: Any) -> None:
        self.suggestion = _of_case(
            RoutingSuggestion.objects.select_related("case", "destination", "route", "person"),
            self.case,
            kwargs["suggestion_id"],
            signed_in_user(request),
        )
        # What is being decided, in words: where (the destination or the victim's
        # route), for whom, and why (newcomer trial: the form showed only the reason).
        advice = self.suggestion
        where = advice.destination.name if advice.destination else ""
        if advice.route is not None:
            where = advice.route.name
        who = str(advice.person) if advice.person is not None else ""
        heading = " · ".join(part for part in (where, who) if part)
        reason = reason_of(advice)
        self.intro = f"{heading}: {reason}" if heading else reason


class RoutingAcceptView(RoutingDecisionView):
    form_class = forms.RoutingAcceptForm
    title = _("Accept this advice")
    submit_label = _("Accept")
    success_message = _("Advice accepted.")

    def perform(self, form) -> None:
        reporting_services.routing_accept(
            suggestion=self.suggestion,
            actor=self.user,
            note=form.cleaned_data["note"],
            context=self.context,
        )


class RoutingDismissView(RoutingDecisionView):
    form_class = forms.RoutingDismissForm
    title = _("Dismiss this advice")
    submit_label = _("Dismiss")
    success_message = _("Advice dismissed; your reason is recorded.")

    def perform(self, form) -> None:
        reporting_services.routing_dismiss(
            suggestion=self.suggestion,
            actor=self.user,
            reason=form.cleaned_data["reason"],
            context=self.context,
        )


class RemovalReportNewView(CaseFormView):
    form_class = forms.RemovalReportForm
    title = _("Record the victim's own report")
    intro = _(
        "Only what the victim or their family chose to tell you. The school never "
        "reports through these routes on their behalf."
    )
    submit_label = _("Record")
    success_message = _("Victim's report recorded.")
    section = "removal_reports"

    def form_kwargs(self) -> dict[str, Any]:
        return {"case": self.case}

    def perform(self, form) -> None:
        data = form.cleaned_data
        reporting_services.removal_report_record(
            case=self.case,
            victim=data["victim"],
            route=data["route"],
            reported_on=data["reported_on"],
            case_number=data["case_number"],
            status=data["status"],
            actor=self.user,
            context=self.context,
        )


class RemovalReportUpdateView(CaseFormView):
    form_class = forms.RemovalReportUpdateForm
    title = _("Update the victim's own report")
    submit_label = _("Save")
    success_message = _("Victim's report updated.")
    section = "removal_reports"

    def load_more(self, request: HttpRequest, **kwargs: Any) -> None:
        self.report = _of_case(
            RemovalRouteReport.objects.select_related("case", "route", "victim"),
            self.case,
            kwargs["report_id"],
            signed_in_user(request),
        )

    def initial(self) -> dict[str, Any]:
        return {
            "case_number": self.report.case_number,
            "reported_on": self.report.reported_on,
            "status": self.report.status,
        }

    def perform(self, form) -> None:
        data = form.cleaned_data
        reporting_services.removal_report_update(
            report=self.report,
            actor=self.user,
            case_number=data["case_number"],
            reported_on=data["reported_on"],
            status=data["status"],
            context=self.context,
        )
