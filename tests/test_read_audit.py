"""Every read of case data writes its read-audit row (DESIGN rule 3; issue 7, point 7).

The routes are not listed here: every URL pattern of the project (the URL resolver, as
in the access matrix) is read with GET by every persona the access table lets read it,
on the API with a token and on the web with a verified session. A read is *of case
data* when its URL names a record (a case, a person, a concern, a referral, a notice,
a plan, an action) or its body shows a marker word of the world's records. Each such
read must write exactly one ``AccessEvent`` for the read itself, by that user, on that
channel, with the request's id, naming the case of every case record it showed. (The
web case page also shows a lead the case's access log, which is a second read, of the
log, with its own row.) A new route is covered the day it is added.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from django.urls import reverse

from cases.models import AccessEvent
from tests.access_expectations import EXPECTATIONS, OK, expected
from tests.access_world import KWARG_OBJECTS, MARKERS, OWNERS, PERSONAS, rolled_back_world
from tests.test_access_matrix import clients_for, kwargs_of, project_patterns

# Marker kinds that belong to one case (a person or a concern stands on its own).
CASE_RECORDS = frozenset(
    {
        "case",
        "summary",
        "evidence",
        "plan",
        "measure",
        "checkin",
        "contact",
        "action",
        "referral",
        "takedown",
    }
)
SUB_LISTS = (
    "api:case-participants",
    "api:case-evidence",
    "api:case-events",
    "api:case-support-plans",
    "api:case-guardian-contacts",
    "api:case-actions",
)
# Reads that come on top of the page's own read (the lead's view of the access log).
SECOND_READS = {"web:case_detail": {"case.access_log"}}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back_world(django_db_blocker) as built:
        yield built


def shown_markers(body: str) -> set[tuple[str, str]]:
    return {
        (owner, kind) for owner in OWNERS for kind, word in MARKERS[owner].items() if word in body
    }


def reads(world):
    """GET every route as every persona allowed to read it; yield what each read wrote."""
    clients = clients_for(world)
    for name, route in project_patterns():
        if "GET" not in EXPECTATIONS[name]:
            continue
        kwargs = kwargs_of(route)
        is_api = name.startswith("api:") or route.startswith("api/")
        for owner in OWNERS if kwargs else ("-",):
            values = {k: world.obj(owner, KWARG_OBJECTS[k]).pk for k in kwargs}
            url = reverse(name, kwargs=values)
            for persona in PERSONAS:
                if expected(name, "GET", persona, owner) != OK:
                    continue
                client = clients[persona]["api" if is_api else "web"]
                with transaction.atomic():
                    last = AccessEvent.objects.order_by("-id").values_list("id", flat=True)
                    last_id = last.first() or 0
                    response = client.get(url)
                    rows = list(AccessEvent.objects.filter(id__gt=last_id).order_by("id"))
                    transaction.set_rollback(True)
                body = "" if response.streaming else response.content.decode(errors="replace")
                yield name, url, persona, bool(kwargs), response, body, rows


def test_every_read_of_case_data_writes_one_read_audit_row(world, db, secure):
    problems = []
    checked: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for name, url, persona, names_a_record, response, body, rows in reads(world):
        where = f"{persona} GET {url} ({name})"
        if 300 <= response.status_code < 400:
            continue  # a redirect shows nothing (sign-in pages for a signed-in user)
        if response.status_code != 200:
            problems.append(f"{where}: {response.status_code}")
            continue
        shown = shown_markers(body)
        if not (names_a_record or shown):
            continue
        checked["api" if name.startswith("api:") else "web"] += 1
        seen.add((name, persona))
        user = world.users[persona]
        channel = "api" if name.startswith("api:") else "web"
        extra = SECOND_READS.get(name, set())
        own = [row for row in rows if row.action not in extra]
        if len(own) != 1:
            problems.append(f"{where}: {len(own)} read-audit rows {[r.action for r in rows]}")
            continue
        row = own[0]
        if (row.actor_id, row.channel, row.request_id) != (
            user.pk,
            channel,
            response["X-Request-ID"],
        ):
            problems.append(f"{where}: row of {row.actor_id}/{row.channel}/{row.request_id}")
        cases_shown = {world.obj(o, "case").pk for o, kind in shown if kind in CASE_RECORDS}
        if not cases_shown <= set(row.case_ids):
            problems.append(f"{where}: shows cases {cases_shown}, row names {row.case_ids}")
    print(f"\nread audit: {dict(checked)} reads of case data checked")
    assert problems == [], "\n".join(problems)
    # The walk reached both faces, the six API lists under a case (the ones a
    # referral's sections cut) for the lead and, where shared, the police liaison.
    assert checked["api"] >= 20 and checked["web"] >= 10, checked
    for sub_list in SUB_LISTS:
        assert (sub_list, "lead_a") in seen
    assert {("api:case-events", "police"), ("api:case-evidence", "police")} <= seen
