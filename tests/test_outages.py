"""Issue 9, outages (the fast part; ``make faults`` stops a real server under load).

- The database unreachable answers 503 with ``Retry-After`` in the user's language,
  JSON under ``/api/`` and a page elsewhere, for reads and writes, whether the failure
  comes in a middleware (the session) or in a view (DRF's token check, the query) -
  never a 500. The connection really fails: it is pointed at a port nothing listens
  on (``database_unreachable``), not mocked.
- A connection PostgreSQL dropped (``pg_terminate_backend``, as a restart does) is
  health-checked away: the next request through Django's WSGI handler succeeds.
- Real programming errors are not outages.
- Bodies over the limit get their 413 at once, even from a client that has not sent
  them yet; a chunked body is held to the same limit.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import (
    IntegrityError,
    OperationalError,
    ProgrammingError,
    connection,
    transaction,
)
from django.test import Client, RequestFactory
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases.models import Concern, Role
from config.errors import RETRY_AFTER_SECONDS, is_database_unavailable
from config.middleware import BodySizeLimitMiddleware
from tests.conftest import make_user
from tests.factories import SchoolFactory

CASES = "/api/v1/cases/"
CONCERNS = "/api/v1/concerns/"
SPANISH = "base de datos"
ENGLISH = "database cannot be reached"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def database_unreachable() -> Iterator[None]:
    """For the duration: the default connection points at a port nothing listens on, so
    every connection attempt is refused by the kernel, as when PostgreSQL is down."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def assert_json_503(response, words: str) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert words in response.json()["detail"]


def assert_page_503(response, words: str) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert words in response.content.decode()


LANGUAGES = [
    pytest.param({}, SPANISH, id="es-default"),
    pytest.param({"HTTP_ACCEPT_LANGUAGE": "en"}, ENGLISH, id="en-header"),
    pytest.param({"HTTP_ACCEPT_LANGUAGE": "es"}, SPANISH, id="es-header"),
]


@pytest.fixture
def lead(transactional_db) -> object:
    return make_user("lead.gamma", SchoolFactory.create(name="IES Gamma"), Role.SAFEGUARDING_LEAD)


@pytest.fixture
def token(lead) -> str:
    return AuthToken.objects.create(lead)[1]


@pytest.fixture
def session_client(lead) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(lead)
    return client


# --- The database unreachable: 503, never 500 -----------------------------------------


