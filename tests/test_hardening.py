"""Issue 8's attacks, each replayed as a test: what an attacker did must now fail, and cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from jingwu.org.models import ApiToken
from jingwu.org.services import issue_token

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _db_env() -> dict[str, str]:
    """The environment that points a server process at this test's database."""
    cfg = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JINGWU_SQLITE_PATH", "REDIS_URL")}
    if connection.vendor == "postgresql":
        auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"
    else:
        env["JINGWU_SQLITE_PATH"] = str(cfg["NAME"])
    env["DJANGO_SETTINGS_MODULE"] = "jingwu.settings"
    return env


@pytest.fixture
def servers(transactional_db: Any) -> Iterator[list[str]]:
    """Two gunicorn servers (two processes each) on this test's database, as a deployment runs them."""
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "jingwu.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--access-logfile",
                    "/dev/null",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=_db_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"{url}/api/workflow", timeout=10).close()
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"server at {url} did not start")
        yield urls
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


def _status(url: str, token: str) -> int:
    req = urllib.request.Request(f"{url}/api/tasks", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_revoked_token_or_deactivated_user_stops_working_at_once_everywhere(servers: list[str]) -> None:
    from django.contrib.auth import get_user_model

    from jingwu.org.models import Person

    user = get_user_model().objects.create_user("op")
    Person.objects.create(user=user, name="受理员", role="operator")
    token, other = issue_token(user), issue_token(user, "second phone")
    # Every process has seen (and, before the fix, cached) both tokens.
    assert {_status(url, token) for url in servers for _ in range(10)} == {200}
    assert {_status(url, other) for url in servers for _ in range(10)} == {200}
    ApiToken.objects.filter(prefix=token[:8]).update(revoked=True)
    assert [_status(url, token) for url in servers for _ in range(20)] == [401] * 40
    assert {_status(url, other) for url in servers for _ in range(5)} == {200}
    user.is_active = False
    user.save()
    assert [_status(url, other) for url in servers for _ in range(20)] == [401] * 40


# --- bad input: a clear 4xx, never a 500 ----------------------------------------------------------


def _bomb(width: int, height: int) -> Any:
    """A PNG of one colour: a few hundred KB on the wire, gigabytes once decoded."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG", optimize=True)
    return SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png")


@pytest.mark.django_db
def test_a_decompression_bomb_is_refused_before_it_is_decoded(cast: Any, at: Any) -> None:
    from django.test import Client

    from .conftest import IN_A
    from .test_api import Api

    bomb = _bomb(12_000, 12_000)  # 144 megapixels
    assert bomb.size < 1_000_000
    r = Api(cast["gw_a"]).form("/cases", {"lon": IN_A[0], "lat": IN_A[1], "description": "x", "photos": bomb})
    assert r.status_code == 400 and r.json()["error"]["code"] == "photo_too_many_pixels", r.content
    # The anonymous public form too: the error is shown and nothing is stored.
    from jingwu.cases.models import Case

    page = Client().post(
        "/public/report",
        {"lon": IN_A[0], "lat": IN_A[1], "description": "x", "photos": _bomb(12_000, 12_000)},
    )
    assert page.status_code == 400 and "像素过多" in page.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_control_characters_are_refused_and_never_break_the_xml_feed(cast: Any, at: Any) -> None:
    from xml.etree import ElementTree as ET

    from django.test import Client

    from jingwu.cases import services
    from jingwu.cases.models import Case
    from jingwu.lib.errors import Invalid

    from .conftest import IN_A
    from .test_api import Api

    r = Api(cast["citizen"]).post("/cases", {"lon": IN_A[0], "lat": IN_A[1], "description": "垃圾\x01堆放"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "control_characters"
    with pytest.raises(Invalid):
        services.report_case(actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="ok", address="a\x0bb")
    ok = services.report_case(
        actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="垃圾", category="matter:06010"
    ).case
    # A row written before the check (or by hand) cannot break the feed either.
    Case.objects.filter(pk=ok.pk).update(description="旧数据\x01含控制字符")
    feed = Client().get("/open311/v2/requests.xml")
    assert feed.status_code == 200
    root = ET.fromstring(feed.getvalue())
    assert root.find("request/description").text == "旧数据含控制字符"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/cases?q=%00",
        "/api/grids?region=%00",
        "/api/cases/JW%00",
        "/open311/v2/requests.json?end_date=0001-01-01T00:00:00Z",
        "/open311/v2/requests.json?start_date=9999-12-31T00:00:00Z",
        "/open311/v2/requests.json?lat=inf&long=117.1",
        "/open311/v2/requests.json?lat=nan&long=nan",
        "/open311/v2/requests.json?bbox=inf,0,1,1",
        "/open311/v2/requests.xml?service_code=%00",
        "/api/cases?bbox=nan,1,2,3",
        "/public/track/?code=%00",
    ],
)
def test_hostile_query_strings_get_a_clean_400(cast: Any, path: str) -> None:
    from .test_api import Api

    api = Api(cast["operator"])
    r = api.client.get(path, **api.headers)
    assert r.status_code == 400, (path, r.status_code, r.content[:200])
    if path.startswith("/api/"):
        assert set(r.json()["error"]) == {"code", "message", "details"}
    elif path.startswith("/open311/") and ".json" in path:
        assert r.json()[0]["code"] == 400


@pytest.mark.django_db
def test_hostile_bodies_get_a_clean_400(cast: Any, at: Any) -> None:
    from .conftest import IN_A
    from .flows import to_state
    from .test_api import Api

    api = Api(cast["operator"])
    deep = "[" * 1000 + "]" * 1000
    case = to_state(cast, "reported")
    for path, body in [
        ("/api/cases", deep),
        (f"/api/cases/{case.number}/notes", deep),
        (f"/api/cases/{case.number}/notes", '{"text": "a\\u0000b"}'),
        ("/api/cases", '{"lon": 1e999, "lat": 39.0, "description": "x"}'),
        ("/api/cases", '{"lon": "Infinity", "lat": 39.0, "description": "x"}'),
    ]:
        r = api.client.post(path, body, content_type="application/json", **api.headers)
        assert r.status_code == 400, (path, body[:40], r.status_code, r.content[:300])
        assert set(r.json()["error"]) == {"code", "message", "details"}
    assert IN_A


@pytest.mark.django_db
def test_an_unexpected_error_in_the_api_keeps_the_api_shape(cast: Any, monkeypatch: Any) -> None:
    from jingwu.cases import api as cases_api

    from .test_api import Api

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cases_api.selectors, "apply_filter", boom)
    r = Api(cast["operator"]).get("/cases")
    assert r.status_code == 500 and r.json()["error"]["code"] == "server_error"


# --- sign-in throttling and passwords -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/auth/token"])  # /admin/login/ only redirects (test_accounts)
def test_fifty_wrong_passwords_lock_the_account_everywhere(cast: Any, path: str) -> None:
    import json

    import time_machine
    from django.test import Client
    from django.utils import timezone

    def attempt(password: str) -> Any:
        c = Client()
        if path.startswith("/api/"):
            body = json.dumps({"username": "operator", "password": password})
            return c.post(path, body, content_type="application/json")
        return c.post(path, {"username": "operator", "password": password})

    statuses = {attempt(f"guess-{i}").status_code for i in range(50)}
    assert 429 in statuses
    right = attempt("pw-operator")
    assert right.status_code == 429, (path, right.status_code)
    if path.startswith("/api/"):
        assert right.json()["error"]["code"] == "locked_out"
    else:
        assert "账号已锁定" in right.content.decode() and "_auth_user_id" not in Client().session
    # The lock is on the account, on every sign-in path.
    other = Client().post(
        "/api/auth/token",
        json.dumps({"username": "operator", "password": "pw-operator"}),
        content_type="application/json",
    )
    assert other.status_code == 429
    # Another account is not affected, and after the cool-off the right password works again.
    ok = Client().post(
        "/api/auth/token", json.dumps({"username": "leader", "password": "pw-leader"}), content_type="application/json"
    )
    assert ok.status_code == 200
    with time_machine.travel(timezone.now() + __import__("datetime").timedelta(minutes=31)):
        assert attempt("pw-operator").status_code in (200, 302)


def test_the_password_policy_refuses_weak_passwords() -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678901", "abcdefgh", "password1", "jingwudemo"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("jingwu-demo-2026")
    validate_password("Grid-Worker-7")


@pytest.mark.django_db
def test_guessing_tracking_codes_is_throttled(cast: Any, at: Any) -> None:
    from django.test import Client

    from jingwu.cases import services

    from .conftest import IN_A

    case = services.report_case(
        actor=cast["citizen"], lon=IN_A[0], lat=IN_A[1], description="垃圾", category="matter:06010"
    ).case
    c = Client()
    codes = [c.get("/public/track/", {"number": case.number, "code": f"{i:08x}"}).status_code for i in range(25)]
    assert codes[:20] == [404] * 20 and set(codes[20:]) == {429}
    # Blocked for that number even with the right code, from any address, until the window passes.
    right = Client(REMOTE_ADDR="10.9.9.9").get("/public/track/", {"number": case.number, "code": case.tracking_code})
    assert right.status_code == 429


@pytest.mark.django_db
def test_a_department_speaks_only_on_cases_it_holds_and_ids_are_not_numbers(cast: Any, at: Any) -> None:
    from .flows import act, to_state
    from .test_api import Api

    case = to_state(cast, "handling")  # with 环卫公司 (h_env)
    case = act(case, "return", cast["h_env"], reason="not_ours")
    case = act(case, "dispatch", cast["dispatcher"], department="B05")
    env = Api(cast["h_env"])
    assert env.get(f"/cases/{case.number}").status_code == 200  # it may still read what it once had
    r = env.post(f"/cases/{case.number}/notes", {"text": "我们已经处理", "public": True})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_department"
    assert Api(cast["h_city"]).post(f"/cases/{case.number}/notes", {"text": "已到现场"}).status_code == 200
    # The command centre addresses cases by number, never by internal id.
    r = Api(cast["dispatcher"]).post(f"/cases/{case.pk}/return", {"version": case.version, "reason": "x"})
    assert r.status_code == 404


# --- tamper-evident audit ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_audit_trail_proves_it_was_not_altered(cast: Any, at: Any) -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connection as conn

    from jingwu.audit import seal
    from jingwu.audit.models import AuditEvent, AuditSeal

    from .flows import to_state

    to_state(cast, "to_close")
    assert seal.seal() is None  # nothing has settled yet: an open transaction could still add a row
    at.move(at.now + timedelta(minutes=2))
    first = seal.seal()
    assert first is not None and first.count == AuditEvent.objects.count() and first.previous == ""
    to_state(cast, "handling")
    at.move(at.now + timedelta(minutes=2))
    second = seal.seal()
    assert second is not None and second.previous == first.digest and second.first_id == first.last_id + 1
    report = seal.verify()
    assert report.ok and report.seals == 2 and report.rows == AuditEvent.objects.count() and report.unsealed == 0
    call_command("audit_verify")

    # Someone with database access rewrites history: every kind of change is found.
    row = AuditEvent.objects.filter(action="case.dispatch").order_by("id").first()
    assert row is not None
    AuditEvent.objects.filter(pk=row.pk).update(actor_name="someone_else")
    assert [p for p in seal.verify().problems if "altered" in p]
    with pytest.raises(CommandError):
        call_command("audit_verify")
    AuditEvent.objects.filter(pk=row.pk).update(actor_name=row.actor_name)
    assert seal.verify().ok
    with conn.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])
    assert any("rows, sealed" in p for p in seal.verify().problems)
    # A forged seal over the forged history does not chain without the key.
    digest, count = seal.chain(first.previous, [])
    AuditSeal.objects.filter(pk=first.pk).update(digest=digest, count=count)
    assert len(seal.verify().problems) >= 2


@pytest.mark.django_db
def test_keys_and_tokens_from_the_command_line(cast: Any) -> None:
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.test import Client

    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", "create", "随手拍App", contact="12345", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("o311_") and "shown once" in err.getvalue()
    body = {"api_key": raw, "service_code": "matter-06010", "lat": 39.045, "long": 117.105, "description": "垃圾"}
    assert Client().post("/open311/v2/requests.json", body).status_code == 201
    call_command("open311_key", "revoke", "随手拍App", stdout=io.StringIO())
    assert Client().post("/open311/v2/requests.json", body).status_code == 403
    with pytest.raises(CommandError):
        call_command("open311_key", "revoke", "nobody", stdout=io.StringIO())

    out = io.StringIO()
    call_command("token", "create", "operator", name="12345 bridge", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/tasks", **auth).status_code == 200
    listing = io.StringIO()
    call_command("token", "list", "operator", stdout=listing)
    assert "12345 bridge" in listing.getvalue() and token[:8] in listing.getvalue()
    call_command("token", "revoke", token[:8], stdout=io.StringIO())
    assert Client().get("/api/tasks", **auth).status_code == 401
    with pytest.raises(CommandError):
        call_command("token", "create", "nobody", stdout=io.StringIO())


# --- sessions and first passwords -----------------------------------------------------------------


@pytest.mark.django_db
def test_an_idle_session_ends_even_while_the_page_polls(cast: Any) -> None:
    import time_machine
    from django.test import Client
    from django.utils import timezone

    c = Client()
    assert c.post("/login/", {"username": "operator", "password": "pw-operator"}).status_code == 302
    start = timezone.now()
    assert c.get("/centre/").status_code == 200
    # The queues poll every 10 s (here every 3 min of a travelling clock) for 40 minutes; nobody clicks.
    answers = []
    for minutes in range(1, 41, 3):
        with time_machine.travel(start + __import__("datetime").timedelta(minutes=minutes)):
            r = c.get("/centre/queues", HTTP_HX_REQUEST="true", HTTP_X_JINGWU_POLL="1")
            answers.append((minutes, r.status_code, r.get("HX-Redirect", "")))
    assert [a[1] for a in answers if a[0] <= 28] == [200] * 10
    assert answers[10][:2] == (31, 204) and answers[10][2].startswith("/login/")
    assert c.get("/centre/").status_code == 302  # signed out


@pytest.mark.django_db
def test_polls_do_not_write_the_session_and_a_poll_after_it_ended_leaves_for_the_sign_in(cast: Any) -> None:
    import time_machine
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    c = Client()
    assert c.post("/login/", {"username": "operator", "password": "pw-operator"}).status_code == 302
    start = timezone.now()
    with time_machine.travel(start):
        assert c.get("/centre/").status_code == 200
    expiry = Session.objects.get().expire_date
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_X_JINGWU_POLL": "1"}
    later = start + __import__("datetime").timedelta(minutes=2)
    with time_machine.travel(later), CaptureQueriesContext(connection) as queries:
        assert c.get("/centre/queues", **poll).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    assert writes == [] and Session.objects.get().expire_date == expiry
    # The session, then the user with their person and roles in one statement, then the two counts.
    assert len(queries.captured_queries) == 4, [q["sql"][:80] for q in queries.captured_queries]
    # Polling for longer than a third of the idle time renews the stored session, so the idle rule (not the
    # stored expiry) is what ends it.
    with time_machine.travel(start + __import__("datetime").timedelta(minutes=11)):
        assert c.get("/centre/queues", **poll).status_code == 200
    assert Session.objects.get().expire_date > expiry
    # The stored session gone (the browser asleep for hours): the poll sends the page to the sign-in.
    Session.objects.all().delete()
    r = c.get("/centre/queues", **poll, HTTP_HX_CURRENT_URL="http://testserver/centre/?queue=overdue")
    # Back to the page after signing in, not to the fragment.
    assert r.status_code == 204 and r["HX-Redirect"] == "/login/?next=%2Fcentre%2F%3Fqueue%3Doverdue"
    r = c.get("/centre/queues", **poll, HTTP_HX_CURRENT_URL="https://evil.example/centre/")
    assert r.status_code == 204 and r["HX-Redirect"] == "/login/"
    assert c.get("/centre/queues").status_code == 302  # a page load is redirected as usual


@pytest.mark.django_db
def test_a_session_brings_its_roles_and_ends_when_the_account_is_deactivated_or_its_password_changed(
    cast: Any,
) -> None:
    from django.test import Client

    from jingwu.org.models import PersonRole
    from jingwu.org.services import active_user

    PersonRole.objects.create(person=cast["operator"].person, role="inspector")
    user = active_user(cast["operator"].pk)
    assert user.person.name and user.person._jw_roles == ("operator", "inspector")
    assert active_user("x") is None and active_user(10**9) is None
    c = Client()
    assert c.post("/login/", {"username": "operator", "password": "pw-operator"}).status_code == 302
    assert c.get("/centre/").status_code == 200
    cast["operator"].is_active = False
    cast["operator"].save(update_fields=["is_active"])
    assert c.get("/centre/").status_code == 302
    assert c.post("/login/", {"username": "dispatcher", "password": "pw-dispatcher"}).status_code == 302
    assert c.get("/centre/").status_code == 200
    cast["dispatcher"].set_password("Another-pw-2026")
    cast["dispatcher"].save(update_fields=["password"])
    assert c.get("/centre/").status_code == 302  # the session's hash no longer matches


@pytest.mark.django_db
def test_a_first_password_must_be_changed_before_anything_else(cast: Any) -> None:
    import json

    from django.test import Client

    person = cast["dispatcher"].person
    person.must_change_password = True
    person.save()
    c = Client()
    c.post("/login/", {"username": "dispatcher", "password": "pw-dispatcher"})
    r = c.get("/centre/")
    assert r.status_code == 302 and r["Location"] == "/password/"
    token = Client().post(
        "/api/auth/token",
        json.dumps({"username": "dispatcher", "password": "pw-dispatcher"}),
        content_type="application/json",
    )
    assert token.status_code == 403 and token.json()["error"]["code"] == "password_change_required"
    weak = c.post(
        "/password/", {"old_password": "pw-dispatcher", "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 200  # refused, with the reasons on the page
    good = "Dispatch-2026!"
    r = c.post("/password/", {"old_password": "pw-dispatcher", "new_password1": good, "new_password2": good})
    assert r.status_code == 302
    person.refresh_from_db()
    assert person.must_change_password is False
    assert c.get("/centre/").status_code == 200


@pytest.mark.django_db
def test_a_reporter_contact_is_masked_and_each_look_at_it_is_audited(cast: Any, at: Any) -> None:
    from jingwu.audit.models import AuditEvent
    from jingwu.cases import services

    from .conftest import IN_A
    from .test_api import Api

    case = services.report_case(
        actor=cast["citizen"],
        lon=IN_A[0],
        lat=IN_A[1],
        description="噪声",
        reporter_name="张三丰",
        reporter_phone="13800138000",
    ).case
    detail = Api(cast["dispatcher"]).get(f"/cases/{case.number}").json()
    assert (detail["reporter_name"], detail["reporter_phone"]) == ("张**", "138****8000")
    assert Api(cast["dispatcher"]).get(f"/cases/{case.number}/reporter").status_code == 403
    full = Api(cast["operator"]).get(f"/cases/{case.number}/reporter")
    assert full.json() == {"name": "张三丰", "phone": "13800138000"}
    looks = AuditEvent.objects.filter(action="case.reveal_reporter", object_id=case.number)
    assert list(looks.values_list("actor__username", flat=True)) == ["operator"]
