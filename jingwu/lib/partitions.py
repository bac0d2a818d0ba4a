"""Monthly range partitions on PostgreSQL (monitoring readings, the audit log).

A partitioned table has a DEFAULT partition for rows no month holds; ``ensure_monthly`` adds the months from
``first`` to ``months_ahead`` after this one, moving any rows the default partition already holds for a new
month into it in the same transaction (PostgreSQL refuses to attach a range over them otherwise). Old months
can then be detached and archived whole, and a query for a period reads only its months. Nothing to do on
SQLite.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone


def month_start(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def ensure_monthly(
    table: str, months_ahead: int = 3, today: date | None = None, first: date | None = None
) -> list[str]:
    """Create ``<table>_YYYYMM`` for every month from ``first`` (default: this month) to ``months_ahead`` ahead.
    Returns the partitions made."""
    if connection.vendor != "postgresql":
        return []
    made = []
    this = month_start(today or timezone.localdate())
    start = month_start(first) if first else this
    last = this
    for _ in range(months_ahead):
        last = next_month(last)
    with connection.cursor() as cur:
        while start <= last:
            end = next_month(start)
            name = f"{table}_{start:%Y%m}"
            cur.execute("SELECT to_regclass(%s)", [name])
            row = cur.fetchone()
            if row is None or row[0] is None:
                with transaction.atomic():
                    cur.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
                    cur.execute(
                        f"WITH moved AS (DELETE FROM {table}_default WHERE at >= %s AND at < %s RETURNING *) "
                        f"INSERT INTO {name} SELECT * FROM moved",
                        [start, end],
                    )
                    cur.execute(
                        f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end]
                    )
                made.append(name)
            start = end
    return made
