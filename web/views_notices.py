"""Web pages for takedown notices' text and for reports to authorities (issue 10):

- the notice page: its text in the notice's language (or ``?lang=``), a copy button, the
  PDF, where it goes (the platform's form, or the e-mail to its abuse address and that
  e-mail's state in the outbox);
- one step drafting the notices of an incident (every platform × basis that applies);
- a report to an authority: drafted by hand (AEPD), and "Filed".

Case data only through the guarded doors (``web.access``); every page and download
writes its read-audit row; a download also records the document and its SHA-256
(``reporting.notices.notice_download``). LAW.md §1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cases.exceptions import NotFound
from cases.models import Case, Participant, Person
from cases.selectors import can_edit_case
from cases.verbs import AccessAction
from config.http import AuthenticatedHttpRequest, signed_in_user
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting import services as reporting_services
from reporting.escalations import MANUAL_ROUTES
from reporting.models import AuthorityReport, Platform, RequesterRelationship, TakedownRequest
from reporting.notices import NOTICE_LANGUAGES, NoticeDownload, notice_download
from reporting.selectors import takedown_get_for_user
from web import forms as web_forms
from web.access import case_or_404, record_read, web_context
from web.views_actions import CaseFormView, _of_case

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _notice_or_404(request: HttpRequest, case_id: int, takedown_id: int) -> TakedownRequest:
    """The notice ``takedown_id`` of case ``case_id`` if the user may see it; else 404."""
    user = signed_in_user(request)
    case = case_or_404(user, case_id)
    try:
        notice = takedown_get_for_user(user=user, takedown_id=takedown_id)
    except NotFound:
        raise Http404 from None
    if notice.case_id != case.pk:
        raise Http404
    return notice


def _bad_language() -> HttpResponse:
    return HttpResponseBadRequest(
        _("Choose the notice's language: %(choices)s.") % {"choices": ", ".join(NOTICE_LANGUAGES)},
        content_type="text/plain; charset=utf-8",
    )


def _recorded_download(
    request: AuthenticatedHttpRequest, case_id: int, takedown_id: int, *, fmt: str
) -> tuple[TakedownRequest, NoticeDownload] | HttpResponse:
    """The notice and its text or PDF in ``?lang=`` (``es``/``en``; absent: the
    notice's own language), with the document's hash and the read recorded in one
    transaction; a 400 for any other language (as the API answers), nothing recorded."""
    notice = _notice_or_404(request, case_id, takedown_id)
    language = request.GET.get("lang") or None
    if language is not None and language not in NOTICE_LANGUAGES:
        return _bad_language()
    with transaction.atomic():
        download = notice_download(
            notice=notice,
            actor=request.user,
            fmt=fmt,
            language=language,
            context=web_context(request),
        )
        record_read(request, AccessAction.TAKEDOWN_NOTICE_TEXT, [notice.case_id])
    return notice, download


@login_required
@require_GET
def takedown_notice(
    request: AuthenticatedHttpRequest, case_id: int, takedown_id: int
) -> HttpResponse:
    """The notice's text to paste into the platform's form (with its address), or, on
    the e-mail channel, what is e-mailed on submission and the e-mail's state. Viewing
    it records the text generated (its SHA-256) and the read."""
    recorded = _recorded_download(request, case_id, takedown_id, fmt="txt")
    if isinstance(recorded, HttpResponse):
        return recorded
    notice, download = recorded
    email = (
        Message.objects.filter(
            kind=MessageKind.TAKEDOWN_NOTICE, case_id=notice.case_id, about_id=notice.pk
        )
        .order_by("-pk")
        .first()
    )
    by_email = notice.channel == Platform.Channel.EMAIL
    return render(
        request,
        "web/takedown_notice.html",
        {
            "case": notice.case,
            "notice": notice,
            "document": download.document,
            "by_email": by_email,
            "address": notice.email_address if by_email else "",
            "email": email,
            "can_edit": can_edit_case(request.user, notice.case),
            "other_language": "en" if download.document.language == "es" else "es",
        },
    )


@login_required
@require_GET
def takedown_notice_pdf(
    request: AuthenticatedHttpRequest, case_id: int, takedown_id: int
) -> HttpResponse:
    """The notice as a PDF (``?lang=``), recorded (document hash and read)."""
    recorded = _recorded_download(request, case_id, takedown_id, fmt="pdf")
    if isinstance(recorded, HttpResponse):
        return recorded
    _notice, download = recorded
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response


# --- Forms --------------------------------------------------------------------------


class DraftAllForm(forms.Form):
    """The signature block shared by every notice drafted in one step (LAW.md §1)."""

    victim = web_forms.StrictModelChoiceField(
        label=_("Person depicted"), queryset=Person.objects.none(), required=False
    )
    requester_name = forms.CharField(
        label=_("Name of the person signing"), max_length=200, required=False
    )
    requester_relationship = forms.ChoiceField(
        label=_("Acting as"),
        choices=RequesterRelationship.choices,
        initial=RequesterRelationship.SCHOOL_WITH_CONSENT,
    )
    requester_email = forms.EmailField(label=_("Contact email"), required=False)
    requester_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    consent_note = forms.CharField(
        label=_("Consent given by (who, when)"), max_length=500, required=False
    )
    language = forms.ChoiceField(
        label=_("Language of the notice"),
        choices=[("es", _("Spanish")), ("en", _("English"))],
    )

    def __init__(self, *args: Any, case: Case, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        web_forms.form_field(
            self, "victim", forms.ModelChoiceField
        ).queryset = Person.objects.filter(
            participations__case=case, participations__role=Participant.Role.VICTIM
        ).distinct()
        self.fields["language"].initial = language


class TakedownsDraftAllView(CaseFormView):
    form_class = DraftAllForm
    title = _("Draft the notices for every platform")
    intro = _(
        "One draft per platform where evidence was found and per legal basis that "
        "applies to it and to the school. Pairs that already have a notice are skipped. "
        "Each notice keeps its own clock."
    )
    submit_label = _("Draft notices")
    success_message: StrOrPromise = _("Notices drafted.")
    section = "takedowns"

    def form_kwargs(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "language": reporting_services.default_notice_language(
                actor=self.user, school=self.case.school
            ),
        }

    def perform(self, form: forms.Form) -> None:
        data = form.cleaned_data
        drafted = reporting_services.takedowns_draft_for_case(
            case=self.case,
            actor=self.user,
            victim=data["victim"],
            requester_name=data["requester_name"],
            requester_relationship=data["requester_relationship"],
            requester_email=data["requester_email"],
            requester_phone=data["requester_phone"],
            consent_note=data["consent_note"],
            language=data["language"],
            context=self.context,
        )
        self.success_message = gettext("Notices drafted: %(n)s.") % {"n": len(drafted)}


class AuthorityReportNewForm(forms.Form):
    route = forms.ChoiceField(
        label=_("Report"),
        choices=[(r, AuthorityReport.Route(r).label) for r in MANUAL_ROUTES],
    )
    takedown = web_forms.StrictModelChoiceField(
        label=_("About the notice"), queryset=TakedownRequest.objects.none(), required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("es", _("Spanish")), ("en", _("English"))]
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        web_forms.form_field(
            self, "takedown", forms.ModelChoiceField
        ).queryset = TakedownRequest.objects.filter(case=case).select_related("platform")


class AuthorityReportNewView(CaseFormView):
    form_class = AuthorityReportNewForm
    title = _("Report to the AEPD")
    intro = _(
        "Canal Prioritario: urgent removal of sexual content spread without consent "
        "(try the platform first). Complaint (reclamación): may end in a fine."
    )
    submit_label = _("Draft report")
    success_message = _("Report drafted: send its text and record it as filed.")
    section = "authority-reports"

    def form_kwargs(self) -> dict[str, Any]:
        return {"case": self.case}

    def perform(self, form: forms.Form) -> None:
        data = form.cleaned_data
        reporting_services.authority_report_create(
            case=self.case,
            actor=self.user,
            route=data["route"],
            takedown=data["takedown"],
            language=data["language"],
            context=self.context,
        )


class AuthorityReportFileForm(web_forms.ZonedForm):
    reference = forms.CharField(label=_("Their reference"), max_length=100, required=False)
    filed_at = web_forms.SchoolDateTimeField(label=_("Filed at (empty: now)"), required=False)


class AuthorityReportAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("What the authority answered"), max_length=2000, widget=forms.Textarea({"rows": 3})
    )


class AuthorityReportFormView(CaseFormView):
    section = "authority-reports"

    def load_more(self, request: HttpRequest, **kwargs: Any) -> None:
        self.report = _of_case(
            AuthorityReport.objects.select_related("case", "authority", "takedown"),
            self.case,
            kwargs["authority_report_id"],
            signed_in_user(request),
        )


class AuthorityReportAnswerView(AuthorityReportFormView):
    form_class = AuthorityReportAnswerForm
    title = _("Record the authority's answer")
    submit_label = _("Record answer")
    success_message = _("Answer recorded.")

    def perform(self, form: forms.Form) -> None:
        reporting_services.authority_report_record_answer(
            report=self.report,
            actor=self.user,
            answer=form.cleaned_data["answer"],
            context=self.context,
        )


class AuthorityReportFileView(AuthorityReportFormView):
    form_class = AuthorityReportFileForm
    title = _("Record the report as filed")
    submit_label = _("Filed")
    success_message = _("Report recorded as filed.")

    def perform(self, form: forms.Form) -> None:
        data = form.cleaned_data
        reporting_services.authority_report_file(
            report=self.report,
            actor=self.user,
            reference=data["reference"],
            filed_at=data["filed_at"],
            context=self.context,
        )
