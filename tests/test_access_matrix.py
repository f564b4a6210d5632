"""The generated access test (issue 3, "Done when" 1).

Every URL pattern of the project, taken from the URL resolver, is requested by each of
the seven personas (``tests.access_world.PERSONAS``), against an object of school A and
one of school B (each URL kwarg filled with the id of an object of the right type), with
GET and every write method. Each response is classified (``classify``) and compared with
the table in ``tests/access_expectations.py``. The test fails on:

- a URL pattern with no expectation (every new endpoint must say who may do what);
- any outcome other than the expected one (a 2xx on a foreign object, a 403 where 404
  is expected, which would hint that the object exists; any 500);
- a 2xx body that contains a marker word of data the persona may not see;
- a refused write that changed something (``CaseEvent`` count before and after).

One world is built per module, inside a transaction rolled back afterwards; each
request runs in a savepoint rolled back after it, so writes don't accumulate.
"""

from __future__ import annotations

import copy
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases.models import CaseEvent
from tests.access_expectations import (
    EXCLUDED_PREFIXES,
    EXPECTATIONS,
    FORBIDDEN,
    LOGIN,
    METHOD,
    NOT_FOUND,
    OK,
    allowed_markers,
    expected,
    markdown,
    sees,
)
from tests.access_world import KWARG_OBJECTS, MARKERS, OWNERS, PERSONAS, rolled_back_world

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
KWARG_RE = re.compile(r"<(?:\w+:)?(\w+)>")


# --- The URL patterns ------------------------------------------------------------------


