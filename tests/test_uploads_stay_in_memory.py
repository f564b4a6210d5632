"""A multipart body over the in-memory limit never reaches the disk, whatever endpoint
it is posted to (DESIGN rule 1; issue 7, point 7).

Django parses a multipart body with the handlers of ``FILE_UPLOAD_HANDLERS`` whenever
anything reads ``request.POST`` or ``request.FILES``: a view, but also the CSRF check
(every web page, and the API for a session) before any view or permission runs. With
``TemporaryFileUploadHandler`` in that list, a file over ``FILE_UPLOAD_MAX_MEMORY_SIZE``
would be written to a temporary file on the way, even on the sign-in page, and deleted
at the end of the request, so no directory listing afterwards could tell.

So the check is made while it happens: a Python audit hook (``sys.addaudithook``, PEP
578) records every temporary file created (``tempfile.mkstemp``/``mkdtemp``) and every
file opened for writing while a request is served; the recording must be empty. The
recorder is proved able to fail: with the disk handler added to the settings, the same
request is caught writing a temporary file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse
from knox.models import AuthToken

from tests.test_access_matrix import kwargs_of, project_patterns

BOUNDARY = "SalvaguardaTestBoundary7"
MISSING_ID = 2_147_483_000
CSRF_SECRET = "s" * 32  # a well-formed CSRF secret (32 letters or digits)
# Written by Python's import system, not by a request: compiled bytecode caches.
IGNORED_SUFFIXES = (".pyc",)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

# --- Recording file creation ------------------------------------------------------------

_recording: list[tuple[str, str]] | None = None
_hook_installed = False


def _audit(event: str, args: tuple) -> None:
    if _recording is None:
        return
    if event in ("tempfile.mkstemp", "tempfile.mkdtemp"):
        _recording.append((event, str(args[0])))
    elif event == "open":
        path, mode, flags = args
        if isinstance(path, int) or str(path).endswith(IGNORED_SUFFIXES):
            return
        writes = (mode is not None and any(c in mode for c in "wax+")) or bool(
            (flags or 0) & WRITE_FLAGS
        )
        if writes:
            _recording.append(("open", str(path)))


@contextmanager
def files_written() -> Iterator[list[tuple[str, str]]]:
    """Yield a list that fills with ``(event, path)`` for every temporary file created
    and every file opened for writing until the block ends."""
    global _recording, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # cannot be removed: it records only inside this block
        _hook_installed = True
    _recording = []
    try:
        yield _recording
    finally:
        _recording = None


# --- The request ---------------------------------------------------------------------


def multipart_over_the_limit(limit: int) -> bytes:
    """A sign-in form with a file one byte over ``limit`` (the memory handler's limit)."""
    lines = []
    fields = (("csrfmiddlewaretoken", CSRF_SECRET), ("username", "lead.a"), ("password", "x"))
    for name, value in fields:
        lines += [
            f"--{BOUNDARY}",
            f'Content-Disposition: form-data; name="{name}"',
            "",
            value,
        ]
    head = "\r\n".join(
        [
            *lines,
            f"--{BOUNDARY}",
            'Content-Disposition: form-data; name="file"; filename="photo.jpg"',
            "Content-Type: image/jpeg",
            "",
            "",
        ]
    ).encode()
    return head + b"\xff" * (limit + 1) + f"\r\n--{BOUNDARY}--\r\n".encode()


def post(client: Client, url: str, body: bytes, **extra):
    return client.post(
        url, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}", **extra
    )


def browser() -> Client:
    """A client that, like a browser, gets Django's CSRF check, with a CSRF cookie (any
    client can set one) that the form's token matches: the check reads the form, so
    the body is parsed before any view runs, and the views are then reached too."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


def upload_files_in_temp_dir() -> set[str]:
    """Files in the upload temp directory named as Django's ``TemporaryUploadedFile``
    names them (``tmp….upload.<ext>``). Only those: other processes on the machine (test
    suites run side by side) create other temporary files at any moment."""
    directory = settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()
    return {name for name in os.listdir(directory) if ".upload" in name}


@pytest.fixture
def small_limit(settings):
    """The memory limit lowered to 64 KiB, so each request carries a small body; the
    handlers stay exactly as configured."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    return settings.FILE_UPLOAD_MAX_MEMORY_SIZE


