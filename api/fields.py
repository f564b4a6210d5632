"""Input fields shared by the API serializers."""

from __future__ import annotations

import re

from rest_framework import serializers

_INTEGER_STRING = re.compile(r"^\s*[-+]?\d+\s*$")


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
        if isinstance(data, str) and not _INTEGER_STRING.match(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)
