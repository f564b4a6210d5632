"""Forms of the case page's routing section: accept or dismiss a piece of routing advice,
and record or update a victim's own removal report (``web.views_routing``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Participant, Person
from reporting.models import RemovalRoute, RemovalRouteReport
from reporting.routing import routes_for_victim
from web.forms import StrictModelChoiceField

NOTE_MAX = 2000


class RoutingAcceptForm(forms.Form):
    note = forms.CharField(
        label=_("What was done (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea({"rows": 3}),
    )


class RoutingDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this advice is not followed"),
        max_length=NOTE_MAX,
        widget=forms.Textarea({"rows": 3}),
    )


class RemovalReportForm(forms.Form):
    """A victim's own report as they shared it: the victims of the case, the routes of
    the school's place (the service checks the route fits the victim)."""

    victim = StrictModelChoiceField(label=_("Victim"), queryset=Person.objects.none())
    route = StrictModelChoiceField(
        label=_("Route they used"), queryset=RemovalRoute.objects.none(), to_field_name="code"
    )
    case_number = forms.CharField(label=_("Their case number"), max_length=100, required=False)
    reported_on = forms.DateField(
        label=_("Reported on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=RemovalRouteReport.Status.choices,
        initial=RemovalRouteReport.Status.REPORTED,
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        victims = Person.objects.filter(
            participations__case=case, participations__role=Participant.Role.VICTIM
        ).distinct()
        self.fields["victim"].queryset = victims  # type: ignore[attr-defined]
        routes = {
            route.pk for victim in victims for route in routes_for_victim(case=case, victim=victim)
        }
        self.fields["route"].queryset = RemovalRoute.objects.filter(pk__in=routes)  # type: ignore[attr-defined]


class RemovalReportUpdateForm(forms.Form):
    case_number = forms.CharField(label=_("Their case number"), max_length=100, required=False)
    reported_on = forms.DateField(
        label=_("Reported on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=_("Status"), choices=RemovalRouteReport.Status.choices)
