"""``make mutants``: mutation testing of the modules that hold the rules (issue 7).

mutmut (pinned in pyproject's dev extras; configured in ``[tool.mutmut]``) copies the
code to ``mutants/``, makes small changes to one function at a time (``<`` for ``<=``,
``and`` for ``or``, a string or number changed, an argument dropped...) and runs the
tests that execute that function, on the real PostgreSQL test database. A change the
tests let through ("survived") is a rule the suite would not notice breaking.

``RULES`` below says which functions of which module are mutated and which test files
guard them; ``[tool.mutmut]`` must list the same modules and the union of the same test
files (checked before running). For each mutant, mutmut runs the tests that call the
mutated function (it records which in a first, clean run) and of those only the ones
in its rule's files (``MUTANTS_TEST_MAP``, applied by tests/conftest.py).

Usage (the Makefile sets the database and broker):
    python scripts/mutants.py [--jobs N] [RULE ...]   # run, then print kill rates
    python scripts/mutants.py --report                # kill rates of the last run

``--jobs N`` runs N mutants at once; each test process takes a database of its own
(``MUTANTS_DB_SLOTS``, tests/conftest.py). See docs/mutants.md.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Rule:
    """``functions``: names (globs) of the functions mutated, ``Class.method`` for a
    method; empty: every function of the module."""

    name: str
    module: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        return self.module.removesuffix(".py").replace("/", ".")

    def mutant_globs(self) -> list[str]:
        if not self.functions:
            return [f"{self.dotted}.*"]
        globs = []
        for function in self.functions:
            if "." in function:
                cls, method = function.split(".", 1)
                globs.append(f"{self.dotted}.xǁ{cls}ǁ{method}__mutmut_*")
            else:
                globs.append(f"{self.dotted}.x_{function}__mutmut_*")
        return globs

    def owns(self, mutant: str) -> bool:
        return any(fnmatch.fnmatchcase(mutant, glob) for glob in self.mutant_globs())


VISIBILITY_TESTS = (
    "tests/test_visibility.py",
    "tests/test_police_visibility.py",
    "tests/test_concern_visibility.py",
    "tests/test_shared_sections.py",
    "tests/test_role_policy.py",
    "tests/test_access_traps.py",
    "tests/api/test_cases_api.py",
    "tests/api/test_verified_permission.py",
)

RULES = (
    Rule(
        "visibility",
        "cases/querysets.py",
        VISIBILITY_TESTS,
    ),
    Rule(
        "visibility",
        "cases/selectors.py",
        VISIBILITY_TESTS,
        functions=(
            "memberships_of",
            "schools_owned_by",
            "schools_of",
            "units_of",
            "case_list_for_user",
            "case_get_for_user",
            "can_edit_case",
            "people_for_user",
            "concerns_for_user",
            "schools_for_concerns",
            "person_get_for_user",
            "concern_get_for_user",
            "concerns_owned_by",
            "support_plan_get_for_editor",
            "action_get_for_editor",
            "case_referrals_for_user",
        ),
    ),
    Rule(
        "visibility",
        "cases/permissions.py",
        VISIBILITY_TESTS,
        functions=("scope_of", "roles_with"),
    ),
    Rule(
        "sections",
        "cases/permissions.py",
        ("tests/test_shared_sections.py", "tests/test_police_visibility.py"),
        functions=("event_section",),
    ),
    Rule(
        "visibility",
        "api/permissions.py",
        VISIBILITY_TESTS,
    ),
    Rule(
        "sections",
        "cases/selectors.py",
        ("tests/test_shared_sections.py", "tests/test_police_visibility.py"),
        functions=(
            "case_sections_for_user",
            "cases_sharing_section_for_user",
            "case_events_for_user",
        ),
    ),
    Rule("audit chain", "cases/audit_chain.py", ("tests/test_audit.py",)),
    Rule(
        "transitions",
        "cases/transitions.py",
        (
            "tests/test_transitions.py",
            "tests/test_reporting_services.py",
            "tests/test_services_races.py",
            "tests/api/test_cases_api.py",
            "tests/api/test_reporting_api.py",
        ),
    ),
    Rule(
        "deadlines",
        "reporting/services/takedowns.py",
        ("tests/test_overdue_takedowns.py", "tests/test_reporting_services.py"),
        functions=("takedown_submit", "takedowns_mark_overdue"),
    ),
    Rule(
        "deadlines",
        "reporting/selectors.py",
        ("tests/test_overdue_takedowns.py",),
        functions=("overdue_takedowns_for_user",),
    ),
    Rule(
        "deadlines",
        "reporting/models.py",
        ("tests/test_overdue_takedowns.py", "tests/test_reporting_services.py"),
        functions=("LegalBasis.deadline_from", "TakedownRequest.time_left"),
    ),
    Rule(
        "upload handling",
        "api/views_intake.py",
        (
            "tests/api/test_intake_api.py",
            "tests/test_uploads_stay_in_memory.py",
            "tests/test_no_image_persisted.py",
        ),
    ),
    Rule(
        "hashing",
        "cases/hashing.py",
        ("tests/test_hashing.py", "tests/api/test_intake_api.py"),
    ),
)


def check_config() -> None:
    """``[tool.mutmut]`` lists exactly the modules and the tests of ``RULES``."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mutmut"]
    modules = sorted({rule.module for rule in RULES})
    tests = sorted({test for rule in RULES for test in rule.tests})
    problems = []
    if sorted(config["only_mutate"]) != modules:
        problems.append(f"[tool.mutmut] only_mutate should be {modules}")
    if sorted(config["pytest_add_cli_args_test_selection"]) != tests:
        problems.append(f"[tool.mutmut] pytest_add_cli_args_test_selection should be {tests}")
    problems += [f"no such test file: {t}" for t in tests if not (REPO / t).is_file()]
    if problems:
        sys.exit("scripts/mutants.py: " + "\n".join(problems))


