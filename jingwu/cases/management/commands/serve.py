from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Jingwu with gunicorn (sync workers), after migrating and collecting static files (see --no-*)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("JINGWU_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("JINGWU_WORKERS", "0")) or None,
            help="default: 2 × CPU cores + 1",
        )
        # Several nodes on one database must not each migrate at start: a release migrates once (compose.yaml's
        # `migrate` service, or `jingwu migrate` by hand) and the nodes skip it, here or by the environment.
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            default=not settings.JINGWU_SERVE_MIGRATE,
            help="do not migrate first (default when JINGWU_SERVE_MIGRATE=false)",
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            default=not settings.JINGWU_SERVE_COLLECTSTATIC,
            help="do not collect static files first (default when JINGWU_SERVE_COLLECTSTATIC=false)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", verbosity=0, interactive=False)
        if not opts["no_collectstatic"]:
            call_command("collectstatic", verbosity=0, interactive=False)
        workers = opts["workers"] or (2 * (os.cpu_count() or 1) + 1)
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "jingwu.wsgi:application",
            "--bind",
            opts["bind"],
            "--workers",
            str(workers),
            "--access-logfile",
            "-" if settings.DEBUG else "/dev/null",
            "--timeout",
            "60",
            "--graceful-timeout",
            "20",
        ]
        self.stdout.write(f"serving on http://{opts['bind']}/ with {workers} workers (Ctrl-C stops)")
        sys.stdout.flush()
        os.execv(sys.executable, argv)
