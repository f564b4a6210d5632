"""Read pages: dashboard, case list, case page, referral inbox and detail, clusters, and
the denied accesses to a school's records.

Every page that shows case data gets it through the visibility selectors and writes
an ``AccessEvent`` (``web.access.record_read``). The forms are in ``web.views_actions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import lockout_response
from accounts.lockout import sign_in_completed
from accounts.second_factor import needs_verification
from casefile.deliveries import (
    can_retry_delivery,
    deliveries_about_for_user,
    failed_deliveries_for_user,
    failure_reason,
)
from cases.audit import case_access_log, denials_for_user
from cases.exceptions import NotFound
from cases.models import AccessEvent, Case, CheckIn, Concern, Participant, SupportPlan
from cases.selectors import (
    case_list_for_user,
    check_ins_due_for_user,
    concerns_for_user,
    open_cases_for_user,
    schools_of,
    schools_owned_by,
    units_of,
)
from cases.verbs import AccessAction
from config.http import AuthenticatedHttpRequest, axes_locked_out, signed_in_user
from config.throttling import sign_in_allowed
from outbox.models import Message
from reporting.models import LIVE_REFERRAL_STATUSES, Referral, TakedownRequest
from reporting.selectors import (
    can_act_for_destination,
    case_clusters_for_user,
    case_data_visible,
    overdue_takedowns_for_user,
    referral_list_for_user,
    referral_people_for_user,
)
from reporting.statistics import statistics_schools
from web import views_packet
from web.access import (
    case_view_or_404,
    is_htmx,
    record_read,
    referral_or_404,
)
from web.forms import AcknowledgeForm, CaseFilterForm

if TYPE_CHECKING:
    # A str or a lazy translation (django-stubs' alias; a dev dependency, so types only).
    from django_stubs_ext import StrOrPromise

CASES_PER_PAGE = 50
TS = TakedownRequest.Status


class LoginView(auth_views.LoginView):
    """Django's sign-in form, rate-limited per address and username like the API's
    (``API_AUTH_THROTTLE_RATE``): over the limit, 429 and no password check. A locked
    username (django-axes, 6 failures) gets 429. A user who must use a second factor
    goes on to ``web:otp_verify`` (``accounts.second_factor``)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if not sign_in_allowed(request, str(request.POST.get("username", ""))):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many sign-in attempts. Wait a minute and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if axes_locked_out(self.request):
            return lockout_response(self.request)
        return super().form_invalid(form)

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if needs_verification(self.request.user):
            return reverse("web:otp_verify") + "?" + urlencode({REDIRECT_FIELD_NAME: url})
        sign_in_completed(signed_in_user(self.request))  # no second factor owed: signed in
        return url


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign someone out behind their back."""


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What needs doing: for a lead, open cases, overdue takedown notices, check-ins
    due this week and the messages whose delivery failed (with "Send again"); for a
    police liaison, open cases referred to their unit and live referrals; for staff,
    their concerns."""
    user = request.user
    owned = schools_owned_by(user)
    units = units_of(user)
    now = timezone.now()
    context: dict[str, Any] = {"is_lead": bool(owned), "is_police": bool(units), "now": now}
    # Heads, leads and deputies see their schools' statistics (aggregates only).
    context["sees_statistics"] = bool(statistics_schools(user))
    shown_case_ids: set[int] = set()

    if owned or units:
        # The API dashboard's count too (``cases.selectors.open_cases_for_user``).
        context["open_cases"] = open_cases_for_user(user=user).count()

    if owned:
        overdue = [
            OverdueNoticeRow.of(notice, now=now)
            for notice in overdue_takedowns_for_user(user=user, now=now)
        ]
        context["overdue_takedowns"] = overdue
        check_ins = list(check_ins_due_for_user(user=user).select_related("plan__case__school"))
        context["check_ins"] = check_ins
        context["new_concerns"] = list(
            concerns_for_user(user=user)
            .filter(school_id__in=owned, status=Concern.Status.NEW)
            .order_by("-logged_at")[:20]
        )
        shown_case_ids.update(row.notice.case_id for row in overdue)
        shown_case_ids.update(c.plan.case_id for c in check_ins)
        # Shown only when there are some; each one a lead may send again.
        failed = [
            DeliveryRow.of(message, can_retry=True)
            for message in failed_deliveries_for_user(user=user)[:FAILED_DELIVERIES_SHOWN]
        ]
        context["failed_deliveries"] = failed
        context["failed_deliveries_count"] = (
            len(failed)
            if len(failed) < FAILED_DELIVERIES_SHOWN
            else failed_deliveries_for_user(user=user).count()
        )
        shown_case_ids.update(row.message.case_id for row in failed if row.message.case_id)

    if units:
        live = Referral.objects.filter(destination_id__in=units, status__in=LIVE_REFERRAL_STATUSES)
        context["live_referrals"] = live.count()
        context["awaiting_acknowledgement"] = live.filter(status=Referral.Status.SENT).count()

    if schools_of(user) and not owned:
        context["my_concerns"] = list(
            concerns_for_user(user=user).filter(logged_by=user).order_by("-logged_at")[:50]
        )

    # Concern summaries are case data too: the read is recorded whenever any is shown,
    # like the API's concern.list (AccessEvent holds case ids; concerns not yet linked
    # to a case are recorded as the read itself).
    concerns_shown = context.get("new_concerns") or context.get("my_concerns") or []
    shown_case_ids.update(c.case_id for c in concerns_shown if c.case_id)
    # So are the failed messages (a case reference, a recipient), with or without a case.
    if shown_case_ids or concerns_shown or context.get("failed_deliveries"):
        record_read(request, AccessAction.DASHBOARD, shown_case_ids)
    return render(request, "web/dashboard.html", context)


