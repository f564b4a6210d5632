"""A JSON parser that refuses numbers Python cannot use as such.

``1e400`` parses as ``float('inf')`` and then breaks id lookups with ``OverflowError``
(a 500 before this parser). Non-finite numbers are refused at parse time: 400.
"""

from __future__ import annotations

import codecs
import json
import math

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(_("Number out of range: %(value)s") % {"value": text[:40]})
    return value


def _no_constant(text: str):
    raise ValueError(_("%(value)s is not valid JSON.") % {"value": text})


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing ``NaN``, ``Infinity`` and numbers that overflow."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(decoded, parse_float=_finite_float, parse_constant=_no_constant)
        except ValueError as exc:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from None
