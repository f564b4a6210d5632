"""Audit routes: a case's access log, a school's denied accesses (``api/views_audit.py``)."""

from django.urls import path

from api import views_audit as views

urlpatterns = [
    path(
        "cases/<int:case_id>/access-log/",
        views.CaseAccessLogApi.as_view(),
        name="case-access-log",
    ),
    path("security/denials/", views.DenialListApi.as_view(), name="denial-list"),
]
