"""A refused request logs one line, not a traceback; a server error keeps its traceback
(``config.log.ClientErrorWithoutTraceback`` on every handler)."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """The project's LOGGING with the console stream captured."""
    stream = io.StringIO()
    logging.config.dictConfig(settings.LOGGING)
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


def test_a_refused_request_logs_one_line_without_traceback(log_output, police, referral_a):
    web = Client()
    web.force_login(police)  # sees A's referred case, may not write to it: 403
    assert web.get(f"/cases/{referral_a.case_id}/people/new/").status_code == 403
    text = log_output.getvalue()
    assert "django.request" in text
    assert "Traceback" not in text


def test_a_server_error_keeps_its_traceback(log_output):
    logger = logging.getLogger("django.request")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.error("Internal Server Error: /x/", exc_info=True, extra={"status_code": 500})
    assert "Traceback" in log_output.getvalue()
