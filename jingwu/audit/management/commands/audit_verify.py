from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Check the audit trail against its seals; exits non-zero if any sealed row or seal was changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seal", action="store_true", help="seal the settled rows first")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingwu.audit import seal

        if opts["seal"]:
            while seal.seal() is not None:
                pass
        report = seal.verify()
        self.stdout.write(f"{report.seals} seals over {report.rows} audit rows; {report.unsealed} rows not yet sealed")
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.ok:
            raise CommandError(f"the audit trail does not match its seals ({len(report.problems)} problems)")
        self.stdout.write(self.style.SUCCESS("audit trail intact"))
