from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

log = logging.getLogger("jingwu.worker")


class Command(BaseCommand):
    help = "Run the background task worker and the scheduler (warnings, escalation, nightly rollup)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tick", type=float, default=20.0, help="seconds between scheduler checks")
        parser.add_argument("--no-scheduler", action="store_true", help="run tasks only; another node schedules")
        parser.add_argument(
            "--exit-with-parent", action="store_true", help="stop when the process that started this one ends"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        parent = os.getppid()
        if not opts["no_scheduler"]:
            threading.Thread(
                target=self.schedule, args=(opts["tick"], parent if opts["exit_with_parent"] else None), daemon=True
            ).start()
        call_command("db_worker", interval=1.0, no_startup_delay=True, reload=False, verbosity=opts["verbosity"])

    def schedule(self, every: float, parent: int | None) -> None:
        from jingwu.cases.jobs import tick

        while True:
            if parent is not None and os.getppid() != parent:
                os._exit(0)  # the demo server has gone; take the worker with it
            try:
                queued = tick()
                if queued:
                    log.info("scheduled %s", ", ".join(queued))
            except Exception:
                log.exception("scheduler tick failed")
            finally:
                close_old_connections()
            time.sleep(every)
