"""Tamper evidence for the audit trail: periodic seals in an HMAC chain.

Hashing each row into a chain as it is written would make every write in the platform wait for the one
before it. Instead the task worker seals, every few minutes, the rows written since the last seal (those
at least a minute old, so that no transaction still open can later add a row inside a sealed range): one
``AuditSeal`` holds the id range, the row count and HMAC-SHA256(key, previous seal's digest, each row in
id order). Without the key, no one who can write to the database can alter, add or remove a sealed row, or
a seal, without ``jingwu audit-verify`` finding it. The key comes from ``JINGWU_AUDIT_KEY`` (or ``_FILE``);
keep it away from the database's administrators.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from jingwu.lib import clock

from .models import AuditEvent, AuditSeal

BATCH = 50_000
SETTLE = timedelta(minutes=1)
FIELDS = ("id", "at", "actor_id", "actor_name", "role", "action", "object_type", "object_id", "ip", "data")


def _key() -> bytes:
    return str(settings.JINGWU_AUDIT_KEY).encode()


def canonical(row: dict[str, Any]) -> bytes:
    values = [row[f].isoformat() if f == "at" else row[f] for f in FIELDS]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def chain(previous: str, rows: Iterable[dict[str, Any]]) -> tuple[str, int]:
    mac = hmac.new(_key(), previous.encode(), hashlib.sha256)
    count = 0
    for row in rows:
        mac.update(canonical(row))
        count += 1
    return mac.hexdigest(), count


def _rows(first: int, last: int) -> Iterator[dict[str, Any]]:
    qs = AuditEvent.objects.filter(id__gte=first, id__lte=last).order_by("id").values(*FIELDS)
    yield from qs.iterator(chunk_size=5000)


def seal() -> AuditSeal | None:
    """Seal the settled rows written since the last seal. Safe to run on several workers at once."""
    with transaction.atomic():
        last = AuditSeal.objects.select_for_update().order_by("-last_id").first()
        after = last.last_id if last else 0
        settled = AuditEvent.objects.filter(id__gt=after, at__lt=clock.now() - SETTLE).order_by("id")
        ids = list(settled.values_list("id", flat=True)[:BATCH])
        if not ids:
            return None
        # Contiguous from the last seal: a newer row already settled behind a younger one waits its turn.
        first_id, last_id = after + 1, ids[-1]
        previous = last.digest if last else ""
        digest, count = chain(previous, _rows(first_id, last_id))
        return AuditSeal.objects.create(
            first_id=first_id,
            last_id=last_id,
            count=count,
            previous=previous,
            digest=digest,
            sealed_at=clock.now(),
        )


@dataclass
class Report:
    seals: int = 0
    rows: int = 0
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify() -> Report:
    report = Report()
    previous, expected_first = "", 1
    for s in AuditSeal.objects.order_by("last_id").iterator():
        report.seals += 1
        if s.previous != previous:
            report.problems.append(f"seal {s.pk} ({s.first_id}–{s.last_id}): does not follow the seal before it")
        if s.first_id != expected_first:
            report.problems.append(f"seal {s.pk}: starts at {s.first_id}, expected {expected_first}")
        digest, count = chain(s.previous, _rows(s.first_id, s.last_id))
        if count != s.count:
            report.problems.append(f"seal {s.pk} ({s.first_id}–{s.last_id}): {count} rows, sealed {s.count}")
        elif not hmac.compare_digest(digest, s.digest):
            report.problems.append(f"seal {s.pk} ({s.first_id}–{s.last_id}): a row was altered or replaced")
        report.rows += count
        previous, expected_first = s.digest, s.last_id + 1
    report.unsealed = AuditEvent.objects.filter(id__gte=expected_first).count()
    return report
