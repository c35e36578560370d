"""The English catalogs are complete and compiled: every message has its English, and the .mo
files the server reads say what the .po files say."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"
# Messages whose source text is already English (Django REST framework's own wording).
ENGLISH_SOURCE = {"Invalid token.", "User inactive or deleted."}


def _entries(po: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr / msgstr[n], flags."""
    entries, current, field = [], None, None
    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current and "msgid" in current:
                entries.append(current)
            current, field = None, None
            continue
        if current and any(k.startswith("msgstr") for k in current) and line.startswith(("msgctxt ", "msgid ", "#")):
            entries.append(current)  # an entry that follows the last without a blank line
            current, field = None, None
        current = current or {"flags": set()}
        if line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            current[field] = ast.literal_eval(value)
    return [e for e in entries if e["msgid"]]


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_message_has_its_english_and_none_is_fuzzy(domain):
    entries = _entries(LOCALE / f"{domain}.po")
    assert entries
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    missing = [
        e["msgid"] for e in entries
        if e["msgid"] not in ENGLISH_SOURCE and not all(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert fuzzy == [] and missing == []


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_compiled_catalog_says_what_the_po_says(domain):
    with (LOCALE / f"{domain}.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in _entries(LOCALE / f"{domain}.po"):
        if "msgid_plural" in entry:
            assert compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1) == (entry["msgstr[0]"] or entry["msgid"])
            assert compiled.ngettext(entry["msgid"], entry["msgid_plural"], 2) == (entry["msgstr[1]"] or entry["msgid_plural"])
        elif "msgctxt" in entry:  # a message in a context (pgettext): looked up in that context
            assert compiled.pgettext(entry["msgctxt"], entry["msgid"]) == (entry["msgstr"] or entry["msgid"]), entry["msgid"]
        else:
            assert compiled.gettext(entry["msgid"]) == (entry["msgstr"] or entry["msgid"]), entry["msgid"]


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TRANSLATE_TAG = re.compile(r"""{%\s*(?:translate|trans)\s+(?:'([^']*)'|"([^"]*)")(?:\s+context\s+(?:'([^']*)'|"([^"]*)"))?""")


def test_every_text_a_template_translates_is_in_the_catalog():
    known = {(e.get("msgctxt"), e["msgid"]) for e in _entries(LOCALE / "django.po")}
    missing = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for match in TRANSLATE_TAG.finditer(template.read_text(encoding="utf-8")):
            msgid, context = match.group(1) or match.group(2), match.group(3) or match.group(4)
            # A template's "%" is written "%%" in the catalog (python-format).
            if msgid and (context, msgid) not in known and (context, msgid.replace("%", "%%")) not in known:
                missing.append(f"{template.relative_to(TEMPLATES)}: {msgid}")
    assert missing == []
