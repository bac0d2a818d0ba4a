"""The receivers: the HJ 212 TCP server and the MQTT bridge. Both parse where the bytes arrive and store in
batches from one writer thread (the ORM is synchronous), acknowledging only what is stored: a 9014 is sent, an
MQTT message acknowledged, after the batch's transaction commits, so a crash loses nothing a device was told
was received. A bad packet or message is counted and logged and never stops the receiver or other devices."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connections

from . import hj212, messages
from .choices import DeviceState
from .ingest import Directory, Sample, Signal, Stored, store

log = logging.getLogger("jingwu.iot")

FLUSH_SECONDS = 0.2
# A connection that sends nothing but refused frames this many times in a row is closed (the station, if it is
# one, reconnects; a stranger stops costing us work).
MAX_REFUSED_IN_A_ROW = 100
MAX_BATCH = 20000
IDLE_SECONDS = 900  # HJ 212 stations keep their connection; one silent this long is dropped


@dataclass
class Counters:
    """What a receiver has seen; logged every minute and on exit."""

    counts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def line(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))


def _store_batch(samples: list[Sample], signals: list[Signal], counters: Counters) -> Stored | None:
    close_old_connections()
    try:
        result = store(samples, signals)
    except Exception:
        counters.add("store_failed")
        log.exception(
            "storing a batch of %s readings and %s events failed; nothing acknowledged", len(samples), len(signals)
        )
        return None
    counters.add("readings", result.readings)
    counters.add("repeated", result.repeated)
    counters.add("events", result.events)
    return result


# --- HJ 212 over TCP -----------------------------------------------------------------------------------------


@dataclass
class _Pending:
    packet: hj212.Packet
    writer: asyncio.StreamWriter


class Hj212Server:
    def __init__(self, directory: Directory | None = None, flush: float = FLUSH_SECONDS) -> None:
        self.directory = directory or Directory()
        self.flush_every = flush
        self.counters = Counters()
        self.pending: list[_Pending] = []
        self.writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hj212-store")
        self.connections = 0
        self.handlers: set[asyncio.Task[Any]] = set()
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        me = asyncio.current_task()
        if me is not None:
            self.handlers.add(me)
        self.connections += 1
        self.counters.add("connections")
        stream = hj212.Reader()
        refused = 0
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(65536), IDLE_SECONDS)
                except TimeoutError:
                    break
                if not data:
                    break
                for item in stream.feed(data):
                    if isinstance(item, hj212.FrameError):
                        self.counters.add(f"refused_{item.code}")
                        refused += 1
                        if refused <= 3:  # a burst of garbage is one story in the log, not thousands of lines
                            log.warning("hj212 %s: refused (%s) %s", peer, item.code, item)
                        continue
                    refused = 0
                    self.counters.add("packets")
                    if item.cn == "1013":  # 现场机时间校准请求: answered at once, nothing to store
                        reply = hj212.answer(item)
                        if reply:
                            writer.write(reply)
                        continue
                    self.pending.append(_Pending(item, writer))
                if refused >= MAX_REFUSED_IN_A_ROW:
                    self.counters.add("closed_for_garbage")
                    log.warning("hj212 %s: %s refused frames in a row; connection closed", peer, refused)
                    break
                if len(self.pending) > MAX_BATCH:
                    await self.flush()
        except (ConnectionError, OSError) as exc:
            log.info("hj212 %s: connection lost (%s)", peer, exc)
        finally:
            self.connections -= 1
            if me is not None:
                self.handlers.discard(me)
            writer.close()

    def _resolve(self, batch: list[_Pending]) -> tuple[list[Sample], list[tuple[asyncio.StreamWriter, bytes]]]:
        """In the writer thread (the device look-up may query): each packet's device, PW and samples."""
        samples: list[Sample] = []
        answers: list[tuple[asyncio.StreamWriter, bytes]] = []
        for p in batch:
            known = self.directory.by_mn(p.packet.mn, p.packet.pw)
            if known is None:
                self.counters.add("refused_unknown_mn")
                log.warning("hj212: unknown MN %r refused", p.packet.mn[:32])
                continue
            if known is False:
                self.counters.add("refused_bad_pw")
                log.warning("hj212: wrong PW for MN %r refused", p.packet.mn[:32])
                continue
            assert not isinstance(known, bool)
            if known.state == DeviceState.DISABLED:
                self.counters.add("refused_disabled")
                continue
            try:
                samples += messages.hj212_samples(known.id, p.packet)
            except messages.BadMessage as exc:
                self.counters.add("refused_bad_data")
                log.warning("hj212: MN %r: %s", p.packet.mn[:32], exc)
                continue
            reply = hj212.answer(p.packet)
            if reply:
                answers.append((p.writer, reply))
        return samples, answers

    def _work(self, batch: list[_Pending]) -> list[tuple[asyncio.StreamWriter, bytes]]:
        close_old_connections()
        try:
            samples, answers = self._resolve(batch)
        except Exception:
            self.counters.add("store_failed")
            log.exception("hj212: resolving a batch failed")
            return []
        if samples and _store_batch(samples, [], self.counters) is None:
            return []  # not stored: no 9014, so the stations send again
        return answers

    async def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        loop = asyncio.get_running_loop()
        answers = await loop.run_in_executor(self.writer_thread, self._work, batch)
        for writer, reply in answers:
            if not writer.is_closing():
                writer.write(reply)
        self.counters.add("answered", len(answers))

    async def flusher(self) -> None:
        # A flush at most every ``flush_every``, the next one at once when the last took longer: what arrived
        # meanwhile is the next batch (stations waiting for their answers are not kept waiting twice).
        while True:
            started = time.monotonic()
            try:
                await self.flush()
            except Exception:
                log.exception("hj212: flush failed")
            await asyncio.sleep(max(0.0, self.flush_every - (time.monotonic() - started)))

    async def report(self, every: float = 60.0) -> None:
        while True:
            await asyncio.sleep(every)
            log.info("hj212: %s connections; %s", self.connections, self.counters.line())

    async def serve(self, host: str, port: int, ready: Callable[[int], None] | None = None) -> None:
        self.server = await asyncio.start_server(self.handle, host, port, limit=2**20, backlog=1024)
        bound = self.server.sockets[0].getsockname()[1]
        log.info("hj212: listening on %s:%s", host, bound)
        if ready is not None:
            ready(bound)
        tasks = [asyncio.create_task(self.flusher()), asyncio.create_task(self.report())]
        try:
            async with self.server:
                await self.server.serve_forever()
        finally:
            for t in tasks:
                t.cancel()
            await self.flush()
            # Stopping: the stations' connections close too (they reconnect to whichever receiver comes up).
            for h in list(self.handlers):
                h.cancel()
            await asyncio.gather(*self.handlers, return_exceptions=True)
            await asyncio.get_running_loop().run_in_executor(self.writer_thread, connections.close_all)
            self.writer_thread.shutdown(wait=True)


