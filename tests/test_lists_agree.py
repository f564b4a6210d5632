"""Everything that lists, counts or offers a choice agrees with the detail rule (issue 3,
"Visibility"; STYLE "a test checks that list and detail agree for every role").

- Every API list, for every persona, returns exactly the records whose detail URL
  answers 200 to that persona; the web lists link only to pages the persona may open.
- Every choice a web form offers (``<select>`` options) names a record the persona may
  act on: their own school, their own case's people and evidence, or the public
  directory. A form field that offers records and is not declared here fails.
- Dashboard counts equal the lists they count.
- List filters narrow a visible queryset by a value of the record's own field; a filter
  on a related record (where another school's id could change a count) must come with
  a probe here, or the guard test fails.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django_filters import ChoiceFilter, MultipleChoiceFilter

from cases.models import Case, Concern, EvidenceItem, Organisation, Person, User
from outbox.models import Message
from reporting.models import Referral, TakedownRequest
from tests.access_expectations import EXPECTATIONS, OK
from tests.access_world import KWARG_OBJECTS, build_world
from tests.conftest import client_for
from web.forms import CaseFilterForm

pytestmark = pytest.mark.django_db

SIGNED_IN = ("lead_a", "staff_a", "head_a", "lead_b", "police", "other_police")

# API list → (model, detail URL name, its kwarg).
API_LISTS = {
    "api:cases": (Case, "api:case-detail", "case_id"),
    "api:people": (Person, "api:person-detail", "person_id"),
    "api:concerns": (Concern, "api:concern-detail", "concern_id"),
    "api:referral-list": (Referral, "api:referral-detail", "referral_id"),
    "api:takedown-list": (TakedownRequest, "api:takedown-detail", "takedown_id"),
    "api:delivery-list": (Message, "api:delivery-detail", "delivery_id"),
}


@pytest.fixture
def world():
    return build_world()


def api_ids(client, url: str) -> set[int]:
    ids: set[int] = set()
    while url:
        body = client.get(url).json()
        ids.update(item["id"] for item in body["results"])
        url = body["next"]
    return ids


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_api_list_returns_exactly_what_the_detail_shows(world, persona):
    client = client_for(world.users[persona])
    for list_name, (model, detail_name, kwarg) in API_LISTS.items():
        listed = api_ids(client, reverse(list_name))
        openable = {
            pk
            for pk in model.objects.values_list("pk", flat=True)
            if client.get(reverse(detail_name, kwargs={kwarg: pk})).status_code == 200
        }
        assert listed == openable, (persona, list_name)


@pytest.mark.parametrize("persona", SIGNED_IN)
@pytest.mark.parametrize("shared", [("chronology", "evidence"), ("participants",)])
def test_the_case_lists_count_victims_only_where_participants_are_readable(world, persona, shared):
    """A count of victims is participant data: the list shows it exactly where the
    persona may read the case's participants (found by the detail URL)."""
    Referral.objects.filter(status="sent").update(shared_sections=list(shared))
    client = client_for(world.users[persona])
    web = Client()
    web.force_login(world.users[persona])
    rows = client.get(reverse("api:cases")).json()["results"]
    for row in rows:
        url = reverse("api:case-participants", kwargs={"case_id": row["id"]})
        readable = client.get(url).status_code == 200
        assert (row["victim_count"] is not None) == readable, (persona, shared, row["id"])
        if readable:
            assert row["victim_count"] == 1  # the world has one victim per case
    table = web.get(reverse("web:case_list")).content.decode()
    cells = re.findall(r"<td>(\d+|<span title=[^>]*>—</span>)</td>", table)
    assert len(cells) == len(rows)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_clusters_and_dashboard_count_only_openable_cases(world, persona):
    client = client_for(world.users[persona])
    openable = {
        pk
        for pk in Case.objects.values_list("pk", flat=True)
        if client.get(reverse("api:case-detail", kwargs={"case_id": pk})).status_code == 200
    }
    for cluster in client.get(reverse("api:cluster-list")).json():
        assert {c["id"] for c in cluster["cases"]} <= openable, persona
    listed = client.get(reverse("api:cases"), {"status": "open"}).json()["results"]
    dashboard = client.get(reverse("api:dashboard")).json()
    assert dashboard["open_cases"] == len(listed), persona


