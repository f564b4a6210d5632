"""The three faces show the same parts of the same case (issue 8, "Done when" 2).

For every persona of the access matrix (``tests/access_expectations.py``) and the case
of each school of the access world (``tests/access_world.py``: one each persona sees,
one they do not), the API's case detail, the web case page and the admin's case page
are requested over HTTP, signed in as in production (``clients_for``). The personas are
made staff, as ``tests/test_admin_access.py`` gives admin access, so every signed-in
persona reaches the admin (which still shows them only what their memberships let them
see).

What each face shows is read back in the terms of the one declaration,
``cases.permissions.CASE_PARTS``, never from a list kept here:
- API: the parts granted by ``visible_sections`` (``case_parts_granted``), and the ids
  of each list part; a part not granted must be empty;
- web: the parts the page declares (``data-parts``) and the ids of the rows it renders
  under each ``data-part``;
- admin: the fields of the change form and the rows of each part's inline.
All three must name the same case, the same parts and the same records, and each read
writes one read-audit row of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casefile.selectors import CaseView, case_view_for_user
from cases.exceptions import NotFound
from cases.models import AccessEvent, Concern
from cases.permissions import (
    CASE_PART_NAMES,
    CASE_PARTS,
    CASE_RECORD_PARTS,
    CASE_RESTRICTED_FIELDS,
    PartKind,
    case_parts_granted,
)
from tests.access_expectations import OK, PERSONAS, expected
from tests.access_world import OWNERS, rolled_back_world
from tests.test_access_matrix import clients_for

# The page read each face records (``AccessEvent.action``); the web page also records
# its lead's read of the access log, a second read of its own (tests/test_read_audit.py).
PAGE_READ = {"api": "case.detail", "web": "case.detail", "admin": "admin.case.view"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back_world(django_db_blocker) as built:
        with django_db_blocker.unblock():
            for user in built.users.values():
                if user is not None:
                    user.is_staff = True
                    user.save(update_fields=["is_staff"])
            # Each school's concern led to its case (as ``case_open(concern=...)``
            # links it), so every list part of the declaration holds a record.
            for owner in OWNERS:
                concern = built.obj(owner, "concern")
                Concern.objects.filter(pk=concern.pk).update(
                    case=built.obj(owner, "case"), status="case_opened"
                )
        yield built


@dataclass(frozen=True)
class Shown:
    """What one face showed of a case: its id, the names of the parts shown and the
    ids of the records of each list part shown."""

    case_id: int
    parts: frozenset[str]
    records: dict[str, frozenset[int]]


def api_shows(body: dict) -> Shown:
    parts = case_parts_granted(frozenset(body["visible_sections"]))
    for name in CASE_RECORD_PARTS:
        if name not in parts:
            assert body[name] == [], f"API: {name} not granted but not empty"
    for name in CASE_RESTRICTED_FIELDS:
        if name not in parts:
            assert body[name] == "", f"API: {name} not granted but not empty"
    records = {
        name: frozenset(item["id"] for item in body[name])
        for name in CASE_RECORD_PARTS
        if name in parts
    }
    return Shown(case_id=body["id"], parts=parts, records=records)


VOID_TAGS = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col"})


class CasePageParser(HTMLParser):
    """Collects the case page's ``data-case``/``data-parts`` and, for every element with
    a ``data-id``, the ``data-part`` it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.case_id: int | None = None
        self.parts: frozenset[str] = frozenset()
        self.rendered_parts: set[str] = set()
        self.records: dict[str, set[int]] = {}
        self._stack: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-case" in found:
            self.case_id = int(found["data-case"] or 0)
            self.parts = frozenset((found.get("data-parts") or "").split())
        part = found.get("data-part") or (self._stack[-1] if self._stack else None)
        if found.get("data-part"):
            self.rendered_parts.add(found["data-part"])
        if "data-id" in found and part is not None:
            self.records.setdefault(part, set()).add(int(found["data-id"] or 0))
        if tag not in VOID_TAGS:
            self._stack.append(part)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID_TAGS and self._stack:
            self._stack.pop()


def web_shows(html: str) -> Shown:
    parser = CasePageParser()
    parser.feed(html)
    assert parser.case_id is not None, "web: no case header"
    assert parser.rendered_parts <= parser.parts, "web renders a part it does not show"
    records = {
        name: frozenset(parser.records.get(name, ()))
        for name in CASE_RECORD_PARTS
        if name in parser.parts
    }
    return Shown(case_id=parser.case_id, parts=parser.parts, records=records)


