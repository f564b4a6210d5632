"""Webhook endpoints in the admin, with a secret made for each new endpoint. Messages are
not in the admin: they belong to a case, and the case pages and the API show them to
those who may see the case (audited)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from outbox.models import WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    list_display = ["organisation", "url", "key_id", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["organisation__name", "url", "key_id"]
    readonly_fields = ["secret", "created_at"]

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        if not obj.secret:
            obj.secret = secrets.token_urlsafe(48)
        super().save_model(request, obj, form, change)
