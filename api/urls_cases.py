"""Case-file API routes: people and concerns (``api.views_people``), cases
(``api.views_cases``), what hangs off a case (``api.views_case_parts``)."""

from django.urls import path

from api import views_case_parts as parts
from api import views_cases as views
from api import views_people as people

urlpatterns = [
    path("people/", people.PeopleApi.as_view(), name="people"),
    path("people/<int:person_id>/", people.PersonDetailApi.as_view(), name="person-detail"),
    path("concerns/", people.ConcernsApi.as_view(), name="concerns"),
    path("concerns/<int:concern_id>/", people.ConcernDetailApi.as_view(), name="concern-detail"),
    path("cases/", views.CasesApi.as_view(), name="cases"),
    path("cases/<int:case_id>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<int:case_id>/close/", views.CaseCloseApi.as_view(), name="case-close"),
    path("cases/<int:case_id>/reopen/", views.CaseReopenApi.as_view(), name="case-reopen"),
    path(
        "cases/<int:case_id>/participants/",
        parts.CaseParticipantsApi.as_view(),
        name="case-participants",
    ),
    path("cases/<int:case_id>/evidence/", parts.CaseEvidenceApi.as_view(), name="case-evidence"),
    path("cases/<int:case_id>/events/", parts.CaseEventsApi.as_view(), name="case-events"),
    path(
        "cases/<int:case_id>/support-plans/",
        parts.CaseSupportPlansApi.as_view(),
        name="case-support-plans",
    ),
    path(
        "cases/<int:case_id>/guardian-contacts/",
        parts.CaseGuardianContactsApi.as_view(),
        name="case-guardian-contacts",
    ),
    path("cases/<int:case_id>/actions/", parts.CaseActionsApi.as_view(), name="case-actions"),
    path(
        "support-plans/<int:plan_id>/check-ins/",
        parts.CheckInRecordApi.as_view(),
        name="support-plan-check-ins",
    ),
    path(
        "support-plans/<int:plan_id>/measures/",
        parts.SupportMeasureAddApi.as_view(),
        name="support-plan-measures",
    ),
    path(
        "actions/<int:action_id>/complete/",
        parts.ActionCompleteApi.as_view(),
        name="action-complete",
    ),
    path("dashboard/", views.DashboardApi.as_view(), name="dashboard"),
]
