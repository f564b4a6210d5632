"""The Celery application. Broker from ``CELERY_BROKER_URL`` (Redis or RabbitMQ) or the
embedded filesystem transport (see ``config.settings``)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.worker.consumer import Consumer
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("salvaguarda")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class PromptConsumer(Consumer):
    """The worker's consumer (``CELERY_WORKER_CONSUMER``), reconnecting to a broker that
    went away every ``CELERY_BROKER_RECONNECT_SECONDS`` at most.

    Celery's consumer waits 2 s, 4 s, 6 s … up to 30 s between attempts (kombu's
    defaults; no setting changes them), so after a long outage the worker could come
    back half a minute after the broker, and the outbox's messages with it. Issue 9
    wants them out within about one sweep interval of the broker's return
    (tests/faults/test_broker_down.py, docs/faults.md)."""

    def ensure_connected(self, conn: Any) -> Any:
        ensure = conn.ensure_connection
        every = float(getattr(settings, "CELERY_BROKER_RECONNECT_SECONDS", 2))

        def ensure_promptly(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("interval_start", min(1.0, every))
            kwargs.setdefault("interval_step", 1.0)
            kwargs.setdefault("interval_max", every)
            return ensure(*args, **kwargs)

        conn.ensure_connection = ensure_promptly
        return super().ensure_connected(conn)