def results() -> dict[str, str]:
    """Status of every mutant of the last run (``mutants/**/*.meta``)."""
    from mutmut.stats import status_by_exit_code

    statuses: dict[str, str] = {}
    for meta in (REPO / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text())
        for mutant, exit_code in data.get("exit_code_by_key", {}).items():
            statuses[mutant] = status_by_exit_code[exit_code]
    return statuses


def report(selected: list[Rule]) -> int:
    """Print the share of mutants the tests kill, per rule and module; returns how many
    were tested."""
    statuses = results()
    rows = []
    total_killed = total_tested = 0
    for rule in selected:
        mine = {m: s for m, s in statuses.items() if rule.owns(m)}
        tested = {m: s for m, s in mine.items() if s != "not checked"}
        killed = sum(1 for s in tested.values() if s in ("killed", "timeout"))
        survived = sorted(m for m, s in tested.items() if s == "survived")
        other = len(tested) - killed - len(survived)
        total_killed += killed
        total_tested += len(tested)
        rate = f"{100 * killed / len(tested):5.1f}%" if tested else "    -"
        rows.append((rule, len(mine), len(tested), killed, len(survived), other, rate, survived))
    print(
        f"\n{'rule':16} {'module':24} {'mutants':>7} {'killed':>7} {'survived':>8} "
        f"{'other':>5} {'killed %':>8}"
    )
    for rule, count, _tested, killed, survived, other, rate, _names in rows:
        print(
            f"{rule.name:16} {rule.module:24} {count:7} {killed:7} {survived:8} {other:5} {rate:>8}"
        )
    if total_tested:
        print(
            f"{'all':41} {total_tested:7} {total_killed:7}"
            f"{'':15} {100 * total_killed / total_tested:7.1f}%"
        )
    print(
        "\n'other': no test calls the function, or the test run itself failed; "
        "'mutmut show NAME' shows a mutant, 'mutmut browse' all of them."
    )
    survivors = [name for row in rows for name in row[7]]
    if survivors:
        print("\nSurvived:\n  " + "\n  ".join(survivors))
    return total_tested


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rules", nargs="*", help="rule names (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once")
    parser.add_argument("--report", action="store_true", help="only print the last run")
    args = parser.parse_args()
    known = {rule.name for rule in RULES}
    unknown = set(args.rules) - known
    if unknown:
        parser.error(f"unknown rule(s) {sorted(unknown)}; known: {sorted(known)}")
    selected = [r for r in RULES if not args.rules or r.name in args.rules]
    check_config()
    os.chdir(REPO)
    if not args.report:
        globs = [glob for rule in selected for glob in rule.mutant_globs()]
        test_map = [[glob, list(rule.tests)] for rule in RULES for glob in rule.mutant_globs()]
        env = {
            **os.environ,
            "MUTANTS_DB_SLOTS": str(args.jobs),
            "MUTANTS_TEST_MAP": json.dumps(test_map),
        }
        # Reference vectors: the copy in mutants/ is one folder deeper than the clone.
        default_fixtures = REPO.parent / "shared" / "fixtures" / "pdq"
        env.setdefault("PDQ_FIXTURES_DIR", str(default_fixtures))
        command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)]
        # Our own interpreter and fixed arguments: nothing from outside.
        status = subprocess.run([*command, *globs], env=env, check=False).returncode  # noqa: S603
        if status not in (0, 1):  # 1: some mutants survived
            print(f"mutmut exited with {status}", file=sys.stderr)
    return 0 if report(selected) else 1


if __name__ == "__main__":
    raise SystemExit(main())
