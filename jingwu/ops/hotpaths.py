"""The requests a city's staff and clients make all day, and the SQL each one runs.

Each hot path is a real request (a page, the API, Open311) made in process through Django's test client as a
person of the given role; every statement it runs is captured and, on PostgreSQL, explained. ``jingwu
explain-hot`` writes the plans to ``docs/explain.md`` (run it on the benchmark city), and the test suite
checks on PostgreSQL that none of them reads the big tables (cases, their steps, the audit log) by a
sequential scan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

BIG_TABLES = ("cases_case", "cases_transition", "audit_auditevent", "cases_attachment")


@dataclass(frozen=True)
class HotPath:
    name: str
    role: str
    path: str
    method: str = "GET"
    body: dict[str, Any] = field(default_factory=dict)
    api: bool = False  # bearer token instead of a session


# ``{case}``, ``{region}``, ``{grid}``, ``{dept}``, ``{since}`` and ``{bbox}`` are filled from the database at run time.
PATHS: tuple[HotPath, ...] = (
    HotPath("centre: queue counts (polled every 10 s)", "shift_lead", "/centre/queues"),
    HotPath("centre: the case list, newest first", "shift_lead", "/centre/list"),
    HotPath("centre: overdue", "shift_lead", "/centre/list?queue=overdue"),
    HotPath("centre: a village's open cases", "shift_lead", "/centre/list?region={region}&status=handling"),
    HotPath("centre: text search", "shift_lead", "/centre/list?q=%E4%BA%95%E7%9B%96"),
    HotPath("case page", "shift_lead", "/cases/{case}/"),
    HotPath("department desk", "handler", "/desk/"),
    HotPath("grid worker's phone", "grid_worker", "/phone/"),
    HotPath("audit: one case's log", "auditor", "/audit/?object={case}"),
    HotPath("leader overview", "leader", "/overview/"),
    HotPath("big screen data", "leader", "/screen/data.json"),
    HotPath("API: newest 50", "leader", "/api/cases", api=True),
    HotPath("API: status=handling", "leader", "/api/cases?status=handling", api=True),
    HotPath("API: overdue", "leader", "/api/cases?overdue=true", api=True),
    HotPath("API: a village", "leader", "/api/cases?region={region}", api=True),
    HotPath("API: a grid", "leader", "/api/cases?grid={grid}", api=True),
    HotPath("API: a department's handling", "leader", "/api/cases?department={dept}&status=handling", api=True),
    HotPath("API: a category", "leader", "/api/cases?category=matter:06010", api=True),
    HotPath("API: the last 30 days", "leader", "/api/cases?reported_after={since}", api=True),
    HotPath("API: a bounding box", "leader", "/api/cases?bbox={bbox}", api=True),
    HotPath("API: text search", "leader", "/api/cases?q=%E4%BA%95%E7%9B%96", api=True),
    HotPath("API: a grid worker's own", "grid_worker", "/api/cases", api=True),
    HotPath("API: a department's own", "handler", "/api/cases", api=True),
    HotPath("API: one case", "leader", "/api/cases/{case}", api=True),
    HotPath("API: my tasks", "dispatcher", "/api/tasks", api=True),
    HotPath("Open311: requests.json, 50 rows", "", "/open311/v2/requests.json?page_size=50"),
    HotPath("Open311: one request", "", "/open311/v2/requests/{case}.json"),
    HotPath(
        "API: a report (intake)",
        "grid_worker",
        "/api/cases",
        method="POST",
        api=True,
        body={"lon": "{lon}", "lat": "{lat}", "description": "井盖破损", "category": "part:01001"},
    ),
)


@dataclass
class Statement:
    sql: str
    plan: str = ""
    ms: float | None = None

    def seq_scans(self) -> list[str]:
        return sorted({t for t in re.findall(r"Seq Scan on (\w+)", self.plan) if t in BIG_TABLES})


@dataclass
class Run:
    path: HotPath
    url: str
    status: int
    statements: list[Statement]


def params() -> dict[str, str]:
    """Values for the placeholders: a recent case, the village, grid and department with the most cases."""
    from datetime import timedelta
    from urllib.parse import quote

    from django.db.models import Count

    from jingwu.cases.models import Case
    from jingwu.geo.models import Grid
    from jingwu.lib import clock
    from jingwu.org.models import Department

    case = Case.objects.exclude(kind="petition").exclude(number=None).order_by("-id").first()
    grid = Grid.objects.order_by("id")[Grid.objects.count() // 2 : Grid.objects.count() // 2 + 1].first()
    dept = Department.objects.annotate(n=Count("cases")).order_by("-n", "id").first()
    since = (clock.now() - timedelta(days=30)).isoformat(timespec="seconds")
    return {
        "case": case.number if case and case.number else "",
        "region": grid.region.code if grid else "",
        "grid": grid.code if grid else "",
        "dept": dept.code if dept else "",
        "since": quote(since),
        "bbox": f"{grid.min_lon},{grid.min_lat},{grid.max_lon},{grid.max_lat}" if grid else "",
        "lon": str(grid.center_lon) if grid else "0",
        "lat": str(grid.center_lat) if grid else "0",
    }


def people() -> dict[str, Any]:
    """A user per role: the first of each; the handler of the busiest department."""
    from django.db.models import Count

    from jingwu.org.models import Department, Person

    out: dict[str, Any] = {}
    for p in Person.objects.select_related("user").order_by("id"):
        out.setdefault(p.role, p.user)
    dept = Department.objects.annotate(n=Count("cases")).order_by("-n", "id").first()
    handler = Person.objects.filter(role="handler", department=dept).select_related("user").first()
    if handler:
        out["handler"] = handler.user
    return out


def run(
    paths: tuple[HotPath, ...] = PATHS,
    explain: bool = True,
    analyze: bool = False,
    prepare: Callable[[Any], None] | None = None,
) -> list[Run]:
    """Make each request once, capturing its statements; explain those that read the big tables."""
    from django.test import Client

    from jingwu.org.services import issue_token

    values = params()
    users = people()
    tokens: dict[str, str] = {}
    runs: list[Run] = []
    for hp in paths:
        client = Client(HTTP_HOST="localhost")
        headers: dict[str, str] = {}
        user = users.get(hp.role)
        if hp.role and user is None:
            continue
        if hp.api and user is not None:
            tokens.setdefault(hp.role, issue_token(user, name="explain-hot"))
            headers["Authorization"] = f"Bearer {tokens[hp.role]}"
        elif user is not None:
            client.force_login(user)
        url = hp.path.format(**values)
        with CaptureQueriesContext(connection) as captured:
            if hp.method == "POST":
                body = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in hp.body.items()}
                for k in ("lon", "lat"):
                    if k in body:
                        body[k] = float(body[k])
                response = client.post(url, json.dumps(body), content_type="application/json", headers=headers)
            else:
                response = client.get(url, headers=headers)
        statements = [Statement(q["sql"]) for q in captured.captured_queries if _reads_big(q["sql"])]
        if explain and connection.vendor == "postgresql":
            for st in statements:
                st.plan, st.ms = explain_sql(st.sql, analyze)
        runs.append(Run(hp, url, response.status_code, statements))
    return runs


def _reads_big(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in ("SELECT", "WITH") and any(f'"{t}"' in sql or f" {t} " in sql for t in BIG_TABLES)


def explain_sql(sql: str, analyze: bool = False) -> tuple[str, float | None]:
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
        lines = [r[0] for r in cursor.fetchall()]
    ms = None
    for line in lines:
        if line.startswith("Execution Time:"):
            ms = float(line.split()[2])
    return "\n".join(lines), ms


def markdown(runs: list[Run], title: str) -> str:
    out = [
        f"# {title}",
        "",
        "Written by `jingwu explain-hot --write docs/explain.md` (see `jingwu/ops/hotpaths.py`).",
        "",
    ]
    out += ["| Request | Statements on the big tables | Slowest (ms) | Sequential scans |", "|---|---|---|---|"]
    for r in runs:
        times = [s.ms for s in r.statements if s.ms is not None]
        scans = sorted({t for s in r.statements for t in s.seq_scans()})
        out.append(
            f"| {r.path.name} (`{r.path.method} {r.path.path}`) | {len(r.statements)} | "
            f"{max(times) if times else 0:.2f} | {', '.join(scans) or 'none'} |"
        )
    for r in runs:
        out += [
            "",
            f"## {r.path.name}",
            "",
            f"`{r.path.method} {r.url}` as {r.path.role or 'the public'}: HTTP {r.status}",
        ]
        for i, s in enumerate(r.statements, 1):
            out += ["", f"{i}. `{_short(s.sql)}`", "", "```", s.plan, "```"]
    return "\n".join(out) + "\n"


def _short(sql: str, n: int = 300) -> str:
    text = " ".join(sql.split()).replace("`", "'")
    return text if len(text) <= n else text[: n - 1] + "…"