@login_required
@require_GET
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Cases the user may see (``case_list_for_user``), filtered by status and category.
    With htmx the filter swaps only the table."""
    cases = case_list_for_user(user=request.user)
    filters = CaseFilterForm(request.GET or None)
    if filters.is_valid():
        if filters.cleaned_data.get("status"):
            cases = cases.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data.get("category"):
            cases = cases.filter(category=filters.cleaned_data["category"])
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "can_open_case": bool(schools_owned_by(request.user)),
    }
    if page.object_list:
        record_read(request, AccessAction.CASE_LIST, [c.pk for c in page.object_list])
    template = "web/_case_table.html" if is_htmx(request) else "web/case_list.html"
    return render(request, template, context)


ACCESS_LOG_ROWS = 20


def access_log_for_page(request: AuthenticatedHttpRequest, case: Case) -> list[AccessEvent]:
    """The newest reads of ``case`` (at most ``ACCESS_LOG_ROWS``) for the page of its
    lead or deputy (the caller checks ``can_edit_case``); reading them is audited as
    ``case.access_log``."""
    rows = list(case_access_log(case=case)[:ACCESS_LOG_ROWS])
    record_read(request, AccessAction.CASE_ACCESS_LOG, [case.pk])
    return rows


@dataclass(frozen=True)
class OverdueNoticeRow:
    """A takedown notice on the dashboard, past its deadline by ``overdue_by`` (read
    once for the page; ``None`` only for a notice without a clock, which the database
    refuses outside drafts: ``takedown_submitted_has_clock``)."""

    notice: TakedownRequest
    overdue_by: timedelta | None

    @classmethod
    def of(cls, notice: TakedownRequest, *, now: datetime) -> OverdueNoticeRow:
        deadline = notice.deadline_at
        return cls(notice, None if deadline is None else now - deadline)


FAILED_DELIVERIES_SHOWN = 50


@dataclass(frozen=True)
class DeliveryRow:
    """A message sent, on a page: why it failed in plain words (``""`` unless failed)
    and whether the reader may send it again (a lead or deputy of its school, and it
    is failed)."""

    message: Message
    reason: str
    can_retry: bool

    @classmethod
    def of(cls, message: Message, *, can_retry: bool) -> DeliveryRow:
        failed = message.state == Message.State.FAILED
        return cls(message, failure_reason(message), can_retry and failed)


@dataclass(frozen=True)
class ReferralRow:
    """A referral on the case page, with the labels of the sections it shares."""

    referral: Referral
    section_labels: list[StrOrPromise]


@dataclass(frozen=True)
class NoticeRow:
    """A takedown notice on the case page, with its clock read once for the page
    (``TakedownRequest.time_left``: negative when overdue, ``None`` without a clock)."""

    notice: TakedownRequest
    left: timedelta | None


@dataclass(frozen=True)
class PlanRow:
    """A support plan on the case page: its next pending check-in (earliest due) and
    the check-ins held, newest first."""

    plan: SupportPlan
    next_check_in: CheckIn | None
    held_check_ins: list[CheckIn]


def plan_row(plan: SupportPlan) -> PlanRow:
    check_ins = list(plan.check_ins.all())
    pending = [c for c in check_ins if c.held_at is None]
    held = sorted(
        ((c.held_at, c) for c in check_ins if c.held_at is not None),
        key=itemgetter(0),
        reverse=True,
    )
    return PlanRow(
        plan=plan,
        next_check_in=min(pending, key=lambda c: c.due_at) if pending else None,
        held_check_ins=[check_in for _held_at, check_in in held],
    )


def case_page_context(request: AuthenticatedHttpRequest, case_id: int | str) -> dict[str, Any]:
    """Everything the case page shows: the reader's view of the case
    (``casefile.selectors.case_view_for_user``) and the rows the template lays out from
    it, with the read-audit row written. Raises ``Http404`` for a case the user may not
    see."""
    view = case_view_or_404(request.user, case_id)
    case = view.case
    record_read(request, AccessAction.CASE_DETAIL, [case.pk])
    plans = [plan_row(plan) for plan in view.support_plans]
    with_plan = {plan.victim_id for plan in view.support_plans}
    return {
        # The access log is not a part of the case: a read of its own, its own row.
        "access_log": access_log_for_page(request, case) if view.can_edit else [],
        "view": view,
        "case": case,
        "parts": view.parts,
        "part_names": sorted(view.parts),
        "can_edit": view.can_edit,
        # A closed case takes no additions (cases.services.lock_open_case): reopen first.
        "can_add": view.can_edit and case.status == case.Status.OPEN,
        "referrals": [ReferralRow(r, section_labels(r)) for r in view.referrals],
        "takedowns": [NoticeRow(n, n.time_left()) for n in view.takedowns],
        "deliveries": [DeliveryRow.of(m, can_retry=view.can_edit) for m in view.deliveries],
        "plans": plans,
        "victims_without_plan": [
            p
            for p in view.participants
            if p.role == Participant.Role.VICTIM and p.person_id not in with_plan
        ],
        "now": timezone.now(),
        "SupportPlan": SupportPlan,
        "TS": TS,
    }


@login_required
@require_GET
def case_detail(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """The case page: chronology, people and roles, evidence (metadata and hashes, never
    an image), referrals, takedowns with their clocks, support plans."""
    context = case_page_context(request, case_id)
    template = "web/_case_body.html" if is_htmx(request) else "web/case_detail.html"
    return render(request, template, context)


@login_required
@require_GET
def referral_inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A police liaison's inbox: referrals to their unit from every school. A lead sees
    their schools' referrals here too."""
    # The list shows only the header of each referral (case reference, school,
    # destination, status), never its contents: no per-row visibility to carry.
    referrals = list(referral_list_for_user(user=request.user)[:200])
    if referrals:
        record_read(request, AccessAction.REFERRAL_LIST, {r.case_id for r in referrals})
    return render(
        request,
        "web/referral_list.html",
        {
            "referrals": referrals,
            "is_police": bool(units_of(request.user)),
            # Issue 10: which victim each referral is about ("not shared" if not).
            "people": referral_people_for_user(user=request.user, referrals=referrals),
            "now": timezone.now(),
        },
    )