def run_hj212(host: str, port: int, ready: Callable[[int], None] | None = None) -> Counters:
    server = Hj212Server()
    loop = asyncio.new_event_loop()
    main = loop.create_task(server.serve(host, port, ready))
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not in the main thread (tests run the server in a thread and stop it by cancelling): no signals.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, main.cancel)
    try:
        loop.run_until_complete(main)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()
        log.info("hj212: stopped; %s", server.counters.line())
    return server.counters


# --- MQTT ----------------------------------------------------------------------------------------------------

TOPIC_ROOT = "jingwu/v1"
SHARE_GROUP = "jingwu"


def topics(shared: bool = True, root: str = TOPIC_ROOT, group: str = SHARE_GROUP) -> list[str]:
    prefix = f"$share/{group}/" if shared else ""
    return [f"{prefix}{root}/+/data", f"{prefix}{root}/+/event"]


class MqttBridge:
    """Subscribes (QoS 1, MQTT 5 shared subscription: bridges in the same group share the messages) and stores
    in batches; each message is acknowledged to the broker only after its batch is stored (manual ack), so the
    broker delivers it again if this process dies first."""

    def __init__(
        self,
        url: str,
        client_id: str = "",
        shared: bool = True,
        flush: float = FLUSH_SECONDS,
        root: str = TOPIC_ROOT,
        group: str = SHARE_GROUP,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.url = url
        self.shared = shared
        self.root, self.group = root, group
        self.subscribed = threading.Event()
        self.flush_every = flush
        self.directory = Directory()
        self.counters = Counters()
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.stopping = threading.Event()
        self.last_step = 0.0
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        self.client_id = client_id
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = lambda client, userdata, msg: self.inbox.put(msg)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.error("mqtt: connection refused: %s", reason)
            return
        wanted = topics(self.shared, self.root, self.group)
        client.subscribe([(t, 1) for t in wanted])
        log.info("mqtt: connected to %s, subscribed to %s", self.url, ", ".join(wanted))

    def connect(self) -> None:
        from urllib.parse import urlsplit

        u = urlsplit(self.url)
        if u.username:
            self.client.username_pw_set(u.username, u.password)
        if u.scheme == "mqtts":
            self.client.tls_set()
        properties = None
        if self.client_id:
            # A bridge with a name of its own keeps its session for an hour: what it had not acknowledged when it
            # stopped is delivered again when it comes back.
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 3600
        self.client.connect(
            u.hostname or "127.0.0.1",
            u.port or (8883 if u.scheme == "mqtts" else 1883),
            keepalive=30,
            clean_start=not self.client_id,
            properties=properties,
        )
        self.client.loop_start()

    def _parse(self, msg: Any, samples: list[Sample], signals: list[Signal]) -> None:
        parts = msg.topic.split("/")
        if len(parts) != 4 or "/".join(parts[:2]) != self.root or parts[3] not in ("data", "event"):
            self.counters.add("refused_topic")
            return
        known = self.directory.by_client(parts[2])
        if known is None or known.state == DeviceState.DISABLED:
            self.counters.add("refused_unknown_client")
            log.warning("mqtt: message from unknown or disabled client %r refused", parts[2][:64])
            return
        try:
            body = json.loads(msg.payload)
            if parts[3] == "data":
                samples += messages.data(known.id, body)
            else:
                signals.append(messages.event(known.id, body))
        except (ValueError, messages.BadMessage) as exc:
            self.counters.add("refused_bad_message")
            log.warning("mqtt: %s: %s", msg.topic[:100], exc)

    def step(self, wait: float) -> int:
        """Take what has arrived (waiting up to ``wait`` for the first), store it, acknowledge it."""
        batch: list[Any] = []
        try:
            batch.append(self.inbox.get(timeout=wait))
        except queue.Empty:
            return 0
        # Gather until ``flush_every`` after the last batch began (what came in while it was stored is taken
        # at once), or until the batch is full.
        deadline = max(time.monotonic(), self.last_step + self.flush_every)
        self.last_step = time.monotonic()
        while len(batch) < MAX_BATCH and time.monotonic() < deadline:
            try:
                batch.append(self.inbox.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        samples: list[Sample] = []
        signals: list[Signal] = []
        close_old_connections()
        for msg in batch:
            self._parse(msg, samples, signals)
        self.counters.add("messages", len(batch))
        # The broker sends an unacknowledged message again only when the session resumes, and stops sending once
        # its in-flight window is full: a batch that cannot be stored (the database is down) is tried again here
        # until it is, with backoff, and acknowledged only then.
        wait = 0.5
        while (samples or signals) and _store_batch(samples, signals, self.counters) is None:
            if self.stopping.wait(wait):
                return 0  # stopping: left unacknowledged, for the session to deliver again
            wait = min(wait * 2, 30.0)
        for msg in batch:
            if msg.qos > 0:
                self.client.ack(msg.mid, msg.qos)
        return len(batch)

    def run(self) -> None:
        self.connect()
        last_report = time.monotonic()
        try:
            while not self.stopping.is_set():
                self.step(0.5)
                if time.monotonic() - last_report > 60:
                    log.info("mqtt: %s", self.counters.line())
                    last_report = time.monotonic()
        finally:
            self.client.loop_stop()
            self.client.disconnect()
            log.info("mqtt: stopped; %s", self.counters.line())