LINK = re.compile(r'href="/(cases|referrals)/(\d+)/"')


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_web_lists_link_only_to_pages_the_persona_may_open(world, persona):
    web = Client()
    web.force_login(world.users[persona])
    for page in ("web:dashboard", "web:case_list", "web:referral_inbox", "web:clusters"):
        body = web.get(reverse(page)).content.decode()
        for kind, pk in set(LINK.findall(body)):
            detail = "web:case_detail" if kind == "cases" else "web:referral"
            kwarg = "case_id" if kind == "cases" else "referral_id"
            response = web.get(reverse(detail, kwargs={kwarg: int(pk)}))
            assert response.status_code == 200, (persona, page, kind, pk)


# --- Choices offered by web forms -----------------------------------------------------


class Options(HTMLParser):
    """``{select name: [option values]}`` of a page (empty values left out)."""

    def __init__(self):
        super().__init__()
        self.select: str | None = None
        self.found: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self.select = attrs.get("name") or ""
            self.found.setdefault(self.select, [])
        elif tag == "option" and self.select is not None and attrs.get("value"):
            self.found[self.select].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def allowed_values(field: str, user: User, case: Case | None) -> set[str] | None:
    """The option values a form field may offer ``user`` (on ``case``); ``None`` for a
    field that offers fixed choices (statuses, categories, roles of a participant)."""
    schools = set(user.memberships.values_list("organisation_id", flat=True))
    school_id = case.school_id if case else None
    people = {
        str(pk) for pk in Person.objects.filter(school_id=school_id).values_list("pk", flat=True)
    }
    records = {
        "school": {str(pk) for pk in schools},
        "person": people,
        "complainant": people,
        "victim": people,
        "guardian": people,
        "subject": people,
        "evidence_items": {
            str(pk) for pk in EvidenceItem.objects.filter(case=case).values_list("pk", flat=True)
        },
        "owner": {
            str(pk)
            for pk in User.objects.filter(memberships__organisation_id=school_id).values_list(
                "pk", flat=True
            )
        },
        # The directory is public to every signed-in user: destinations and regulators
        # are organisations that are not schools.
        "destination": {
            str(pk)
            for pk in Organisation.objects.exclude(kind="school").values_list("pk", flat=True)
        },
        "escalated_to": {
            str(pk)
            for pk in Organisation.objects.exclude(kind="school").values_list("pk", flat=True)
        },
        # The notice a report to an authority is about: the case's own.
        "takedown": {
            str(pk) for pk in TakedownRequest.objects.filter(case=case).values_list("pk", flat=True)
        },
    }
    return records.get(field)


# Fields with fixed choices (enumerations or the public platform / legal-basis directory).
FIXED_CHOICE_FIELDS = {
    "category",
    "risk_level",
    "role",
    "kind",
    "sex",
    "source",
    "platform",
    "legal_basis",
    "channel",
    "method",
    "outcome",
    "status",
    "wellbeing",
    "shared_sections",
    "legal_basis_code",
    # The victims' own removal routes: the public directory (reporting.RemovalRoute);
    # a report's route (issue 10).
    "route",
    # What the victim's guardians know of a referral (``GuardianPosition``).
    "guardians",
    # The signature block of a notice, its language (issue 10).
    "requester_relationship",
    "language",
}


