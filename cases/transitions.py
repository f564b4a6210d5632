"""Compare-and-set status changes from an explicit table of allowed transitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.options import Options
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.exceptions import Conflict

# The field that versions a row for lost-update detection (``auto_now``). ``.update()``
# bypasses ``auto_now``, so a status change must move it explicitly or a client holding
# the version read before the change could still edit the row (issue 7).
VERSION_FIELD = "updated_at"


class StatusRow(Protocol):
    """A row with a state machine: what ``transition`` reads and writes.

    A model instance whose ``status`` field has choices (the labels of the messages) and
    whose changes go through ``transition`` with the entity's table of allowed moves:
    ``Case`` (``cases.services``), ``Referral`` and ``TakedownRequest``
    (``reporting.services``). Every ``models.Model`` with a ``status`` text field
    satisfies it; nothing inherits from it.
    """

    _meta: ClassVar[Options[Any]]
    pk: Any
    status: str

    def refresh_from_db(
        self, using: str | None = None, fields: Iterable[str] | None = None
    ) -> None: ...


def has_version(model: type[models.Model]) -> bool:
    """True if ``model`` carries the ``updated_at`` version that edits compare."""
    try:
        model._meta.get_field(VERSION_FIELD)
    except FieldDoesNotExist:
        return False
    return True


def transition(
    obj: StatusRow,
    *,
    allowed: Mapping[str, frozenset[str]],
    to: str,
    expected: str | None = None,
    expected_version: datetime | None = None,
    **fields: Any,
) -> None:
    """Move ``obj.status`` to ``to`` if the table allows it, with a conditional UPDATE.

    ``expected`` is the status the caller saw (defaults to ``obj.status``). The UPDATE
    matches on ``pk`` *and* that old status, so of two concurrent requests only one
    wins; the other gets ``Conflict`` (HTTP 409) instead of silently overwriting
    (DESIGN rule 6). ``fields`` are written in the same UPDATE and set on ``obj``.

    A model with a version (``updated_at``) gets a new one in the same UPDATE, so an
    edit made on the version read before the status change is refused (409). If
    ``expected_version`` (aware datetime, the ``updated_at`` the caller read) is given,
    the UPDATE also matches on it: a status change made on a stale reading loses to
    any write in between, a title edit included.
    """
    current = expected if expected is not None else obj.status
    labels = _status_labels(obj)
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
    match: dict[str, Any] = {"pk": obj.pk, "status": current}
    # ``_meta.model`` is ``type(obj)``, seen through the protocol.
    model = obj._meta.model
    if has_version(model):
        fields = {VERSION_FIELD: timezone.now(), **fields}
        if expected_version is not None:
            match[VERSION_FIELD] = expected_version
    updated = model._default_manager.filter(**match).update(status=to, **fields)
    if updated != 1:
        obj.refresh_from_db(fields=["status"])
        if obj.status == current and expected_version is not None:
            raise Conflict(
                _("Someone else changed this record since you opened it; reload and try again."),
                current_status=obj.status,
            )
        raise Conflict(
            _("The record was changed by someone else (status is now %(status)s).")
            % {"status": labels.get(obj.status, obj.status)},
            current_status=obj.status,
        )
    obj.status = to
    for name, value in fields.items():
        setattr(obj, name, value)


def _status_labels(obj: StatusRow) -> dict[str, str]:
    """The ``status`` field's choices, value -> label (``TextChoices`` labels)."""
    field = obj._meta.get_field("status")
    if not isinstance(field, models.Field):
        # A relation called "status" is a modelling error, not a request to refuse.
        raise TypeError(f"{obj._meta.label}.status is not a field with choices.")
    return dict(field.flatchoices)
