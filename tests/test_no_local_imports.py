"""No function imports another app of the project (issue 8, "Done when" 3).

An import inside a function is how a circle between apps hides from a reader (and used
to hide from the tools): ``cases`` once reached into ``reporting`` that way four
times. import-linter sees such imports too, but only as arrows; this test keeps the
imports themselves at the top of each module, where the next reader looks. An import
of a module of the *same* app inside a function is allowed (e.g. a service that sends
its own app's task on commit), as are third-party imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APPS = ("accounts", "api", "casefile", "cases", "config", "demo", "reporting", "web")


def local_imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of each import of a project app inside a function of ``path``
    whose top-level package is not the module's own app."""
    own = path.relative_to(REPO).parts[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                modules = [inner.module]
            elif isinstance(inner, ast.Import):
                modules = [alias.name for alias in inner.names]
            else:
                continue
            for module in modules:
                app = module.partition(".")[0]
                if app in APPS and app != own:
                    found.append((inner.lineno, module))
    return found


def test_no_function_imports_another_app():
    offenders = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for app in APPS
        for path in sorted((REPO / app).rglob("*.py"))
        if "migrations" not in path.parts
        for line, module in local_imports(path)
    ]
    assert offenders == []


def test_it_sees_an_import_inside_a_function(tmp_path):
    module = REPO / "web" / "_probe_local_import.py"
    module.write_text("def f():\n    from cases.models import Case\n    return Case\n")
    try:
        assert local_imports(module) == [(2, "cases.models")]
    finally:
        module.unlink()
