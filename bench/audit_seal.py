"""Sealing the audit trail, on PostgreSQL: ``.venv/bin/python bench/audit_seal.py [--rows N]``.

Seals are made by the task worker, off the write path: ``audit.record`` is the same single INSERT as before.
This measures what the worker and the auditor pay: rows sealed per second and rows verified per second,
against the raw baseline of reading the same rows (``SELECT`` in id order) in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datetime import UTC

from run import django_setup, line, reset_db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    reset_db()
    django_setup(migrate=True)
    from datetime import datetime, timedelta

    from django.db import connection

    from jingwu.audit import seal
    from jingwu.audit.models import AuditEvent
    from jingwu.lib import clock

    at = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        AuditEvent(
            at=at + timedelta(seconds=i),
            actor_name=f"gw{i % 100:03d}",
            role="grid_worker",
            action="case.report",
            object_type="case",
            object_id=f"JW2026{i:08d}",
            ip="10.0.0.1",
            data={"state": "to_file", "source": "grid_worker", "grid": "120111103201001"},
        )
        for i in range(args.rows)
    ]
    AuditEvent.objects.bulk_create(rows, batch_size=10_000)
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, at, actor_id, actor_name, role, action, object_type, object_id, ip, data "
            "FROM audit_auditevent ORDER BY id"
        )
        n = len(cur.fetchall())
    raw_s = time.perf_counter() - started
    with clock.frozen_at(at + timedelta(days=30)):
        started = time.perf_counter()
        sealed = 0
        while (made := seal.seal()) is not None:
            sealed += made.count
        seal_s = time.perf_counter() - started
        started = time.perf_counter()
        report = seal.verify()
        verify_s = time.perf_counter() - started
    assert report.ok and report.rows == args.rows == sealed == n
    line("raw SELECT of the audit rows", f"{n / raw_s:,.0f} rows/s")
    line(
        "seal (HMAC chain, batches of 50,000)", f"{sealed / seal_s:,.0f} rows/s", f"{seal_s / raw_s:.1f}× the raw read"
    )
    line("verify", f"{report.rows / verify_s:,.0f} rows/s", f"{verify_s / raw_s:.1f}× the raw read")


if __name__ == "__main__":
    main()
