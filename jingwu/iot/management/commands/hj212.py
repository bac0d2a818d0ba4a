from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def watch_parent(parent: int) -> None:
    """Stop when the process that started this one ends (``jingwu demo`` starts the receivers beside it)."""

    def run() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=run, daemon=True).start()


class Command(BaseCommand):
    help = "Receive HJ 212-2017 data from monitoring stations over TCP (--bind HOST:PORT)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("JINGWU_HJ212_BIND", "0.0.0.0:6000"))
        parser.add_argument("--exit-with-parent", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingwu.iot.receivers import run_hj212

        host, _, port = opts["bind"].rpartition(":")
        if not port.isdigit():
            raise CommandError("--bind takes HOST:PORT")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        if opts["exit_with_parent"]:
            watch_parent(os.getppid())
        self.stdout.write(f"HJ 212 receiver on {host or '0.0.0.0'}:{port} (Ctrl-C stops)")
        run_hj212(host or "0.0.0.0", int(port))
