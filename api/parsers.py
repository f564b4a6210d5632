"""A JSON parser that refuses what Python or PostgreSQL cannot use: 400, never a 500.

- ``1e400`` parses as ``float('inf')`` and then breaks id lookups with ``OverflowError``
  (a 500 before this parser). Non-finite numbers are refused at parse time.
- Deep nesting (``[[[[…]]]]`` a thousand levels) made the parser raise ``RecursionError``.
  No request of this API nests more than two levels, so more than ``MAX_DEPTH`` is
  refused, whatever the stack depth at which the parser runs.
- A lone surrogate (``"\\ud800"``, allowed by JSON's grammar but not Unicode text) cannot
  be encoded as UTF-8: echoed in an error message it broke the JSON renderer, and stored
  it breaks PostgreSQL. Refused in every key and string, as I-JSON (RFC 7493 §2.1) does.
- A ``charset`` that is not a text encoding (``zlib``, ``rot13``, ``bz2``) broke the
  decoder with ``TypeError``/``zlib.error``, and would decompress past the upload limit.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Mapping
from typing import IO, Any, NoReturn

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deepest nesting accepted. Our deepest request body is an object holding an object of
# strings (``identifiers``); 32 leaves room for clients while staying far from Python's
# recursion limit (1000) in the parser and in whatever walks the data afterwards.
MAX_DEPTH = 32

_SURROGATE = re.compile("[\ud800-\udfff]")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(_("Number out of range: %(value)s") % {"value": text[:40]})
    return value


def _no_constant(text: str) -> NoReturn:
    raise ValueError(_("%(value)s is not valid JSON.") % {"value": text})


def _too_deep() -> str:
    return _("nested more than %(limit)d levels deep.") % {"limit": MAX_DEPTH}


def _text_encoding(parser_context: Mapping[str, Any] | None) -> str:
    """The charset of the request (``Content-Type``), if it is a text encoding.

    Raises ``ParseError`` (400) for a bytes-to-bytes or str-to-str codec: Django accepts
    any name ``codecs.lookup`` knows. ``str.encode`` refuses non-text codecs (as DRF's
    own ``get_encoding`` does, whose message is not translated)."""
    encoding: str = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
    try:
        "".encode(encoding)
    except (LookupError, UnicodeError):
        raise ParseError(
            _('Unsupported charset "%(charset)s" in the Content-Type header.')
            % {"charset": encoding[:40]}
        ) from None
    return encoding


def _check_depth_and_text(data: object) -> None:
    """Raise ``ValueError`` if ``data`` nests deeper than ``MAX_DEPTH`` or any key or
    string holds a surrogate code point. Iterative: no recursion on hostile input."""
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            surrogate = _SURROGATE.search(value)
            if surrogate:
                # DRF's own message for CharFields (translated in our catalogue).
                raise ValueError(
                    _("Surrogate characters are not allowed: U+{code_point:X}.").format(
                        code_point=ord(surrogate.group())
                    )
                )
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ValueError(_too_deep())
            if isinstance(value, dict):
                pending.extend((key, depth) for key in value)
                pending.extend((item, depth + 1) for item in value.values())
            else:
                pending.extend((item, depth + 1) for item in value)


def strict_loads(text: str) -> Any:
    """``json.loads`` refusing non-finite numbers, nesting deeper than ``MAX_DEPTH`` and
    lone surrogates. Raises ``ValueError`` with a message in the active language. Also
    for JSON carried inside a form field (``EvidenceUploadSerializer.identifiers``)."""
    try:
        data = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        # The C scanner checks the recursion limit: deeper than the stack allows.
        raise ValueError(_too_deep()) from None
    _check_depth_and_text(data)
    return data


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing ``NaN``, ``Infinity``, numbers that overflow, nesting
    deeper than ``MAX_DEPTH``, lone surrogates and non-text charsets: ``ParseError``
    (400, ``{"detail": …}`` in the request's language)."""

    # Any JSON value, not only an object (DRF's stubs say dict): the serializer refuses
    # what it cannot use.
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = _text_encoding(parser_context)
        try:
            return strict_loads(codecs.getreader(encoding)(stream).read())
        except ValueError as exc:  # UnicodeDecodeError included
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from None
