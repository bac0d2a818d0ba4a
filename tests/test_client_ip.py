"""The client's address behind the city's nginx (JINGWU_TRUSTED_PROXIES): X-Forwarded-For is read from the
right, past our own proxies, and only when the connection comes from one of them; a client cannot forge it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from jingwu import settings as project_settings
from jingwu.audit import context
from jingwu.audit.middleware import RequestContextMiddleware, client_ip, parse_address
from jingwu.audit.models import AuditEvent
from jingwu.org.services import issue_token

from .flows import to_state

NGINX_NET = ["172.30.0.0/24"]
NGINX = "172.30.0.10"
CITIZEN = "203.0.113.7"


def ip(remote: str | None, xff: str | None = None) -> str | None:
    extra: dict[str, Any] = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    request = RequestFactory().get("/", **extra)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return client_ip(request)


@override_settings(JINGWU_TRUSTED_PROXIES=())
def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert ip(NGINX, CITIZEN) == NGINX
    assert ip("2001:db8::1", CITIZEN) == "2001:db8::1"
    assert ip(None, CITIZEN) is None


@override_settings(JINGWU_TRUSTED_PROXIES=NGINX_NET)
def test_a_trusted_proxy_names_the_client() -> None:
    assert ip(NGINX, CITIZEN) == CITIZEN
    assert ip(NGINX, f"  {CITIZEN}  ") == CITIZEN
    # No header, or only our own proxies in it: the request came from the proxy itself (a health check).
    assert ip(NGINX) == NGINX
    assert ip(NGINX, "172.30.0.11") == "172.30.0.11"


@override_settings(JINGWU_TRUSTED_PROXIES=NGINX_NET)
def test_a_forged_leftmost_entry_is_not_believed() -> None:
    # The client sent `X-Forwarded-For: 1.2.3.4`; nginx appended the address it really came from.
    assert ip(NGINX, f"1.2.3.4, {CITIZEN}") == CITIZEN
    assert ip(NGINX, f"1.2.3.4, 172.30.0.99, {CITIZEN}") == CITIZEN
    # Nor a forged address inside the trusted range: it is left of the real client.
    assert ip(NGINX, f"172.30.0.5, {CITIZEN}") == CITIZEN


@override_settings(JINGWU_TRUSTED_PROXIES=["10.0.0.0/8", "198.51.100.20"])
def test_a_chain_of_two_trusted_proxies() -> None:
    # A load balancer (198.51.100.20) in front of nginx (10.1.0.2): both are skipped.
    assert ip("10.1.0.2", f"1.2.3.4, {CITIZEN}, 198.51.100.20") == CITIZEN
    assert ip("10.1.0.2", f"{CITIZEN}, 198.51.100.20") == CITIZEN
    # An address next to the trusted one is not trusted: /32 is exact.
    assert ip("10.1.0.2", f"{CITIZEN}, 198.51.100.21") == "198.51.100.21"


@override_settings(JINGWU_TRUSTED_PROXIES=["fd00:30::/64"])
def test_an_ipv6_proxy_network() -> None:
    assert ip("fd00:30::10", "2001:DB8:0:0::5") == "2001:db8::5"
    assert ip("fd00:30::10", f"{CITIZEN}, fd00:30::11") == CITIZEN
    assert ip("fd00:31::10", CITIZEN) == "fd00:31::10"  # outside the network
    assert ip(NGINX, CITIZEN) == NGINX  # an IPv4 address is in no IPv6 network


@override_settings(JINGWU_TRUSTED_PROXIES=NGINX_NET)
def test_addresses_are_normalised() -> None:
    assert ip(NGINX, f"{CITIZEN}:51234") == CITIZEN
    assert ip(NGINX, "[2001:db8::5]:443") == "2001:db8::5"
    assert ip(NGINX, "[2001:db8::5]") == "2001:db8::5"
    assert ip(NGINX, "::ffff:203.0.113.7") == CITIZEN
    # gunicorn on a dual-stack socket reports IPv4 peers as mapped addresses.
    assert ip("::ffff:172.30.0.10", CITIZEN) == CITIZEN
    assert parse_address("2001:0db8:0000::0001") is not None and str(parse_address("2001:0db8::1")) == "2001:db8::1"


@override_settings(JINGWU_TRUSTED_PROXIES=NGINX_NET)
@pytest.mark.parametrize(
    "xff",
    [
        "garbage",
        "unknown",
        "",
        ",",
        f"{CITIZEN},",
        "999.1.1.1",
        f"{CITIZEN}:99999999",
        f"{CITIZEN}:８０",
        "[2001:db8::5",
        "[2001:db8::5]x",
        "fe80::1%eth0",
        "for=203.0.113.7",
        "x" * 5000,
    ],
)
def test_garbage_ends_the_walk_at_the_last_trusted_hop(xff: str) -> None:
    assert ip(NGINX, xff) == NGINX
    # Behind another trusted hop, that hop is the last address anyone vouches for; nothing left of it is read.
    assert ip(NGINX, f"{CITIZEN}, {xff}, 172.30.0.11") == "172.30.0.11"


@override_settings(JINGWU_TRUSTED_PROXIES=NGINX_NET)
def test_an_untrusted_connection_keeps_its_own_address() -> None:
    assert ip("192.0.2.50", f"{CITIZEN}, 172.30.0.11") == "192.0.2.50"
    assert ip("not an address", CITIZEN) == "not an address"  # exactly as before: REMOTE_ADDR as given


def test_the_setting_is_parsed_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("JINGWU_TRUSTED_PROXIES", " 172.30.0.0/24 ,fd00::/8,,10.0.0.5 ")
    assert project_settings.envnetworks("JINGWU_TRUSTED_PROXIES") == ("172.30.0.0/24", "fd00::/8", "10.0.0.5")
    monkeypatch.setenv("JINGWU_TRUSTED_PROXIES", "172.30.0.0/24,nginx")
    with pytest.raises(ImproperlyConfigured, match="nginx"):
        project_settings.envnetworks("JINGWU_TRUSTED_PROXIES")
    monkeypatch.delenv("JINGWU_TRUSTED_PROXIES")
    assert project_settings.envnetworks("JINGWU_TRUSTED_PROXIES") == ()


def test_the_request_context_sees_the_client() -> None:
    seen: list[str | None] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(context.get().ip)
        return HttpResponse()

    middleware = RequestContextMiddleware(view)
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {CITIZEN}", REMOTE_ADDR=NGINX)
    with override_settings(JINGWU_TRUSTED_PROXIES=NGINX_NET):
        middleware(request)
    with override_settings(JINGWU_TRUSTED_PROXIES=()):
        middleware(request)
    assert seen == [CITIZEN, NGINX]
    assert context.get().ip is None  # reset after the request


@pytest.mark.django_db
@override_settings(JINGWU_TRUSTED_PROXIES=NGINX_NET)
def test_through_the_whole_stack_the_audit_trail_and_the_sign_in_log_name_the_client(cast: Any) -> None:
    proxied: dict[str, Any] = {"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": f"1.2.3.4, {CITIZEN}"}
    case = to_state(cast, "to_dispatch")
    r = Client().post(
        f"/api/cases/{case.number}/dispatch",
        json.dumps({"version": case.version}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issue_token(cast['dispatcher'])}",
        **proxied,
    )
    assert r.status_code == 200, r.content
    assert AuditEvent.objects.get(action="case.dispatch", object_id=case.number).ip == CITIZEN

    Client().post("/login/", {"username": "operator", "password": "wrong"}, **proxied)
    assert AuditEvent.objects.get(action="auth.login_failed").ip == CITIZEN
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [CITIZEN]
