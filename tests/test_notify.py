"""Notifications: each event reaches the right people once, never for their own action; in-app always, and
e-mail, Web Push and SMS delivered to local servers that check what a real one would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django_tasks_db.models import DBTaskResult

from jingwu.cases import jobs, services
from jingwu.notify.models import Delivery, Notification, PushSubscription
from jingwu.org.choices import Role
from jingwu.org.models import Person

from .conftest import jpeg
from .flows import act, public_report, to_state


def told(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("event", flat=True))


@contextmanager
def events() -> Iterator[None]:
    """Events are delivered after commit, as in production."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def run_tasks() -> list[str]:
    done = []
    for t in DBTaskResult.objects.order_by("enqueued_at"):
        t.delete()
        done.append(t.task.call(*t.args_kwargs["args"]))
    return done


def test_each_event_reaches_the_people_it_concerns_once(cast: Any, at: Any) -> None:
    with events():
        c = act(public_report(cast), "send_to_verify", cast["operator"])
    assert told(cast["gw_a"]) == ["task"] and told(cast["gw_b"]) == [] and told(cast["operator"]) == []
    n = Notification.objects.get(user=cast["gw_a"])
    assert n.title == "新任务" and n.url == f"/phone/#task/{c.number}" and c.number in n.body
    # The same event delivered again (a receiver retry) tells nobody twice.
    from jingwu.notify.receivers import on_case_changed

    record = c.transitions.last()
    change = services.engine.change_for(services.CASE, c, record, services.resolve(cast["operator"]))
    on_case_changed(change=change)
    assert told(cast["gw_a"]) == ["task"]

    with events():
        c = act(c, "verify", cast["gw_a"], outcome="confirmed", photos=[jpeg()])
        c = act(c, "file", cast["shiftlead"])
        c = act(c, "dispatch", cast["dispatcher"], department="W07", supporting=["B05"])
    assert told(cast["h_env"]) == ["dispatched"] and told(cast["h_city"]) == ["support"]
    assert told(cast["dispatcher"]) == []
    with events():
        c = act(c, "urge", cast["leader"], reason="群众催问")
        c = act(c, "escalate", cast["leader"], reason="超期未处置")
    assert told(cast["h_env"]) == ["dispatched", "urged", "escalated"] and told(cast["leader"]) == []
    # The department names a handler: from then on it is that person who is told.
    u = get_user_model().objects.create_user("h_env2", password="x")
    second = Person.objects.create(user=u, name="环卫二", role=Role.HANDLER, department=c.department)
    with events():
        c = act(c, "assign", cast["h_env"], handler=second.pk)
        c = act(c, "urge", cast["leader"], reason="请加快办理")
    assert told(u) == ["assigned", "urged"] and told(cast["h_env"]).count("urged") == 1
    with events():
        c = act(c, "return", second.user, reason="not_ours")
    assert told(cast["dispatcher"]) == ["returned"] and "returned" not in told(u)
    with events():
        c = act(c, "dispatch", cast["dispatcher"], department="W07")
        c = act(c, "feedback", cast["h_env"], photos=[jpeg()])
    assert told(cast["gw_a"]) == ["task", "task"]  # 待核查 is the grid worker's task again
    with events():
        c = act(c, "check", cast["gw_a"], outcome="fail", reason="not_done")
    assert told(cast["h_env"])[-1] == "rework"


def test_a_late_event_tells_those_it_concerned_when_it_happened(cast: Any, at: Any) -> None:
    from jingwu.notify.receivers import on_case_changed

    c = to_state(cast, "to_dispatch")
    c = act(c, "dispatch", cast["dispatcher"], department="W07")
    change = services.engine.change_for(services.CASE, c, c.transitions.last(), services.resolve(cast["dispatcher"]))
    act(c, "return", cast["h_env"], reason="not_ours")  # the case moves on before the event is (re)delivered
    on_case_changed(change=change)
    assert told(cast["h_env"]) == ["dispatched"] and told(cast["dispatcher"]) == []


def test_nobody_is_told_of_their_own_action(cast: Any, at: Any) -> None:
    from jingwu.org.models import PersonRole

    # 环卫's handler also dispatches (a small town's double role): returning a case tells the other
    # dispatchers, not the person who returned it.
    PersonRole.objects.create(person=cast["h_env"].person, role=Role.DISPATCHER)
    c = to_state(cast, "handling")
    with events():
        act(c, "return", cast["h_env"], reason="not_ours")
    assert told(cast["dispatcher"]) == ["returned"] and told(cast["h_env"]) == []


