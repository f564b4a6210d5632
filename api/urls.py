"""API v1. Token sign-in lives in ``api/urls_auth.py``, case-file resources in
``api/urls_cases.py``, everything that leaves the school in ``api/urls_reporting.py``,
hash-only file intake in ``api/urls_intake.py``, the messages sent in
``api/urls_deliveries.py``. Every view is an ``api.base.Api``."""

from django.urls import include, path

app_name = "api"
urlpatterns = [
    path("", include("api.urls_auth")),
    path("", include("api.urls_cases")),
    path("", include("api.urls_reporting")),
    path("", include("api.urls_intake")),
    path("", include("api.urls_audit")),
    path("", include("api.urls_statistics")),
    path("", include("api.urls_deliveries")),
]
