"""API v1 routes for the directory, referrals, takedown notices and
clusters (helper "api-reporting"; see notes/API.md)."""

from django.urls import path

from api import views_cybertipline, views_packet
from api import views_notices as n
from api import views_reporting as v
from api import views_routing as vr

urlpatterns = [
    path("organisations/", v.OrganisationListApi.as_view(), name="organisation-list"),
    path("platforms/", v.PlatformListApi.as_view(), name="platform-list"),
    path("legal-bases/", v.LegalBasisListApi.as_view(), name="legal-basis-list"),
    path("removal-routes/", v.RemovalRouteListApi.as_view(), name="removal-route-list"),
    path("referrals/", v.ReferralListCreateApi.as_view(), name="referral-list"),
    path("referrals/<int:referral_id>/", v.ReferralDetailApi.as_view(), name="referral-detail"),
    path("referrals/<int:referral_id>/send/", v.ReferralSendApi.as_view(), name="referral-send"),
    path(
        "referrals/<int:referral_id>/acknowledge/",
        v.ReferralAcknowledgeApi.as_view(),
        name="referral-acknowledge",
    ),
    path("referrals/<int:referral_id>/close/", v.ReferralCloseApi.as_view(), name="referral-close"),
    path(
        "referrals/<int:referral_id>/withdraw/",
        v.ReferralWithdrawApi.as_view(),
        name="referral-withdraw",
    ),
    path(
        "referrals/<int:referral_id>/reject/",
        v.ReferralRejectApi.as_view(),
        name="referral-reject",
    ),
    # Issue 10: the referral packet (LAW.md §2), api/views_packet.py.
    path(
        "referrals/<int:referral_id>/packet.pdf",
        views_packet.ReferralPacketPdfApi.as_view(),
        name="referral-packet-pdf",
    ),
    path(
        "referrals/<int:referral_id>/packet.json",
        views_packet.ReferralPacketJsonApi.as_view(),
        name="referral-packet-json",
    ),
    path("takedowns/", v.TakedownListCreateApi.as_view(), name="takedown-list"),
    path("takedowns/<int:takedown_id>/", v.TakedownDetailApi.as_view(), name="takedown-detail"),
    path(
        "takedowns/<int:takedown_id>/submit/",
        v.TakedownSubmitApi.as_view(),
        name="takedown-submit",
    ),
    path(
        "takedowns/<int:takedown_id>/outcome/",
        v.TakedownOutcomeApi.as_view(),
        name="takedown-outcome",
    ),
    path(
        "takedowns/<int:takedown_id>/escalate/",
        v.TakedownEscalateApi.as_view(),
        name="takedown-escalate",
    ),
    path("clusters/", v.ClusterListApi.as_view(), name="cluster-list"),
    # Notices' text, drafting an incident's notices, reports to authorities (issue 10).
    path(
        "takedowns/<int:takedown_id>/notice/", n.TakedownNoticeApi.as_view(), name="takedown-notice"
    ),
    path(
        "takedowns/<int:takedown_id>/notice.pdf",
        n.TakedownNoticePdfApi.as_view(),
        name="takedown-notice-pdf",
    ),
    path(
        "cases/<int:case_id>/takedowns/draft-all/",
        n.CaseTakedownsDraftAllApi.as_view(),
        name="case-takedowns-draft-all",
    ),
    path(
        "cases/<int:case_id>/authority-reports/",
        n.CaseAuthorityReportsApi.as_view(),
        name="case-authority-reports",
    ),
    path("authority-reports/", n.AuthorityReportListApi.as_view(), name="authority-report-list"),
    path(
        "authority-reports/<int:authority_report_id>/file/",
        n.AuthorityReportFileApi.as_view(),
        name="authority-report-file",
    ),
    path(
        "authority-reports/<int:authority_report_id>/answer/",
        n.AuthorityReportAnswerApi.as_view(),
        name="authority-report-answer",
    ),
    path(
        "cases/<int:case_id>/cybertipline/",
        views_cybertipline.CaseCyberTiplineApi.as_view(),
        name="case-cybertipline",
    ),
    path(
        "cases/<int:case_id>/cybertipline/filed/",
        views_cybertipline.CaseCyberTiplineFiledApi.as_view(),
        name="case-cybertipline-filed",
    ),
]

# Routing advice and the victims' own removal routes ledger (issue 10, helper "routing").
urlpatterns += [
    path("cases/<int:case_id>/routing/", vr.CaseRoutingApi.as_view(), name="case-routing"),
    path(
        "routing/<int:suggestion_id>/accept/", vr.RoutingAcceptApi.as_view(), name="routing-accept"
    ),
    path(
        "routing/<int:suggestion_id>/dismiss/",
        vr.RoutingDismissApi.as_view(),
        name="routing-dismiss",
    ),
    path(
        "cases/<int:case_id>/removal-reports/",
        vr.CaseRemovalReportsApi.as_view(),
        name="case-removal-reports",
    ),
    path(
        "cases/<int:case_id>/removal-reports/<int:report_id>/",
        vr.RemovalReportDetailApi.as_view(),
        name="removal-report-detail",
    ),
]
