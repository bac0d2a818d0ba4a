"""Many nodes: two app servers and two task workers, as real processes, on one PostgreSQL database and one Redis.

What a city's installation relies on (docs/architecture.md, "Scale"): a task is run once by one of the workers,
one step of one case is taken once however many nodes are asked at the same moment, a revoked token or account
or an ended session is refused by every node at once, and a grid boundary moved on one node moves where every
node places a report (within the two seconds the shared version stamp allows).

The cluster is started once for the module, in its own database (``jingwu_nodes_test``, dropped and made again)
on the server of the PostgreSQL pass. Each app server is gunicorn with one sync worker, so that "the process
that made the change" and "the other node" are each one process; the workers run without the scheduler, so the
only tasks are those the requests queue.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from django.db import connection

from .conftest import IN_A
from .nodes_seed import HANDLERS

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "jingwu_nodes_test"
REDIS = os.environ.get("JINGWU_TEST_REDIS_URL", "")
REQUIRED = os.environ.get("JINGWU_REQUIRE_SERVICES") == "1"

A1, B1 = "120111103201001", "120111103202001"
# Just east of the border between grids A1 and B1 (lon 117.11): in B1 until the border moves to 117.115.
MOVED = (117.1125, 39.045)
# What SharedVersioned waits between looks at the shared stamp (jingwu/lib/cached.py).
STAMP_CHECK_SECONDS = 2.0
# The first two e-mails are held until both have arrived; under Django's EMAIL_TIMEOUT (10 s) so that a worker
# never gives up on a held message and sends it again.
MEET_SECONDS = 6.0

T = TypeVar("T")


# --- waiting ---------------------------------------------------------------------------------------


def until(what: str, check: Callable[[], T], seconds: float) -> T:
    """``check()``'s first true value, polled until a deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:.0f} s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- a mail server that counts what it is sent -------------------------------------------------------


class Mailbox:
    """An SMTP server in this process (aiosmtpd). Armed, it holds the first message until a second arrives
    while the first is still open: two messages in flight at once can only come from two workers."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, str]] = []  # (recipient, subject, body)
        self._lock = threading.Lock()
        self._meeting = False
        self._open = 0
        self._met: asyncio.Event | None = None
        self.met = False

    def arm(self) -> None:
        with self._lock:
            self._meeting, self._open, self._met, self.met = True, 0, None, False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._meeting:
            if self._met is None:
                self._met = asyncio.Event()  # made on the server's own event loop
            self._open += 1
            try:
                if self._open >= 2:
                    self.met, self._meeting = True, False
                    self._met.set()
                else:
                    await asyncio.wait_for(self._met.wait(), MEET_SECONDS)
            except TimeoutError:
                self._meeting = False  # nobody came: let this one and the rest through, unmet
            finally:
                self._open -= 1
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        with self._lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((rcpt, str(message["subject"]), text))
        return "250 OK"


# --- the cluster -------------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} (exit {self.popen.poll()}) ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Node:
    name: str
    url: str
    http: httpx.Client

    def api(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.request(method, "/api" + path, json=body, headers={"Authorization": f"Bearer {token}"})


@dataclass
class Cluster:
    nodes: list[Node]
    procs: list[Proc]
    seed: dict[str, Any]
    dsn: str
    mailbox: Mailbox
    redis_url: str
    tmp: Path
    _conn: Any = field(default=None, repr=False)
    _browsers: list[httpx.Client] = field(default_factory=list, repr=False)

    def token(self, name: str) -> str:
        return str(self.seed["tokens"][name])

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        if self._conn is None:
            self._conn = psycopg.connect(self.dsn, autocommit=True)
        with self._conn.cursor() as cur:
            cur.execute(query, params)
            return list(cur.fetchall())

    def logs(self) -> str:
        return "\n".join(p.tail() for p in self.procs)

    @contextmanager
    def explained(self) -> Iterator[None]:
        """A failure shows what the servers and workers said (pytest prints a failed test's output)."""
        try:
            yield
        except BaseException:
            for p in self.procs:
                if p.popen.poll() is not None:
                    print(f"{p.name} has exited with {p.popen.returncode}")
            print(self.logs())
            raise

    def browser(self) -> httpx.Client:
        """A browser of its own: its cookies go to every node (they differ only by port), as behind one
        load balancer."""
        b = httpx.Client(timeout=30, follow_redirects=False)
        self._browsers.append(b)
        return b

    def close(self) -> None:
        for b in [*self._browsers, *(n.http for n in self.nodes)]:
            b.close()
        if self._conn is not None:
            self._conn.close()

    def sign_in(self, node: Node, username: str) -> httpx.Client:
        b = self.browser()
        b.get(node.url + "/login/").raise_for_status()
        r = b.post(
            node.url + "/login/",
            data={"username": username, "password": self.seed["password"], "csrfmiddlewaretoken": csrf(b)},
        )
        assert r.status_code == 302, f"{username} could not sign in on {node.name}: {r.status_code} {r.text[:300]}"
        return b

    def admin_save(self, b: httpx.Client, node: Node, path: str, fields: dict[str, str]) -> None:
        url = f"{node.url}/admin/{path}/change/"
        b.get(url).raise_for_status()
        r = b.post(url, data={**fields, "_save": "1", "csrfmiddlewaretoken": csrf(b)})
        assert r.status_code == 302, f"the admin refused {path} on {node.name}: {r.status_code}\n{errors(r.text)}"


def csrf(b: httpx.Client) -> str:
    return str(b.cookies["csrftoken"])


def errors(page: str) -> str:
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    return "\n".join(re.sub(r"<[^>]+>", " ", e).strip() for e in found) or page[:500]


def _server_dsn() -> dict[str, Any]:
    cfg = connection.settings_dict
    return {
        "host": cfg["HOST"] or "127.0.0.1",
        "port": int(cfg["PORT"] or 5432),
        "user": cfg["USER"] or "postgres",
        "password": cfg["PASSWORD"] or None,
    }


def _database_url(server: dict[str, Any], name: str) -> str:
    auth = server["user"] + (f":{server['password']}" if server["password"] else "")
    return f"postgres://{auth}@{server['host']}:{server['port']}/{name}"


def _recreate_database(server: dict[str, Any]) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **server) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DB_NAME}")


