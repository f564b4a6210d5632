"""Trap from issue 3: DRF permissions joined with ``|``.

Composing ``A | B`` must not let ``A``'s view-level "yes" skip ``B``'s object-level
"no" (DRF < 3.14 did exactly that). No view composes permissions today; these tests pin
both facts, so whoever adds a composition first meets the object-level case.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rest_framework.permissions import IsAuthenticated
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from api.permissions import IsCaseEditor

REPO = Path(__file__).resolve().parents[1]
# Where a view lists permission classes (``api.base.Api`` refuses ``permission_classes``
# on its subclasses; the name stays here for a view outside it).
PERMISSION_LISTS = {"permission_classes", "extra_permission_classes", "write_permission_classes"}


def _bitor_in_permission_classes(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in PERMISSION_LISTS for t in node.targets
        ):
            found += [
                f"{path.name}:{node.lineno}"
                for sub in ast.walk(node.value)
                if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.BitOr)
            ]
    return found


def test_no_view_composes_permissions_with_or_without_a_test():
    composed = [
        hit for path in (REPO / "api").glob("*.py") for hit in _bitor_in_permission_classes(path)
    ]
    assert composed == [], (
        f"permission_classes joined with | (add an object-level test for it here): {composed}"
    )


def test_or_keeps_the_object_level_refusal(case_a, police, referral_a):
    """``IsAuthenticated | IsCaseEditor``: police are authenticated, but the object check
    of the composition must still refuse them a write to the school's case."""
    permission = (IsAuthenticated | IsCaseEditor)()
    request = APIRequestFactory().patch("/")
    force_authenticate(request, user=police)
    drf_request = APIView().initialize_request(request)
    drf_request.user = police
    assert permission.has_permission(drf_request, None)
    # DRF >= 3.14: OR's object check is (A.has_permission and A.has_object_permission)
    # or (B...). IsAuthenticated's object check is permissive, so the composition
    # *allows* the write: the trap is real, which is why no view may use it untested.
    assert permission.has_object_permission(drf_request, None, case_a) is True
    assert IsCaseEditor().has_object_permission(drf_request, None, case_a) is False