@pytest.mark.parametrize(("headers", "words"), LANGUAGES)
def test_api_read_and_write_with_a_token_answer_json_503(token, headers, words):
    # The token check (knox) is the first query: the failure reaches DRF's handler.
    client = APIClient(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")
    before = Concern.objects.count()
    with database_unreachable():
        read = client.get(CASES, **headers)
        write = client.post(CONCERNS, {"summary": "Fotos en un grupo"}, format="json", **headers)
    assert_json_503(read, words)
    assert_json_503(write, words)
    assert Concern.objects.count() == before


@pytest.mark.parametrize(("headers", "words"), LANGUAGES)
def test_api_with_a_session_fails_in_the_middleware_and_answers_json_503(
    session_client, headers, words
):
    # The session is read by SessionLifetimeMiddleware, before any view: handler500.
    with database_unreachable():
        read = session_client.get(CASES, **headers)
        write = session_client.post(
            CONCERNS, {"summary": "x"}, content_type="application/json", **headers
        )
    assert_json_503(read, words)
    assert_json_503(write, words)


@pytest.mark.parametrize(("headers", "words"), LANGUAGES)
def test_web_pages_read_and_write_answer_a_503_page(session_client, headers, words):
    before = Concern.objects.count()
    with database_unreachable():
        read = session_client.get("/cases/", **headers)
        write = session_client.post("/concerns/new/", {"summary": "Fotos"}, **headers)
    assert_page_503(read, words)
    assert_page_503(write, words)
    assert Concern.objects.count() == before


def test_the_language_cookie_chooses_english(session_client):
    session_client.cookies["django_language"] = "en"
    with database_unreachable():
        assert_page_503(session_client.get("/cases/"), ENGLISH)
        assert_json_503(session_client.get(CASES), ENGLISH)


def test_with_debug_on_a_page_is_a_503_too_not_the_debug_page(session_client, settings):
    settings.DEBUG = True  # make run, runserver: Django would show its debug page (500)
    with database_unreachable():
        assert_page_503(session_client.get("/cases/", HTTP_ACCEPT_LANGUAGE="en"), ENGLISH)
        assert_json_503(session_client.get(CASES), SPANISH)


def test_an_anonymous_page_that_needs_no_database_still_works(transactional_db):
    with database_unreachable():
        response = Client(raise_request_exception=False).get("/login/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("signed_in_by", "path"), [("token", CASES), ("session", CASES), ("session", "/cases/")]
)
def test_a_503_is_logged_once_with_the_request_id(
    token, session_client, caplog, signed_in_by, path
):
    # Through DRF's handler (the token) and through handler500 (the session, read in
    # a middleware; SessionMiddleware would read it again on the way out): one line
    # each, never Django's "Internal Server Error" too.
    client = session_client
    if signed_in_by == "token":
        client = APIClient(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")
    with database_unreachable(), caplog.at_level("INFO"):
        response = client.get(path)
    assert response.status_code == 503
    lines = [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].name == "salvaguarda.outage"
    # The session is read before RequestContextMiddleware gives the request its id.
    request_id = response.get("X-Request-ID", "-") if signed_in_by == "token" else "-"
    assert f"GET {path} request_id={request_id} " in lines[0].getMessage()


# --- What counts as the database being unavailable ------------------------------------


def test_a_refused_connection_and_a_closed_one_are_outages(transactional_db):
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(host="127.0.0.1", port=closed_port(), dbname="x", connect_timeout=2)
    assert is_database_unavailable(refused.value)
    raw = psycopg.connect(**connection.get_connection_params())
    raw.close()
    with pytest.raises(psycopg.OperationalError) as closed:
        raw.execute("SELECT 1")
    assert is_database_unavailable(closed.value)


@pytest.mark.django_db
def test_programming_and_integrity_errors_are_not_outages():
    with pytest.raises(ProgrammingError) as bad_sql, transaction.atomic():
        connection.cursor().execute("SELECT * FROM no_such_table")
    assert not is_database_unavailable(bad_sql.value)
    with pytest.raises(IntegrityError) as duplicate, transaction.atomic():
        SchoolFactory.create(name="IES Repetido")
        SchoolFactory.create(name="IES Repetido")
    assert not is_database_unavailable(duplicate.value)
    with pytest.raises(OperationalError) as timeout, transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(1)")
    assert isinstance(timeout.value.__cause__, psycopg.errors.QueryCanceled)
    assert not is_database_unavailable(timeout.value)
    assert not is_database_unavailable(ValueError("no"))


# --- A dropped connection: health-checked away ----------------------------------------


def wsgi_get(path: str, **headers: str) -> int:
    """GET ``path`` through Django's own WSGI handler, as gunicorn and runserver call it
    (``request_started``/``request_finished`` included: the test client leaves out the
    connection housekeeping they trigger). Returns the status code."""
    environ = RequestFactory().get(path, **headers).environ
    status: list[str] = []
    result = WSGIHandler()(environ, lambda s, h, exc_info=None: status.append(s))
    b"".join(result)
    result.close()
    return int(status[0].split()[0])


def terminate_backend() -> None:
    """``pg_terminate_backend`` this process's database connection from another one, as a
    PostgreSQL restart would drop it (the client does not notice until it uses it)."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


def test_the_first_request_after_the_connection_dropped_succeeds(token, settings):
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["CONN_MAX_AGE"] == 60
    assert wsgi_get(CASES, **auth) == 200
    kept = connection.connection
    terminate_backend()
    assert wsgi_get(CASES, **auth) == 200
    assert connection.connection is not kept  # reconnected before the first query


def test_without_health_checks_the_first_request_would_fail(token):
    # The control for the test above: the same drop, health checks off, is a 503.
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert wsgi_get(CASES, **auth) == 200
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    connection.health_check_enabled = False
    try:
        terminate_backend()
        assert wsgi_get(CASES, **auth) == 503
        assert wsgi_get(CASES, **auth) == 200  # the broken connection was closed after it
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = True
        connection.close()


# --- 413: answered at once ------------------------------------------------------------


class SlowBody(io.RawIOBase):
    """A request body the client has not sent yet: counts what the server reads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.read_bytes if n < 0 else min(n, self.size - self.read_bytes)
        self.read_bytes += n
        return b"x" * n


def test_the_413_is_answered_before_the_body_is_read_then_drained(lead):
    body = SlowBody(30 * 1024 * 1024)
    request = RequestFactory().post(
        f"{CASES}1/evidence/upload/", content_type="multipart/form-data; boundary=x"
    )
    request.META.update({"CONTENT_LENGTH": str(body.size), "wsgi.input": body})
    request.LANGUAGE_CODE = "en"
    response = BodySizeLimitMiddleware(lambda r: pytest.fail("the view ran"))(request)
    assert response.status_code == 413
    assert body.read_bytes == 0  # the answer did not wait for the upload
    response.close()  # the WSGI server, once the answer is sent
    assert body.read_bytes == body.size  # drained, not left for a reset


def test_a_chunked_body_over_the_limit_is_a_413_and_one_under_it_is_read(lead, settings):
    def chunked(body: bytes, path: str = CONCERNS):
        request = RequestFactory().generic("POST", path, b"", content_type="application/json")
        request.META.pop("CONTENT_LENGTH", None)
        request.META.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body)})
        seen = {}

        def view(r):
            seen["body"] = r.body
            return Client  # any object: the view's answer is not looked at

        return BodySizeLimitMiddleware(view)(request), seen

    response, seen = chunked(b"x" * (settings.API_JSON_MAX_BODY_BYTES + 1))
    assert response.status_code == 413
    assert seen == {}
    _, seen = chunked(b'{"summary": "por trozos"}')
    assert seen["body"] == b'{"summary": "por trozos"}'
