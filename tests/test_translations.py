"""Spanish and English from the start: the Spanish catalogue is complete and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PO = REPO / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.MULTILINE)
# The same, with the context of a pgettext message (``msgctxt "…"``) or none.
CONTEXT_ENTRY = re.compile(
    r'^(?:msgctxt "(.*)"\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.MULTILINE
)


def _join(quoted: str) -> str:
    return "".join(re.findall(r'"(.*)"', quoted))


def test_every_message_has_a_spanish_translation():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text, "fuzzy entries in locale/es: review and translate them"
    missing = [
        _join(msgid) for msgid, msgstr in ENTRY.findall(text) if _join(msgid) and not _join(msgstr)
    ]
    assert missing == [], f"untranslated in locale/es: {missing[:10]}"
    # Plural messages (``blocktranslate count``): every form translated.
    empty_plurals = re.findall(
        r'^msgid_plural ((?:".*"\n)+)(?:msgstr\[\d\] (?:".*"\n)+)*?msgstr\[\d\] ""\n(?!")',
        text,
        re.M,
    )
    assert empty_plurals == [], f"untranslated plural forms in locale/es: {empty_plurals[:5]}"


def test_the_compiled_catalogue_matches_its_source():
    """The committed .mo holds every translation of the .po (else: `make messages`)."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    text = PO.read_text(encoding="utf-8")
    stale = [
        _join(msgid)
        for context, msgid, msgstr in CONTEXT_ENTRY.findall(text)
        if _join(msgid)
        and "msgid_plural" not in msgid
        and (
            compiled.pgettext(context, _unescape(_join(msgid)))
            if context
            else compiled.gettext(_unescape(_join(msgid)))
        )
        != _unescape(_join(msgstr))
    ]
    assert stale == [], f"locale/es .mo is stale, run `make messages`: {stale[:5]}"


def _unescape(value: str) -> str:
    """Undo the .po escapes that Django's messages use."""
    return value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
