"""Web pages (namespace ``web``). ``web:referral`` is the link in referral notice e-mails."""

from django.urls import path

from web import otp, otp_setup, views, views_packet, views_routing, views_statistics, views_tipline
from web import views_actions as actions
from web import views_notices as notices

app_name = "web"

CASE = "cases/<int:case_id>/"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/verify/", otp.otp_verify, name="otp_verify"),
    path("account/two-factor/", otp_setup.otp_setup, name="otp_setup"),
    path("", views.dashboard, name="dashboard"),
    path("concerns/new/", actions.ConcernNewView.as_view(), name="concern_new"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", actions.CaseNewView.as_view(), name="case_new"),
    path(CASE, views.case_detail, name="case_detail"),
    path(CASE + "people/new/", actions.ParticipantNewView.as_view(), name="participant_new"),
    path(CASE + "evidence/new/", actions.EvidenceNewView.as_view(), name="evidence_new"),
    path(CASE + "close/", actions.CaseCloseView.as_view(), name="case_close"),
    path(CASE + "reopen/", actions.CaseReopenView.as_view(), name="case_reopen"),
    path(
        CASE + "guardian-contacts/new/",
        actions.GuardianContactNewView.as_view(),
        name="guardian_contact_new",
    ),
    path(CASE + "support-plans/new/", actions.SupportPlanNewView.as_view(), name="plan_new"),
    path(
        CASE + "support-plans/<int:plan_id>/check-ins/new/",
        actions.CheckInNewView.as_view(),
        name="check_in_new",
    ),
    path(
        CASE + "support-plans/<int:plan_id>/measures/new/",
        actions.MeasureNewView.as_view(),
        name="measure_new",
    ),
    path(CASE + "referrals/new/", actions.ReferralNewView.as_view(), name="referral_new"),
    path(
        CASE + "referrals/<int:referral_id>/send/",
        actions.ReferralSendView.as_view(),
        name="referral_send",
    ),
    path(
        CASE + "referrals/<int:referral_id>/withdraw/",
        actions.ReferralWithdrawView.as_view(),
        name="referral_withdraw",
    ),
    path(CASE + "takedowns/new/", actions.TakedownNewView.as_view(), name="takedown_new"),
    path(
        CASE + "takedowns/<int:takedown_id>/submit/",
        actions.TakedownSubmitView.as_view(),
        name="takedown_submit",
    ),
    path(
        CASE + "takedowns/<int:takedown_id>/outcome/",
        actions.TakedownOutcomeView.as_view(),
        name="takedown_outcome",
    ),
    path(
        CASE + "takedowns/<int:takedown_id>/escalate/",
        actions.TakedownEscalateView.as_view(),
        name="takedown_escalate",
    ),
    path(CASE + "cybertipline.xml", views_tipline.case_cybertipline, name="case_cybertipline"),
    path(
        CASE + "cybertipline/filed/",
        views_tipline.CyberTiplineFiledView.as_view(),
        name="cybertipline_filed",
    ),
    path("referrals/", views.referral_inbox, name="referral_inbox"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral"),
    path(
        "referrals/<int:referral_id>/acknowledge/",
        actions.ReferralAcknowledgeView.as_view(),
        name="referral_acknowledge",
    ),
    path(
        "referrals/<int:referral_id>/close/",
        actions.ReferralCloseView.as_view(),
        name="referral_close",
    ),
    path(
        "referrals/<int:referral_id>/reject/",
        actions.ReferralRejectView.as_view(),
        name="referral_reject",
    ),
    path(
        "deliveries/<int:delivery_id>/retry/",
        actions.DeliveryRetryView.as_view(),
        name="delivery_retry",
    ),
    path("clusters/", views.clusters, name="clusters"),
    path("statistics/", views_statistics.statistics, name="statistics"),
    path("security/denials/", views.denial_list, name="denials"),
    # Issue 10: the referral packet (LAW.md §2), as PDF and JSON (web/views_packet.py).
    path(
        "referrals/<int:referral_id>/packet.pdf",
        views_packet.referral_packet_pdf,
        name="referral_packet_pdf",
    ),
    path(
        "referrals/<int:referral_id>/packet.json",
        views_packet.referral_packet_json,
        name="referral_packet_json",
    ),
]

# Routing advice and the victims' own removal routes ledger (issue 10, helper "routing").
urlpatterns += [
    path(
        CASE + "routing/<int:suggestion_id>/accept/",
        views_routing.RoutingAcceptView.as_view(),
        name="routing_accept",
    ),
    path(
        CASE + "routing/<int:suggestion_id>/dismiss/",
        views_routing.RoutingDismissView.as_view(),
        name="routing_dismiss",
    ),
    path(
        CASE + "removal-reports/new/",
        views_routing.RemovalReportNewView.as_view(),
        name="removal_report_new",
    ),
    path(
        CASE + "removal-reports/<int:report_id>/",
        views_routing.RemovalReportUpdateView.as_view(),
        name="removal_report_update",
    ),
]

# Notices' text and PDF, drafting an incident's notices, reports to authorities.
urlpatterns += [
    path(
        CASE + "takedowns/<int:takedown_id>/notice/",
        notices.takedown_notice,
        name="takedown_notice",
    ),
    path(
        CASE + "takedowns/<int:takedown_id>/notice.pdf",
        notices.takedown_notice_pdf,
        name="takedown_notice_pdf",
    ),
    path(
        CASE + "takedowns/draft-all/",
        notices.TakedownsDraftAllView.as_view(),
        name="takedowns_draft_all",
    ),
    path(
        CASE + "authority-reports/new/",
        notices.AuthorityReportNewView.as_view(),
        name="authority_report_new",
    ),
    path(
        CASE + "authority-reports/<int:authority_report_id>/file/",
        notices.AuthorityReportFileView.as_view(),
        name="authority_report_file",
    ),
    path(
        CASE + "authority-reports/<int:authority_report_id>/answer/",
        notices.AuthorityReportAnswerView.as_view(),
        name="authority_report_answer",
    ),
]