def test_loading_history_notifies_nobody(cast: Any, at: Any) -> None:
    from jingwu.notify.receivers import quiet

    with quiet(), events():  # the demo's year, an import: the events run, nobody is told
        act(public_report(cast), "send_to_verify", cast["operator"])
    assert told(cast["gw_a"]) == []
    with events():
        act(public_report(cast, client_key="now"), "send_to_verify", cast["operator"])
    assert told(cast["gw_a"]) == ["task"]


def test_a_deadline_close_and_a_dissatisfied_citizen_are_told(cast: Any, at: Any) -> None:
    from datetime import timedelta

    c = to_state(cast, "handling")
    at.move(c.due_at - timedelta(minutes=10))
    with events():
        assert jobs.warn_due_soon() == 1
    assert told(cast["h_env"]) == ["due_soon"]
    with events():
        jobs.warn_due_soon()  # the next run: the same deadline, nobody told again
    assert told(cast["h_env"]) == ["due_soon"]
    from .flows import public_closed

    closed = public_closed(cast)
    with events():
        services.rate_case(closed.pk, rating="unsatisfied", note="没修好")
    assert told(cast["operator"]) == ["revisit"] and told(cast["shiftlead"]) == ["revisit"]


def test_the_notification_centre_shows_a_badge_a_list_and_marks_read(cast: Any, at: Any) -> None:
    with events():
        c = to_state(cast, "handling")
        act(c, "urge", cast["leader"], reason="群众催问")
    web = Client()
    web.force_login(cast["h_env"])
    page = web.get("/desk/").content.decode()
    assert 'id="bell-count">2<' in page
    inbox = web.get("/notifications/").content.decode()
    assert inbox.count('class="list-group-item list-group-item-action d-flex gap-3 notification unread"') == 2
    first = Notification.objects.filter(user=cast["h_env"]).first()
    assert first is not None
    r = web.get(f"/notifications/{first.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/cases/{c.number}/"
    assert 'id="bell-count">1<' in web.get("/desk/").content.decode()
    web.post("/notifications/read-all")
    assert 'id="bell-count"' not in web.get("/desk/").content.decode()
    # Someone else's notification does not open.
    other = Client()
    other.force_login(cast["h_city"])
    assert other.get(f"/notifications/{first.pk}/").status_code == 404
    # The grid worker's list is a phone page.
    gw = Client()
    gw.force_login(cast["gw_a"])
    assert "weui-cells" in gw.get("/notifications/").content.decode()


# --- channels, against local servers ------------------------------------------------------------------


class Sink(http.server.BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    answer: tuple[int, dict[str, Any]] = (201, {})

    def _take(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).requests.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": self.rfile.read(length),
            }
        )
        status, body = type(self).answer
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _take

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def server(answer: tuple[int, dict[str, Any]]) -> Iterator[tuple[str, type[Sink]]]:
    handler = type("S", (Sink,), {"requests": [], "answer": answer})
    srv = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", handler
    finally:
        srv.shutdown()


