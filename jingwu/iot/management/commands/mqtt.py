from __future__ import annotations

import logging
import os
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from .hj212 import watch_parent


class Command(BaseCommand):
    help = "Bridge MQTT readings and events into Jingwu (topics jingwu/v1/<client id>/data|event; MQTT_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883"))
        parser.add_argument("--client-id", default="", help="default: one the broker assigns")
        parser.add_argument(
            "--no-share", action="store_true", help="a plain subscription (each bridge gets every message)"
        )
        parser.add_argument("--exit-with-parent", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingwu.iot.receivers import MqttBridge

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        if opts["exit_with_parent"]:
            watch_parent(os.getppid())
        bridge = MqttBridge(opts["url"], client_id=opts["client_id"], shared=not opts["no_share"])
        signal.signal(signal.SIGTERM, lambda *a: bridge.stopping.set())
        self.stdout.write(f"MQTT bridge to {opts['url']} (Ctrl-C stops)")
        try:
            bridge.run()
        except KeyboardInterrupt:
            bridge.stopping.set()
