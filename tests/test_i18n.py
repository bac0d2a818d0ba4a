"""English is available for every string, and the compiled catalogue matches its source."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.test import Client
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "jingwu" / "locale" / "en" / "LC_MESSAGES"


def po_entries() -> dict[str, str]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    out = {}
    for entry in text.split("\n\n"):
        m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', entry, re.M)
        if not m:
            continue

        def join(block: str) -> str:
            raw = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))
            return raw.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")

        if join(m.group(1)):
            out[join(m.group(1))] = join(m.group(2))
    return out


def test_every_string_has_english_and_the_mo_file_is_current() -> None:
    entries = po_entries()
    assert len(entries) > 250
    untranslated = [k for k, v in entries.items() if not v]
    assert untranslated == [], "run: .venv/bin/python scripts/en_translations.py"
    with open(LOCALE / "django.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [k for k, v in entries.items() if compiled.gettext(k) != v]
    assert stale == [], "recompile: .venv/bin/python scripts/en_translations.py"


def test_pages_follow_the_language_cookie(db: object) -> None:
    c = Client()
    assert "我要反映" in c.get("/public/").content.decode()
    c.cookies["django_language"] = "en"
    page = c.get("/public/").content.decode()
    assert "Report a problem" in page and "我要反映" not in page
    with translation.override("en"):
        from jingwu.cases.choices import State

        assert str(State.HANDLING.label) == "Handling"


def test_chinese_is_the_default_whatever_the_browser_says(db: object) -> None:
    c = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "我要反映" in c.get("/public/").content.decode()
