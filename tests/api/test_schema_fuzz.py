"""The API answers true to its published schema (issue 7, "Done when" 4): schemathesis
generates requests from the live OpenAPI document (``/api/schema/``) for a safeguarding
lead, a police liaison and an anonymous client, sends them through the whole Django
stack (middleware included) on the real test database, and checks every answer:

- ``not_a_server_error``: never a 5xx;
- ``response_schema_conformance`` and ``content_type_conformance``: every documented
  answer matches its schema (formats, nullability) and media type;
- ``ignored_auth``: an operation that declares authentication refuses a request without
  it.

The number of examples per operation is bounded (``SCHEMA_FUZZ_EXAMPLES``, default 8) and
derandomised, so the run is repeatable and takes a minute or two. ``make fuzz`` is the
long run: random examples (``SCHEMA_FUZZ_RANDOM``), many more of them, and schemathesis'
coverage cases (``SCHEMA_FUZZ_COVERAGE``: every boundary and negative value).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
)

from config.wsgi import application

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "8"))
# Derandomised (the same examples every run) unless SCHEMA_FUZZ_RANDOM is set.
RANDOM = os.environ.get("SCHEMA_FUZZ_RANDOM", "") not in ("", "0")
COVERAGE = os.environ.get("SCHEMA_FUZZ_COVERAGE", "") not in ("", "0")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, ignored_auth]


def token_header(user) -> dict[str, str]:
    """``Authorization`` for ``user``: a real knox token, as ``/auth/token/`` issues."""
    _instance, token = AuthToken.objects.create(user=user)
    return {"Authorization": f"Token {token}"}


@pytest.fixture
def world(lead_a, police, referral_a, case_b, lead_b) -> None:
    """School A's case referred to the police unit, and school B's case."""


@pytest.fixture(autouse=True)
def _keep_the_connection(db):
    """Like Django's test client, keep the database connection open across requests
    made through the real WSGI application (the test's transaction holds the data)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# The schema exactly as the running application publishes it, served by the real WSGI
# application (no database is needed to serve it).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

fuzz = settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    # Generated examples only by default. ``Phase.explicit`` adds schemathesis' coverage
    # cases (every boundary and negative value of every parameter: thousands of
    # requests), for the long run. No shrinking: replaying against the database is
    # slow, and the first failing example is reported as it is.
    phases=[Phase.explicit, Phase.generate] if COVERAGE else [Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@fuzz
def test_answers_to_a_safeguarding_lead_match_the_schema(case, world, lead_a):
    case.call_and_validate(headers=token_header(lead_a), checks=CHECKS)


@schema.parametrize()
@fuzz
def test_answers_to_a_police_liaison_match_the_schema(case, world, police):
    case.call_and_validate(headers=token_header(police), checks=CHECKS)


@schema.parametrize()
@fuzz
def test_answers_to_an_anonymous_client_match_the_schema(case, world):
    case.call_and_validate(checks=CHECKS)
