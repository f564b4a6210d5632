"""The Celery application. Broker from ``CELERY_BROKER_URL`` (Redis or RabbitMQ) or the
embedded filesystem transport (see ``config.settings``)."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.worker.consumer import Consumer
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

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


def __getattr__(name: str) -> Any:
    """``PromptDatabaseScheduler`` (``CELERY_BEAT_SCHEDULER``), made on first use:
    django-celery-beat's scheduler imports its models, which need Django's app registry,
    ready by the time beat loads its scheduler but not when this module is imported.

    It is django-celery-beat's ``DatabaseScheduler`` whose connection to the broker, when
    it has to wait for one (beat started, or first sending, while the broker is down),
    tries again every ``CELERY_BROKER_RECONNECT_SECONDS`` at most instead of Celery's
    2 s, 4 s … 30 s: the outbox sweep reaches the worker about one sweep interval after
    the broker is back (tests/faults/test_broker_down.py)."""
    if name != "PromptDatabaseScheduler":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from django_celery_beat.schedulers import DatabaseScheduler

    class PromptDatabaseScheduler(DatabaseScheduler):  # type: ignore[misc]
        def _ensure_connected(self) -> Any:
            every = float(getattr(settings, "CELERY_BROKER_RECONNECT_SECONDS", 2))

            def _error_handler(exc: Exception, interval: float) -> None:
                logger.error(
                    "beat: Connection error: %s. Trying again in %s seconds...", exc, interval
                )

            return self.connection.ensure_connection(
                _error_handler,
                self.app.conf.broker_connection_max_retries,
                interval_start=min(1.0, every),
                interval_step=1.0,
                interval_max=every,
            )

    globals()[name] = PromptDatabaseScheduler
    return PromptDatabaseScheduler
