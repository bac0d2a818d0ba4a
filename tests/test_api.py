"""The JSON API: auth, report, list, detail, actions, errors — each error a clear 4xx in one shape."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from jingwu.cases.models import Case
from jingwu.org.services import issue_token

from .conftest import IN_A, IN_B, OUTSIDE, jpeg
from .flows import to_state

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user: Any = None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"} if user else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api{path}", params, **self.headers)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.client.post(
            f"/api{path}", json.dumps(body or {}), content_type="application/json", **self.headers, **extra
        )

    def form(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(f"/api{path}", data, **self.headers)


def err(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.content
    body = resp.json()["error"]
    assert set(body) == {"code", "message", "details"} and body["message"]
    if code:
        assert body["code"] == code, body
    return body  # type: ignore[no-any-return]


def test_token_exchange(cast: Any) -> None:
    c = Client()
    r = c.post("/api/auth/token", {"username": "gw_a", "password": "pw-gw_a"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["role"] == "grid_worker"
    me = c.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {r.json()['token']}").json()
    assert me["grids"] == ["120111103201001", "120111103201002"] and me["role_label"] == "网格员"
    err(c.post("/api/auth/token", {"username": "gw_a", "password": "bad"}, content_type="application/json"), 401)
    err(c.get("/api/me", HTTP_AUTHORIZATION="Bearer nope"), 401, "unauthenticated")
    err(c.get("/api/me", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg=="), 401)
    err(c.get("/api/me"), 401, "unauthenticated")


def test_report_json_then_retry_is_idempotent(cast: Any, at: Any) -> None:
    api = Api(cast["citizen"])
    body = {
        "lon": IN_A[0],
        "lat": IN_A[1],
        "description": "垃圾 <script>alert(1)</script>",
        "category": "matter:06010",
        "client_key": "k-1",
        "reporter_phone": "13800001111",
    }
    r1 = api.post("/cases", body)
    assert r1.status_code == 201, r1.content
    r2 = api.post("/cases", body)
    assert r2.status_code == 200 and r2.json()["case"]["number"] == r1.json()["case"]["number"]
    assert r1.json()["created"] and not r2.json()["created"] and Case.objects.count() == 1
    case = r1.json()["case"]
    assert case["status"] == "reported" and case["grid"] == "120111103201001"
    assert case["reporter_phone"] == "138****1111"  # staff schema, masked even for the reporter


def test_report_multipart_with_photo(cast: Any, at: Any) -> None:
    api = Api(cast["gw_a"])
    r = api.form(
        "/cases", {"lon": IN_A[0], "lat": IN_A[1], "description": "占道", "category": "matter:09006", "photos": jpeg()}
    )
    assert r.status_code == 201, r.content
    number = r.json()["case"]["number"]
    assert r.json()["case"]["status"] == "to_file"
    detail = api.get(f"/cases/{number}").json()
    assert len(detail["attachments"]) == 1
    img = api.client.get(detail["attachments"][0]["url"], **api.headers)
    assert img.status_code == 200 and img["Content-Type"] == "image/jpeg"
    # Someone who may not see the case cannot fetch its photo.
    other = Api(cast["gw_b"])
    assert other.client.get(detail["attachments"][0]["url"], **other.headers).status_code == 404


def test_when_and_where_a_photo_was_taken_is_kept_as_data(cast: Any, at: Any) -> None:
    from jingwu.cases.models import Attachment

    api = Api(cast["gw_a"])
    taken = (at.now - timedelta(minutes=5)).isoformat()
    meta = [{"taken_at": taken, "lon": 117.1051, "lat": 39.0451}, {"taken_at": "2999-01-01T00:00:00+00:00", "lon": 999}]
    body = {"lon": IN_A[0], "lat": IN_A[1], "description": "占道", "category": "matter:09006"}
    r = api.client.post(
        "/api/cases",
        {**body, "photos": [jpeg(), jpeg((9, 9, 9))], "photo_meta": json.dumps(meta)},
        **api.headers,
    )
    assert r.status_code == 201, r.content
    first, second = Attachment.objects.order_by("id")
    assert first.taken_at == datetime.fromisoformat(taken) and (first.taken_lon, first.taken_lat) == (117.1051, 39.0451)
    assert second.taken_at is None and second.taken_lon is None  # a time in the future, a place off the globe
    # Meta that is not JSON costs the report nothing.
    r = api.client.post("/api/cases", {**body, "photos": jpeg(), "photo_meta": "{not json"}, **api.headers)
    assert r.status_code == 201 and Attachment.objects.count() == 3


@pytest.mark.parametrize(
    "body,code",
    [
        ({"lat": 39.0, "description": "x"}, "invalid"),
        ({"lon": "east", "lat": 39.0, "description": "x"}, "invalid"),
        ({"lon": 200, "lat": 39.0, "description": "x"}, "invalid"),
        ({"lon": OUTSIDE[0], "lat": OUTSIDE[1], "description": "x"}, "outside_territory"),
        ({"lon": IN_A[0], "lat": IN_A[1], "description": ""}, "invalid"),
        ({"lon": IN_A[0], "lat": IN_A[1], "description": "x" * 4001}, "invalid"),
        ({"lon": IN_A[0], "lat": IN_A[1], "description": "x", "category": "nope"}, "unknown_category"),
        ({"lon": IN_A[0], "lat": IN_A[1], "description": "x", "crs": "mercator"}, "invalid"),
        ({"lon": IN_A[0], "lat": IN_A[1], "description": "x", "client_key": "k" * 65}, "invalid"),
    ],
)
def test_bad_reports_get_a_clear_400(cast: Any, body: dict[str, Any], code: str) -> None:
    err(Api(cast["citizen"]).post("/cases", body), 400, code)
    assert Case.objects.count() == 0


def test_malformed_json_and_bad_photo(cast: Any) -> None:
    api = Api(cast["citizen"])
    r = api.client.post("/api/cases", "{oops", content_type="application/json", **api.headers)
    err(r, 400, "invalid_json")
    r = api.client.post("/api/cases", "[1]", content_type="application/json", **api.headers)
    err(r, 400, "invalid_json")
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = api.form(
        "/cases",
        {
            "lon": IN_A[0],
            "lat": IN_A[1],
            "description": "x",
            "photos": SimpleUploadedFile("a.jpg", b"GIF89a-not-really"),
        },
    )
    err(r, 400, "photo_invalid")
    assert Case.objects.count() == 0


def test_actions_over_http_with_conflict_and_state_errors(cast: Any, at: Any) -> None:
    c = to_state(cast, "to_dispatch")
    d1, d2 = Api(cast["dispatcher"]), Api(cast["dispatcher"])
    r = d1.post(f"/cases/{c.number}/dispatch", {"version": c.version, "department": "B05"})
    assert r.status_code == 200 and r.json()["status"] == "handling" and r.json()["department"] == "B05"
    body = err(
        d2.post(f"/cases/{c.number}/dispatch", {"version": c.version, "department": "W07"}), 409, "stale_version"
    )
    assert body["details"]["current_version"] == c.version + 1
    err(d1.post(f"/cases/{c.number}/dispatch", {"version": c.version + 1}), 409, "invalid_state")
    err(d1.post(f"/cases/{c.number}/dispatch", {}), 400, "invalid")
    err(d1.post("/cases/JW000/dispatch", {"version": 1}), 404, "not_found")
    # Feedback with photos is multipart.
    h = Api(cast["h_env"])
    # A department the case was never sent to cannot even see it.
    err(h.form(f"/cases/{c.number}/feedback", {"version": c.version + 1, "note": "好了"}), 404, "not_found")
    h = Api(cast["h_city"])
    err(h.form(f"/cases/{c.number}/feedback", {"version": c.version + 1, "note": "好了"}), 400, "photo_required")
    r = h.form(f"/cases/{c.number}/feedback", {"version": c.version + 1, "note": "好了", "photos": jpeg()})
    assert r.status_code == 200 and r.json()["status"] == "to_check"


def test_extension_request_over_http(cast: Any, at: Any) -> None:
    c = to_state(cast, "handling")
    h = Api(cast["h_env"])
    r = h.post(
        f"/cases/{c.number}/request_extension",
        {"version": c.version, "reason": "rain", "extension": {"value": 2, "unit": "work_days"}},
    )
    assert r.status_code == 200 and r.json()["pending_extension"]["value"] == 2
    err(
        h.post(
            f"/cases/{c.number}/request_extension", {"version": c.version + 1, "reason": "x", "extension": {"value": 0}}
        ),
        400,
        "invalid",
    )


def test_detail_timeline_for_staff_and_public(cast: Any, at: Any) -> None:
    c = to_state(cast, "to_close")
    staff = Api(cast["shiftlead"]).get(f"/cases/{c.number}").json()
    assert [t["action"] for t in staff["timeline"]] == ["report", "file", "dispatch", "feedback", "check"]
    assert staff["timeline"][2]["actor_name"] == "dispatcher姓名"
    assert [a["action"] for a in staff["actions"]] == ["close", "merge"]
    public = Api().get(f"/cases/{c.number}").json()
    assert public["reporter_name"] == "" and public["reporter_phone"] == ""
    assert all(t["actor_name"] is None and t["note"] is None for t in public["timeline"])
    assert public["attachments"] == [] and public["actions"] == []
    assert "已派遣至环卫公司" in [t["public_note"] for t in public["timeline"]]


def test_list_filters_and_cursor(cast: Any, at: Any) -> None:
    made = [to_state(cast, "handling") for _ in range(3)] + [to_state(cast, "reported") for _ in range(2)]
    api = Api(cast["leader"])
    items = api.get("/cases").json()["items"]
    assert [i["number"] for i in items] == [c.number for c in reversed(made)]
    assert len(api.get("/cases", status="handling").json()["items"]) == 3
    assert len(api.get("/cases", status="handling,reported").json()["items"]) == 5
    assert len(api.get("/cases", department="W07").json()["items"]) == 3
    assert len(api.get("/cases", source="public").json()["items"]) == 2
    assert len(api.get("/cases", category="matter:06010").json()["items"]) == 5
    assert len(api.get("/cases", region="120111103201").json()["items"]) == 5
    assert len(api.get("/cases", grid="120111103202001").json()["items"]) == 0
    assert len(api.get("/cases", q="暴露垃圾").json()["items"]) == 2
    assert len(api.get("/cases", q=made[0].number).json()["items"]) == 1
    assert (
        len(
            api.get("/cases", bbox=f"{IN_A[0] - 0.001},{IN_A[1] - 0.001},{IN_A[0] + 0.001},{IN_A[1] + 0.001}").json()[
                "items"
            ]
        )
        == 5
    )
    assert (
        len(
            api.get("/cases", bbox=f"{IN_B[0] - 0.001},{IN_B[1] - 0.001},{IN_B[0] + 0.001},{IN_B[1] + 0.001}").json()[
                "items"
            ]
        )
        == 0
    )
    assert len(api.get("/cases", reported_after="2026-03-02T10:00:00+08:00").json()["items"]) == 0
    assert len(api.get("/cases", overdue="false").json()["items"]) == 5
    from datetime import timedelta

    at.move(at.now + timedelta(days=3))
    assert len(api.get("/cases", overdue="true").json()["items"]) == 5
    # Cursor pagination walks everything exactly once.
    seen, cursor = [], None
    while True:
        page = api.get("/cases", limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += [i["number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [c.number for c in reversed(made)]
    err(api.get("/cases", status="bogus"), 400, "unknown_status")
    err(api.get("/cases", bbox="1,2,3"), 400, "invalid_bbox")
    err(api.get("/cases", cursor="!!!"), 400, "invalid_cursor")
    err(api.get("/cases", limit=1000), 400, "invalid")
    err(api.get("/cases", reported_after="yesterday"), 400, "invalid")
    err(api.get("/cases", source="pigeon"), 400, "unknown_source")


def test_list_visibility(cast: Any, at: Any) -> None:
    to_state(cast, "handling")
    assert len(Api(cast["gw_a"]).get("/cases").json()["items"]) == 1
    assert len(Api(cast["gw_b"]).get("/cases").json()["items"]) == 0
    assert len(Api(cast["h_city"]).get("/cases").json()["items"]) == 0
    public = Api().get("/cases").json()["items"]
    assert len(public) == 1 and public[0]["reporter_phone"] == "" and public[0]["pending_extension"] is None


def test_tasks_per_role(cast: Any, at: Any) -> None:
    to_state(cast, "reported")
    to_state(cast, "verifying")
    to_state(cast, "to_dispatch")
    to_state(cast, "handling")
    assert [t["status"] for t in Api(cast["operator"]).get("/tasks").json()] == ["reported"]
    assert [t["status"] for t in Api(cast["gw_a"]).get("/tasks").json()] == ["verifying"]
    assert [t["status"] for t in Api(cast["dispatcher"]).get("/tasks").json()] == ["to_dispatch"]
    assert [t["status"] for t in Api(cast["h_env"]).get("/tasks").json()] == ["handling"]
    assert Api(cast["gw_b"]).get("/tasks").json() == []
    err(Api().get("/tasks"), 401)


def test_reference_endpoints(cast: Any) -> None:
    api = Api()
    cats = api.get("/categories").json()
    codes = {(c["kind"], c["code"]) for c in cats}
    for code in [
        "06001",
        "06010",
        "06012",
        "06025",
        "06026",
        "06027",
        "06028",
        "06041",
        "06042",
        "07001",
        "07003",
        "08004",
        "08016",
        "09006",
        "09009",
        "09012",
    ]:
        assert ("matter", code) in codes
    assert {c["major_name"] for c in cats if c["kind"] == "part"} == {
        "市政公用设施",
        "交通设施",
        "市容环卫设施",
        "园林绿化设施",
        "其他设施",
    }
    assert ("matter", "90005") not in codes  # 信访 is not public
    staff_cats = Api(cast["operator"]).get("/categories").json()
    local = {c["name"] for c in staff_cats if c["is_local"]}
    assert local == {"安全隐患", "消防告警", "环境告警", "河湖问题", "信访", "代表建议", "审计整改", "民生帮扶"}
    assert all(c["conditions"] for c in staff_cats)
    grids = api.get("/grids").json()
    assert grids["type"] == "FeatureCollection" and len(grids["features"]) == 4
    assert len(api.get("/grids", region="120111103202").json()["features"]) == 2
    assert len(api.get("/regions").json()["features"]) == 3
    hit = api.get("/locate", lon=IN_A[0], lat=IN_A[1]).json()
    assert hit["grid"] == "120111103201001" and hit["region_name"] == "甲村"
    assert api.get("/locate", lon=OUTSIDE[0], lat=OUTSIDE[1]).json()["grid"] is None
    err(api.get("/locate", lon="x", lat=1), 400)
    wf = api.get("/workflow").json()
    assert {s["state"] for s in wf["states"]} >= {"reported", "handling", "closed", "merged"}
    deps = Api(cast["dispatcher"]).get("/departments").json()
    assert [d["code"] for d in deps] == ["B05", "W07"]


def test_openapi_and_docs_are_served_without_a_cdn(cast: Any) -> None:
    c = Client()
    spec = c.get("/api/openapi.json").json()
    for action in [
        "accept",
        "send_to_verify",
        "verify",
        "void",
        "file",
        "dispatch",
        "return",
        "request_extension",
        "approve_extension",
        "deny_extension",
        "feedback",
        "check",
        "close",
        "suspend",
        "resume",
        "self_resolve",
        "merge",
    ]:
        assert f"/api/cases/{{number}}/{action}" in spec["paths"]
    assert "multipart/form-data" in spec["paths"]["/api/cases"]["post"]["requestBody"]["content"]
    html = c.get("/api/docs").content.decode()
    assert (
        "swagger-ui-bundle.js" in html
        and "cdn" not in html.lower()
        and "http://" not in html.replace("http://www.w3.org", "")
    )


def test_audit_endpoint_is_for_auditors(cast: Any, at: Any) -> None:
    c = to_state(cast, "to_dispatch")
    Api(cast["dispatcher"]).post(f"/cases/{c.number}/dispatch", {"version": c.version}, REMOTE_ADDR="10.1.2.3")
    rows = Api(cast["auditor"]).get("/audit", object_id=c.number).json()
    assert [r["action"] for r in rows] == ["case.dispatch", "case.file", "case.report"]
    assert rows[0]["ip"] == "10.1.2.3" and rows[0]["actor_name"] == "dispatcher" and rows[0]["role"] == "dispatcher"
    err(Api(cast["leader"]).get("/audit"), 403)
    err(Api().get("/audit"), 401)


def test_session_writes_need_csrf(cast: Any, at: Any) -> None:
    c = Client(enforce_csrf_checks=True)
    c.force_login(cast["citizen"])
    r = c.post(
        "/api/cases", json.dumps({"lon": IN_A[0], "lat": IN_A[1], "description": "x"}), content_type="application/json"
    )
    err(r, 403)
    assert Case.objects.count() == 0


def test_a_revoked_token_stops_working_at_once(cast: Any) -> None:
    from jingwu.org.models import ApiToken

    api = Api(cast["operator"])
    assert api.get("/me").status_code == 200
    ApiToken.objects.filter(user=cast["operator"]).update(revoked=True)  # bulk update sends no signal …
    for token in ApiToken.objects.filter(user=cast["operator"]):
        token.save()  # … the admin saves one by one, which does
    err(api.get("/me"), 401)


def test_a_role_change_applies_to_live_tokens(cast: Any, at: Any) -> None:
    api = Api(cast["operator"])
    assert api.get("/tasks").status_code == 200
    person = cast["operator"].person
    person.role = "auditor"
    person.save()
    assert api.get("/me").json()["role"] == "auditor"


def test_a_token_brings_its_user_person_and_every_role_in_one_query(cast: Any, django_assert_num_queries: Any) -> None:
    from django.contrib.auth import get_user_model

    from jingwu.org.models import ApiToken, PersonRole
    from jingwu.org.services import person_of, roles_of, user_for_token

    user = cast["operator"]
    raw = issue_token(user, name="t")
    PersonRole.objects.create(person=user.person, role="river_chief")
    PersonRole.objects.create(person=user.person, role="petition_clerk")
    with django_assert_num_queries(1):
        got = user_for_token(raw)
        person = person_of(got)
        assert roles_of(got) == (user.person.role, "river_chief", "petition_clerk")
    assert got.pk == user.pk and got.get_username() == user.get_username() and got.is_active
    assert got.date_joined == user.date_joined  # the database's converters ran (SQLite keeps text)
    assert person is not None and person.pk == user.person.pk and person.name == user.person.name
    assert person.department_id == user.person.department_id and person.must_change_password is False
    assert person.user is got
    assert user_for_token(raw + "x") is None
    # An account without a Person (a superuser made on the command line) is the public, as before.
    bare = get_user_model().objects.create_user("noperson", password="x-long-enough-1")
    assert roles_of(user_for_token(issue_token(bare))) == ("public",)
    ApiToken.objects.filter(user=user).update(revoked=True)
    assert user_for_token(raw) is None
    ApiToken.objects.filter(user=user).update(revoked=False)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert user_for_token(raw) is None


def test_an_id_past_what_the_database_stores_is_the_clients_error(cast: Any) -> None:
    """Never a 500: SQLite cannot bind such an integer (a 400), PostgreSQL compares it and finds nothing."""
    from django.db import connection

    r = Api(cast["leader"]).get("/safety/hazards", grid=10**20)
    if connection.vendor == "sqlite":
        err(r, 400, "invalid")
    else:
        assert r.status_code == 200 and r.json() == []