def every_url(owner_ids: dict[str, int] | None = None) -> list[tuple[str, str]]:
    """``(name, url)`` of every URL pattern the access matrix requests, and the admin
    sign-in page; ids are ``owner_ids``' where given, else an id that does not exist."""
    urls = [("admin:login", reverse("admin:login"))]
    for name, route in project_patterns():
        kwargs = {k: (owner_ids or {}).get(k, MISSING_ID) for k in kwargs_of(route)}
        try:
            urls.append((name, reverse(name, kwargs=kwargs)))
        except NoReverseMatch:  # pragma: no cover - every pattern takes these kwargs
            pytest.fail(f"cannot build a URL for {name} ({route})")
    return urls


def assert_nothing_written(client: Client, urls, body: bytes, **extra) -> None:
    listing = upload_files_in_temp_dir()
    problems = []
    for name, url in urls:
        with files_written() as written:
            response = post(client, url, body, **extra)
        if written:
            problems.append(f"{name} {url}: wrote {written}")
        if response.status_code >= 500:
            problems.append(f"{name} {url}: {response.status_code}")
    assert problems == []
    assert upload_files_in_temp_dir() - listing == set()


# --- The tests ---------------------------------------------------------------------------


def test_a_file_over_the_real_limit_on_the_sign_in_page_stays_off_disk(db):
    """The case of the issue, with the settings as deployed (20 MiB + 1 byte)."""
    body = multipart_over_the_limit(settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
    assert_nothing_written(browser(), [("web:login", reverse("web:login"))], body)


def test_no_endpoint_writes_a_large_upload_to_disk_for_an_anonymous_browser(small_limit, db):
    urls = every_url()
    assert len(urls) > 60
    assert_nothing_written(browser(), urls, multipart_over_the_limit(small_limit))


def test_no_endpoint_writes_a_large_upload_to_disk_for_a_signed_in_lead(
    small_limit, lead_a, case_a, referral_a
):
    """Session-signed-in, so the API's own CSRF check (DRF's ``SessionAuthentication``)
    reads the form too; ids of the lead's own records, so the views are reached."""
    client = browser()
    client.force_login(lead_a)
    takedown = case_a.takedowns.first()
    ids = {
        "case_id": case_a.pk,
        "referral_id": referral_a.pk,
        "person_id": case_a.participants.first().person_id,
        "takedown_id": takedown.pk if takedown else MISSING_ID,
    }
    assert_nothing_written(client, every_url(ids), multipart_over_the_limit(small_limit))


def test_the_upload_endpoints_keep_a_large_file_off_disk_for_a_token(small_limit, lead_a, case_a):
    _instance, key = AuthToken.objects.create(user=lead_a)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")
    urls = [
        ("api:hash", reverse("api:hash")),
        ("api:evidence-upload", reverse("api:evidence-upload", args=[case_a.pk])),
        ("api:auth-token", reverse("api:auth-token")),
    ]
    assert_nothing_written(client, urls, multipart_over_the_limit(small_limit))


def test_the_recorder_catches_a_disk_handler(small_limit, settings, db):
    """The check can fail: with Django's temporary-file handler added, the same post to
    the sign-in page is caught creating a temporary file."""
    settings.FILE_UPLOAD_HANDLERS = [
        *settings.FILE_UPLOAD_HANDLERS,
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    with files_written() as written:
        post(browser(), reverse("web:login"), multipart_over_the_limit(small_limit))
    assert any(event == "tempfile.mkstemp" and ".upload" in path for event, path in written)


def test_the_recorder_catches_a_file_opened_for_writing(tmp_path):
    target = tmp_path / "leak.bin"
    with files_written() as written:
        target.write_bytes(b"x")
    with files_written() as nothing:
        target.read_bytes()
    assert ("open", str(target)) in written
    assert nothing == []