def walk(patterns, prefix: str = "", namespace: str = ""):
    """Yield ``(name, route)`` for every named URL pattern under ``patterns``."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else f"<unnamed {route}>"), route


def project_patterns() -> list[tuple[str, str]]:
    """Every URL pattern except the ones ``EXCLUDED_PREFIXES`` names (with reasons)."""
    return [
        (name, route)
        for name, route in walk(get_resolver().url_patterns)
        if not route.startswith(tuple(EXCLUDED_PREFIXES))
    ]


def kwargs_of(route: str) -> list[str]:
    return KWARG_RE.findall(route)


# --- Requests and outcomes ----------------------------------------------------------


def classify(response, *, anonymous: bool, method: str) -> str:
    """The outcome class of a response (see ``tests/access_expectations.py``)."""
    code = response.status_code
    if code >= 500:
        return f"error {code}"
    if code == 405:
        return METHOD
    if code == 404:
        return NOT_FOUND
    if code == 401:
        return LOGIN
    if code == 403:
        return LOGIN if anonymous else FORBIDDEN
    if code in (301, 302, 303, 307) and "/login/" in response.get("Location", ""):
        return LOGIN
    if 200 <= code < 400:
        return OK
    if code in (400, 409, 415):
        # A validation error, a state conflict or a body of the wrong media type (the
        # intake endpoints take multipart): the persona got through to the handler.
        return OK
    return f"unexpected {code}"


def clients_for(world):
    """An API client and a web client per persona, signed in as in production: the API
    with a real token (knox, issued only after the second factor), the web with a real
    session that has passed the second factor where the role needs one (a confirmed
    TOTP device, ``django_otp.login``'s session key). The matrix runs with
    ``OTP_REQUIRED`` and ``AXES_ENABLED`` on (the ``secure`` fixture, tests/conftest.py)."""
    clients = {}
    for persona, user in world.users.items():
        api = APIClient(raise_request_exception=False)
        web = Client(raise_request_exception=False)
        if user is not None:
            _instance, token = AuthToken.objects.create(user=user)
            api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            web.force_login(user)
            device = TOTPDevice.objects.create(user=user, name="matrix", confirmed=True)
            session = web.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        clients[persona] = {"api": api, "web": web}
    return clients


def send(client, method: str, url: str, *, is_api: bool):
    if method in ("GET", "HEAD", "OPTIONS"):
        return getattr(client, method.lower())(url)
    call = getattr(client, method.lower())
    if is_api:
        return call(url, {}, format="json")
    return call(url, {}) if method == "POST" else call(url)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world per module, rolled back after it."""
    with rolled_back_world(django_db_blocker) as built:
        yield built


def run_matrix(world):
    """Request every pattern × persona × owner × method; return observations."""
    clients = clients_for(world)
    observations = []
    for name, route in project_patterns():
        kwargs = kwargs_of(route)
        is_api = name.startswith("api:") or route.startswith("api/")
        owners = OWNERS if kwargs else ("-",)
        for owner in owners:
            values = {}
            for kwarg in kwargs:
                kind = KWARG_OBJECTS.get(kwarg)
                if kind is None:
                    values = None
                    break
                values[kwarg] = world.obj(owner, kind).pk
            if values is None:
                observations.append((name, "-", "-", owner, f"unknown kwarg in {route}", ""))
                continue
            url = reverse(name, kwargs=values)
            for persona in PERSONAS:
                client = clients[persona]["api" if is_api else "web"]
                for method in METHODS:
                    cache.clear()
                    cookies = client.cookies
                    client.cookies = copy.copy(cookies)
                    with transaction.atomic():
                        before = CaseEvent.objects.count()
                        response = send(client, method, url, is_api=is_api)
                        after = CaseEvent.objects.count()
                        transaction.set_rollback(True)
                    # A sign-out flushed the session (rolled back): keep the old cookie.
                    client.cookies = cookies
                    outcome = classify(response, anonymous=persona == "anon", method=method)
                    body = ""
                    if 200 <= response.status_code < 300 and not getattr(
                        response, "streaming", False
                    ):
                        body = response.content.decode(errors="replace")
                    observations.append(
                        (name, method, persona, owner, outcome, (body, after - before, url))
                    )
    return observations


def test_every_url_pattern_has_an_expectation():
    names = {name for name, _route in project_patterns()}
    missing = sorted(names - set(EXPECTATIONS))
    assert not missing, f"new URL pattern without an expectation: {missing}"
    stale = sorted(set(EXPECTATIONS) - names)
    assert not stale, f"expectations for URL patterns that no longer exist: {stale}"


def test_forbidden_only_where_the_object_is_visible():
    """A 403 tells the persona the object exists: allowed only if they can see it."""
    wrong = [
        (name, method, owner, persona)
        for name, methods in EXPECTATIONS.items()
        for method, owners in methods.items()
        for owner, personas in owners.items()
        for persona, outcome in personas.items()
        if outcome == FORBIDDEN and owner != "-" and not sees(persona, name, owner)
    ]
    assert not wrong


def test_docs_access_md_is_generated_from_the_expectations():
    path = Path(__file__).resolve().parent.parent / "docs" / "access.md"
    assert path.read_text() == markdown(), (
        "docs/access.md is stale: python -m tests.access_expectations > docs/access.md"
    )


def test_access_matrix(world, db, secure):
    observations = run_matrix(world)
    print(f"\naccess matrix: {len(observations)} requests")
    if os.environ.get("ACCESS_MATRIX_RECORD"):
        dump(observations)
    failures = []
    tally = Counter()
    for name, method, persona, owner, outcome, extra in observations:
        tally[outcome] += 1
        if name not in EXPECTATIONS:
            failures.append(f"new URL pattern without an expectation: {name}")
            continue
        want = expected(name, method, persona, owner)
        body, changed, url = extra
        where = f"{persona:12} {method:6} {url} ({name}, object of {owner})"
        if outcome != want:
            failures.append(f"{where}: expected {want}, got {outcome}")
        if outcome != OK and changed:
            failures.append(f"{where}: refused ({outcome}) but wrote {changed} CaseEvent(s)")
        if body:
            allowed = allowed_markers(persona)
            for o in OWNERS:
                for kind, word in MARKERS[o].items():
                    if word in body and (o, kind) not in allowed:
                        failures.append(f"{where}: shows {o}'s {kind} ({word})")
    print("access matrix outcomes:", dict(sorted(tally.items())))
    assert len(observations) > 1000
    assert not failures, "\n".join(sorted(set(failures)))


# Beyond the matrix's methods: OPTIONS (DRF answers it with metadata) and HEAD.
PROBE_METHODS = (*METHODS, "OPTIONS", "HEAD")
MISSING_ID = 2_147_483_000  # no row has it
VOLATILE = (
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
)


def normalised(response, url: str) -> tuple:
    """What a response tells: status, the headers that carry meaning, and the body with
    the requested path and per-request tokens blanked."""
    body = b"" if getattr(response, "streaming", False) else response.content
    text = body.decode(errors="replace").replace(url, "<url>")
    for pattern in VOLATILE:
        text = pattern.sub("<volatile>", text)
    location = response.get("Location", "").replace(url, "<url>")
    for kwarg_url in (url, url.rstrip("/")):
        location = location.replace(kwarg_url, "<url>")
    return (response.status_code, response.get("Allow", ""), location, text)


def test_a_foreign_id_answers_exactly_like_a_missing_one(world, db, secure):
    """DESIGN rule 2: no response hints that a record exists. For every URL that names
    an object, every persona and every method (OPTIONS and HEAD too), where the persona
    may not see the object, the answer (status, Allow, Location, body) equals the
    answer for an id that does not exist."""
    from urllib.parse import quote

    clients = clients_for(world)
    compared = 0
    differences = []
    for name, route in project_patterns():
        kwargs = kwargs_of(route)
        if not kwargs:
            continue
        is_api = name.startswith("api:") or route.startswith("api/")
        missing_url = reverse(name, kwargs=dict.fromkeys(kwargs, MISSING_ID))
        for owner in OWNERS:
            values = {k: world.obj(owner, KWARG_OBJECTS[k]).pk for k in kwargs}
            url = reverse(name, kwargs=values)
            for persona in PERSONAS:
                if persona != "anon" and sees(persona, name, owner):
                    continue
                client = clients[persona]["api" if is_api else "web"]
                for method in PROBE_METHODS:
                    answers = []
                    for target in (url, missing_url):
                        cache.clear()
                        with transaction.atomic():
                            response = send(client, method, target, is_api=is_api)
                            transaction.set_rollback(True)
                        answers.append(normalised(response, quote(target)))
                    compared += 1
                    if answers[0][0] >= 500:
                        differences.append(f"{persona} {method} {url}: {answers[0][0]}")
                    elif answers[0] != answers[1]:
                        differences.append(
                            f"{persona} {method} {url} ({name}): {answers[0][:3]} "
                            f"vs missing {answers[1][:3]}"
                        )
    print(f"\nforeign vs missing ids: {compared} pairs of requests")
    assert compared > 1000
    assert not differences, "\n".join(differences)


def dump(observations):
    """Write what was observed (a review aid when adding expectations)."""
    path = os.environ["ACCESS_MATRIX_RECORD"]
    seen: dict = {}
    leaks: dict = {}
    for name, method, persona, owner, outcome, extra in observations:
        seen.setdefault(name, {}).setdefault(method, {}).setdefault(owner, {})[persona] = outcome
        body = extra[0] if extra else ""
        for o in OWNERS:
            for kind, word in MARKERS[o].items():
                if body and word in body:
                    leaks.setdefault(persona, set()).add((o, kind, name))
    with open(path, "w") as out:
        for name, methods in seen.items():
            out.write(f"{name}\n")
            for method, owners in methods.items():
                for owner, personas in owners.items():
                    row = " ".join(f"{p}={personas.get(p)}" for p in PERSONAS)
                    out.write(f"  {method:6} {owner} {row}\n")
        for persona, found in leaks.items():
            out.write(f"MARKERS {persona}: {sorted(found)}\n")
