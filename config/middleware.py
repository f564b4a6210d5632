"""Generic HTTP middleware: per-request context for the audit (request id) and response
headers for case data, the Content-Security-Policy (issue 3) and the request body limit
(issue 7). Sign-in, sessions and the denial trace are in ``accounts.middleware``."""

from __future__ import annotations

import io
import time
import uuid
from functools import partial
from typing import IO

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from cases.memberships import request_scope
from config.errors import ENVIRON_KEY, database_unavailable_response, note_database_unavailable
from config.http import GetResponse, SalvaguardaHttpRequest, has_case_data

API_PREFIX = "/api/v1/"


class RequestContextMiddleware:
    """Give every request an id (``X-Request-ID`` is echoed back) for the audit rows, and
    keep case data out of every cache.

    ``Cache-Control: no-store`` goes on every response under ``/api/v1/``, every response
    to a signed-in user (session or token) and every response a view flags with
    ``request.has_case_data``; ``Vary: Cookie, Authorization`` tells shared caches that
    the answer depends on who asks.

    The client address for the audit is ``config.proxies.client_ip`` (a client-supplied
    ``X-Forwarded-For`` is believed only from trusted proxies; issue 7).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    # The request becomes a ``SalvaguardaHttpRequest`` here: this is where ``request_id``
    # is attached.
    def __call__(self, request: SalvaguardaHttpRequest) -> HttpResponseBase:
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if (
            has_case_data(request)
            or request.path_info.startswith(API_PREFIX)
            or _is_authenticated(request)
        ):
            response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ("Cookie", "Authorization"))
        return response


def _is_authenticated(request: HttpRequest) -> bool:
    """True when the request was made by a signed-in user. DRF copies the user it
    authenticated (token or session) onto the Django request, so this sees both."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class DatabaseUnavailableMiddleware:
    """Turn the 500 of an unreachable database into the 503 of ``config.errors`` when
    ``handler500`` was not asked: with ``DEBUG`` on, Django answers an uncaught exception
    with its debug page (``make run``, runserver) and never calls ``handler500``.

    With ``DEBUG`` off, ``handler500`` already answers 503 and this does nothing. Sees
    the exception through ``got_request_exception`` (``note_database_unavailable``),
    which Django sends for every uncaught exception, in a middleware or a view; in DEBUG
    Django's own log line (the 500, with its traceback) comes before the 503's. Comes
    right after ``SecurityMiddleware``, before anything that reads the database.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        got_request_exception.connect(
            note_database_unavailable, dispatch_uid="salvaguarda.database_unavailable"
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        exc = request.META.get(ENVIRON_KEY)
        if response.status_code == 500 and exc is not None:
            return database_unavailable_response(request, exc)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp with the strict policy of ``settings.CONTENT_SECURITY_POLICY`` on every
    response, except the Swagger UI page (``api-docs``, drf-spectacular's sidecar copy,
    same origin only), whose init script and styles are inline."""

    SWAGGER_UI_POLICY = {
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
    }

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if not report_only and match is not None and match.view_name == "api-docs":
            parts.replace = {**(parts.replace or {}), **self.SWAGGER_UI_POLICY}
        return parts