def _drop_database(server: dict[str, Any]) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **server) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _require_services() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=postgres://…, as ./dev test does when one answers)")
    if not REDIS:
        if REQUIRED:
            pytest.fail("JINGWU_REQUIRE_SERVICES=1 but JINGWU_TEST_REDIS_URL is not set")
        pytest.skip("set JINGWU_TEST_REDIS_URL (CI does) to run the nodes against Redis")
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        if REQUIRED:
            pytest.fail(f"JINGWU_REQUIRE_SERVICES=1 but Redis at {REDIS} does not answer: {exc}")
        pytest.skip(f"no Redis at {REDIS}: {exc}")


def _start(name: str, argv: list[str], env: dict[str, str], tmp: Path) -> Proc:
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        # A session of its own: the teardown ends the process and its children (gunicorn's worker) by group.
        popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Proc(name, popen, log)


def _stop(procs: list[Proc]) -> None:
    for p in procs:
        if p.popen.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(p.popen.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(p.popen.pid, signal.SIGKILL)
            p.popen.wait(timeout=5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: Any) -> Iterator[Cluster]:
    _require_services()
    import redis
    from aiosmtpd.controller import Controller

    server = _server_dsn()
    tmp = tmp_path_factory.mktemp("nodes")
    # The Redis database CI gives the tests; stamps and counters of an earlier run must not leak in.
    redis.Redis.from_url(REDIS).flushdb()
    _recreate_database(server)
    url = _database_url(server, DB_NAME)
    mailbox = Mailbox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jingwu.settings",
        "DATABASE_URL": url,
        "REDIS_URL": REDIS,
        "JINGWU_VAR_DIR": str(tmp / "var"),
        "JINGWU_MEDIA_ROOT": str(tmp / "media"),
        "JINGWU_NOTIFY_EMAIL": "true",
        "JINGWU_EMAIL_HOST": "127.0.0.1",
        "JINGWU_EMAIL_PORT": str(smtp_port),
        "JINGWU_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    procs: list[Proc] = []
    nodes: list[Node] = []
    c: Cluster | None = None
    try:
        made = subprocess.run(
            [sys.executable, "-m", "tests.nodes_seed"], cwd=ROOT, env=env, capture_output=True, timeout=180
        )
        assert made.returncode == 0, "seeding failed:\n" + made.stdout.decode()[-3000:] + made.stderr.decode()[-3000:]
        seed = json.loads(made.stdout.decode().strip().splitlines()[-1])
        for name in ("node_a", "node_b"):
            port = free_port()
            argv = [sys.executable, "-m", "gunicorn", "jingwu.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            argv += ["--workers", "1", "--timeout", "60", "--access-logfile", "-", "--error-logfile", "-"]
            procs.append(_start(name, argv, env, tmp))
            base = f"http://127.0.0.1:{port}"
            nodes.append(Node(name, base, httpx.Client(base_url=base, timeout=30)))
        for name in ("worker_1", "worker_2"):
            procs.append(_start(name, [sys.executable, "-m", "jingwu.cli", "worker", "--no-scheduler"], env, tmp))
        c = Cluster(nodes, procs, seed, url, mailbox, REDIS, tmp)
        with c.explained():
            for node, proc in zip(nodes, procs, strict=False):

                def up(node: Node = node, proc: Proc = proc) -> bool:
                    assert proc.popen.poll() is None, f"{proc.name} exited"
                    try:
                        return node.http.get("/login/").status_code == 200
                    except httpx.TransportError:
                        return False

                until(f"{node.name} to answer", up, 60)
            for proc in procs[2:]:

                def started(proc: Proc = proc) -> bool:
                    assert proc.popen.poll() is None, f"{proc.name} exited"
                    return "Starting worker" in proc.log.read_text(errors="replace")

                until(f"{proc.name} to start", started, 60)
        yield c
    finally:
        _stop(procs)
        if c is not None:
            c.close()
        for node in nodes:
            node.http.close()
        smtp.stop()
        _drop_database(server)


# --- helpers over the API ------------------------------------------------------------------------------


def ok(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert r.status_code in (statuses or (200,)), f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:500]}"
    return dict(r.json())


def to_dispatch(c: Cluster, reporter: Node, filer: Node, description: str) -> tuple[str, int]:
    """A grid worker's report in their own grid (待立案), filed by the shift lead: waiting for dispatch."""
    body = {"lon": IN_A[0], "lat": IN_A[1], "description": description, "category": "matter:06010"}
    case = ok(reporter.api("POST", "/cases", c.token("gw_a"), body), 201)["case"]
    assert case["status"] == "to_file", case
    filed = ok(filer.api("POST", f"/cases/{case['number']}/file", c.token("shiftlead"), {"version": case["version"]}))
    assert filed["status"] == "to_dispatch", filed
    return str(filed["number"]), int(filed["version"])


def race(*posts: tuple[Node, str, str, dict[str, Any]]) -> list[httpx.Response]:
    """POSTs (node, token, path, body) at the same moment, each on its own thread, released by one barrier."""
    barrier = threading.Barrier(len(posts))
    results: list[Any] = [None] * len(posts)

    def run(i: int) -> None:
        node, token, path, body = posts[i]
        try:
            barrier.wait(timeout=30)
            results[i] = node.api("POST", path, token, body)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for r in results:
        if not isinstance(r, httpx.Response):
            raise AssertionError(f"a racing request did not complete: {r!r}")
    return results


def dispatches(c: Cluster, number: str) -> list[tuple[Any, ...]]:
    return c.sql(
        "SELECT t.seq, t.actor_name, t.department_id FROM cases_transition t JOIN cases_case k ON k.id = t.case_id"
        " WHERE k.number = %s AND t.action = 'dispatch' ORDER BY t.seq",
        number,
    )


# --- the tests -------------------------------------------------------------------------------------------


CASES_FOR_TASKS = 12


def test_each_task_queued_by_two_nodes_runs_once_on_one_of_two_workers(cluster: Cluster) -> None:
    c = cluster
    with c.explained():
        c.mailbox.arm()
        numbers = []
        # Every case is reported, filed and dispatched across both nodes; each dispatch tells the three handlers of
        # 环卫公司 by e-mail, one delivery task each, queued by whichever node took the step.
        for i in range(CASES_FOR_TASKS):
            one, other = c.nodes[i % 2], c.nodes[(i + 1) % 2]
            number, version = to_dispatch(c, one, other, f"任务 {i}")
            body = {"version": version, "department": "W07"}
            ok(one.api("POST", f"/cases/{number}/dispatch", c.token("disp_a"), body))
            numbers.append(number)
        expected = {(f"{h}@example.org", n) for h in HANDLERS for n in numbers}

        def deliveries() -> list[tuple[Any, ...]]:
            return c.sql(
                "SELECT d.id, d.status, d.attempts, u.email, k.number FROM notify_delivery d"
                " JOIN notify_notification n ON n.id = d.notification_id JOIN auth_user u ON u.id = n.user_id"
                " JOIN cases_case k ON k.id = n.case_id WHERE k.number = ANY(%s) AND d.channel = 'email'",
                numbers,
            )

        def tasks() -> dict[int, list[tuple[str, list[str]]]]:
            rows = c.sql(
                "SELECT args_kwargs, status, worker_ids FROM django_tasks_database_dbtaskresult"
                " WHERE task_path = 'jingwu.notify.jobs.deliver'"
            )
            by_delivery: dict[int, list[tuple[str, list[str]]]] = {}
            for args, status, workers in rows:
                by_delivery.setdefault(int(args["args"][0]), []).append((status, workers))
            return by_delivery

        def drained() -> list[tuple[Any, ...]]:
            rows = deliveries()
            mine = tasks()
            done = len(rows) == len(expected) and all(
                r[1] != "pending" and mine.get(r[0]) and all(s in ("SUCCESSFUL", "FAILED") for s, _ in mine[r[0]])
                for r in rows
            )
            return rows if done else []

        rows = until(f"{len(expected)} e-mail deliveries to be sent", drained, 60)
        assert {(r[3], r[4]) for r in rows} == expected
        assert all(r[1] == "sent" and r[2] == 1 for r in rows), [r for r in rows if r[1] != "sent" or r[2] != 1]
        ran = tasks()
        ours = {r[0]: ran[r[0]] for r in rows}
        # One task per delivery, run by exactly one worker, successfully.
        assert all(len(v) == 1 for v in ours.values()), {k: v for k, v in ours.items() if len(v) != 1}
        assert all(v[0][0] == "SUCCESSFUL" and len(v[0][1]) == 1 for v in ours.values()), ours
        workers = Counter(v[0][1][0] for v in ours.values())
        assert len(workers) == 2, f"both workers should have taken deliveries: {workers}"
        assert c.mailbox.met, "no two deliveries were ever in flight at once"
        # And each e-mail went out once: no task lost, none run twice.
        sent = Counter((rcpt, n) for rcpt, _, text in list(c.mailbox.received) for n in numbers if n in text.split())
        assert set(sent) == expected and set(sent.values()) == {1}, {k: v for k, v in sent.items() if v != 1}


RACES = 4


def test_one_case_dispatched_through_both_nodes_at_once_is_dispatched_once(cluster: Cluster) -> None:
    c = cluster
    a, b = c.nodes
    with c.explained():
        for i in range(RACES):
            number, version = to_dispatch(c, a, b, f"派遣竞争 {i}")
            # Two dispatchers at two nodes, each sending it to a different department, having seen the same version.
            path = f"/cases/{number}/dispatch"
            ra, rb = race(
                (a, c.token("disp_a"), path, {"version": version, "department": "W07"}),
                (b, c.token("disp_b"), path, {"version": version, "department": "B05"}),
            )
            assert sorted([ra.status_code, rb.status_code]) == [200, 409], (ra.text, rb.text)
            won, lost = (ra, rb) if ra.status_code == 200 else (rb, ra)
            assert lost.json()["error"]["code"] == "stale_version", lost.text
            assert lost.json()["error"]["details"]["current_version"] == version + 1
            case = won.json()
            assert case["status"] == "handling" and case["version"] == version + 1
            recorded = dispatches(c, number)
            assert len(recorded) == 1, recorded
            # The one step recorded is the winner's: its dispatcher and its department.
            dispatcher, department = ("disp_a", "W07") if won is ra else ("disp_b", "B05")
            assert recorded[0][1] == f"{dispatcher}姓名" and case["department"] == department
            detail = ok(b.api("GET", f"/cases/{number}", c.token("shiftlead")))
            assert [t["action"] for t in detail["timeline"]] == ["report", "file", "dispatch"]


def test_a_step_retried_through_both_nodes_at_once_is_taken_once(cluster: Cluster) -> None:
    c = cluster
    a, b = c.nodes
    with c.explained():
        for i in range(2):
            number, version = to_dispatch(c, a, b, f"重试 {i}")
            body = {"version": version, "department": "W07", "client_key": f"retry-{uuid.uuid4().hex}"}
            path = f"/cases/{number}/dispatch"
            ra, rb = race((a, c.token("disp_a"), path, body), (b, c.token("disp_a"), path, body))
            # The same request twice (a phone's retry landing on two nodes): both answered with the one result.
            assert (ra.status_code, rb.status_code) == (200, 200), (ra.text, rb.text)
            assert ra.json()["version"] == rb.json()["version"] == version + 1
            assert len(dispatches(c, number)) == 1


def test_revocations_on_one_node_are_refused_by_the_other_at_once(cluster: Cluster) -> None:
    c = cluster
    a, b = c.nodes
    t1, t2 = c.token("op_rev_1"), c.token("op_rev_2")
    with c.explained():
        # Both tokens and two sessions are in use on node B (so any copy it might keep is warm).
        for token in (t1, t2):
            assert ok(b.api("GET", "/me", token))["username"] == "op_rev"
            assert ok(a.api("GET", "/me", token))["username"] == "op_rev"
        first, second = c.sign_in(b, "op_rev"), c.sign_in(b, "op_rev")
        for session in (first, second):
            assert ok(session.get(b.url + "/api/me"))["username"] == "op_rev"
        admin = c.sign_in(a, "secadmin")

        # A token revoked in the admin on node A: node B's very next request with it is refused; the other
        # token of the same person still works.
        c.admin_save(admin, a, f"org/apitoken/{c.seed['tokens']['op_rev_1_id']}", {"revoked": "on"})
        assert b.api("GET", "/me", t1).status_code == 401
        assert ok(b.api("GET", "/me", t2))["username"] == "op_rev"

        # A session ended on node A is ended on node B.
        r = first.post(a.url + "/logout/", data={"csrfmiddlewaretoken": csrf(first)})
        assert r.status_code in (200, 302), r.text[:300]
        assert first.get(b.url + "/api/me").status_code == 401
        assert ok(second.get(b.url + "/api/me"))["username"] == "op_rev"

        # The account deactivated on node A: its remaining token and session are refused by node B.
        c.admin_save(admin, a, f"auth/user/{c.seed['users']['op_rev']}", {"username": "op_rev"})
        assert b.api("GET", "/me", t2).status_code == 401
        assert second.get(b.url + "/api/me").status_code == 401
        page = second.get(b.url + "/centre/")
        assert page.status_code == 302 and "/login/" in page.headers["location"]


def test_a_grid_boundary_moved_on_one_node_moves_reports_on_the_other(cluster: Cluster) -> None:
    import redis

    c = cluster
    a, b = c.nodes
    grids = c.seed["grids"]
    lon, lat = MOVED
    stamps = redis.Redis.from_url(c.redis_url)

    def where(node: Node) -> str | None:
        return ok(node.http.get("/api/locate", params={"lon": lon, "lat": lat}))["grid"]

    def stamp() -> Any:
        found = list(stamps.keys("*jingwu:version:geo-grids"))
        return stamps.get(found[0]) if found else None

    with c.explained():
        # Both nodes have built their grid index and found the point in B1.
        assert where(a) == B1 and where(b) == B1
        before = stamp()
        assert before is not None, "the grid index's version stamp is not in Redis"
        admin = c.sign_in(a, "sysadmin")

        def save(code: str, west: float, east: float) -> None:
            square = [[west, 39.04], [east, 39.04], [east, 39.05], [west, 39.05], [west, 39.04]]
            fields = {
                "code": code,
                "name": grids[code]["name"],
                "region": str(grids[code]["region"]),
                "geometry": json.dumps({"type": "Polygon", "coordinates": [square]}),
            }
            c.admin_save(admin, a, f"geo/grid/{grids[code]['id']}", fields)

        # The border between A1 and B1 moves east from 117.11 to 117.115: B1 gives the strip up, A1 takes it.
        save(B1, 117.115, 117.12)
        save(A1, 117.10, 117.115)
        assert stamp() != before
        assert where(a) == A1  # the node that made the change, at once
        until("node B to see the moved border", lambda: where(b) == A1, STAMP_CHECK_SECONDS + 8)
        body = {"lon": lon, "lat": lat, "description": "移动边界后的上报", "category": "matter:06010"}
        case = ok(b.api("POST", "/cases", c.token("gw_a"), body), 201)["case"]
        # In A1 now, which is gw_a's own grid: the report starts at 待立案 like any report of one's own grid.
        assert (case["grid"], case["status"]) == (A1, "to_file"), case
