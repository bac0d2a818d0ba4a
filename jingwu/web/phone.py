"""The grid worker's phone: tasks, reporting, self-resolving, my grid and my cases — usable offline."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from PIL import Image, ImageDraw

from jingwu.cases import selectors
from jingwu.cases.choices import AttachmentKind, State
from jingwu.cases.models import Attachment, Case, Category
from jingwu.lib import clock, coords
from jingwu.org.choices import Role
from jingwu.org.models import GridAssignment
from jingwu.org.services import person_of

from .common import countdown, roles_required
from .views import case_rows, tile_settings


def navigation(lon: float, lat: float, name: str) -> dict[str, str]:
    """Links that open the place in the phone's map app, each in the datum it expects: 高德 GCJ-02,
    百度 BD-09, the system's geo: URI WGS-84."""
    g_lon, g_lat = coords.wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = coords.gcj02_to_bd09(g_lon, g_lat)
    label = quote(name)
    return {
        "amap": f"https://uri.amap.com/marker?position={g_lon:.6f},{g_lat:.6f}&name={label}"
        "&coordinate=gaode&callnative=1&src=jingwu",
        "baidu": f"https://api.map.baidu.com/marker?location={b_lat:.6f},{b_lon:.6f}&title={label}"
        f"&content={label}&output=html&coord_type=bd09ll&src=jingwu",
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({label})",
    }


# The photos a grid worker needs for each task: what was reported, and for 核查 what the department did.
TASK_PHOTOS = {
    State.VERIFYING: (AttachmentKind.REPORT,),
    State.TO_CHECK: (AttachmentKind.REPORT, AttachmentKind.VERIFY, AttachmentKind.FEEDBACK, AttachmentKind.AFTER),
}


def task_details(rows: list[dict[str, Any]]) -> None:
    ids = [row["case"].pk for row in rows]
    photos: dict[int, list[dict[str, Any]]] = {}
    for att in Attachment.objects.filter(case_id__in=ids).order_by("at", "id"):
        photos.setdefault(att.case_id, []).append({"id": att.pk, "kind": att.kind, "label": att.get_kind_display()})
    for row in rows:
        case = row["case"]
        wanted = TASK_PHOTOS.get(State(case.status), ())
        row["photos"] = [p for p in photos.get(case.pk, []) if p["kind"] in wanted]
        row["nav"] = navigation(case.lon, case.lat, case.address or case.number) if case.lon is not None else None


@roles_required(Role.GRID_WORKER)
def phone(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    now = clock.now()
    tasks = case_rows(list(selectors.tasks_for(request.user).order_by("due_at", "id")[:100]), now)
    for row in tasks:
        row["countdown"] = countdown(row["case"].due_at, now)
    task_details(tasks)
    mine = case_rows(list(Case.objects.filter(reporter_user_id=request.user.pk).order_by("-id")[:30]), now)
    grids = list(GridAssignment.objects.filter(person=person).select_related("grid").order_by("grid__code"))
    categories = [
        {"value": f"{c.kind}:{c.code}", "label": f"{c.code} {c.name}", "major": c.major_name, "kw": c.keywords}
        for c in Category.objects.filter(active=True).order_by("kind", "code")
    ]
    context = {
        "tasks": tasks,
        "mine": mine,
        "grids": [a.grid for a in grids],
        "categories": categories,
        "grid_geojson": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": a.grid.geometry,
                    "properties": {"code": a.grid.code, "name": a.grid.name},
                }
                for a in grids
            ],
        },
        "task_points": {
            row["case"].number: {"lon": row["case"].lon, "lat": row["case"].lat, "grid": row["grid"]}
            for row in tasks
            if row["case"].lon is not None
        },
        "tiles": tile_settings(),
        "self_resolvable": {State.REPORTED, State.TO_FILE},
        "phone_text": {
            "sent": _("已发送"),
            "waiting": _("等待发送"),
            "failed": _("被退回"),
            "saved": _("已保存，有信号后自动发送"),
            "done": _("提交成功"),
            "resend": _("修改后重发"),
            "discard": _("删除"),
            "confirm_discard": _("删除后这条内容不会再发送，确定删除吗？"),
            "cancel": _("取消"),
            "full": _("待发送的内容已达上限（%(mb)s MB），请到有信号的地方先发送") % {"mb": settings.JINGWU_OUTBOX_MB},
            "distance": _("距我 %(d)s"),
            "no_position": _("未获得我的位置"),
            "shrinking": _("正在压缩照片…"),
            "relogin": _("登录已过期：重新登录后自动发送"),
            "no_tasks": _("暂无任务"),
            "later": _("服务器暂时不可用，稍后自动重发"),
        },
        "photo_settings": {
            "long_side": settings.JINGWU_PHOTO_LONG_SIDE,
            "quality": settings.JINGWU_PHOTO_QUALITY,
            "outbox_bytes": settings.JINGWU_OUTBOX_MB * 1024 * 1024,
        },
    }
    return render(request, "web/phone.html", context)


