"""Hash-only file intake: files are hashed in memory and discarded (DESIGN rule 1)."""

from django.urls import path

from api import views_intake

urlpatterns = [
    path(
        "cases/<int:case_id>/evidence/upload/",
        views_intake.EvidenceUploadApi.as_view(),
        name="evidence-upload",
    ),
    path("hash/", views_intake.HashFileApi.as_view(), name="hash"),
]
