"""The Celery application. Broker from ``CELERY_BROKER_URL`` (Redis or RabbitMQ) or the
embedded filesystem transport (see ``config.settings``)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("salvaguarda")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
