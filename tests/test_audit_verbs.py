"""Issue 8, "Sizes and names": the audit vocabulary is one declaration
(``cases.verbs``). Every verb and read action the code writes is declared there, with a
label in both languages and, for a verb, the case section whose readers see it; the
audit refuses anything else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.utils import translation
from django.utils.functional import Promise

from cases.admin_site import CaseDataAdmin
from cases.audit import SYSTEM, record_access, record_case_event
from cases.models import AccessEvent, CaseEvent
from cases.permissions import ALL_CASE_SECTIONS, CASE_PARTS, CHRONOLOGY_SECTIONS
from cases.verbs import AccessAction, CaseVerb
from reporting.models import TakedownRequest
from web.templatetags.salvaguarda import access_label, verb_label

REPO = Path(__file__).resolve().parents[1]
APPS = ("accounts", "api", "bench", "casefile", "cases", "config", "demo", "reporting", "web")

# ``verb="case.opened"``, ``action="case.detail"`` (keyword), and the faces'
# ``record_read(request, "case.detail", ...)`` (positional).
VERB_LITERAL = re.compile(r"""\bverb\s*=\s*f?["']([^"'{}]+)["']""")
ACTION_LITERAL = re.compile(r"""\baction\s*=\s*["']([^"']+)["']""")
READ_CALL = re.compile(r"""(?<![.\w])record_read\(\s*(?:self\.)?request,\s*["']([^"']+)["']""")


def code_files() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((REPO / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def literals(pattern: re.Pattern[str]) -> dict[str, str]:
    """Each literal ``pattern`` finds in the code, with where it was first found."""
    found: dict[str, str] = {}
    for path in code_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "add_argument" in line:  # argparse's ``action="store_true"``
                continue
            for value in pattern.findall(line):
                found.setdefault(value, f"{path.relative_to(REPO)}:{number}")
    return found


def test_the_greps_see_each_shape_of_literal():
    # If the patterns stop matching, the tests below would pass on nothing.
    assert READ_CALL.findall('record_read(request, "case.detail", [1])') == ["case.detail"]
    assert ACTION_LITERAL.findall('action="case.detail",') == ["case.detail"]
    assert VERB_LITERAL.findall('verb="case.opened",') == ["case.opened"]


def test_the_code_names_verbs_and_actions_by_their_enum():
    # A literal is checked only when its line runs; a member is checked by mypy and on
    # import. The admin's f"admin.{name}.{view}" is the one built value (declared too).
    assert literals(VERB_LITERAL) == {}
    assert literals(READ_CALL) | literals(ACTION_LITERAL) == {}


def test_every_verb_written_in_the_code_is_declared():
    undeclared = {v: where for v, where in literals(VERB_LITERAL).items() if v not in CaseVerb}
    assert not undeclared


def test_every_verb_named_in_the_code_is_a_member():
    # ``CaseVerb.X`` / ``AccessAction.X`` outside typed code (templates, tests) too.
    for path in code_files():
        text = path.read_text()
        for name in re.findall(r"\bCaseVerb\.([A-Z_]+)\b", text):
            assert name in CaseVerb.__members__, f"{path}: CaseVerb.{name}"
        for name in re.findall(r"\bAccessAction\.([A-Z_]+)\b", text):
            assert name in AccessAction.__members__, f"{path}: AccessAction.{name}"


def test_every_read_action_written_in_the_code_is_declared():
    found = literals(ACTION_LITERAL) | literals(READ_CALL)
    undeclared = {a: where for a, where in found.items() if a not in AccessAction}
    assert not undeclared


def test_every_status_a_takedown_notice_reaches_has_its_verb():
    # ``reporting.services`` writes ``takedown.<status>`` for the platform's answers.
    reached = set(TakedownRequest.Status.values) - {TakedownRequest.Status.DRAFT}
    assert {f"takedown.{status}" for status in reached} <= set(CaseVerb.values)


def test_every_audited_admin_page_has_its_actions():
    # ``CaseDataAdmin.record_read`` writes ``admin.<audit_name>.<page>``.
    audited = [a for a in admin.site._registry.values() if isinstance(a, CaseDataAdmin)]
    assert audited
    for model_admin in audited:
        for page in ("list", "view", "autocomplete"):
            assert f"admin.{model_admin.audit_name}.{page}" in AccessAction.values


@pytest.mark.parametrize("choices", [CaseVerb, AccessAction])
def test_every_value_has_a_label_in_both_languages(choices):
    for member in choices:
        with translation.override("en"):
            english = str(member.label)
        with translation.override("es"):
            spanish = str(member.label)
        assert isinstance(member.label, Promise), f"{member.value}: no label declared"
        assert spanish != english, f"{member.value} has no Spanish label"


def test_every_verb_has_a_section():
    for verb in CaseVerb:
        assert verb.section in ALL_CASE_SECTIONS, verb
    assert CaseVerb.EVIDENCE_RECORDED.section == "evidence"
    assert CaseVerb.TAKEDOWN_OVERDUE.section == "evidence"
    assert CaseVerb.GUARDIAN_CONTACTED.section == "support"
    assert CaseVerb.REFERRAL_SENT.section == "chronology"
    assert CaseVerb.ACTION_CREATED.section == "internal"
    assert CaseVerb.USER_PASSWORD_SET.section == "internal"


def test_every_verb_prefix_of_a_part_names_declared_verbs():
    # ``CASE_PARTS`` gives each verb its section by prefix: a prefix no verb has is a
    # slip (a renamed record), and its lines would silently turn internal.
    prefixes = {prefix for part in CASE_PARTS for prefix in part.verbs}
    assert set(CHRONOLOGY_SECTIONS) <= prefixes
    declared = {verb.value.partition(".")[0] for verb in CaseVerb}
    assert prefixes <= declared


@pytest.mark.django_db
def test_the_audit_refuses_an_undeclared_verb_or_action(school_a, lead_a):
    with pytest.raises(ValueError):
        record_case_event(school=school_a, case=None, actor=lead_a, verb="case.opend", obj=None)
    with pytest.raises(ValueError):
        record_access(actor=lead_a, action="case.detial", case_ids=[], context=SYSTEM)
    assert not CaseEvent.objects.exists()
    assert not AccessEvent.objects.exists()


def test_pages_show_the_declared_labels():
    with translation.override("es"):
        assert verb_label("referral.sent") == str(CaseVerb.REFERRAL_SENT.label)
        assert access_label("case.detail") == str(AccessAction.CASE_DETAIL.label)
    # A retired value in an old row is shown as it is.
    assert verb_label("case.archived") == "case.archived"
    assert access_label("case.archived") == "case.archived"


def test_the_sql_case_and_the_model_case_have_one_name_each():
    # Django's conditional expression is ``models.Case``/``models.When`` (``from
    # django.db import models``); ``Case`` is always the model (``cases.models.Case``).
    imported = re.compile(r"from django\.db\.models import (\([^)]*\)|[^\n]*)")
    for path in code_files():
        text = path.read_text()
        assert not re.search(r"\bCase as \w+|\bas Case\b", text), path
        for names in imported.findall(text):
            assert not {"Case", "When"} & set(re.findall(r"\w+", names)), path