def test_e_mail_goes_through_an_smtp_server_once(cast: Any, at: Any, settings: Any) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    got: list[Any] = []

    class Keep(Message):
        def handle_message(self, message: Any) -> None:
            got.append(message)

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd checks its own start by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Keep(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.JINGWU_NOTIFY_EMAIL = True
        cast["h_env"].email = "h_env@example.org"
        cast["h_env"].save()
        DBTaskResult.objects.all().delete()
        with events():
            c = to_state(cast, "handling")
        assert run_tasks() == ["sent"]
        assert len(got) == 1 and got[0]["To"] == "h_env@example.org"
        from email.header import decode_header, make_header

        assert "新派遣案件" in str(make_header(decode_header(got[0]["Subject"])))
        assert c.number in got[0].get_payload(decode=True).decode()
        d = Delivery.objects.get(channel="email")
        from jingwu.notify.jobs import deliver

        assert deliver.call(d.pk) == "sent" and len(got) == 1  # a repeated task sends nothing twice
    finally:
        smtp.stop()


def test_web_push_is_encrypted_for_the_subscription_and_signed_with_vapid(cast: Any, at: Any, settings: Any) -> None:
    import http_ece
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from jingwu.notify.management.commands.vapid_keys import make_pair

    settings.JINGWU_VAPID_PRIVATE_KEY, settings.JINGWU_VAPID_PUBLIC_KEY = make_pair()
    settings.JINGWU_PUSH_ALLOW_PRIVATE = True
    browser = ec.generate_private_key(ec.SECP256R1())
    auth = b"0123456789abcdef"

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    public = browser.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    with server((201, {})) as (url, sink):
        web = Client()
        web.force_login(cast["gw_a"])
        body = {"endpoint": f"{url}/push/abc", "keys": {"p256dh": b64(public), "auth": b64(auth)}}
        r = web.post("/push/subscribe", json.dumps(body), content_type="application/json")
        assert r.status_code == 201 and PushSubscription.objects.filter(user=cast["gw_a"]).count() == 1
        DBTaskResult.objects.all().delete()
        with events():
            act(public_report(cast), "send_to_verify", cast["operator"])
        assert run_tasks() == ["sent"]
        (sent,) = sink.requests
        assert sent["path"] == "/push/abc" and sent["headers"]["content-encoding"] == "aes128gcm"
        vapid = sent["headers"]["authorization"]
        assert vapid.startswith("vapid t=") and vapid.endswith(f",k={settings.JINGWU_VAPID_PUBLIC_KEY}")
        claims = json.loads(base64.urlsafe_b64decode(vapid[8:].split(".")[1] + "=="))
        assert claims["aud"] == url and claims["sub"] == settings.JINGWU_VAPID_SUBJECT  # RFC 8292
        message = json.loads(http_ece.decrypt(sent["body"], private_key=browser, auth_secret=auth, version="aes128gcm"))
        assert message["title"] == "新任务" and message["url"].startswith("/phone/#task/")
    # A push service that says the subscription is gone: it is dropped, and nothing fails.
    with server((410, {})) as (url, sink):
        PushSubscription.objects.update(endpoint=f"{url}/push/gone")
        DBTaskResult.objects.all().delete()
        with events():
            act(public_report(cast, client_key="again"), "send_to_verify", cast["operator"])
        assert run_tasks() == ["sent"]  # delivered as far as it can be: nothing is left to deliver to
        assert not PushSubscription.objects.exists()
    # Only the browsers' push services (and those configured) are accepted: no internal address, no HTTP.
    settings.JINGWU_PUSH_ALLOW_PRIVATE = False
    web = Client()
    web.force_login(cast["gw_a"])
    keys = {"p256dh": b64(public), "auth": b64(auth)}
    for endpoint, status in (
        ("https://127.0.0.1/push", 400),
        ("https://169.254.169.254/latest", 400),
        ("http://fcm.googleapis.com/fcm/send/x", 400),
        ("https://fcm.googleapis.com:99999/fcm/send/x", 400),
        ("https://fcm.googleapis.com/fcm/send/abc", 201),
        ("https://db5p.notify.windows.com/w/?token=x", 201),
    ):
        body = json.dumps({"endpoint": endpoint, "keys": keys})
        assert web.post("/push/subscribe", body, content_type="application/json").status_code == status, endpoint
    # Signing out forgets the device: the next person on it subscribes afresh.
    web.post("/logout/")
    assert not PushSubscription.objects.filter(user=cast["gw_a"]).exists()


def test_a_retry_for_one_device_does_not_repeat_the_others(cast: Any, at: Any, settings: Any) -> None:
    from jingwu.notify.jobs import deliver
    from jingwu.notify.management.commands.vapid_keys import make_pair

    settings.JINGWU_VAPID_PRIVATE_KEY, settings.JINGWU_VAPID_PUBLIC_KEY = make_pair()
    settings.JINGWU_PUSH_ALLOW_PRIVATE = True
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    p256dh = (
        base64.urlsafe_b64encode(
            key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        .rstrip(b"=")
        .decode()
    )
    with server((201, {})) as (good, good_sink), server((503, {})) as (bad, bad_sink):
        for url in (good, bad):
            PushSubscription.objects.create(
                user=cast["gw_a"], endpoint=f"{url}/p", p256dh=p256dh, auth="MDEyMzQ1Njc4OWFiY2RlZg", created_at=at.now
            )
        DBTaskResult.objects.all().delete()
        with events():
            act(public_report(cast), "send_to_verify", cast["operator"])
        d = Delivery.objects.get(channel="webpush")
        assert deliver.call(d.pk) == "pending" and len(good_sink.requests) == 1 and len(bad_sink.requests) == 1
        bad_sink.answer = (201, {})
        assert deliver.call(d.pk) == "sent"
        assert len(good_sink.requests) == 1 and len(bad_sink.requests) == 2  # the first device is not told twice


def _aliyun_expected(query: dict[str, str], secret: str) -> str:
    """The signature as Aliyun's documentation defines it, written out here independently."""

    def enc(s: str) -> str:
        return quote(s, safe="~")

    params = sorted((k, v) for k, v in query.items() if k != "Signature")
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in params)
    string = "GET&%2F&" + enc(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), string.encode(), hashlib.sha1).digest()).decode()


