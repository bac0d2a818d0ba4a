"""GeoReport v2 conformance: every resource in XML and JSON, every error, and a citizen's whole journey."""

from __future__ import annotations

import hashlib
import http.server
import threading
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from jingwu.cases.models import Attachment, Case, Category
from jingwu.open311.models import ApiKey, ServiceAttribute, ServiceRequest

from .conftest import IN_A, IN_B, OUTSIDE, jpeg
from .flows import act

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
KEY = "o311_test_key_1234567890"


@pytest.fixture
def o311(cast: Any) -> dict[str, Any]:
    key = ApiKey.objects.create(name="随手拍App", digest=hashlib.sha256(KEY.encode()).hexdigest(), prefix=KEY[:8])
    cat = Category.objects.get(kind="matter", code="06010")
    ServiceAttribute.objects.create(
        category=cat,
        code="amount",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="垃圾量",
        values=[{"key": "small", "name": "少量"}, {"key": "big", "name": "大量"}],
    )
    ServiceAttribute.objects.create(
        category=cat,
        code="kinds",
        datatype="multivaluelist",
        order=2,
        description="种类",
        values=[{"key": "household", "name": "生活垃圾"}, {"key": "building", "name": "建筑垃圾"}],
    )
    ServiceAttribute.objects.create(category=cat, code="bags", datatype="number", order=3, description="袋数")
    ServiceAttribute.objects.create(category=cat, code="seen_at", datatype="datetime", order=4, description="发现时间")
    return {"key": key, "cat": cat, "cast": cast}


def xml(resp: Any, root: str) -> ET.Element:
    assert resp["Content-Type"].startswith("text/xml"), resp["Content-Type"]
    body = resp.getvalue()  # lists are streamed
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    doc = ET.fromstring(body)
    assert doc.tag == root
    return doc


def xml_error(resp: Any, status: int) -> str:
    assert resp.status_code == status, resp.content
    doc = xml(resp, "errors")
    error = doc.find("error")
    assert error is not None and error.findtext("code") == str(status)
    return error.findtext("description") or ""


def json_error(resp: Any, status: int) -> str:
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]
    return str(body[0]["description"])


def post(data: dict[str, Any], fmt: str = "json", **extra: Any) -> Any:
    return Client().post(f"{BASE}/requests.{fmt}", data, **extra)


def good(**over: Any) -> dict[str, Any]:
    data = {
        "api_key": KEY,
        "service_code": "matter-06010",
        "lat": IN_A[1],
        "long": IN_A[0],
        "description": "路口有一堆垃圾",
        "attribute[amount]": "big",
        "email": "zhou@example.cn",
        "first_name": "周",
        "last_name": "先生",
        "phone": "13911112222",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_discovery_in_both_formats(o311: Any) -> None:
    c = Client()
    doc = xml(c.get(f"{BASE}/discovery.xml"), "discovery")
    for tag in ("changeset", "contact", "key_service"):
        assert doc.find(tag) is not None
    ep = doc.find("endpoints/endpoint")
    assert ep is not None and ep.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in ep.findall("formats/format")] == ["text/xml", "application/json"]
    assert ep.findtext("url", "").endswith("/open311/v2/") and ep.findtext("type") == "production"
    body = c.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert "+" in body["changeset"] or body["changeset"].endswith("Z")


def test_services_are_the_public_categories(o311: Any) -> None:
    c = Client()
    doc = xml(c.get(f"{BASE}/services.xml"), "services")
    services = {s.findtext("service_code"): s for s in doc.findall("service")}
    s = services["matter-06010"]
    assert s.findtext("service_name") == "暴露垃圾" and s.findtext("group") == "市容环境"
    assert s.findtext("metadata") == "true" and s.findtext("type") == "realtime"
    assert services["matter-06012"].findtext("metadata") == "false"
    assert "matter-90005" not in services  # 信访 is not public
    assert all(
        set(x.tag for x in el)
        == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
        for el in services.values()
    )
    rows = c.get(f"{BASE}/services.json").json()
    assert isinstance(rows, list) and {r["service_code"] for r in rows} == set(services)
    assert next(r for r in rows if r["service_code"] == "matter-06010")["metadata"] is True


