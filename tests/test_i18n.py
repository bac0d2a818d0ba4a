"""English is available for every string, and the compiled catalogue matches its source."""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
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


CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"\b[a-z]{3,}\b")


def test_api_errors_speak_one_language_at_a_time(cast: object) -> None:
    """In Chinese every error message is Chinese only; asked in English (the cookie, or Accept-Language on
    the API), English only. The stable ``code`` stays the same in both."""
    import json

    from jingwu.org.services import issue_token

    from .conftest import IN_A, OUTSIDE

    token = issue_token(cast["operator"])  # type: ignore[index]
    bad = [
        ("post", "/api/cases", {"lon": IN_A[0], "lat": IN_A[1], "description": ""}),
        ("post", "/api/cases", {"lon": OUTSIDE[0], "lat": OUTSIDE[1], "description": "x"}),
        ("post", "/api/cases", {"lon": IN_A[0], "lat": IN_A[1], "description": "x", "category": "matter:99999"}),
        ("get", "/api/cases/JW000/reporter", None),
        ("get", "/api/cases?status=nonsense", None),
        ("post", "/api/auth/token", {"username": "operator", "password": "wrong"}),
    ]

    def ask(lang_header: dict[str, str]) -> list[tuple[str, str]]:
        c = Client(HTTP_AUTHORIZATION=f"Bearer {token}", **lang_header)
        out = []
        for method, path, body in bad:
            r = c.post(path, json.dumps(body), content_type="application/json") if method == "post" else c.get(path)
            assert r.status_code >= 400, path
            error = r.json()["error"]
            out.append((error["code"], error["message"]))
        return out

    chinese = ask({})
    english = ask({"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"})
    assert [c for c, _ in chinese] == [c for c, _ in english]
    for _code, message in chinese:
        own_words = re.sub(r"'[^']*'", "", message).lower()  # the caller's own input echoed back is not ours
        assert CJK.search(message) and not WORD.search(own_words), message
    for _code, message in english:
        assert not CJK.search(message), message


def test_the_public_timeline_says_reported_until_accepted_and_speaks_the_readers_language(cast: object) -> None:
    from jingwu.cases import notes

    from .flows import act, public_report

    case = public_report(cast)
    c = Client()
    track = f"/api/cases/{case.number}"
    assert [t["public_note"] for t in c.get(track).json()["timeline"]] == ["已上报"]
    act(case, "accept", cast["operator"])  # type: ignore[index]
    assert [t["public_note"] for t in c.get(track).json()["timeline"]] == ["已上报", "已受理"]
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert [t["public_note"] for t in english.get(track).json()["timeline"]] == ["Reported", "Accepted"]
    with translation.override("en"):
        assert notes.public_text("已派遣至环卫公司") == "Dispatched to 环卫公司"
        assert notes.public_text("已受理上报") == "Reported"  # written before the two were told apart
        assert notes.public_text("路面已修复") == "路面已修复"  # what a person typed stays as typed


def test_error_pages_are_in_the_sites_style_and_language(cast: object, monkeypatch: object) -> None:
    c = Client()
    r = c.get("/no/such/page/")
    assert r.status_code == 404 and 'id="not-found"' in r.content.decode() and "页面不存在" in r.content.decode()
    c.cookies["django_language"] = "en"
    r = c.get("/no/such/page/")
    assert "Page not found" in r.content.decode() and "页面不存在" not in r.content.decode()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("jingwu.web.views.queue_counts", boom)  # type: ignore[attr-defined]
    staff = Client(raise_request_exception=False)
    staff.force_login(cast["operator"])  # type: ignore[index]
    r = staff.get("/centre/")
    assert r.status_code == 500 and 'id="server-error"' in r.content.decode() and "服务器出错" in r.content.decode()


# Words that are names, not English: accounts, standards and the arrows of breadcrumbs.
# Names and acronyms that Chinese text uses as they are (MQTT 客户端标识, LED 屏, AQI), and devices' factor codes
# (data, as the devices send them).
NOT_ENGLISH = {
    "Open",
    "API",
    "GeoJSON",
    "LDAP",
    "rsaquo",
    "lsaquo",
    "system",
    "unknown",
    "MQTT",
    "LED",
    "AQI",
    "VOCs",
    "COD",
    "leakage",
    "pressure",
    "temperature",
    # The MQTT topic a device publishes to (jingwu/v1/<客户端标识>/data) and the coordinate system, in help texts.
    "jingwu",
    "data",
    "event",
    "WGS",
}


@pytest.mark.parametrize("who", ["admin", "secadmin", "auditor"])
def test_the_administration_is_chinese_third_party_apps_included(cast: Any, who: str) -> None:
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    c = Client()
    c.force_login(cast[who])
    index = c.get("/admin/").content.decode()
    links = sorted(set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/(?:add/)?)"', index)))
    assert len(links) >= 5
    for url in ["/admin/", *links]:
        html = c.get(url).content.decode()
        html = re.sub(r"(?s)<(script|style|textarea)[^>]*>.*?</\1>", " ", html)
        words = set(re.findall(r"[A-Za-z][A-Za-z_]{2,}", re.sub(r"(?s)<[^>]+>", " ", html)))
        assert words - NOT_ENGLISH - usernames == set(), url