def admin_shows(context) -> Shown:
    fields = set(context["adminform"].readonly_fields) & set(CASE_PART_NAMES)
    records = {
        formset.opts.part: frozenset(form.original.pk for form in formset)
        for formset in context["inline_admin_formsets"]
    }
    return Shown(
        case_id=context["original"].pk, parts=frozenset(fields | set(records)), records=records
    )


def read(client, url: str):
    """GET ``url``; the response and the read-audit actions it wrote (rolled back)."""
    with transaction.atomic():
        last = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = client.get(url)
        actions = list(
            AccessEvent.objects.filter(id__gt=last).order_by("id").values_list("action", "channel")
        )
        transaction.set_rollback(True)
    return response, actions


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_the_web_page_and_the_admin_show_the_same_parts_of_a_case(
    world, db, secure, persona, owner
):
    clients = clients_for(world)[persona]
    case = world.obj(owner, "case")
    api, api_reads = read(clients["api"], reverse("api:case-detail", args=[case.pk]))
    web, web_reads = read(clients["web"], reverse("web:case_detail", args=[case.pk]))
    admin, admin_reads = read(clients["web"], reverse("admin:cases_case_change", args=[case.pk]))

    if expected("api:case-detail", "GET", persona, owner) != OK:
        # Not theirs: no face shows it, none records a read of it.
        assert api.status_code in (401, 403, 404)
        assert web.status_code in (302, 404)
        assert admin.status_code == 302  # the admin's "doesn't exist" (or sign-in) redirect
        for response in (api, web, admin):
            assert case.reference not in response.content.decode()
        assert api_reads == web_reads == admin_reads == []
        return

    assert api.status_code == web.status_code == admin.status_code == 200
    shown = {
        "api": api_shows(api.json()),
        "web": web_shows(web.content.decode()),
        "admin": admin_shows(admin.context),
    }
    for face, what in shown.items():
        assert what.case_id == case.pk, face
    assert shown["api"].parts == shown["web"].parts == shown["admin"].parts
    assert shown["api"].records == shown["web"].records == shown["admin"].records
    # Each face records its own read of the page, once.
    for face, reads in (("api", api_reads), ("web", web_reads), ("admin", admin_reads)):
        channel = "web" if face == "web" else face
        assert reads.count((PAGE_READ[face], channel)) == 1, (face, reads)


def test_the_world_exercises_every_part_somewhere(world, db, secure):
    """The comparison above is worth something only if some reader sees every part of
    the declaration with records in it (A's lead), and another a cut of it (police)."""
    clients = clients_for(world)
    case = world.obj("A", "case")
    url = reverse("api:case-detail", args=[case.pk])
    lead = api_shows(clients["lead_a"]["api"].get(url).json())
    police = api_shows(clients["police"]["api"].get(url).json())
    assert lead.parts == frozenset(CASE_PART_NAMES)
    # Every list part the world fills holds a record for the lead.
    assert {name for name, ids in lead.records.items() if not ids} == set()
    assert frozenset() < police.parts < lead.parts
    assert {p.name for p in CASE_PARTS if p.kind is PartKind.FIELD and p.section is None} <= (
        police.parts
    )


def test_the_case_view_has_a_place_for_every_part_it_may_cut():
    """Every list part and every restricted field of the declaration is an attribute of
    ``CaseView`` (the header is read from ``view.case``): a part added to ``CASE_PARTS``
    alone fails here before a face could show it uncut."""
    cut = {p.name for p in CASE_PARTS if p.kind is PartKind.RECORDS or p.section is not None}
    assert cut <= set(CaseView.__dataclass_fields__)


def test_the_view_never_reads_a_part_it_does_not_grant(world, db):
    """A police liaison whose referral shares chronology and evidence: the parts of the
    other sections are empty and their tables are not even queried; a reader who may
    not see the case gets ``NotFound``, as for a case that does not exist."""
    case = world.obj("A", "case")
    with CaptureQueriesContext(connection) as queries:
        view = case_view_for_user(user=world.users["police"], case_id=case.pk)
    assert view.sections == {"chronology", "evidence"}
    assert view.participants == view.support_plans == view.actions == ()
    assert view.guardian_contacts == view.concerns == ()
    assert view.summary == view.closure_reason == ""
    assert view.evidence and view.takedowns and view.events and view.referrals
    read = " ".join(query["sql"] for query in queries.captured_queries)
    for table in ("participant", "supportplan", "action", "guardiancontact", "concern"):
        assert f'"cases_{table}"' not in read, table
    with pytest.raises(NotFound):
        case_view_for_user(user=world.users["lead_b"], case_id=case.pk)
