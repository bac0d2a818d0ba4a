from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Export audit rows as JSON lines (one object per row), for an auditor or an archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="YYYY-MM-DD (local time), inclusive")
        parser.add_argument("--until", help="YYYY-MM-DD (local time), exclusive")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingwu.audit.models import AuditEvent
        from jingwu.workcal.services import get_calendar

        tz = get_calendar().tz
        qs = AuditEvent.objects.order_by("id")
        for name, op in (("since", "gte"), ("until", "lt")):
            if opts[name]:
                try:
                    day = date.fromisoformat(opts[name])
                except ValueError as exc:
                    raise CommandError(f"--{name} must be YYYY-MM-DD") from exc
                qs = qs.filter(**{f"at__{op}": datetime.combine(day, time.min, tzinfo=tz)})
        fields = ("id", "at", "actor_name", "role", "action", "object_type", "object_id", "ip", "data")
        for row in qs.values(*fields).iterator(chunk_size=5000):
            row["at"] = row["at"].isoformat()
            self.stdout.write(json.dumps(row, ensure_ascii=False))
