from __future__ import annotations

import os
import socket
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
        parser.add_argument("--river-patrols", type=int, default=538, help="river chiefs' patrols (default 538)")
        parser.add_argument(
            "--grid-patrol-days",
            type=int,
            default=365,
            help="days of daily grid patrols, back from today (default 365)",
        )
        parser.add_argument("--petitions", type=int, default=200, help="petitions over the year (default 200)")
        parser.add_argument(
            "--residents", type=int, default=22000, help="people in the grid registry, about (default 22000)"
        )
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--hj212", default=os.environ.get("JINGWU_HJ212_BIND", "127.0.0.1:6000"))
        parser.add_argument("--mqtt", default=os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883"))
        parser.add_argument("--speed", type=float, default=10.0, help="the device simulator's speed (default ×10)")
        parser.add_argument("--no-devices", action="store_true", help="start no receivers and no simulator")

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
            from jingwu.iot.demo import history, load_devices

            devices = load_devices(town.users["shiftlead"])
            rows = history()
            self.stdout.write(
                "registered {n} monitoring devices ({fire_panel} fire alarm panels, {air} air stations, {voc} VOC "
                "monitors, {water} water stations) and {screens} LED screens; {rows} hourly readings of the last "
                "two days".format(n=sum(v for k, v in devices.items() if k != "screens"), rows=rows, **devices)
            )
            from jingwu.patrols.demo import load as load_patrols

            self.stdout.write("drawing the rivers and replaying a year of river and grid patrols …")
            patrols = load_patrols(town, river_patrols=opts["river_patrols"], grid_days=opts["grid_patrol_days"])
            self.stdout.write(
                "{rivers} rivers in {sections} sections with {chiefs} river chiefs; {river_patrols} river patrols "
                "found {river_findings} problems ({river_closed} put right); {grid_patrols} grid patrols, "
                "{grid_findings} of them with the day's report".format(**patrols)
            )
            from jingwu.petitions.demo import load as load_petitions

            petitions = load_petitions(town, count=opts["petitions"])
            self.stdout.write(
                "{petitions} petitions ({replied} replied, {overdue} overdue) and {suggestions} deputies' "
                "suggestions".format(**petitions)
            )
            from jingwu.supervision.demo import load as load_supervision

            self.stdout.write("reading the 2019 work report: targets, actuals, tasks; projects and audits …")
            sup = load_supervision(town)
            self.stdout.write(
                "read {read_targets} targets, {read_actuals} actuals and {read_tasks} tasks from the report; "
                "{tasks} tasks in all ({late} late), {projects} livelihood projects, {findings} audit findings "
                "({findings_closed} rectified)".format(**sup)
            )
            from jingwu.registry.demo import load as load_registry_people

            self.stdout.write("registering addresses, households and people; a year of care, aid and visits …")
            reg = load_registry_people(town, people=opts["residents"])
            self.stdout.write(
                "{addresses} standard addresses, {households} households, {current} residents ({floating} floating); "
                "{cared} in care groups, aid of {aid_wan} 万元 over the year; {visits} visits, {visit_cases} needs "
                "raised as cases, {overdue} people overdue for a visit; {proposals_pending} proposals to review".format(
                    **reg
                )
            )
            from jingwu.stats.rollup import rollup_pending

            days = rollup_pending()
            self.stdout.write(f"rolled up {len(days)} days of statistics (the nightly job keeps them from now on)")
            self.stdout.write(
                f"loaded {made} cases and {safety['hazards']} hazard cases in {time.monotonic() - started:.1f} s"
            )
        self.print_accounts(opts["bind"])
        if not opts["no_serve"]:
            # The task worker and scheduler beside the web server; it stops when the server does.
            self.beside("worker", "--exit-with-parent")
            self.stdout.write("task worker and scheduler started (warnings, escalation, offline devices, rollups)")
            if not opts["no_devices"]:
                self.start_devices(opts)
            call_command("serve", bind=opts["bind"])

    def beside(self, *argv: str) -> None:
        """A process beside the server that stops when it does (``--exit-with-parent``)."""
        subprocess.Popen(
            [sys.executable, "-c", f"from jingwu.cli import main; main({list(argv)!r})"], start_new_session=False
        )

    def start_devices(self, opts: dict[str, Any]) -> None:
        """The receivers (HJ 212 over TCP, the MQTT bridge) and the simulator driving the demo's devices."""
        from urllib.parse import urlsplit

        self.beside("hj212", "--bind", opts["hj212"], "--exit-with-parent")
        u = urlsplit(opts["mqtt"])
        try:
            socket.create_connection((u.hostname or "127.0.0.1", u.port or 1883), timeout=2).close()
            broker = True
        except OSError:
            broker = False
        if broker:
            self.beside("mqtt", "--url", opts["mqtt"], "--exit-with-parent")
        host, _, port = opts["hj212"].rpartition(":")
        target = f"{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"
        sim = ["simulate", "--hj212", target, "--mqtt", opts["mqtt"], "--speed", str(opts["speed"])]
        self.beside(*sim, *([] if broker else ["--no-mqtt"]), "--exit-with-parent")
        self.stdout.write(f"HJ 212 receiver on {opts['hj212']}; device simulator at ×{opts['speed']:g}")
        if broker:
            self.stdout.write(f"MQTT bridge to {opts['mqtt']}")
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"no MQTT broker at {opts['mqtt']}: fire, dust and camera devices are not simulated "
                    "(install mosquitto, or set MQTT_URL)"
                )
            )

    def print_accounts(self, bind: str = "127.0.0.1:8000") -> None:
        self.stdout.write(self.style.SUCCESS(f"\nDemo accounts (password for all: {demo.DEMO_PASSWORD})"))
        rows = [
            ("admin", "系统管理员 system administrator (/admin/)"),
            ("secadmin", "安全管理员 security administrator (/admin/)"),
            ("operator", "受理员 operator"),
            ("shiftlead", "值班长 shift lead"),
            ("dispatcher", "派遣员 dispatcher"),
            ("h_b05", "城建办处置人员 department handler"),
            ("h_b06", "社会事务办 registry steward (/registry/: people, visits, proposals, counts)"),
            ("gw001", "网格员 grid worker (gw001…gw100)"),
            ("leader", "领导 leader"),
            ("ins03", "第三方检查员 inspector (ins01…ins11; ins01–02 the town's own)"),
            ("hz01", "镇级河长 town river chief (hz01…hz05; hz06… village chiefs), /patrols/m/"),
            ("petition", "信访专员 petition clerk (/petitions/)"),
            ("deputy01", "人大代表 deputy (deputy01…deputy11, /suggestions/)"),
            ("ducha", "督查员 supervising office (/supervision/: targets, tasks, projects, audits)"),
            ("auditor", "审计管理员 audit administrator (/admin/)"),
            ("citizen", "公众 citizen"),
        ]
        for username, label in rows:
            self.stdout.write(f"  {username:<12} {label}")
        site = f"http://{bind.replace('0.0.0.0', '127.0.0.1')}"  # where the server this run starts will answer
        self.stdout.write(f"API docs: {site}/api/docs   Admin: {site}/admin/")
        from jingwu.iot.models import Screen

        screen = Screen.objects.filter(active=True).order_by("id").first()
        self.stdout.write(
            f"Monitoring: {site}/iot/"
            + (f"   A community's LED screen: {site}/led/{screen.token}/" if screen else "")
            + "\n"
        )