def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": "智慧精武 · 网格员",
        "short_name": "网格员",
        "lang": "zh-Hans",
        "start_url": "/phone/",
        "scope": "/phone/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        "icons": [
            {"src": "/phone/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/phone/icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def icon(request: HttpRequest, size: int) -> HttpResponse:
    size = 512 if size >= 512 else 192
    img = Image.new("RGB", (size, size), (183, 28, 28))
    draw = ImageDraw.Draw(img)
    step = size // 4
    for i in range(1, 4):  # a grid, the platform's mark
        draw.line([(i * step, step // 2), (i * step, size - step // 2)], fill="white", width=max(2, size // 48))
        draw.line([(step // 2, i * step), (size - step // 2, i * step)], fill="white", width=max(2, size // 48))
    out = io.BytesIO()
    img.save(out, "PNG")
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


SERVICE_WORKER = """
// Jingwu phone service worker: the page and its assets open without signal; API calls are never cached
// (the page keeps unsent reports in IndexedDB and sends them when the network returns).
const CACHE = "__CACHE__";
const SHELL = __SHELL__;
self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  // Only this page's older versions: every phone page's cache lives in the one CacheStorage of the site.
  const family = (k) => k.replace(/-v\\d+$/, "");
  const stale = (k) => k !== CACHE && family(k) === family(CACHE);
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter(stale).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
// A push message (new task, 督办, deadline close): shown as a notification; a tap opens its page.
self.addEventListener("push", (e) => {
  let data = {};
  try { data = e.data ? e.data.json() : {}; } catch (err) { data = {title: e.data ? e.data.text() : ""}; }
  e.waitUntil(self.registration.showNotification(data.title || "智慧精武", {
    body: data.body || "", data: {url: data.url || "__HOME__"}, icon: "/phone/icon-192.png", tag: data.url || "jingwu"
  }));
});
self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  e.waitUntil(self.clients.openWindow(e.notification.data.url || "__HOME__"));
});
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.pathname.startsWith("/api/")) return;
  if (e.request.mode === "navigate") {
    e.respondWith(fetch(e.request).then((r) => {
      const copy = r.clone();
      caches.open(CACHE).then((c) => c.put(e.request, copy));
      return r;
    }).catch(() => caches.match(e.request).then((r) => r || caches.match("__HOME__"))));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    e.respondWith(caches.match(e.request).then((r) => r || fetch(e.request).then((resp) => {
      const copy = resp.clone();
      caches.open(CACHE).then((c) => c.put(e.request, copy));
      return resp;
    })));
  }
});
"""


def service_worker_script(cache: str, home: str, shell: list[str]) -> str:
    """The worker for one phone page (the grid worker's, the inspector's): its cache, home and assets."""
    import json

    return SERVICE_WORKER.replace("__CACHE__", cache).replace("__HOME__", home).replace("__SHELL__", json.dumps(shell))


PHONE_SHELL = [
    "/phone/",
    "/static/weui/style/weui.min.css",
    "/static/web/mobile.css",
    "/static/web/phone.js",
    "/static/web/photo.js",
    "/static/web/map.js",
    "/static/web/map.css",
    "/static/htmx/htmx.min.js",
    "/static/leaflet/leaflet.js",
    "/static/leaflet/leaflet.css",
]


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    script = service_worker_script("jingwu-phone-v2", "/phone/", PHONE_SHELL)
    response = HttpResponse(script, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/phone/"
    return response
