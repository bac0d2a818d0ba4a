from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .hj212 import watch_parent


class Command(BaseCommand):
    help = (
        "模拟已登记的监测设备：HJ 212 站点经 TCP、其余设备经 MQTT 上报，并按脚本制造告警事件。"
        " Simulate the registered devices over HJ 212 (TCP) and MQTT, with scripted incidents."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hj212", default="127.0.0.1:6000", help="the HJ 212 receiver, HOST:PORT")
        parser.add_argument("--mqtt", default=os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883"), help="broker URL")
        parser.add_argument("--speed", type=float, default=1.0, help="send and stage incidents this much faster")
        parser.add_argument("--seed", type=int, default=None, help="another town's weather and incidents")
        parser.add_argument("--topic-root", default=None, help="MQTT topics under this root (default jingwu/v1)")
        parser.add_argument("--no-hj212", action="store_true", help="leave the HJ 212 stations out")
        parser.add_argument("--no-mqtt", action="store_true", help="leave the MQTT devices out")
        parser.add_argument("--once", action="store_true", help="one round from every device, then stop")
        parser.add_argument("--timeout", type=float, default=15.0, help="--once: wait this long for the receivers")
        parser.add_argument("--exit-with-parent", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingwu.iot import simulator

        host, _, port = opts["hj212"].rpartition(":")
        if not port.isdigit():
            raise CommandError("--hj212 takes HOST:PORT")
        if not opts["speed"] > 0:
            raise CommandError("--speed must be above 0")
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        if opts["exit_with_parent"]:
            watch_parent(os.getppid())
        stations = simulator.load_stations()
        if not stations:
            raise CommandError("没有已登记的设备 no devices registered (jingwu demo registers the demo town's)")
        options = simulator.Options(
            hj212=None if opts["no_hj212"] else (host or "127.0.0.1", int(port)),
            mqtt=None if opts["no_mqtt"] else opts["mqtt"],
            speed=opts["speed"],
            seed=simulator.SEED if opts["seed"] is None else opts["seed"],
            root=opts["topic_root"] or simulator.TOPIC_ROOT,
            timeout=opts["timeout"],
        )
        sim = simulator.Simulator(stations, options, say=lambda line: self.stdout.write(line))
        tcp = opts["hj212"] if options.hj212 else "关闭 off"
        self.stdout.write(
            f"模拟 simulating {len(sim.hj)} 个 HJ 212 站点 stations → {tcp}, "
            f"{len(sim.mq)} 台 MQTT 设备 devices → {options.mqtt or '关闭 off'}, 速度 speed ×{options.speed:g}"
            + ("" if opts["once"] else " (Ctrl-C 停止 stops)")
        )
        loop = asyncio.new_event_loop()
        handled = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Outside the main thread there are no signal handlers; the caller stops the simulator itself.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, sim.stop)
                handled.append(sig)
        try:
            loop.run_until_complete(sim.run(once=opts["once"]))
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
            loop.close()
        self.stdout.write(f"已停止 stopped. {sim.summary()}")
