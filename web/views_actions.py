"""The forms of the web pages. Each view gets its objects through the visibility
selectors (404 for a foreign id), checks who may write (403 for a read-only viewer),
and calls one service (or two in one transaction) with a ``channel="web"`` audit
context. A service's ``ValidationError`` becomes field errors (HTTP 400), a
``Conflict`` a form error (HTTP 409); nothing is written in either case.

Every form works without JavaScript (POST, then redirect). Loaded with htmx into the
case page, the form posts with ``hx-post``; on success the response is the refreshed
case body (``HX-Retarget: #case-body``), on error the form with its errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from casefile.deliveries import can_retry_delivery, delivery_get_for_user
from cases import services as case_services
from cases.audit import AuditContext
from cases.deliveries import delivery_retry
from cases.denials import refused
from cases.exceptions import Conflict, NotFound
from cases.models import Case, Concern, Organisation, SupportPlan, User
from cases.selectors import (
    concerns_for_user,
    people_for_user,
    schools_for_concerns,
    schools_owned_by,
)
from cases.verbs import AccessAction
from config.http import AuthenticatedHttpRequest, signed_in_user
from reporting import services as reporting_services
from reporting.models import Platform, Referral, RequesterRelationship, TakedownRequest
from reporting.selectors import can_act_for_destination
from web import forms as web_forms
from web.access import (
    editable_case_or_error,
    is_htmx,
    record_read,
    referral_or_404,
    web_context,
    whole_number,
)
from web.views import case_page_context

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_Record = TypeVar("_Record", bound=Model)


class FormActionView(LoginRequiredMixin, View):
    """GET shows the form, POST runs :meth:`perform` in one transaction."""

    form_class: type[forms.Form] = forms.Form
    title: StrOrPromise = _("Save")
    submit_label: StrOrPromise = _("Save")
    success_message: StrOrPromise = _("Saved.")
    section = ""  # anchor on the case page to return to
    intro: StrOrPromise = ""
    case: Case | None = None
    context: AuditContext  # the audit context of a POST (``post``)

    @property
    def user(self) -> User:
        """The signed-in user (``LoginRequiredMixin``)."""
        return signed_in_user(self.request)

    # --- hooks -------------------------------------------------------------------
    def load(self, request: HttpRequest, **kwargs: Any) -> None:
        """Fetch the objects the form acts on (raise ``Http404`` / ``PermissionDenied``)."""

    def form_kwargs(self) -> dict[str, Any]:
        return {}

    def initial(self) -> dict[str, Any]:
        return {}

    def perform(self, form: forms.Form) -> None:
        raise NotImplementedError

    def success_url(self) -> str:
        if self.case is None:  # subclasses without a case override this
            return reverse("web:dashboard")
        url = reverse("web:case_detail", args=[self.case.pk])
        return f"{url}#{self.section}" if self.section else url

    def cancel_url(self) -> str:
        return self.success_url()

    def record_school(self) -> Organisation | None:
        """The school whose record the form writes: a ``ZonedForm`` reads its times on
        that school's clock (``cases.zones.input_zone``)."""
        return self.case.school if self.case is not None else None

    def make_form(self, data: Any = None) -> forms.Form:
        kwargs = self.form_kwargs()
        if issubclass(self.form_class, web_forms.ZonedForm):
            kwargs.update(user=self.user, school=self.record_school())
        if data is None:
            return self.form_class(initial=self.initial(), **kwargs)
        return self.form_class(data, **kwargs)

    # --- flow --------------------------------------------------------------------
    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.load(request, **kwargs)
        return self.render(self.make_form())

    def post(self, request: AuthenticatedHttpRequest, **kwargs: Any) -> HttpResponse:
        self.load(request, **kwargs)
        self.context = web_context(request)
        form = self.make_form(request.POST)
        status = 400
        if form.is_valid():
            try:
                # Two services in one action (create + send…) commit together or not.
                with transaction.atomic():
                    self.perform(form)
            except ValidationError as error:
                web_forms.add_service_errors(form, error)
            except Conflict as conflict:
                form.add_error(None, conflict.message)
                status = 409
            else:
                return self.success(request)
        return self.render(form, status=status)

    def success(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        messages.success(request, self.success_message)
        if is_htmx(request) and self.case is not None:
            body = render_to_string(
                "web/_case_body.html", case_page_context(request, self.case.pk), request=request
            )
            # The confirmation replaces #messages out of band (and is consumed now, not
            # shown again on the next page).
            notice = render_to_string("web/_messages.html", {"oob": True}, request=request)
            response = HttpResponse(body + notice)
            response["HX-Retarget"] = "#case-body"
            response["HX-Reswap"] = "outerHTML"
            return response
        return redirect(self.success_url())

    def render(self, form: forms.Form, status: int = 200) -> HttpResponse:
        request = self.request
        if self.case is not None:
            record_read(request, AccessAction.CASE_FORM, [self.case.pk])
        inline = is_htmx(request)
        context = {
            "form": form,
            "title": self.title,
            "intro": self.intro,
            "submit_label": self.submit_label,
            "case": self.case,
            "action_url": request.get_full_path(),
            "cancel_url": self.cancel_url(),
            "inline": inline,
            "zone_note": form.zone_note() if isinstance(form, web_forms.ZonedForm) else "",
        }
        template = "web/_form.html" if inline else "web/form_page.html"
        return render(request, template, context, status=status)


class CaseFormView(FormActionView):
    """A form on one case the user may write to (the school's lead or deputy)."""

    case: Case  # set by ``load`` before any other hook runs

    def load(self, request: HttpRequest, **kwargs: Any) -> None:
        self.case = editable_case_or_error(signed_in_user(request), kwargs["case_id"])
        self.load_more(request, **kwargs)

    def load_more(self, request: HttpRequest, **kwargs: Any) -> None:
        """Fetch sub-objects of ``self.case`` (raise ``Http404`` if not of this case)."""


def _of_case(queryset: QuerySet[_Record], case: Case, pk: int, user: User) -> _Record:
    """The record ``pk`` of ``queryset`` if it belongs to ``case``; else ``Http404``.
    A record of another school's case in the address is noted as a denied access
    (``cases.denials.refused``), one of the school's own cases is not: a wrong link."""
    obj = queryset.filter(case=case, pk=pk).first()
    if obj is None:
        # The model's default manager (``objects``): every row, not only this case's.
        refused(
            user=user,
            records=queryset.model._default_manager,
            object_id=pk,
            school_field="case__school_id",
        )
        raise Http404
    return obj


# --- Concerns and cases -------------------------------------------------------------


class ConcernNewView(FormActionView):
    form_class = web_forms.ConcernForm
    title = _("Log a concern")
    intro = _(
        "Write what you were told or saw. Never view, copy, forward or save an image: "
        "record where it is instead."
    )
    submit_label = _("Log concern")
    success_message = _("Concern logged. The safeguarding lead will see it on their dashboard.")

    def load(self, request: HttpRequest, **kwargs: Any) -> None:
        self.schools = list(
            Organisation.objects.filter(pk__in=schools_for_concerns(signed_in_user(request)))
        )
        if not self.schools:
            raise PermissionDenied

    def form_kwargs(self) -> dict[str, Any]:
        return {"schools": self.schools}

    def perform(self, form) -> None:
        data = form.cleaned_data
        case_services.concern_log(
            school=form.chosen_school(),
            logged_by=self.user,
            source=data["source"],
            summary=data["summary"],
            childs_own_words=data["childs_own_words"],
            occurred_at=data["occurred_at"],
            context=self.context,
        )

    def success_url(self) -> str:
        return reverse("web:dashboard")


class CaseNewView(FormActionView):
    """Open a case, blank or from a new concern (``?concern=<id>``)."""

    form_class = web_forms.CaseOpenForm
    title = _("Open a case")
    submit_label = _("Open case")
    success_message = _("Case opened.")
    concern: Concern | None = None
    created: Case | None = None  # the case opened (``perform``)

    def load(self, request: HttpRequest, **kwargs: Any) -> None:
        owned = schools_owned_by(signed_in_user(request))
        if not owned:
            raise PermissionDenied
        self.schools = list(Organisation.objects.filter(pk__in=owned))
        concern_id = request.GET.get("concern")
        if concern_id:
            concern_pk = whole_number(concern_id)
            if concern_pk is None:
                raise Http404
            self.concern = (
                concerns_for_user(user=signed_in_user(request))
                .filter(pk=concern_pk, school_id__in=owned, status=Concern.Status.NEW)
                .first()
            )
            if self.concern is None:
                raise Http404
            self.schools = [s for s in self.schools if s.pk == self.concern.school_id]

    def form_kwargs(self) -> dict[str, Any]:
        return {"schools": self.schools}

    def initial(self) -> dict[str, Any]:
        if self.concern is None:
            return {}
        return {"title": self.concern.summary, "summary": self.concern.childs_own_words}

    def perform(self, form) -> None:
        data = form.cleaned_data
        self.created = case_services.case_open(
            school=form.chosen_school(),
            actor=self.user,
            title=data["title"],
            category=data["category"],
            summary=data["summary"],
            risk_level=data["risk_level"],
            concern=self.concern,
            adult_involved=data["adult_involved"],
            coercion_or_extortion=data["coercion_or_extortion"],
            under_13=data["under_13"],
            ai_generated=data["ai_generated"],
            context=self.context,
        )

    def success_url(self) -> str:
        if self.created is not None:
            return reverse("web:case_detail", args=[self.created.pk])
        return reverse("web:case_list")

    def render(self, form, status: int = 200) -> HttpResponse:
        if self.concern is not None:
            record_read(self.request, AccessAction.CONCERN_DETAIL, [])
        return super().render(form, status)


class ParticipantNewView(CaseFormView):
    form_class = web_forms.ParticipantForm
    title = _("Add a person to the case")
    submit_label = _("Add person")
    success_message = _("Person added to the case.")
    section = "participants"

    def form_kwargs(self) -> dict[str, Any]:
        return {"case": self.case, "people": people_for_user(user=self.user)}

    def perform(self, form) -> None:
        data = form.cleaned_data
        person = data["person"]
        if person is None:
            person = case_services.person_create(
                school=self.case.school,
                actor=self.user,
                kind=data["kind"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                date_of_birth=data["date_of_birth"],
                sex=data["sex"],
                year_group=data["year_group"],
                context=self.context,
            )
        case_services.participant_add(
            case=self.case,
            person=person,
            role=data["role"],
            actor=self.user,
            notes=data["notes"],
            act_on=data.get("act_on"),
            context=self.context,
        )


class EvidenceNewView(CaseFormView):
    form_class = web_forms.EvidenceForm
    title = _("Record evidence")
    intro = _("Record where the content is and its hashes. Never upload, attach or paste an image.")
    submit_label = _("Record evidence")
    success_message = _("Evidence recorded.")
    section = "evidence"

    def perform(self, form) -> None:
        data = form.cleaned_data
        case_services.evidence_record(
            case=self.case,
            actor=self.user,
            kind=data["kind"],
            first_seen_at=data["first_seen_at"],
            platform=data["platform"],
            location=data["location"],
            identifiers=data["identifiers"],
            seen_by=data["seen_by"],
            description=data["description"],
            sha256=data["sha256"],
            md5=data["md5"],
            pdq=data["pdq"],
            pdq_quality=data["pdq_quality"],
            context=self.context,
        )


class CaseCloseView(CaseFormView):
    form_class = web_forms.CloseCaseForm
    title = _("Close the case")
    submit_label = _("Close case")
    success_message = _("Case closed.")

    def initial(self) -> dict[str, Any]:
        return {"expected_status": self.case.status, "expected_updated_at": self.case.updated_at}

    def perform(self, form) -> None:
        case_services.case_close(
            case=self.case,
            actor=self.user,
            reason=form.cleaned_data["reason"],
            expected_status=form.cleaned_data["expected_status"] or None,
            expected_updated_at=form.cleaned_data["expected_updated_at"],
            context=self.context,
        )


class CaseReopenView(CaseFormView):
    form_class = web_forms.CaseStatusForm
    title = _("Reopen the case")
    intro = _("A reopened case can be changed again; the chronology keeps its closure.")
    submit_label = _("Reopen case")
    success_message = _("Case reopened.")

    def initial(self) -> dict[str, Any]:
        return {"expected_status": self.case.status, "expected_updated_at": self.case.updated_at}

    def perform(self, form) -> None:
        case_services.case_reopen(
            case=self.case,
            actor=self.user,
            expected_status=form.cleaned_data["expected_status"] or None,
            expected_updated_at=form.cleaned_data["expected_updated_at"],
            context=self.context,
        )


class GuardianContactNewView(CaseFormView):
    form_class = web_forms.GuardianContactForm
    title = _("Record a contact with a parent or guardian")
    submit_label = _("Record contact")
    success_message = _("Contact recorded.")
    section = "support"

    def form_kwargs(self) -> dict[str, Any]:
        return {"case": self.case, "people": people_for_user(user=self.user)}

    def perform(self, form) -> None:
        data = form.cleaned_data
        case_services.guardian_contact_record(
            case=self.case,
            guardian=data["guardian"],
            actor=self.user,
            method=data["method"],
            contacted_at=data["contacted_at"],
            notes=data["notes"],
            context=self.context,
        )


# --- Support ------------------------------------------------------------------------


class SupportPlanNewView(CaseFormView):
    form_class = web_forms.SupportPlanForm
    title = _("Create a support plan")
    submit_label = _("Create plan")
    success_message = _("Support plan created.")
    section = "support"

    def form_kwargs(self) -> dict[str, Any]:
        return {"case": self.case}

    def initial(self) -> dict[str, Any]:
        victim = whole_number(self.request.GET.get("victim"))
        return {} if victim is None else {"victim": victim}

    def perform(self, form) -> None:
        data = form.cleaned_data
        case_services.support_plan_create(
            case=self.case,
            victim=data["victim"],
            owner=self.user,
            actor=self.user,
            summary=data["summary"],
            check_in_every_days=data["check_in_every_days"],
            first_check_in_at=data["first_check_in_at"],
            context=self.context,
        )


class PlanFormView(CaseFormView):
    section = "support"

    def load_more(self, request: HttpRequest, **kwargs: Any) -> None:
        self.plan = _of_case(
            SupportPlan.objects.select_related("case", "victim"),
            self.case,
            kwargs["plan_id"],
            signed_in_user(request),
        )


class CheckInNewView(PlanFormView):
    form_class = web_forms.CheckInForm
    title = _("Record a check-in")
    submit_label = _("Record check-in")
    success_message = _("Check-in recorded; the next one is scheduled.")

    def perform(self, form) -> None:
        data = form.cleaned_data
        case_services.check_in_record(
            plan=self.plan,
            actor=self.user,
            held_at=data["held_at"],
            wellbeing=data["wellbeing"],
            notes=data["notes"],
            context=self.context,
        )


class MeasureNewView(PlanFormView):
    form_class = web_forms.MeasureForm
    title = _("Add a support measure")
    submit_label = _("Add measure")
    success_message = _("Support measure added.")

    def perform(self, form) -> None:
        data = form.cleaned_data
        case_services.support_measure_add(
            plan=self.plan,
            actor=self.user,
            kind=data["kind"],
            description=data["description"],
            provider=data["provider"],
            started_on=data["started_on"],
            context=self.context,
        )


# --- Referrals (school side) --------------------------------------------------------


class ReferralNewView(CaseFormView):
    form_class = web_forms.ReferralForm
    title = _("Refer the case")
    intro = _(
        "The destination will see only the sections you tick, and only while the "
        "referral is open. The notice e-mail carries a link, never a child's details."
    )
    submit_label = _("Create referral")
    success_message = _("Referral recorded.")
    section = "referrals"

    def form_kwargs(self) -> dict[str, Any]:
        return {"case": self.case, "destination": self.request.GET.get("destination")}

    def perform(self, form) -> None:
        data = form.cleaned_data
        referral = reporting_services.referral_create(
            case=self.case,
            actor=self.user,
            destination=data["destination"],
            summary=data["summary"],
            legal_basis=data["legal_basis"],
            shared_sections=data["shared_sections"],
            legal_basis_note=data["legal_basis_note"],
            complainant=data["complainant"],
            guardians=data["guardians"],
            guardians_note=data["guardians_note"],
            phoned_at=data["phoned_at"],
            phoned_to=data["phoned_to"],
            context=self.context,
        )
        if data["send_now"]:
            reporting_services.referral_send(
                referral=referral, actor=self.user, context=self.context
            )


class CaseReferralView(CaseFormView):
    section = "referrals"

    def load_more(self, request: HttpRequest, **kwargs: Any) -> None:
        self.referral = _of_case(
            Referral.objects.select_related("case", "destination"),
            self.case,
            kwargs["referral_id"],
            signed_in_user(request),
        )


class ReferralSendView(CaseReferralView):
    title = _("Send the referral")
    submit_label = _("Send")
    success_message = _("Referral sent.")

    def perform(self, form) -> None:
        reporting_services.referral_send(
            referral=self.referral, actor=self.user, context=self.context
        )


class ReferralWithdrawView(CaseReferralView):
    form_class = web_forms.ReasonForm
    title = _("Withdraw the referral")
    submit_label = _("Withdraw")
    success_message = _("Referral withdrawn.")

    def perform(self, form) -> None:
        reporting_services.referral_withdraw(
            referral=self.referral,
            actor=self.user,
            reason=form.cleaned_data["reason"],
            context=self.context,
        )


# --- Referrals (destination side) ---------------------------------------------------


class DestinationReferralView(FormActionView):
    """An action of the destination's liaison on a referral to their unit."""

    def load(self, request: HttpRequest, **kwargs: Any) -> None:
        self.referral = referral_or_404(signed_in_user(request), kwargs["referral_id"])
        if not can_act_for_destination(signed_in_user(request), self.referral):
            raise PermissionDenied

    def record_school(self) -> Organisation:
        # The liaison acts across schools: input_zone reads their times on their own
        # organisation's clock, not the school's.
        return self.referral.case.school

    def success_url(self) -> str:
        return reverse("web:referral", args=[self.referral.pk])

    def render(self, form, status: int = 200) -> HttpResponse:
        record_read(self.request, AccessAction.REFERRAL_FORM, [self.referral.case_id])
        return super().render(form, status)


class ReferralAcknowledgeView(DestinationReferralView):
    form_class = web_forms.AcknowledgeForm
    title = _("Acknowledge the referral")
    submit_label = _("Acknowledge")
    success_message = _("Referral acknowledged.")

    def perform(self, form) -> None:
        reporting_services.referral_acknowledge(
            referral=self.referral,
            actor=self.user,
            external_reference=form.cleaned_data["external_reference"],
            acknowledged_at=form.cleaned_data["acknowledged_at"],
            context=self.context,
        )


class ReferralCloseView(DestinationReferralView):
    form_class = web_forms.OutcomeTextForm
    title = _("Close the referral")
    submit_label = _("Close referral")
    success_message = _("Referral closed.")

    def perform(self, form) -> None:
        reporting_services.referral_close(
            referral=self.referral,
            actor=self.user,
            outcome=form.cleaned_data["outcome"],
            context=self.context,
        )


class ReferralRejectView(DestinationReferralView):
    form_class = web_forms.ReasonForm
    title = _("Decline the referral")
    submit_label = _("Decline")
    success_message = _("Referral declined.")

    def perform(self, form) -> None:
        reporting_services.referral_reject(
            referral=self.referral,
            actor=self.user,
            reason=form.cleaned_data["reason"],
            context=self.context,
        )


# --- Takedown notices ---------------------------------------------------------------


class TakedownNewView(CaseFormView):
    form_class = web_forms.TakedownForm
    title = _("Send a takedown notice")
    intro = _(
        "Report the content on the platform's own channel, then record the notice here. "
        "Once submitted, its clock runs from the submission time."
    )
    submit_label = _("Record notice")
    success_message = _("Takedown notice recorded.")
    section = "takedowns"

    def form_kwargs(self) -> dict[str, Any]:
        return {"case": self.case}

    def perform(self, form) -> None:
        data = form.cleaned_data
        notice = reporting_services.takedown_create(
            case=self.case,
            actor=self.user,
            platform=data["platform"],
            legal_basis=data["legal_basis"],
            evidence_items=data["evidence_items"],
            channel=data["channel"] or None,
            notes=data["notes"],
            victim=data["victim"],
            requester_name=data["requester_name"],
            requester_relationship=data["requester_relationship"]
            or RequesterRelationship.SCHOOL_DUTY,
            requester_email=data["requester_email"],
            requester_phone=data["requester_phone"],
            consent_note=data["consent_note"],
            report_email=data["report_email"],
            language=data["language"] or None,
            context=self.context,
        )
        if data["submit_now"]:
            # "Already submitted": the school sent it itself, so a time is always given
            # and nothing is e-mailed again (``takedown_submit``).
            reporting_services.takedown_submit(
                notice=notice,
                actor=self.user,
                submitted_at=data["submitted_at"] or timezone.now(),
                platform_ticket=data["platform_ticket"],
                context=self.context,
            )


class TakedownFormView(CaseFormView):
    section = "takedowns"

    def load_more(self, request: HttpRequest, **kwargs: Any) -> None:
        self.notice = _of_case(
            TakedownRequest.objects.select_related("case", "legal_basis", "platform"),
            self.case,
            kwargs["takedown_id"],
            signed_in_user(request),
        )


class TakedownSubmitView(TakedownFormView):
    form_class = web_forms.TakedownSubmitForm
    title = _("Record the submission")
    submit_label = _("Submitted")
    success_message = _("Notice submitted; its clock is running.")

    def load_more(self, request: HttpRequest, **kwargs: Any) -> None:
        super().load_more(request, **kwargs)
        if self.notice.channel == Platform.Channel.EMAIL:
            self.intro = _(
                "This platform takes notices by e-mail: leave the time empty and Salvaguarda "
                "e-mails the notice's text to its abuse address now. Give a time only for "
                "a notice you already sent yourself."
            )

    def perform(self, form) -> None:
        data = form.cleaned_data
        reporting_services.takedown_submit(
            notice=self.notice,
            actor=self.user,
            submitted_at=data["submitted_at"],
            platform_ticket=data["platform_ticket"],
            context=self.context,
        )


class TakedownOutcomeView(TakedownFormView):
    form_class = web_forms.TakedownOutcomeForm
    title = _("Record the platform's answer")
    submit_label = _("Record answer")
    success_message = _("Answer recorded.")

    def initial(self) -> dict[str, Any]:
        return {"expected_status": self.notice.status}

    def perform(self, form) -> None:
        data = form.cleaned_data
        reporting_services.takedown_record_outcome(
            notice=self.notice,
            actor=self.user,
            status=data["status"],
            platform_ticket=data["platform_ticket"],
            expected_status=data["expected_status"] or None,
            context=self.context,
        )


class TakedownEscalateView(TakedownFormView):
    form_class = web_forms.EscalateForm
    title = _("Escalate the notice")
    submit_label = _("Escalate")
    success_message = _("Notice escalated.")

    def perform(self, form) -> None:
        data = form.cleaned_data
        reporting_services.takedown_escalate(
            notice=self.notice,
            actor=self.user,
            escalated_to=data["escalated_to"],
            reference=data["reference"],
            context=self.context,
        )


# --- Messages sent (the outbox) -----------------------------------------------------


class DeliveryRetryView(FormActionView):
    """Send a failed message again ("Send again" on the case page, the referral page
    and the dashboard), after fixing what made it fail: ``cases.deliveries.
    delivery_retry`` (audited ``delivery.retried``). The message through
    ``casefile.deliveries.delivery_get_for_user`` (404 if not visible); a lead or
    deputy of its school only (403 for a liaison who sees it). Not failed any more
    (sent meanwhile, or retried by someone else): 409 with that said, nothing written.
    Back to the case's "Messages sent", or to the dashboard (``next=dashboard``)."""

    title = _("Send the message again")
    submit_label = _("Send again")
    success_message = _("The message will be sent again.")
    intro = _(
        "Its attempts start again and it goes out in a moment. Fix what made it fail "
        "(an e-mail address) first, or it will fail again."
    )
    section = "deliveries"

    def load(self, request: HttpRequest, **kwargs: Any) -> None:
        user = signed_in_user(request)
        try:
            self.message = delivery_get_for_user(user=user, delivery_id=kwargs["delivery_id"])
        except NotFound:
            raise Http404 from None
        if not can_retry_delivery(user, self.message):
            raise PermissionDenied
        # A lead of the message's school may write to its case: the page to return to.
        self.case = self.message.case

    def perform(self, form: forms.Form) -> None:
        delivery_retry(message=self.message, actor=self.user, context=self.context)

    def success_url(self) -> str:
        if self.request.POST.get("next") == "dashboard" or self.case is None:
            return reverse("web:dashboard") + "#failed-deliveries"
        return super().success_url()

    def success(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        if request.POST.get("next") == "dashboard":
            messages.success(request, self.success_message)
            return redirect(self.success_url())
        return super().success(request)
