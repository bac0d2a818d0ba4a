from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Make the hot requests once each and print (or write) the plans of the statements on the big tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="FILE", help="write the plans as Markdown (e.g. docs/explain.md)")
        parser.add_argument("--analyze", action="store_true", help="EXPLAIN ANALYZE: run each statement, with times")
        parser.add_argument("--title", default="Plans of the hot requests")
        parser.add_argument("--only", help="only the requests whose name contains this")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.db import connection, transaction

        from jingwu.ops import hotpaths

        paths = tuple(p for p in hotpaths.PATHS if not opts["only"] or opts["only"] in p.name)
        # The intake request writes a case and every request may touch sessions and tokens: roll it all back.
        with transaction.atomic():
            runs = hotpaths.run(paths, analyze=opts["analyze"])
            transaction.set_rollback(True)
        scans = 0
        for r in runs:
            worst = max((s.ms or 0 for s in r.statements), default=0)
            seq = sorted({t for s in r.statements for t in s.seq_scans()})
            scans += len(seq)
            self.stdout.write(
                f"{r.status} {len(r.statements):3d} stmts {worst:9.2f} ms  {r.path.name}"
                + (f"  SEQ SCAN: {', '.join(seq)}" if seq else "")
            )
        if opts["write"]:
            Path(opts["write"]).write_text(hotpaths.markdown(runs, opts["title"]), encoding="utf-8")
            self.stdout.write(f"wrote {opts['write']}")
        if connection.vendor != "postgresql":
            self.stdout.write("(plans are read on PostgreSQL only)")
        elif scans:
            self.stdout.write(self.style.WARNING(f"{scans} sequential scan(s) of the big tables"))
