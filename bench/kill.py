"""Crash under load: ``.venv/bin/python bench/kill.py [--seconds 30] [--clients 8] [--workers 5]``.

Clients report cases over HTTP (``POST /api/cases``, token auth, each report with its own idempotency key)
to gunicorn on PostgreSQL, as phones do, while this script ``kill -9``s a random worker every
``--every`` seconds and, twice in the run, the master itself (then starts the server again). A client
whose request fails in any way (reset, timeout, 5xx, refused while the server is down) retries the same
report with the same key until it is acknowledged, as the phone page's outbox does.

What must hold: every acknowledged report is in the database with the number it was acknowledged with
(nothing acknowledged lost), and every key made exactly one case, one report step and one audit row
(nothing doubled). The baseline is the same load in the same run with no kills.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import DB_URL, PORT, django_setup, line, reset_db, start_server


@dataclass
class Client:
    token: str
    run: str
    points: list[tuple[float, float]]
    acked: dict[str, str] = field(default_factory=dict)  # key → case number
    attempts: int = 0
    failures: int = 0
    replayed: int = 0  # a retry answered 200: the first attempt had made the case, its answer was lost

    def report(self, key: str, i: int, stop_at: float) -> bool:
        lon, lat = self.points[i % len(self.points)]
        body = json.dumps(
            {"lon": lon, "lat": lat, "description": f"kill test {key}", "category": "matter:06010", "client_key": key}
        )
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        while time.monotonic() < stop_at:
            self.attempts += 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
                c.request("POST", "/api/cases", body, headers)
                r = c.getresponse()
                data = r.read()
                c.close()
                if r.status in (200, 201):
                    self.replayed += r.status == 200
                    self.acked[key] = json.loads(data)["case"]["number"]
                    return True
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                pass
            self.failures += 1
            time.sleep(0.05)
        return False


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def load(clients: list[Client], seconds: float, chaos: dict[str, int] | None, server: list, workers: int) -> float:
    stop = time.monotonic() + seconds
    grace = stop + 60  # after the load stops, every report in flight still gets its answer

    def client_loop(n: int, cl: Client) -> None:
        i = 0
        while time.monotonic() < stop:
            i += 1
            if not cl.report(f"{cl.run}-{n}-{i}", i, grace):
                return

    threads = [threading.Thread(target=client_loop, args=(n, cl)) for n, cl in enumerate(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    if chaos is not None:
        rng = random.Random(7)
        master_kills_at = {seconds / 3, 2 * seconds / 3}
        elapsed = 0.0
        while time.monotonic() < stop:
            time.sleep(chaos["every_ms"] / 1000)
            elapsed = time.monotonic() - started
            due = [t for t in master_kills_at if elapsed >= t]
            if due:
                master_kills_at -= set(due)
                orphans = children(server[0].pid)
                os.kill(server[0].pid, signal.SIGKILL)
                server[0].wait()
                chaos["master"] += 1
                # Orphaned workers finish what they hold and stop when they see their parent gone; any left
                # after 2 s are killed, as a service manager (systemd's KillMode=control-group) would.
                give_up = time.monotonic() + 2
                while any(alive(p) for p in orphans) and time.monotonic() < give_up:
                    time.sleep(0.1)
                for p in orphans:
                    if alive(p):
                        os.kill(p, signal.SIGKILL)
                        chaos["orphans"] += 1
                server[0] = start_server(workers)
                if server[0].poll() is not None:
                    raise SystemExit("the new master did not start")
                continue
            kids = children(server[0].pid)
            if kids:
                os.kill(rng.choice(kids), signal.SIGKILL)
                chaos["workers"] += 1
    for t in threads:
        t.join()
    return time.monotonic() - started


def verify(clients: list[Client], run: str) -> dict[str, int]:
    import psycopg

    acked = {k: v for cl in clients for k, v in cl.acked.items()}
    with psycopg.connect(DB_URL) as conn:
        rows = conn.execute(
            "SELECT c.number, c.description, "
            " (SELECT count(*) FROM cases_transition t WHERE t.case_id = c.id AND t.action = 'report'), "
            " (SELECT count(*) FROM audit_auditevent a WHERE a.action = 'case.report' AND a.object_id = c.number) "
            "FROM cases_case c WHERE c.description LIKE %s",
            [f"kill test {run}-%"],
        ).fetchall()
    by_key: dict[str, list[tuple[str, int, int]]] = {}
    for number, description, reports, audits in rows:
        by_key.setdefault(description.removeprefix("kill test "), []).append((number, reports, audits))
    lost = sum(1 for k, number in acked.items() if [r[0] for r in by_key.get(k, [])] != [number])
    doubled = sum(1 for v in by_key.values() if len(v) > 1 or v[0][1] != 1 or v[0][2] != 1)
    return {"acked": len(acked), "cases": len(rows), "lost": lost, "doubled": doubled}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=5)
    ap.add_argument("--every-ms", type=int, default=700, help="a worker is killed this often")
    args = ap.parse_args()
    reset_db()
    django_setup(migrate=True)
    from jingwu.cases import demo
    from jingwu.geo.models import Grid
    from jingwu.org.services import issue_token

    town = demo.build_town()
    token = issue_token(town.users["operator"])
    rnd = random.Random(3)
    sim = demo.Simulator(town, rnd)
    grids = list(Grid.objects.all())
    points = [sim.point_in(rnd.choice(grids)) for _ in range(200)]
    print(
        f"kill -9 under load: {args.clients} clients, gunicorn {args.workers} workers, PostgreSQL, {args.seconds:.0f} s"
    )
    results = {}
    server = [start_server(args.workers)]
    try:
        for name, chaos in (
            ("no kills (baseline)", None),
            ("kill -9 workers and master", {"workers": 0, "master": 0, "orphans": 0, "every_ms": args.every_ms}),
        ):
            run = f"{name[:2]}{int(time.time())}"
            clients = [Client(token, run, points) for _ in range(args.clients)]
            took = load(clients, args.seconds, chaos, server, args.workers)
            v = verify(clients, run)
            attempts = sum(c.attempts for c in clients)
            failures = sum(c.failures for c in clients)
            results[name] = v["acked"] / took
            print(f"\n{name}")
            if chaos:
                line("workers killed / master killed", f"{chaos['workers']} / {chaos['master']}")
                line("orphaned workers still alive 2 s after", f"{chaos['orphans']}", "(then killed)")
            line("reports acknowledged", f"{v['acked']:,}", f"{v['acked'] / took:.0f}/s")
            line("requests (failed and retried)", f"{attempts:,}", f"({failures:,} failed)")
            line("cases in the database", f"{v['cases']:,}")
            line("retries that found their case already made", f"{sum(c.replayed for c in clients)}")
            line("acknowledged but lost", f"{v['lost']}", "must be 0")
            line("doubled (case, report step or audit row)", f"{v['doubled']}", "must be 0")
            if v["lost"] or v["doubled"] or v["cases"] != v["acked"]:
                raise SystemExit("FAILED: a report was lost or doubled")
    finally:
        server[0].send_signal(signal.SIGTERM)
        server[0].wait(timeout=30)
    base, chaos_rate = results["no kills (baseline)"], results["kill -9 workers and master"]
    print(f"\nthroughput under kills: {chaos_rate:.0f}/s vs {base:.0f}/s without ({chaos_rate / base:.2f}×)")


if __name__ == "__main__":
    main()
