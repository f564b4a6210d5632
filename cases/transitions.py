"""Compare-and-set status changes from an explicit table of allowed transitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from cases.exceptions import Conflict


def transition(
    obj: models.Model,
    *,
    allowed: Mapping[str, frozenset[str]],
    to: str,
    expected: str | None = None,
    **fields: Any,
) -> None:
    """Move ``obj.status`` to ``to`` if the table allows it, with a conditional UPDATE.

    ``expected`` is the status the caller saw (defaults to ``obj.status``). The UPDATE
    matches on ``pk`` *and* that old status, so of two concurrent requests only one
    wins; the other gets ``Conflict`` (HTTP 409) instead of silently overwriting
    (DESIGN rule 6). ``fields`` are written in the same UPDATE and set on ``obj``.
    """
    current = expected if expected is not None else obj.status
    labels = dict(obj._meta.get_field("status").choices)
    if current not in labels:
        raise ValidationError(
            {"expected_status": _("Unknown status %(status)s.") % {"status": str(current)[:40]}}
        )
    if to not in allowed.get(current, frozenset()):
        raise Conflict(
            _("Cannot change status from %(old)s to %(new)s.")
            % {"old": labels[current], "new": labels.get(to, to)},
            current_status=current,
        )
    updated = (
        type(obj)._default_manager.filter(pk=obj.pk, status=current).update(status=to, **fields)
    )
    if updated != 1:
        obj.refresh_from_db(fields=["status"])
        raise Conflict(
            _("The record was changed by someone else (status is now %(status)s).")
            % {"status": labels.get(obj.status, obj.status)},
            current_status=obj.status,
        )
    obj.status = to
    for name, value in fields.items():
        setattr(obj, name, value)
