"""``jingwu read-report FILE [--json]``: the figures and tasks a government work report states, proposed for
review (nothing is saved; the upload page at /supervision/read saves what a person confirms)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingwu.supervision.reader import decode, read


class Command(BaseCommand):
    help = "Read a government work report (UTF-8 text, or text extracted from a PDF): its figures and tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the report as text; - reads standard input")
        parser.add_argument("--json", action="store_true", help="print the figures as a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            text = decode(data)
        except ValueError as exc:
            if str(exc) == "pdf":
                raise CommandError(
                    "this is a PDF: extract its text first (for example pdftotext -layout FILE.pdf)"
                ) from exc
            raise CommandError("the file is neither UTF-8 nor GB 18030 text") from exc
        reading = read(text)
        if options["json"]:
            self.stdout.write(json.dumps([f.as_json() for f in reading.figures], ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"{len(reading.figures)} figures, {len(reading.tasks)} tasks\n")
        for f in reading.figures:
            growth = "" if f.growth_pct is None else f" ({f.growth_pct:+g}%)"
            value = "—" if f.value is None else f"{f.value:g}"
            self.stdout.write(f"{f.year or '?'} {f.kind:<8} {f.indicator}: {value} {f.unit or ''}{growth}\n")
        for t in reading.tasks:
            self.stdout.write(f"\n[{t.year}] {t.heading}\n  {t.sentence}\n  → {t.department or '—'}")
            if t.places or t.projects:
                self.stdout.write(f"  · {'、'.join([*t.places, *t.projects])}")
            self.stdout.write("\n")