# After a 413 the rest of the body is read and dropped (never kept), so that the client
# reads the answer instead of a reset connection: a server that closes a socket with
# unread data makes the kernel send RST, and the client may lose the 413 it was sent.
# The draining stops after DRAIN_LIMIT bytes or DRAIN_SECONDS seconds, whichever comes
# first: past that the client is misbehaving (or very slow), and the answer went out long
# before. DRAIN_SECONDS stays well under gunicorn's worker timeout (30 s), which kills a
# worker busy on one request and answers the client with a 500 of its own.
DRAIN_LIMIT = 64 * 1024 * 1024
DRAIN_SECONDS = 10.0
DRAIN_CHUNK = 64 * 1024
JSON_TYPES = ("application/json", "application/problem+json")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def body_limit(request: HttpRequest) -> int:
    """The largest body (bytes) ``request`` may carry: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the
    hash-only upload's limit plus room for its form fields) for a form, multipart or
    not; ``API_JSON_MAX_BODY_BYTES`` for anything else sent to the API, and for JSON
    anywhere. No JSON request needs more, and the JSON parser reads the stream, which
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not cap; DRF also parses ``application/*`` and
    ``*/*`` bodies as JSON, so the API's limit does not trust the declared type."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type in FORM_TYPES:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if content_type in JSON_TYPES or request.path_info.startswith(API_PREFIX):
        return settings.API_JSON_MAX_BODY_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BodySizeLimitMiddleware:
    """Answer 413 (Content Too Large, RFC 9110 §15.5.14) to a request whose body is over
    ``body_limit`` before anything reads the body: JSON ``{"detail": …}`` under the API,
    a page elsewhere, in the request's language.

    The 413 goes out at once; the rest of the body is then drained in small chunks and
    dropped (DESIGN rule 1: an oversized upload may be an image), up to ``DRAIN_LIMIT``
    bytes and ``DRAIN_SECONDS``, from the response's ``close()``, which the WSGI server
    calls once the answer is sent. Before issue 9 the
    body was drained first: a slow client (a phone uploading 30 MB at 700 kB/s) got no
    answer until it had sent everything, and under gunicorn the worker timeout killed
    the worker mid-drain and the client read gunicorn's 500.

    A declared ``Content-Length`` is the whole story for most bodies (Django reads no
    further). A chunked body (``Transfer-Encoding: chunked``, no length; gunicorn
    decodes it, Django's WSGI request ignores it and saw an empty body: a 400 "field
    required", or for a 30 MB upload no 413) is read here, up to the limit, into memory
    only, and handed on with its length. Must come after ``LocaleMiddleware``.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = body_limit(request)
        if _is_chunked(request):
            if not _read_chunked_body(request, limit):
                return _refuse(request, DRAIN_LIMIT)
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return _refuse(request, min(length, DRAIN_LIMIT))
        return self.get_response(request)


def _is_chunked(request: HttpRequest) -> bool:
    coding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in coding and not request.META.get("CONTENT_LENGTH")


def _read_chunked_body(request: HttpRequest, limit: int) -> bool:
    """Read a chunked body (at most ``limit`` bytes, in memory) and make it the request's
    body with its ``Content-Length``; False when it is longer than ``limit``. Servers
    that do not decode chunked bodies (Django's runserver) give an empty stream."""
    stream = request.META.get("wsgi.input")
    chunks: list[bytes] = []
    size = 0
    if stream is not None:
        while size <= limit:
            chunk = stream.read(min(DRAIN_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > limit:
        return False
    body = b"".join(chunks)
    request.META["CONTENT_LENGTH"] = str(size)
    # Django's WSGIRequest reads its body from ``_stream``, sized when it was built
    # (from the missing Content-Length: nothing); give it the bytes just read.
    request._stream = io.BytesIO(body)
    return True


def _refuse(request: HttpRequest, drain: int) -> HttpResponseBase:
    # No ``Connection: close`` here: PEP 3333 leaves hop-by-hop headers to the server
    # (wsgiref refuses them); gunicorn's sync workers close every connection anyway.
    response = too_large_response(request)
    stream = request.META.get("wsgi.input")
    if stream is not None:
        # Django's own hook for work after the response is sent (``FileResponse`` closes
        # its file there); a private list of ``HttpResponseBase`` django-stubs leaves out.
        response._resource_closers.append(  # type: ignore[attr-defined]
            partial(_drain, stream, drain, DRAIN_SECONDS)
        )
    return response


def _drain(stream: IO[bytes], length: int, seconds: float) -> None:
    """Read and drop up to ``length`` bytes of ``stream`` for at most about ``seconds``."""
    deadline = time.monotonic() + seconds
    remaining = length
    try:
        while remaining > 0 and time.monotonic() < deadline:
            chunk = stream.read(min(remaining, DRAIN_CHUNK))
            if not chunk:
                break
            remaining -= len(chunk)
    except OSError:  # the client went away: nothing more to read
        return


def too_large_response(request: HttpRequest) -> HttpResponse:
    """413 in the request's language: JSON under the API, a page elsewhere."""
    message = _("The request is too large (at most %(limit)d MB).") % {
        "limit": max(1, body_limit(request) // (1024 * 1024))
    }
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=413)
    return render(request, "413.html", {"message": message}, status=413)


class MembershipCacheMiddleware:
    """Read each user's memberships once per request (``cases.memberships``): every role
    check of the request shares them, and the next request reads them again, so a role
    granted or revoked between two requests is seen at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():
            return self.get_response(request)
