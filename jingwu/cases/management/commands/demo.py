from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from jingwu.cases import demo
from jingwu.geo.models import Grid


class Command(BaseCommand):
    help = "Load the demo town (125 grids, 100 grid workers, a year of ~2,570 cases) and start the server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="load the data and stop")
        parser.add_argument("--cases", type=int, default=2570, help="cases to generate (default 2570)")
        parser.add_argument(
            "--inspections", type=int, default=2242, help="safety inspections over the year (default 2242)"
        )
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        if Grid.objects.exists():
            self.stdout.write("demo data already loaded; keeping it (delete var/ to start afresh)")
        else:
            started = time.monotonic()
            with_progress = self.stdout.isatty()
            self.stdout.write("building the town: regions, 125 grids, departments, 100 grid workers …")
            town = demo.build_town()
            self.stdout.write(f"replaying {opts['cases']} cases through the loop …")
            made = demo.load_cases(
                town,
                count=opts["cases"],
                progress=(lambda n: self.stdout.write(f"  {n} cases", ending="\r")) if with_progress else None,
            )
            from jingwu.safety.demo import load_inspections, load_registry

            places = load_registry(town.users["shiftlead"])
            self.stdout.write(f"registered {places} enterprises and places (62 key fire units, 108 VOC enterprises)")
            self.stdout.write(f"replaying {opts['inspections']} safety inspections and their hazards …")
            safety = load_inspections(town, count=opts["inspections"])
            self.stdout.write(
                "inspected {inspections} times, found {hazards} hazards, rectified and closed {closed}".format(**safety)
            )
            self.stdout.write(
                f"loaded {made} cases and {safety['hazards']} hazard cases in {time.monotonic() - started:.1f} s"
            )
        self.print_accounts()
        if not opts["no_serve"]:
            # The task worker and scheduler beside the web server; it stops when the server does.
            subprocess.Popen(
                [sys.executable, "-c", "from jingwu.cli import main; main(['worker', '--exit-with-parent'])"],
                start_new_session=False,
            )
            self.stdout.write("task worker and scheduler started (warnings, escalation, nightly rollup)")
            call_command("serve", bind=opts["bind"])

    def print_accounts(self) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nDemo accounts (password for all: {demo.DEMO_PASSWORD})"))
        rows = [
            ("admin", "系统管理员 system administrator (/admin/)"),
            ("secadmin", "安全管理员 security administrator (/admin/)"),
            ("operator", "受理员 operator"),
            ("shiftlead", "值班长 shift lead"),
            ("dispatcher", "派遣员 dispatcher"),
            ("h_b05", "城建办处置人员 department handler"),
            ("gw001", "网格员 grid worker (gw001…gw100)"),
            ("leader", "领导 leader"),
            ("ins03", "第三方检查员 inspector (ins01…ins11; ins01–02 the town's own)"),
            ("auditor", "审计管理员 audit administrator (/admin/)"),
            ("citizen", "公众 citizen"),
        ]
        for username, label in rows:
            self.stdout.write(f"  {username:<12} {label}")
        self.stdout.write("API docs: http://127.0.0.1:8000/api/docs   Admin: http://127.0.0.1:8000/admin/\n")