def form_pages(world, persona: str):
    """``(url, case)`` of every web form the persona may open, on every object of both
    schools it may act on (taken from the access expectations)."""
    pattern_routes = {}
    for entry in get_resolver().url_patterns:
        if getattr(entry, "namespace", None) == "web":
            for sub in entry.url_patterns:
                if isinstance(sub, URLPattern):
                    pattern_routes[f"web:{sub.name}"] = str(sub.pattern)
    for name, route in pattern_routes.items():
        owners = EXPECTATIONS[name]["GET"]
        kwargs = re.findall(r"<(?:\w+:)?(\w+)>", route)
        for owner, personas in owners.items():
            if personas[persona] != OK:
                continue
            if not kwargs:
                yield reverse(name), None
                continue
            values = {k: world.obj(owner, KWARG_OBJECTS[k]).pk for k in kwargs}
            yield reverse(name, kwargs=values), world.obj(owner, "case")


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_form_choices_offer_only_what_the_persona_may_act_on(world, persona):
    user = world.users[persona]
    web = Client()
    web.force_login(user)
    checked = 0
    for url, case in form_pages(world, persona):
        response = web.get(url)
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download (a referral packet's PDF or JSON, a notice's PDF): no form
        parser = Options()
        parser.feed(response.content.decode())
        for field, values in parser.found.items():
            allowed = allowed_values(field, user, case)
            if allowed is None:
                assert field in FIXED_CHOICE_FIELDS, (
                    f"{url}: <select name={field}> offers records; declare what it may "
                    "offer in allowed_values()"
                )
                continue
            checked += len(values)
            stray = set(values) - allowed
            assert not stray, f"{persona} {url}: {field} offers {sorted(stray)}"
    if persona in ("lead_a", "lead_b"):
        assert checked > 10  # the leads' forms offer people, evidence, schools, owners


# --- List filters ----------------------------------------------------------------------


def test_list_filters_only_narrow_by_the_records_own_fields():
    """A filter on a related record (``case__school``, a model choice) could let another
    school's id change a count. None exists today; adding one must come with a probe in
    this module (B's id and a missing id must give the same answer)."""
    # "<view>.<filter>" of filters with a probe here.
    probed: set[str] = {"DeliveryListApi.referral", "DeliveryListApi.takedown"}
    filtersets = []
    for entry in _walk(get_resolver().url_patterns):
        view = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
        filterset = getattr(view, "filterset_class", None)
        if filterset is not None:
            filtersets.append((view.__name__, filterset))
    assert filtersets, "no filtersets found: the introspection is broken"
    for view_name, filterset in filtersets:
        for name, declared in filterset.base_filters.items():
            own_choice = isinstance(declared, ChoiceFilter | MultipleChoiceFilter) and (
                "__" not in (declared.field_name or name)
            )
            assert own_choice or f"{view_name}.{name}" in probed, (view_name, name)
    for name, field in CaseFilterForm.base_fields.items():
        assert not hasattr(field, "queryset"), f"CaseFilterForm.{name} offers records"


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_the_deliveries_about_another_schools_record_answer_like_a_missing_one(world, persona):
    """Probe of ``DeliveryListApi.referral`` and ``.takedown``: a record's id only
    narrows the reader's own messages; B's id gives what a missing id gives (nothing,
    unless the reader sees B's messages)."""
    client = client_for(world.users[persona])
    url = reverse("api:delivery-list")
    visible = api_ids(client, url)
    for name, model in (("referral", Referral), ("takedown", TakedownRequest)):
        assert api_ids(client, f"{url}?{name}=999999999") == set()
        for owner in ("A", "B"):
            pk = world.obj(owner, name).pk
            about = set(
                Message.objects.filter(
                    about_type__model=model._meta.model_name, about_id=pk
                ).values_list("pk", flat=True)
            )
            # Exactly the reader's own messages about it: none for another school's.
            assert api_ids(client, f"{url}?{name}={pk}") == about & visible, (persona, owner)
    if persona == "lead_a":
        assert api_ids(client, f"{url}?referral={world.obj('A', 'referral').pk}")
        assert not api_ids(client, f"{url}?referral={world.obj('B', 'referral').pk}")


def _walk(patterns):
    for entry in patterns:
        if isinstance(entry, URLPattern):
            yield entry
        else:
            yield from _walk(entry.url_patterns)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_the_web_and_api_dashboards_count_the_same_open_cases(world, persona):
    """Issue 8: the web dashboard counted only the reader's own schools, the API every
    case they may see; for a police liaison one said 0 and the other the referred cases.
    Both now count ``cases.selectors.open_cases_for_user``."""
    user = world.users[persona]
    api = client_for(user).get(reverse("api:dashboard")).json()["open_cases"]
    web = Client()
    web.force_login(user)
    page = web.get(reverse("web:dashboard"))
    shown = page.context.get("open_cases")
    if shown is None:  # no tile (staff, head): nothing they could open either
        assert api == 0, persona
    else:
        assert shown == api, persona
    if persona == "police":
        assert api > 0  # the world refers an open case to the police unit
        assert "?status=open" in page.content.decode()
