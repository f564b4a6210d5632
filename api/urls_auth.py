"""Token sign-in and sign-out (``api/views_auth.py``)."""

from django.urls import path

from api import views_auth

urlpatterns = [
    path("auth/token/", views_auth.TokenCreateApi.as_view(), name="auth-token"),
    path("auth/logout/", views_auth.TokenLogoutApi.as_view(), name="auth-logout"),
]
