"""The case as an NCMEC CyberTipline report (XML), downloaded from the case page by the
school's safeguarding lead or deputy (LAW.md §4; ``casefile.cybertipline``). Anyone else
gets 404, whether or not they can see the case. Each download is recorded: the
document's SHA-256, its chronology line and an ``AccessEvent`` (channel ``web``).

Once submitted to NCMEC, the lead records the report number NCMEC gave
(:class:`CyberTiplineFiledView`, ``reporting.services.cybertipline_filed``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from casefile.cybertipline import cybertipline_export
from cases.exceptions import NotFound
from config.http import AuthenticatedHttpRequest, mark_case_data
from reporting import services as reporting_services
from web import forms as web_forms
from web.access import web_context
from web.views_actions import CaseFormView


@login_required
@require_GET
def case_cybertipline(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """``GET /cases/<id>/cybertipline.xml``: the report as an attachment."""
    try:
        report, document = cybertipline_export(
            user=request.user, case_id=case_id, context=web_context(request)
        )
    except NotFound:
        raise Http404 from None
    mark_case_data(request)
    response = HttpResponse(report.content, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="cybertipline-{document.case.reference}.xml"'
    )
    return response


class CyberTiplineFiledView(CaseFormView):
    """Record that the CyberTipline report was submitted, with NCMEC's report number."""

    form_class = web_forms.CyberTiplineFiledForm
    title = _("Record the CyberTipline submission")
    intro = _(
        "Submit the downloaded report at report.cybertip.org (or through a provider "
        "partner), then record here the report number NCMEC gave."
    )
    submit_label = _("Record submission")
    success_message = _("CyberTipline submission recorded.")
    section = "takedowns"

    def perform(self, form) -> None:
        data = form.cleaned_data
        reporting_services.cybertipline_filed(
            case=self.case,
            actor=self.user,
            reference=data["reference"],
            filed_at=data["filed_at"],
            context=self.context,
        )
