"""Fill Spanish translations into locale/es after `make messages`, dropping their fuzzy
marks: `python scripts/po_fill.py translations.json` (a JSON object msgid → msgstr).
Prints every msgid still untranslated or fuzzy. A maintenance aid, not run by the app."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parents[1] / "locale" / "es" / "LC_MESSAGES" / "django.po"
BLOCK = re.compile(
    r"(?:^#.*\n)*^msgid (?:\".*\"\n)+(?:^msgid_plural.*\n)?(?:^msgstr.*\n(?:\".*\"\n)*)+",
    re.M,
)
UNTRANSLATED = re.compile(r'^msgstr ""\n(?!")', re.M)


def _unquote(quoted: str) -> str:
    joined = "".join(re.findall(r'"(.*)"', quoted))
    return joined.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _filled(block: str, msgid: str, msgstr: str) -> str:
    """``block`` with ``msgstr`` and without its fuzzy flag and previous-msgid lines."""
    comments = []
    for line in block.splitlines():
        if not line.startswith("#") or line.startswith("#|"):
            continue
        if line.startswith("#,"):
            line = re.sub(r",? fuzzy", "", line)
            if line.strip() == "#,":
                continue
        comments.append(line)
    return "\n".join([*comments, f"msgid {_quote(msgid)}", f"msgstr {_quote(msgstr)}"]) + "\n"


def main() -> None:
    wanted = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")) if sys.argv[1:] else {}
    text = PO.read_text(encoding="utf-8")
    out, pos = [], 0
    for match in BLOCK.finditer(text):
        out.append(text[pos : match.start()])
        block = match.group(0)
        found = re.search(r'^msgid ((?:".*"\n)+)', block, re.M)
        msgid = _unquote(found.group(1)) if found else ""
        if msgid in wanted and "msgid_plural" not in block:
            block = _filled(block, msgid, wanted[msgid])
        elif msgid and ("fuzzy" in block.split("msgid")[0] or UNTRANSLATED.search(block)):
            print("TODO:", json.dumps(msgid, ensure_ascii=False))
        out.append(block)
        pos = match.end()
    out.append(text[pos:])
    PO.write_text("".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
