"""What the case services share: model validation that raises field errors, the
insert that turns a lost unique race into a 400, and the plausibility of dates (nothing
the case file records happened before 2000, or is planned years ahead).

Private to ``cases.services``; ``validate_plausible`` is public (re-exported there,
reporting's services check their dates with it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

# Anything the case file records happened after this (UTC): an earlier date is a typing
# error (dates of birth excepted: adults in the file were born before it).
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
# How far ahead planned dates may be: an action is due within two years of being set
# (a school case is not planned beyond the next school year); a support measure starts
# within a year. Further is a mistyped year.
ACTION_DUE_MAX_AHEAD = timedelta(days=2 * 365)
MEASURE_START_MAX_AHEAD = timedelta(days=365)
CHECK_IN_MAX_AHEAD = timedelta(days=365)


def clean(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run model validation; raise ``ValidationError`` with field messages."""
    instance.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)


def save_unique(instance: models.Model, *, message: str) -> None:
    """Insert ``instance``; a unique-constraint race lost to a concurrent request is a
    ``ValidationError`` (400) like the pre-check ``full_clean`` makes, never a 500."""
    try:
        with transaction.atomic():  # savepoint: the outer transaction stays usable
            instance.save()
    except IntegrityError as exc:
        raise ValidationError({"non_field_errors": [message]}) from exc


def validate_plausible(value: date | datetime | None, field: str) -> None:
    """Refuse a date or time before ``EARLIEST_PLAUSIBLE`` (2000-01-01): nothing the
    case file or what leaves the school records happened then, so it is a typing
    error (``1900-01-01``, a year typed ``0224``).

    ``value``: a ``date``, an aware ``datetime`` (compared in UTC) or ``None`` (always
    accepted). ``field``: the input's name, the key of the error. Raises
    ``ValidationError({field: [message]})`` (a 400 in the API, a form error on the
    web). Public: reporting's services check their dates with it too."""
    if value is None:
        return
    earliest = EARLIEST_PLAUSIBLE if isinstance(value, datetime) else EARLIEST_PLAUSIBLE.date()
    if value < earliest:
        raise ValidationError(
            {field: _("This date is before %(year)d: check the year.") % {"year": earliest.year}}
        )


def not_in_future(value: datetime | None, field: str) -> None:
    """Refuse a time in the future (5 minutes' allowance for clock skew between the
    client and the server) or an implausibly old one (``validate_plausible``)."""
    validate_plausible(value, field)
    if value is not None and value > timezone.now() + timedelta(minutes=5):
        raise ValidationError({field: _("This date and time is in the future.")})


def not_too_far_ahead(value: date | datetime | None, field: str, *, limit: timedelta) -> None:
    """Refuse a date or time more than ``limit`` after now (a planned date typed with
    the wrong year), or before 2000 (``validate_plausible``)."""
    validate_plausible(value, field)
    if value is None:
        return
    if isinstance(value, datetime):
        too_far = value > timezone.now() + limit
    else:
        too_far = value > timezone.localdate() + limit
    if too_far:
        raise ValidationError(
            {field: _("This date is more than %(days)d days ahead.") % {"days": limit.days}}
        )