def test_service_definitions_and_the_singular_alias(o311: Any) -> None:
    c = Client()
    doc = xml(c.get(f"{BASE}/services/matter-06010.xml"), "service_definition")
    assert doc.findtext("service_code") == "matter-06010"
    attrs = doc.findall("attributes/attribute")
    assert [a.findtext("code") for a in attrs] == ["amount", "kinds", "bags", "seen_at"]
    assert attrs[0].findtext("required") == "true" and attrs[0].findtext("datatype") == "singlevaluelist"
    assert [(v.findtext("key"), v.findtext("name")) for v in attrs[0].findall("values/value")] == [
        ("small", "少量"),
        ("big", "大量"),
    ]
    for tag in ("variable", "code", "datatype", "required", "datatype_description", "order", "description"):
        assert attrs[0].find(tag) is not None
    body = c.get(f"{BASE}/service/matter-06010.json").json()
    assert body["attributes"][1]["datatype"] == "multivaluelist"
    assert c.get(f"{BASE}/services/matter-06012.json").json() == {"service_code": "matter-06012", "attributes": []}
    xml_error(c.get(f"{BASE}/services/matter-99999.xml"), 404)
    json_error(c.get(f"{BASE}/services/matter-90005.json"), 404)


def test_post_a_request_in_both_formats(o311: Any, at: Any) -> None:
    r = post(
        good(
            **{
                "attribute[kinds][]": ["household", "building"],
                "attribute[bags]": "3",
                "attribute[seen_at]": "2026-03-02T08:00:00+08:00",
            }
        )
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert isinstance(body, list) and len(body) == 1 and body[0]["service_request_id"].startswith("JW")
    case = Case.objects.get(number=body[0]["service_request_id"])
    assert case.source == "open311" and case.source_detail == "随手拍App" and case.status == "reported"
    info = ServiceRequest.objects.get(case=case)
    assert info.attributes == {
        "amount": "big",
        "kinds": ["household", "building"],
        "bags": "3",
        "seen_at": "2026-03-02T08:00:00+08:00",
    }
    assert info.email == "zhou@example.cn" and case.reporter_phone == "13911112222"
    doc = xml(post(good(), "xml"), "service_requests")
    req = doc.find("request")
    assert req is not None and req.findtext("service_request_id", "").startswith("JW") and req.find("token") is not None


def test_the_api_key_may_come_in_the_query_string_and_empty_values_mean_absent(o311: Any, at: Any) -> None:
    data = good(api_key="", jurisdiction_id="", address_string="")
    r = Client().post(f"{BASE}/requests.json?api_key={KEY}&jurisdiction_id=", data)
    assert r.status_code == 201, r.content


@pytest.mark.parametrize(
    "change,status,needle",
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "wrong"}, 403, "not valid"),
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "matter-99999"}, 400, "unknown service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"lat": "north"}, 400, "numbers"),
        ({"lat": OUTSIDE[1], "long": OUTSIDE[0]}, 400, "辖区"),
        ({"description": "长" * 4001}, 400, "4000"),
        ({"attribute[amount]": "huge"}, 400, "unknown value huge"),
        ({"attribute[amount]": None}, 400, "amount is required"),
        ({"attribute[colour]": "red"}, 400, "unknown attribute colour"),
        ({"attribute[kinds][]": ["household", "toxic"]}, 400, "unknown value toxic"),
        ({"attribute[bags]": "many"}, 400, "number"),
        ({"attribute[seen_at]": "yesterday"}, 400, "ISO-8601"),
        ({"lat": None, "long": None, "address_string": "Baker Street"}, 400, "names no village"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_posts_get_the_right_status_and_a_spec_error(
    o311: Any, change: dict[str, Any], status: int, needle: str, fmt: str
) -> None:
    r = post(good(**change), fmt)
    text = json_error(r, status) if fmt == "json" else xml_error(r, status)
    assert needle in text
    assert Case.objects.count() == 0


def test_a_revoked_key_is_refused(o311: Any) -> None:
    o311["key"].active = False
    o311["key"].save()
    assert "revoked" in json_error(post(good()), 403)


def test_address_string_naming_a_village_locates_it(o311: Any, at: Any) -> None:
    r = post(good(lat=None, long=None, address_string="乙村村委会东侧"))
    assert r.status_code == 201, r.content
    case = Case.objects.get()
    assert case.region.name == "乙村" and case.address == "乙村村委会东侧"


def test_photo_by_multipart_media_and_by_media_url(o311: Any, at: Any, monkeypatch: Any) -> None:
    from django.test import TestCase
    from django_tasks_db.models import DBTaskResult

    from jingwu.open311 import media

    r = post(good(media=jpeg()))
    assert r.status_code == 201
    case = Case.objects.get(number=r.json()[0]["service_request_id"])
    assert Attachment.objects.filter(case=case, kind="report").count() == 1
    photo = jpeg((1, 200, 1)).read()
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            if self.path == "/hop":
                self.send_response(302)
                self.send_header("Location", "/p.jpg")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(photo)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    def run_queued() -> list[str]:
        done = [t.task.call(*t.args_kwargs["args"]) for t in DBTaskResult.objects.order_by("enqueued_at")]
        DBTaskResult.objects.all().delete()
        return done

    try:
        DBTaskResult.objects.all().delete()
        # The request only records the URL: nothing is fetched while the client waits.
        with TestCase.captureOnCommitCallbacks(execute=True):
            r = post(good(media_url=f"http://127.0.0.1:{port}/p.jpg"))
        assert r.status_code == 201 and hits == []
        case = Case.objects.get(number=r.json()[0]["service_request_id"])
        # The worker refuses an internal address (loopback here; private ranges and metadata alike).
        assert run_queued() == ["refused: 127.0.0.1 resolves to a non-public address 127.0.0.1"]
        assert hits == [] and not case.attachments.exists()
        for internal in ("10.0.0.1", "169.254.169.254", "192.168.1.1", "::1", "::ffff:127.0.0.1", "224.0.0.1"):
            assert not media.is_public(internal)
        assert media.is_public("8.8.8.8")
        # A public address is fetched and attached (the local listener stands for one here).
        monkeypatch.setattr(media, "is_public", lambda address: True)
        with TestCase.captureOnCommitCallbacks(execute=True):
            r = post(good(media_url=f"http://localhost:{port}/hop"))
        assert run_queued() == ["attached"] and hits == ["/hop", "/p.jpg"]
        case = Case.objects.get(number=r.json()[0]["service_request_id"])
        assert Attachment.objects.filter(case=case, kind="report").count() == 1
        # An unreachable media_url keeps the report and the URL.
        with TestCase.captureOnCommitCallbacks(execute=True):
            r = post(good(media_url="http://127.0.0.1:9/nothing.jpg"))
        assert r.status_code == 201 and run_queued()[0].startswith("refused: could not fetch")
        info = ServiceRequest.objects.get(case__number=r.json()[0]["service_request_id"])
        assert info.media_url.endswith("nothing.jpg") and not info.case.attachments.exists()
        assert post(good(media_url="file:///etc/passwd")).status_code == 400
    finally:
        server.shutdown()
    listing = Client().get(f"{BASE}/requests.json").json()
    with_media = [row for row in listing if row["media_url"]]
    assert len(with_media) == 2
    got = Client().get(with_media[0]["media_url"].replace("http://testserver", ""))
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"


def test_media_fetch_limits(monkeypatch: Any) -> None:
    from jingwu.open311 import media

    big = b"x" * (media.MAX_BYTES + 1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/loop"):
                n = int(self.path[5:] or 0)
                self.send_response(302)
                self.send_header("Location", f"/loop{n + 1}")
                self.end_headers()
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(big)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(media, "is_public", lambda address: True)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(media.Refused, match="10 MB"):
            media.fetch(f"{base}/big")
        with pytest.raises(media.Refused, match="could not fetch"):
            media.fetch(f"{base}/loop0")  # more than 3 redirects
    finally:
        server.shutdown()


def test_a_retry_with_an_idempotency_key_makes_one_case(o311: Any, at: Any) -> None:
    a = post(good(idempotency_key="app-42"))
    b = post(good(), HTTP_IDEMPOTENCY_KEY="app-42")
    assert a.status_code == 201 and b.status_code == 200
    assert a.json()[0]["service_request_id"] == b.json()[0]["service_request_id"] and Case.objects.count() == 1


def _make(n: int, at: Any, **over: Any) -> list[str]:
    out = []
    for _ in range(n):
        r = post(good(**over))
        assert r.status_code == 201, r.content
        out.append(r.json()[0]["service_request_id"])
        at.move(at.now + timedelta(minutes=5))
    return out


def test_get_requests_with_filters_in_both_formats(o311: Any, at: Any) -> None:
    numbers = _make(3, at)
    other = _make(1, at, service_code="matter-06012", **{"attribute[amount]": None}, lat=IN_B[1], long=IN_B[0])[0]
    c = Client()
    rows = c.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in rows] == [other, *reversed(numbers)]  # newest first
    doc = xml(c.get(f"{BASE}/requests.xml"), "service_requests")
    first = doc.find("request")
    assert first is not None
    assert {e.tag for e in first} == {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    }
    assert first.findtext("agency_responsible") == "" and first.findtext("status") == "open"
    assert rows[0]["agency_responsible"] is None and rows[0]["expected_datetime"] is None
    assert len(c.get(f"{BASE}/requests.json?service_code=matter-06012").json()) == 1
    assert len(c.get(f"{BASE}/requests.json?service_code=matter-06012,matter-06010").json()) == 4
    ids = c.get(f"{BASE}/requests.json?service_request_id={numbers[0]},{other}&status=closed").json()
    assert {r["service_request_id"] for r in ids} == {numbers[0], other}  # the id list overrides other filters
    assert len(c.get(f"{BASE}/requests.json?status=open").json()) == 4
    assert c.get(f"{BASE}/requests.json?status=closed").json() == []
    assert len(c.get(f"{BASE}/requests.json?page_size=2").json()) == 2
    assert len(c.get(f"{BASE}/requests.json?page_size=2&page=2").json()) == 2
    assert c.get(f"{BASE}/requests.json?page_size=2&page=3").json() == []
    b = f"{IN_B[0] - 0.001},{IN_B[1] - 0.001},{IN_B[0] + 0.001},{IN_B[1] + 0.001}"
    assert [r["service_request_id"] for r in c.get(f"{BASE}/requests.json?bbox={b}").json()] == [other]
    near = c.get(f"{BASE}/requests.json?lat={IN_A[1]}&long={IN_A[0]}&radius=200").json()
    assert len(near) == 3
    start = (at.now - timedelta(days=1)).isoformat().replace("+", "%2B")
    assert len(c.get(f"{BASE}/requests.json?start_date={start}").json()) == 4
    future = (at.now + timedelta(days=1)).isoformat().replace("+", "%2B")
    assert c.get(f"{BASE}/requests.json?start_date={future}").json() == []
    assert c.get(f"{BASE}/requests.json?updated_after={future}").json() == []
    assert len(c.get(f"{BASE}/requests.json?updated_before={future}").json()) == 4


@pytest.mark.parametrize(
    "query,needle",
    [
        ("start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-06-01T00:00:00%2B08:00", "90 days"),
        ("start_date=last-tuesday", "ISO-8601"),
        ("start_date=2026-01-01T00:00:00", "time zone"),
        ("status=pending", "open or closed"),
        ("bbox=1,2,3", "bbox"),
        ("page_size=5000", "page_size"),
        ("lat=39&long=117&radius=-5", "radius"),
    ],
)
def test_bad_queries_get_400(o311: Any, query: str, needle: str) -> None:
    assert needle in json_error(Client().get(f"{BASE}/requests.json?{query}"), 400)
    assert needle in xml_error(Client().get(f"{BASE}/requests.xml?{query}"), 400)


def test_unknown_resources_and_formats(o311: Any) -> None:
    c = Client()
    xml_error(c.get(f"{BASE}/requests/JW000000.xml"), 404)
    json_error(c.get(f"{BASE}/requests/JW000000.json"), 404)
    json_error(c.get(f"{BASE}/tokens/nope.json"), 404)
    json_error(c.get(f"{BASE}/requests.yaml"), 404)
    xml_error(c.get(f"{BASE}/nothing/here.xml"), 404)
    json_error(c.delete(f"{BASE}/requests.json"), 405)


def test_one_request_and_its_token(o311: Any, at: Any) -> None:
    r = post(good()).json()[0]
    c = Client()
    one = c.get(f"{BASE}/requests/{r['service_request_id']}.json").json()
    assert isinstance(one, list) and len(one) == 1 and one[0]["service_request_id"] == r["service_request_id"]
    doc = xml(c.get(f"{BASE}/requests/{r['service_request_id']}.xml"), "service_requests")
    assert len(doc.findall("request")) == 1
    tok = c.get(f"{BASE}/tokens/{r['token']}.json").json()
    assert tok == [{"service_request_id": r["service_request_id"], "token": r["token"]}]
    doc = xml(c.get(f"{BASE}/tokens/{r['token']}.xml"), "service_requests")
    assert doc.findtext("request/service_request_id") == r["service_request_id"]


def test_a_citizens_whole_journey_through_open311_alone(o311: Any, at: Any) -> None:
    cast = o311["cast"]
    c = Client()
    disc = c.get(f"{BASE}/discovery.json").json()
    assert disc["endpoints"][0]["url"].endswith("/open311/v2/")
    codes = [s["service_code"] for s in c.get(f"{BASE}/services.json").json()]
    assert "matter-06010" in codes
    definition = c.get(f"{BASE}/services/matter-06010.json").json()
    required = [a["code"] for a in definition["attributes"] if a["required"]]
    data = good(media=jpeg(), **{f"attribute[{code}]": "small" for code in required})
    made = post(data).json()[0]
    number = made["service_request_id"]

    def state() -> dict[str, Any]:
        rows = c.get(f"{BASE}/requests/{number}.json?extensions=true").json()
        return rows[0]  # type: ignore[no-any-return]

    s0 = state()
    assert s0["status"] == "open" and s0["extended_status"] == "open" and s0["expected_datetime"] is None
    # Staff run the loop.
    case = Case.objects.get(number=number)
    at.move(at.now + timedelta(minutes=10))
    case = act(case, "send_to_verify", cast["operator"])
    at.move(at.now + timedelta(minutes=20))
    case = act(
        case, "verify", cast["gw_a"], outcome="confirmed", photos=[jpeg()], note="内部：现场确认，电话13800000000"
    )
    case = act(case, "file", cast["shiftlead"])
    at.move(at.now + timedelta(minutes=10))
    case = act(case, "dispatch", cast["dispatcher"])
    s1 = state()
    assert s1["status"] == "open" and s1["agency_responsible"] == "环卫公司"
    assert s1["expected_datetime"] is not None and s1["updated_datetime"] > s0["updated_datetime"]
    assert s1["status_notes"] == "已派遣至环卫公司" and s1["extended_status"] == "in_progress"
    at.move(at.now + timedelta(hours=1))
    case = act(case, "feedback", cast["h_env"], photos=[jpeg()], note="内部备注")
    case = act(case, "check", cast["gw_a"], outcome="pass", photos=[jpeg()])
    case = act(case, "close", cast["shiftlead"])
    s2 = state()
    assert s2["status"] == "closed" and s2["extended_status"] == "fixed" and s2["status_notes"] == "已结案"
    assert s2["updated_datetime"] > s1["updated_datetime"]
    assert [n["type"] for n in s2["notes"]][-1] == "fixed"
    # Public information only: no reporter contacts, staff names or internal notes anywhere.
    everything = b"".join(
        c.get(f"{BASE}/{p}").content
        for p in (
            f"requests/{number}.json?extensions=true",
            f"requests/{number}.xml?extensions=true",
            "requests.json",
            "servicerequestupdates.json?start_date=2026-03-01T00:00:00%2B08:00",
        )
    )
    for secret in ("13911112222", "zhou@example.cn", "周 先生", "内部", "13800000000", "dispatcher姓名", "gw_a"):
        assert secret.encode() not in everything, secret


def test_servicerequestupdates_get_and_post(o311: Any, at: Any) -> None:
    number = post(good()).json()[0]["service_request_id"]
    c = Client()
    start = (at.now - timedelta(hours=1)).isoformat().replace("+", "%2B")
    r = c.post(
        f"{BASE}/servicerequestupdates.json",
        {
            "api_key": KEY,
            "service_request_id": number,
            "description": "垃圾还在，越来越多了",
            "status": "open",
            "update_id": "fms-1",
            "email": "a@b.cn",
        },
    )
    assert r.status_code == 201, r.content
    again = c.post(
        f"{BASE}/servicerequestupdates.json",
        {"api_key": KEY, "service_request_id": number, "description": "垃圾还在，越来越多了", "update_id": "fms-1"},
    )
    assert again.json()[0]["update_id"] == r.json()[0]["update_id"]
    rows = c.get(f"{BASE}/servicerequestupdates.json?start_date={start}").json()
    assert [row["description"] for row in rows][-1].endswith("垃圾还在，越来越多了")
    assert {"update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"} == set(rows[0])
    doc = xml(c.get(f"{BASE}/servicerequestupdates.xml?start_date={start}"), "service_request_updates")
    assert doc.find("request_update/update_id") is not None
    # Staff see it on the case timeline as a note.
    case = Case.objects.get(number=number)
    assert case.transitions.filter(action="note").count() == 1 and case.version == 1
    json_error(c.post(f"{BASE}/servicerequestupdates.json", {"service_request_id": number, "description": "x"}), 403)
    json_error(c.post(f"{BASE}/servicerequestupdates.json", {"api_key": KEY, "service_request_id": number}), 400)
    json_error(
        c.post(f"{BASE}/servicerequestupdates.json", {"api_key": KEY, "service_request_id": "JW0", "description": "x"}),
        404,
    )


def test_voided_requests_disappear_from_the_public_list(o311: Any, at: Any) -> None:
    number = post(good()).json()[0]["service_request_id"]
    case = Case.objects.get(number=number)
    act(case, "void", o311["cast"]["operator"], reason="spam")
    assert Client().get(f"{BASE}/requests.json").json() == []
    json_error(Client().get(f"{BASE}/requests/{number}.json"), 404)


def test_list_query_count_does_not_grow_with_rows(
    o311: Any, at: Any, steady_caches: None, django_assert_max_num_queries: Any
) -> None:
    _make(2, at)
    c = Client()
    c.get(f"{BASE}/requests.json")  # warms the per-process reference cache
    with django_assert_max_num_queries(3):  # requests, their public steps, their photos
        assert len(c.get(f"{BASE}/requests.json?extensions=true").json()) == 2
    _make(12, at)
    with django_assert_max_num_queries(3):
        assert len(c.get(f"{BASE}/requests.json?extensions=true").json()) == 14


def test_the_streamed_xml_list_is_byte_for_byte_what_elementtree_writes() -> None:
    """The list is written by string building for speed; ElementTree (the single objects' writer) is the
    reference for every value a row can hold."""
    from datetime import UTC, datetime

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from jingwu.open311 import render

    leaf = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
        st.datetimes(timezones=st.just(UTC)),
    )  # fmt: skip
    row = st.fixed_dictionaries(
        {"service_request_id": st.text(max_size=20), "lat": leaf, "media_url": leaf},
        optional={
            "notes": st.lists(
                st.fixed_dictionaries({"datetime": leaf, "description": st.text(max_size=30)}), max_size=3
            ),
            "attributes": st.lists(leaf, max_size=3),
            "d": st.fixed_dictionaries({"a": leaf}),
        },
    )

    @settings(max_examples=200, deadline=None)
    @given(st.lists(row, min_size=1, max_size=7), st.integers(1, 4))
    def same(rows: list[dict[str, object]], batch: int) -> None:
        streamed = b"".join(render.xml_chunks("service_requests", "request", rows, batch=batch))
        assert streamed == render.xml_bytes("service_requests", "request", rows)

    same()
    from xml.etree import ElementTree as ET

    empty = ET.fromstring(b"".join(render.xml_chunks("service_requests", "request", [])))
    assert empty.tag == "service_requests" and len(empty) == 0  # <x></x> where ElementTree writes <x />
    assert render.xml_bytes("r", "i", [{"t": datetime(2026, 1, 1, tzinfo=UTC), "x": "a&<b>\x01"}]).endswith(
        b"<i><t>2026-01-01T00:00:00+00:00</t><x>a&amp;&lt;b&gt;</x></i></r>"
    )
