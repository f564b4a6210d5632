"""Case-file API routes (see ``notes/API.md``, "Owned by helper api-cases")."""

from django.urls import path

from api import views_cases as views

urlpatterns = [
    path("people/", views.PeopleApi.as_view(), name="people"),
    path("people/<int:person_id>/", views.PersonDetailApi.as_view(), name="person-detail"),
    path("concerns/", views.ConcernsApi.as_view(), name="concerns"),
    path("concerns/<int:concern_id>/", views.ConcernDetailApi.as_view(), name="concern-detail"),
    path("cases/", views.CasesApi.as_view(), name="cases"),
    path("cases/<int:case_id>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<int:case_id>/close/", views.CaseCloseApi.as_view(), name="case-close"),
    path("cases/<int:case_id>/reopen/", views.CaseReopenApi.as_view(), name="case-reopen"),
    path(
        "cases/<int:case_id>/participants/",
        views.CaseParticipantsApi.as_view(),
        name="case-participants",
    ),
    path("cases/<int:case_id>/evidence/", views.CaseEvidenceApi.as_view(), name="case-evidence"),
    path("cases/<int:case_id>/events/", views.CaseEventsApi.as_view(), name="case-events"),
    path(
        "cases/<int:case_id>/support-plans/",
        views.CaseSupportPlansApi.as_view(),
        name="case-support-plans",
    ),
    path(
        "cases/<int:case_id>/guardian-contacts/",
        views.CaseGuardianContactsApi.as_view(),
        name="case-guardian-contacts",
    ),
    path("cases/<int:case_id>/actions/", views.CaseActionsApi.as_view(), name="case-actions"),
    path(
        "support-plans/<int:plan_id>/check-ins/",
        views.CheckInRecordApi.as_view(),
        name="support-plan-check-ins",
    ),
    path(
        "support-plans/<int:plan_id>/measures/",
        views.SupportMeasureAddApi.as_view(),
        name="support-plan-measures",
    ),
    path(
        "actions/<int:action_id>/complete/",
        views.ActionCompleteApi.as_view(),
        name="action-complete",
    ),
    path("dashboard/", views.DashboardApi.as_view(), name="dashboard"),
]
