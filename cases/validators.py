"""Validators of what people type, shared by the models, the API and the web forms."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A whole number in ASCII digits. ``\d`` and ``int()`` also take "١٢" (Arabic-Indic) or
# "１２" (full-width) digits: a number nobody typed on purpose, and a way to slip past
# filters that match on ASCII.
ASCII_INTEGER = re.compile(r"^\s*[-+]?[0-9]+\s*$", re.ASCII)

# Letters that draw nothing although Unicode files them as letters or symbols: the
# Hangul fillers and the blank Braille pattern, used to make names that look empty.
_BLANK_GRAPHEMES = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_ascii_integer(value: object) -> bool:
    """True for a ``str`` of ASCII digits (sign and surrounding spaces allowed)."""
    return isinstance(value, str) and ASCII_INTEGER.match(value) is not None


def has_visible_character(value: str) -> bool:
    """True if ``value`` holds at least one character that draws something: not a space
    or separator (Unicode ``Z*``), not a control, format (zero-width space, joiners,
    direction marks), private-use or unassigned code point (``C*``), not a combining mark
    alone (``M*``) and not a blank letter (Hangul filler)."""
    return any(
        unicodedata.category(char)[0] not in "CZM" and char not in _BLANK_GRAPHEMES
        for char in value
    )


def validate_visible(value: str) -> None:
    """Model and form validator for text that names something (a person, a case, an
    organisation): raises ``ValidationError`` (code ``invisible``) if nothing in it would
    show on a page."""
    if isinstance(value, str) and value and not has_visible_character(value):
        raise ValidationError(
            _("Write at least one visible character (letters, digits or signs)."),
            code="invisible",
        )
