"""Every URL of the site, for every role, against a declared matrix (STYLE.md: a check that walks every
endpoint for every role). A new URL fails this test until its row is declared."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from jingwu.cases.models import Attachment

from .flows import to_state

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "citizen",
    "gw_a",
    "h_env",
    "operator",
    "shiftlead",
    "dispatcher",
    "leader",
    "auditor",
    "admin",
    "secadmin",
]

# Shorthands: a page that sends strangers to the login page and others to a 403 page; an API endpoint
# that answers 401 to the anonymous.
EVERYONE = dict.fromkeys(ROLES, 200)


def page(*allowed: str) -> dict[str, int]:
    return {r: 200 if r in allowed else (302 if r == "anonymous" else 403) for r in ROLES}


def api(*allowed: str, others: int = 403) -> dict[str, int]:
    return {r: 200 if r in allowed else (401 if r == "anonymous" else others) for r in ROLES}


SIGNED_IN = [r for r in ROLES if r != "anonymous"]
STAFF = ["gw_a", "h_env", "operator", "shiftlead", "dispatcher", "leader", "auditor", "admin"]
CENTRE = ["operator", "shiftlead", "dispatcher", "leader", "admin"]
# Monitoring: the centre, the auditors, and grid workers and departments for what is theirs.
MONITOR = [*CENTRE, "gw_a", "h_env", "auditor"]
SUPERVISION = [*CENTRE, "auditor", "h_env"]
# The registry (一标三实): grid workers (their own grids), and the shift lead and leaders for oversight; the
# stewards (a department named in registry.Steward) are not among these roles (test_registry covers them).
REGISTRY = ["gw_a", "shiftlead", "leader"]
# Statistics: the centre (who may open the lists behind the figures); the overview's data and the big screen:
# leaders, shift leads, admins.
STATS = CENTRE
SCREEN = ["shiftlead", "leader", "admin"]


def missing(*allowed: str) -> dict[str, int]:
    """A page of one object: those who may open such pages get 404 for one that does not exist."""
    return {r: 404 if r in allowed else (302 if r == "anonymous" else 403) for r in ROLES}


# pattern → (path, expected status per role); "{n}" is a case in grid A1 handled by 环卫 (h_env),
# "{a}" its first photo. POST-only endpoints are walked role by role in test_permissions.py.
MATRIX: dict[str, tuple[str, dict[str, int]] | None] = {
    "": ("/", dict.fromkeys(ROLES, 302)),  # everyone is sent on: to their own page, or to sign in
    "login/": ("/login/", EVERYONE),
    "logout/": None,  # POST only
    "login/otp/": ("/login/otp/", dict.fromkeys(ROLES, 302)),  # only after a password, for a second-factor account
    "account/otp/": ("/account/otp/", {**dict.fromkeys(ROLES, 200), "anonymous": 302}),
    "password/": ("/password/", {**dict.fromkeys(ROLES, 200), "anonymous": 302}),
    "centre/": ("/centre/", page(*CENTRE)),
    "centre/queues": ("/centre/queues", page(*CENTRE)),
    "centre/list": ("/centre/list", page(*CENTRE)),
    "centre/export": ("/centre/export?format=csv", page(*CENTRE, "h_env")),
    "centre/batch": None,  # POST only (test_lists)
    "audit/": ("/audit/", page("auditor")),
    "audit/export": ("/audit/export", page("auditor")),
    "map/data.json": ("/map/data.json", page(*STAFF)),
    "cases/<str:number>/": ("/cases/{n}/", page(*STAFF)),
    "cases/<str:number>/act/<str:action>": None,  # POST only
    "cases/<str:number>/reporter": (
        "/cases/{n}/reporter",
        {**page(*STAFF), "gw_a": 403, "h_env": 403, "dispatcher": 403, "auditor": 403, "admin": 403},
    ),
    "cases/<str:number>/conditions": ("/cases/{n}/conditions?category=matter:06010", page(*STAFF)),
    "desk/": ("/desk/", page("h_env")),
    "desk/export": ("/desk/export?format=csv", page("h_env")),
    "exports/": ("/exports/", page(*STAFF)),
    "safety/": ("/safety/", page(*CENTRE, "h_env", "auditor")),
    # The export carries the contacts in full: those who call them (shift leads, leaders) only.
    "safety/export": (
        "/safety/export",
        {
            **page(*CENTRE, "h_env", "auditor"),
            **dict.fromkeys(["operator", "dispatcher", "admin", "h_env", "auditor"], 404),
        },
    ),
    "safety/template": ("/safety/template", page(*CENTRE, "h_env", "auditor")),
    "safety/tasks/": ("/safety/tasks/", page("shiftlead", "leader")),
    "safety/map.json": ("/safety/map.json", page(*CENTRE, "h_env", "auditor")),
    "safety/plans/<int:pk>/stop": None,  # POST only (test_inspections)
    "safety/tasks/<int:pk>/cancel": None,  # POST only (test_inspections)
    "safety/<int:pk>/task": None,  # POST only (test_inspections)
    "safety/imports/<int:pk>/": (
        "/safety/imports/999999/",
        page("shiftlead", "leader") | dict.fromkeys(["shiftlead", "leader"], 404),
    ),
    "safety/plans/": ("/safety/plans/", page(*CENTRE, "auditor")),
    "safety/hazards/": ("/safety/hazards/", page(*CENTRE, "auditor")),
    "safety/ledger/": ("/safety/ledger/", page(*CENTRE, "auditor")),
    "safety/inspections/<int:pk>/": (
        "/safety/inspections/999999/",
        page(*CENTRE, "auditor") | dict.fromkeys([*CENTRE, "auditor"], 404),
    ),
    "safety/inspections/<int:pk>/signature": (
        "/safety/inspections/999999/signature",
        page(*CENTRE, "auditor") | dict.fromkeys([*CENTRE, "auditor"], 404),
    ),
    "safety/photos/<int:pk>": (
        "/safety/photos/999999",
        page(*CENTRE, "auditor") | dict.fromkeys([*CENTRE, "auditor"], 404),
    ),
    "safety/m/": ("/safety/m/", page()),  # inspectors only (test_inspections)
    "safety/m/sw.js": ("/safety/m/sw.js", EVERYONE),
    "rectify/<str:token>/": ("/rectify/nope/", dict.fromkeys(ROLES, 404)),
    "safety/<int:pk>/": (
        "/safety/999999/",
        {**page(*CENTRE, "h_env", "auditor"), **dict.fromkeys([*CENTRE, "h_env", "auditor"], 404)},
    ),
    "iot/": ("/iot/", page(*MONITOR)),
    "iot/map.json": ("/iot/map.json", page(*MONITOR)),
    "iot/devices/<int:pk>/": ("/iot/devices/999999/", page(*MONITOR) | dict.fromkeys(MONITOR, 404)),
    "iot/alarms/<int:pk>/": ("/iot/alarms/999999/", page(*MONITOR) | dict.fromkeys(MONITOR, 404)),
    # Patrols: the register for the centre and leaders; a patrol page for them and for patrollers (their own).
    "patrols/": ("/patrols/", page("operator", "shiftlead", "dispatcher", "leader")),
    "patrols/<int:pk>/": (
        "/patrols/999999/",
        page("operator", "shiftlead", "dispatcher", "leader", "gw_a")
        | dict.fromkeys(["operator", "shiftlead", "dispatcher", "leader", "gw_a"], 404),
    ),
    "patrols/<int:pk>/review": None,  # POST only (test_patrols)
    "patrols/m/": ("/patrols/m/", page("gw_a")),  # and river chiefs (test_patrols, browser)
    "patrols/m/sw.js": ("/patrols/m/sw.js", EVERYONE),
    # Supervision: the centre, leaders and every unit (a unit sees its own tasks: test_supervision); the office and
    # the leaders give tasks and read reports.
    "supervision/": ("/supervision/", page(*SUPERVISION)),
    "supervision/indicators/<int:pk>/": ("/supervision/indicators/999999/", missing(*SUPERVISION)),
    "supervision/actuals/import": None,  # POST only (test_supervision)
    "supervision/targets/set": None,  # POST only (test_supervision)
    "supervision/tasks/new": ("/supervision/tasks/new", page("leader")),
    "supervision/tasks/<str:ref>/": ("/supervision/tasks/DB000000000/", missing(*SUPERVISION)),
    "supervision/files/<int:pk>": ("/supervision/files/999999", missing(*SUPERVISION)),
    "supervision/read": ("/supervision/read", page("leader")),
    "supervision/projects/": ("/supervision/projects/", page(*SUPERVISION)),
    "supervision/projects/<int:pk>/": ("/supervision/projects/999999/", missing(*SUPERVISION)),
    "supervision/projects/photos/<int:pk>": ("/supervision/projects/photos/999999", missing(*SUPERVISION)),
    "supervision/audits/": ("/supervision/audits/", page(*SUPERVISION)),
    "registry/": ("/registry/", page("shiftlead", "leader") | {"gw_a": 302}),  # a grid worker: to the phone
    "registry/people/<int:pk>/": ("/registry/people/999999/", missing(*REGISTRY)),
    "registry/people/<int:pk>/reveal": None,  # POST only (test_registry)
    "registry/visits/": ("/registry/visits/", page(*REGISTRY)),
    "registry/proposals/": ("/registry/proposals/", page("gw_a") | {"shiftlead": 403, "leader": 403}),
    "registry/import/": ("/registry/import/", page()),  # stewards only
    "registry/import/<str:kind>/template.xlsx": ("/registry/import/people/template.xlsx", page(*REGISTRY)),
    "registry/counts/": ("/registry/counts/", page(*REGISTRY)),
    "stats/": ("/stats/", page(*STATS)),
    "stats/scores/": ("/stats/scores/", page(*STATS)),
    "stats/report/": ("/stats/report/", page(*STATS)),
    "stats/report/excel": None,  # POST only (test_stats)
    "screen/": ("/screen/", page(*SCREEN)),
    "screen/data.json": ("/screen/data.json", page(*SCREEN)),
    "registry/export": ("/registry/export", page()),  # stewards whose department may export
    "registry/m/": ("/registry/m/", page("gw_a") | {"shiftlead": 302, "leader": 302}),
    "registry/m/sw.js": ("/registry/m/sw.js", EVERYONE),
    # A community's LED screen has no login: its secret address is its key.
    "led/<str:token>/": ("/led/nope/", dict.fromkeys(ROLES, 404)),
    # Petitions: leaders and departments open the pages (each sees only the petitions whose case they see).
    "petitions/": ("/petitions/", page("leader", "h_env")),
    "petitions/<int:pk>/": ("/petitions/999999/", page("leader", "h_env") | dict.fromkeys(["leader", "h_env"], 404)),
    "petitions/<int:pk>/reveal": None,  # POST only (test_petitions)
    "petitions/<int:pk>/act/<str:action>": None,  # POST only (test_petitions)
    "suggestions/": ("/suggestions/", page(*CENTRE, "h_env", "auditor")),
    "suggestions/<int:pk>/": (
        "/suggestions/999999/",
        page(*CENTRE, "h_env", "auditor") | dict.fromkeys([*CENTRE, "h_env", "auditor"], 404),
    ),
    "suggestions/<int:pk>/act/<str:action>": None,  # POST only (test_petitions)
    "notifications/": ("/notifications/", page(*STAFF)),
    "notifications/badge": ("/notifications/badge", page(*STAFF)),
    "notifications/read-all": ("/notifications/read-all", {**page(*STAFF), **dict.fromkeys(STAFF, 302)}),
    # One's own notifications only: another's does not exist.
    "notifications/<int:pk>/": ("/notifications/999999/", {**page(*STAFF), **dict.fromkeys(STAFF, 404)}),
    "push/key": ("/push/key", page(*STAFF)),
    "push/subscribe": ("/push/subscribe", {**page(*STAFF), **dict.fromkeys(STAFF, 405)}),
    # Only the one who asked may fetch an export: for anyone else it does not exist.
    "exports/<int:pk>/": ("/exports/999999/", {**page(*STAFF), **dict.fromkeys(STAFF, 404)}),
    "overview/": ("/overview/", page("leader", "admin", "shiftlead")),
    "phone/": ("/phone/", page("gw_a")),
    "phone/manifest.webmanifest": ("/phone/manifest.webmanifest", EVERYONE),
    "phone/sw.js": ("/phone/sw.js", EVERYONE),
    "phone/icon-<int:size>.png": ("/phone/icon-192.png", EVERYONE),
    "favicon.ico": ("/favicon.ico", EVERYONE),
    "public/": ("/public/", EVERYONE),
    "public/report": None,  # POST only (GET redirects to the form)
    "public/receipt/<str:number>": ("/public/receipt/{n}?code={c}", EVERYONE),
    "public/track/": ("/public/track/", EVERYONE),
    "public/rate": None,  # POST only, with the tracking code
    # A result photo needs the case's tracking code and a closed case: without them it does not exist.
    "public/photo/<int:pk>": ("/public/photo/{a}", dict.fromkeys(ROLES, 404)),
    "public/mine/": ("/public/mine/", EVERYONE),
    "public/status.json": ("/public/status.json?q={n}:{c}", EVERYONE),
    "public/map/": ("/public/map/", EVERYONE),
    "public/map/data.json": ("/public/map/data.json", EVERYONE),
    "i18n/setlang/": None,  # POST only
    "api/": None,  # the API root has no page of its own
    "api/openapi.json": ("/api/openapi.json", EVERYONE),
    "api/docs": ("/api/docs", EVERYONE),
    "api/auth/token": None,  # POST only
    "api/me": ("/api/me", api(*SIGNED_IN)),
    "api/departments": ("/api/departments", api(*SIGNED_IN)),
    "api/audit": ("/api/audit", api("auditor")),  # 三员分立: the audit administrator alone
    "api/grids": ("/api/grids", EVERYONE),
    "api/regions": ("/api/regions", EVERYONE),
    "api/basemap": ("/api/basemap", EVERYONE),
    "api/locate": ("/api/locate?lon=117.105&lat=39.045", EVERYONE),
    "api/cases": ("/api/cases", EVERYONE),  # each sees what visible_to gives them (test_api)
    "api/tasks": ("/api/tasks", api(*SIGNED_IN)),
    "api/cases/<number>": ("/api/cases/{n}", EVERYONE),  # a public category: the public see its public view
    "api/attachments/<attachment_id>": ("/api/attachments/{a}", api(*STAFF, others=404)),
    "api/cases/<number>/reporter": ("/api/cases/{n}/reporter", api("operator", "shiftlead", "leader")),
    "api/categories": ("/api/categories", EVERYONE),
    "api/safety/enterprises": ("/api/safety/enterprises", api(*CENTRE, "h_env", "auditor")),
    "api/safety/enterprises/<pk>": (
        "/api/safety/enterprises/999999",
        api(*CENTRE, "h_env", "auditor", others=403) | dict.fromkeys([*CENTRE, "h_env", "auditor"], 404),
    ),
    "api/safety/tasks": ("/api/safety/tasks", api("shiftlead", "leader")),
    "api/safety/tasks/<pk>": (
        "/api/safety/tasks/999999",
        api(others=403) | dict.fromkeys(["shiftlead", "leader"], 404),
    ),
    "api/safety/inspections": None,  # POST only (test_inspections)
    "api/safety/inspections/<pk>": ("/api/safety/inspections/999999", api(others=404)),
    "api/safety/hazards": ("/api/safety/hazards", api(*CENTRE, "auditor")),
    "api/safety/hazards/<pk>": (
        "/api/safety/hazards/999999",
        api(*CENTRE, "auditor", others=403) | dict.fromkeys([*CENTRE, "auditor"], 404),
    ),
    "api/safety/hazards/<pk>/evidence": None,  # POST only (test_inspections)
    "api/safety/ledgers/hazards": ("/api/safety/ledgers/hazards", api(*CENTRE, "auditor")),
    "api/safety/ledgers/places": ("/api/safety/ledgers/places", api(*CENTRE, "auditor")),
    "api/safety/figures": ("/api/safety/figures", api(*CENTRE, "auditor")),
    "api/safety/plans": ("/api/safety/plans", api(*CENTRE, "auditor")),
    "api/safety/checklists": ("/api/safety/checklists", api(*CENTRE, "h_env", "auditor")),
    "api/iot/devices": ("/api/iot/devices", api(*MONITOR)),
    "api/iot/devices/<pk>": ("/api/iot/devices/999999", api(*MONITOR) | dict.fromkeys(MONITOR, 404)),
    "api/iot/devices/<pk>/token": None,  # POST only (test_iot)
    "api/iot/devices/<pk>/readings": (
        "/api/iot/devices/999999/readings?code=a34004",
        api(*MONITOR) | dict.fromkeys(MONITOR, 404),
    ),
    "api/iot/alarms": ("/api/iot/alarms", api(*MONITOR)),
    "api/iot/alarms/<pk>": ("/api/iot/alarms/999999", api(*MONITOR) | dict.fromkeys(MONITOR, 404)),
    "api/iot/alarms/<pk>/acknowledge": None,  # POST only (test_iot)
    "api/iot/alarms/<pk>/clear": None,  # POST only (test_iot)
    # Patrols: each sees their own (the centre and leaders all); writes are walked in test_patrols.
    "api/patrols": ("/api/patrols", api(*SIGNED_IN)),
    "api/patrols/targets": ("/api/patrols/targets", api(*SIGNED_IN)),
    "api/patrols/stats": ("/api/patrols/stats", api(*SIGNED_IN)),
    "api/patrols/rivers": ("/api/patrols/rivers", api(*SIGNED_IN)),
    "api/patrols/rivers/import": None,  # POST only (test_patrols)
    "api/patrols/<ref>": ("/api/patrols/999999", api(*SIGNED_IN) | dict.fromkeys(SIGNED_IN, 404)),
    "api/patrols/<ref>/track": None,  # POST only (test_patrols)
    "api/patrols/<ref>/end": None,  # POST only (test_patrols)
    "api/patrols/<ref>/review": None,  # POST only (test_patrols)
    "api/patrols/<ref>/findings": None,  # POST only (test_patrols)
    "api/supervision/targets": ("/api/supervision/targets", api(*SUPERVISION)),
    "api/supervision/actuals": None,  # POST only (test_supervision)
    "api/supervision/tasks": ("/api/supervision/tasks", api(*SUPERVISION)),
    "api/supervision/tasks/<number>/reports": None,  # POST only (test_supervision)
    "api/supervision/read": None,  # POST only (test_supervision)
    "api/registry/people": ("/api/registry/people", api(*REGISTRY)),
    "api/registry/people/<pk>": ("/api/registry/people/999999", api(others=404) | dict.fromkeys(REGISTRY, 404)),
    "api/registry/people/<pk>/reveal": None,  # POST only (test_registry)
    "api/registry/people/<pk>/visits": None,  # POST only (test_registry)
    "api/registry/proposals": None,  # POST only (test_registry)
    "api/registry/proposals/<pk>/decide": None,  # POST only (test_registry)
    "api/registry/counts": ("/api/registry/counts", api(*REGISTRY)),
    "api/stats/indicators": ("/api/stats/indicators", api(*STATS)),
    "api/stats/stages": ("/api/stats/stages", api(*STATS)),
    "api/stats/scores": ("/api/stats/scores", api(*STATS)),
    "api/stats/rankings": ("/api/stats/rankings", api(*STATS)),
    "api/stats/overview": ("/api/stats/overview", api(*SCREEN)),
    "api/stats/screen": ("/api/stats/screen", api(*SCREEN)),
    "api/iot/aqi": ("/api/iot/aqi?station=none&date=2026-03-02", api(*MONITOR) | dict.fromkeys(MONITOR, 404)),
    "api/iot/ingest": None,  # POST only, with a device token (test_iot)
    "api/petitions": ("/api/petitions", api(*SIGNED_IN)),  # each sees what visible_to gives them
    "api/petitions/<pk>": ("/api/petitions/999999", api(others=404)),
    "api/petitions/<pk>/reveal": None,  # POST only (test_petitions)
    "api/petitions/<pk>/<action>": None,  # POST only (test_petitions)
    "api/suggestions/sessions": ("/api/suggestions/sessions", api(*SIGNED_IN)),
    "api/suggestions": ("/api/suggestions", api(*SIGNED_IN)),
    "api/suggestions/<pk>": ("/api/suggestions/999999", api(others=404)),
    "api/suggestions/<pk>/<action>": None,  # POST only (test_petitions)
    "api/workflow": ("/api/workflow", EVERYONE),
    "api/workflows": ("/api/workflows", EVERYONE),
    "api/workflows/<name>": ("/api/workflows/case", EVERYONE),
    "api/workflows/<name>/<object_id>": ("/api/workflows/case/{n}", api(*SIGNED_IN)),
    "api/workflows/<name>/<object_id>/<action>": None,  # POST only
    "open311/v2/^discovery\\.(?P<fmt>[A-Za-z0-9]+)$": ("/open311/v2/discovery.json", EVERYONE),
    "open311/v2/^services\\.(?P<fmt>[A-Za-z0-9]+)$": ("/open311/v2/services.json", EVERYONE),
    "open311/v2/^services/(?P<code>[^/]+?)\\.(?P<fmt>[A-Za-z0-9]+)$": (
        "/open311/v2/services/matter-06010.json",
        EVERYONE,
    ),
    "open311/v2/^service/(?P<code>[^/]+?)\\.(?P<fmt>[A-Za-z0-9]+)$": (
        "/open311/v2/service/matter-06010.json",
        EVERYONE,
    ),
    "open311/v2/^requests\\.(?P<fmt>[A-Za-z0-9]+)$": ("/open311/v2/requests.json", EVERYONE),
    "open311/v2/^requests/(?P<request_id>[^/]+?)\\.(?P<fmt>[A-Za-z0-9]+)$": ("/open311/v2/requests/{n}.json", EVERYONE),
    "open311/v2/^tokens/(?P<token>[^/]+?)\\.(?P<fmt>[A-Za-z0-9]+)$": (
        "/open311/v2/tokens/none.json",
        dict.fromkeys(ROLES, 404),
    ),
    "open311/v2/^servicerequestupdates\\.(?P<fmt>[A-Za-z0-9]+)$": ("/open311/v2/servicerequestupdates.json", EVERYONE),
    "open311/v2/media/<int:attachment_id>": ("/open311/v2/media/{a}", EVERYONE),
    "open311/v2/^(?P<rest>.*)$": ("/open311/v2/nothing.json", dict.fromkeys(ROLES, 404)),
}


def _patterns(patterns: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out += _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append(prefix + str(p.pattern))
    return out


def test_every_url_has_a_declared_row() -> None:
    found = {p for p in _patterns(get_resolver().url_patterns) if not p.startswith(("admin/", "api/cases/<number>/"))}
    found |= {"api/cases/<number>", "api/cases/<number>/reporter"}
    assert found - set(MATRIX) == set(), "declare these URLs in MATRIX"
    assert set(MATRIX) - found == set(), "these rows name URLs that no longer exist"


@pytest.mark.parametrize("pattern", [p for p, row in MATRIX.items() if row is not None])
def test_every_role_on_every_url(cast: Any, at: Any, pattern: str) -> None:
    case = to_state(cast, "handling")
    photo = Attachment.objects.filter(case=case).order_by("id").first()
    assert photo is not None
    row = MATRIX[pattern]
    assert row is not None
    path, expected = row
    path = path.format(n=case.number, a=photo.pk, c=case.tracking_code)
    got = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(cast[role])
        got[role] = client.get(path).status_code
    assert got == expected, (path, {r: (got[r], expected[r]) for r in ROLES if got[r] != expected[r]})
