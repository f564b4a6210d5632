"""Input fields shared by the API serializers."""

from __future__ import annotations

import re
from datetime import datetime

from django.utils import timezone
from rest_framework import serializers

from cases.validators import is_ascii_integer

# django.core.validators.slug_re: what a models.SlugField holds.
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that must be a whole number: a JSON integer or a string of digits.

    DRF's ``PrimaryKeyRelatedField`` hands the raw value to the database lookup, which
    casts ``1.5`` to ``1`` and so silently resolves a fractional id to another row. Here
    a float (``1.5`` and ``1.0`` alike), a bool, a string with a fraction (``"1.5"``) or
    any other type is refused with DRF's ``incorrect_type`` message (HTTP 400) before
    any query is run. Ids that are whole numbers go on to the usual lookup ("does not
    exist" for an unknown id, however large).
    """

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not is_ascii_integer(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number: a JSON integer, or a string of ASCII digits.

    DRF's ``IntegerField`` runs ``int()`` on the text, which also reads "١٢" (Arabic-Indic)
    or "１２" (full-width) as 12, and takes ``true`` as 1. Those get DRF's ``invalid``
    message (HTTP 400, translated). Every number an API client sends goes through this
    field (a test walks the input serializers)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, str) and not is_ascii_integer(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A related object named by a slug (``models.SlugField``: ASCII letters, digits,
    ``-`` and ``_``).

    DRF's ``SlugRelatedField`` hands the raw string to the database lookup: one holding
    NUL (``"a\x00b"``) made PostgreSQL raise ``DataError`` (a 500). A string that is not
    a slug cannot name a row, so it gets DRF's ``does_not_exist`` answer (HTTP 400),
    exactly like an unknown slug, before any query.
    """

    def to_internal_value(self, data):
        if isinstance(data, str) and not _SLUG.match(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:100])
        return super().to_internal_value(data)


class LocalDateTimeField(serializers.DateTimeField):
    """A date and time; one given without an offset is read in the current time zone
    (``Europe/Madrid`` by default), and must exist there.

    A wall time that never happened (the hour skipped when clocks go forward: 02:30 on
    the last Sunday of March in Europe/Madrid) or happened twice (the hour repeated when
    they go back, last Sunday of October) would be stored an hour off. DRF 3.18 means to
    refuse them but does not (its check compares aware datetimes across zones, which
    Python never reports equal for such times, PEP 495). Both are refused here with
    DRF's own ``make_aware`` message (HTTP 400, translated); a value with an offset or
    ``Z`` is exact and always accepted.
    """

    def enforce_timezone(self, value: datetime) -> datetime:
        zone = self.timezone if hasattr(self, "timezone") else self.default_timezone()
        if zone is not None and timezone.is_naive(value):
            # PEP 495: the offset depends on ``fold`` exactly for skipped and repeated
            # wall times.
            first = value.replace(tzinfo=zone, fold=0).utcoffset()
            if first != value.replace(tzinfo=zone, fold=1).utcoffset():
                self.fail("make_aware", timezone=zone)
        return super().enforce_timezone(value)


class _BlankAsNull:
    """Output of an optional text column (stored as ``""`` when absent) as ``null``, so
    that a value carrying a ``format`` (``uri``, ``email``) is either valid or absent:
    ``""`` would break the published schema (issue 7)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class OptionalURLOutputField(_BlankAsNull, serializers.URLField):
    """An optional address, ``null`` when absent (read-only)."""


class OptionalEmailOutputField(_BlankAsNull, serializers.EmailField):
    """An optional e-mail address, ``null`` when absent (read-only)."""
