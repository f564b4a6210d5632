"""API v1 route for school statistics (aggregates only; helper "stats")."""

from django.urls import path

from api import views_statistics as v

urlpatterns = [
    path("statistics/", v.StatisticsApi.as_view(), name="statistics"),
]