def _tencent_expected(req: dict[str, Any], secret_id: str, secret_key: str) -> str:
    """TC3-HMAC-SHA256 as Tencent Cloud's API 3.0 documentation defines it, from the request as received."""
    from datetime import UTC, datetime

    h = req["headers"]
    stamp = int(h["x-tc-timestamp"])
    date = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = f"content-type:{h['content-type'].lower()}\nhost:{h['host'].lower()}\n"
    hashed_payload = hashlib.sha256(req["body"]).hexdigest()
    canonical = f"POST\n/\n\n{canonical_headers}\ncontent-type;host\n{hashed_payload}"
    scope = f"{date}/sms/tc3_request"
    string = f"TC3-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    k = hmac.new(("TC3" + secret_key).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"sms", hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    sig = hmac.new(k, string.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={sig}"


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_sms_goes_to_the_provider_signed_as_it_expects(cast: Any, at: Any, settings: Any, provider: str) -> None:
    settings.JINGWU_SMS_PROVIDER = provider
    settings.JINGWU_SMS_KEY_ID, settings.JINGWU_SMS_KEY_SECRET = "AKID-test", "secret-test"
    settings.JINGWU_SMS_TEMPLATE, settings.JINGWU_SMS_APP_ID = "SMS_1234", "1400000000"
    ok = {"Code": "OK", "Message": "OK"} if provider == "aliyun" else {"Response": {"SendStatusSet": [{"Code": "Ok"}]}}
    with server((200, ok)) as (url, sink):
        settings.JINGWU_SMS_ENDPOINT = url + "/"
        DBTaskResult.objects.all().delete()
        with events():
            c = to_state(cast, "handling")
            act(c, "escalate", cast["leader"], reason="超期未处置")
        assert sorted(run_tasks()) == ["sent"]  # 督办 goes by SMS; the dispatch does not
        (req,) = sink.requests
        if provider == "aliyun":
            query = dict(parse_qsl(urlsplit(req["path"]).query))
            assert query["PhoneNumbers"] == "13912345678" and query["TemplateCode"] == "SMS_1234"
            assert json.loads(query["TemplateParam"]) == {"title": "收到督办", "case": c.number}
            assert query["Signature"] == _aliyun_expected(query, "secret-test")
        else:
            body = json.loads(req["body"])
            assert body["PhoneNumberSet"] == ["+8613912345678"] and body["TemplateParamSet"] == ["收到督办", c.number]
            auth = req["headers"]["authorization"]
            expected = _tencent_expected(req, "AKID-test", "secret-test")
            assert auth == expected and "Credential=AKID-test/" in auth and req["headers"]["x-tc-action"] == "SendSms"
    # A provider that refuses: retried later, then given up and recorded as failed.
    refuse = (
        {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}
        if provider == "aliyun"
        else {"Response": {"Error": {"Code": "LimitExceeded", "Message": "limit"}}}
    )
    with server((200, refuse)) as (url, sink):
        settings.JINGWU_SMS_ENDPOINT = url + "/"
        DBTaskResult.objects.all().delete()
        with events():
            act(to_state(cast, "handling"), "escalate", cast["leader"], reason="超期未处置")
        d = Delivery.objects.filter(channel="sms").latest("id")
        from jingwu.notify.jobs import deliver

        results = [deliver.call(d.pk) for _ in range(4)]
        d.refresh_from_db()
        assert results == ["pending", "pending", "pending", "failed"] and d.attempts == 4
        assert ("BUSINESS_LIMIT" in d.error) or ("LimitExceeded" in d.error)
