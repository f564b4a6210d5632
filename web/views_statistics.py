"""The statistics page: aggregates of the user's own schools (heads, leads, deputies,
authority admins: ``cases.permissions.STATISTICS_ROLES``).

No case data is shown (counts and durations only, ``reporting.statistics``), so no
``AccessEvent`` is written. Anyone else, or a school that is not theirs, gets 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cases.exceptions import NotFound
from cases.models import Organisation
from config.http import AuthenticatedHttpRequest
from reporting.statistics import school_statistics, statistics_schools

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

AGE_BAND_LABELS = {
    "under_11": _("Under 11"),
    "11-12": _("11–12"),
    "13-14": _("13–14"),
    "15-16": _("15–16"),
    "17+": _("17 and over"),
    "unknown": _("Date of birth not recorded"),
}


@dataclass(frozen=True)
class AgeBandRow:
    """A row of the page's age-band table: the band's label in the active language."""

    label: StrOrPromise
    count: int | str  # a count, or ``SUPPRESSED`` ("<3")


@login_required
@require_GET
def statistics(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Statistics of the schools where the user holds a statistics role (head, lead,
    deputy or authority admin);
    ``?school=<id>`` narrows to one of them. 404 for anyone else or another school."""
    try:
        data = school_statistics(user=request.user, school_id=request.GET.get("school") or None)
    except NotFound:
        raise Http404 from None
    age_bands = [
        AgeBandRow(label=AGE_BAND_LABELS.get(row["band"], row["band"]), count=row["count"])
        for row in data["victims_by_age_band"]
    ]
    own = statistics_schools(request.user)
    choices = (
        list(Organisation.objects.filter(pk__in=own).order_by("name").values("id", "name"))
        if len(own) > 1
        else []
    )
    return render(
        request,
        "web/statistics.html",
        {
            "stats": data,
            "age_bands": age_bands,
            "school_choices": choices,
            "selected": request.GET.get("school", ""),
        },
    )