@login_required
@require_GET
def referral_detail(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    """One referral (the link in the notice e-mail). Its contents only while live for
    the destination; the acknowledge form for the destination's liaison."""
    referral = referral_or_404(request.user, referral_id)
    record_read(request, AccessAction.REFERRAL_DETAIL, [referral.case_id])
    return render(request, "web/referral_detail.html", referral_detail_context(request, referral))


def section_labels(referral: Referral) -> list[StrOrPromise]:
    """The labels (translated when rendered) of the sections ``referral`` shares."""
    return [label for value, label in Referral.Section.choices if value in referral.shared_sections]


def referral_detail_context(
    request: AuthenticatedHttpRequest, referral: Referral, **extra: Any
) -> dict[str, Any]:
    liaison = can_act_for_destination(request.user, referral)
    deliveries = [
        DeliveryRow.of(m, can_retry=can_retry_delivery(request.user, m))
        for m in deliveries_about_for_user(user=request.user, about=referral)
    ]
    context = {
        "deliveries": deliveries,
        "referral": referral,
        "contents_visible": case_data_visible(referral),
        "is_liaison": liaison,
        "can_acknowledge": liaison and referral.status == Referral.Status.SENT,
        "can_close": liaison and referral.status == Referral.Status.ACKNOWLEDGED,
        "can_reject": liaison and referral.status in LIVE_REFERRAL_STATUSES,
        "case_visible": case_data_visible(referral),
        "section_labels": section_labels(referral),
    }
    if "ack_form" not in context:
        context["ack_form"] = AcknowledgeForm(user=request.user, school=referral.case.school)
    context.update(views_packet.packet_context(request, referral))  # issue 10
    context.update(extra)
    return context


@login_required
@require_GET
def clusters(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Cases linked by the same images (identical SHA-256, or PDQ within distance 31),
    across schools, among the cases the user may see
    (``reporting.selectors.case_clusters_for_user``)."""
    groups = case_clusters_for_user(user=request.user)
    case_ids = {case.pk for group in groups for case in group.cases}
    if case_ids:
        record_read(request, AccessAction.CASE_CLUSTERS, case_ids)
    return render(request, "web/clusters.html", {"clusters": groups})


DENIALS_PER_PAGE = 50


@login_required
@require_GET
def denial_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who asked for a record of the user's schools and was refused (answered 404 as
    if it did not exist): ``cases.audit.denials_for_user``, newest first. Leads and
    deputies only, of their own schools; 404 for anyone else. Reading it is audited
    (``denial.list``)."""
    try:
        denials = denials_for_user(user=request.user)
    except NotFound:
        raise Http404 from None
    page = Paginator(denials, DENIALS_PER_PAGE).get_page(request.GET.get("page"))
    record_read(request, AccessAction.DENIAL_LIST, [])
    return render(request, "web/denial_list.html", {"page": page})
