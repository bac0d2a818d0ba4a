"""HJ 212-2017 (污染物在线监控（监测）系统数据传输标准): frames, the Appendix A CRC, the data segment and its
CP field groups, and the platform's answers. Pure functions and a stream reader, no I/O: the TCP server, the
devices and the storage build on them.

The CRC is the standard's own ``CRC16_Checkout`` (Appendix A), not CRC-16/MODBUS: ``"123456789"`` gives 2F80.
Devices that send byte-swapped MODBUS instead are refused, as the standard says (a bad CRC ends the command,
with no answer). Lengths count UTF-8 bytes of the data segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HEADER = b"##"
TRAILER = b"\r\n"
MAX_SEGMENT = 4096  # the standard says 1024; real devices send more (1,623 seen), and a bound stops runaway reads
# Uploads from a field device that the platform acknowledges with 9014 when the Flag asks for it.
UPLOADS = frozenset({"2011", "2021", "2031", "2041", "2051", "2061", "2081", "3015", "3017", "3018", "3019", "3020"})
DATA_KINDS = {"2011": "rtd", "2051": "minute", "2061": "hour", "2031": "day"}


class FrameError(ValueError):
    """A frame or segment that cannot be taken; ``code`` says why (counted and logged by the server)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _crc_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        reg = n
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
        table.append(reg)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """HJ 212-2017 Appendix A ``CRC16_Checkout``: the register's high byte XOR the data byte, then eight shifts with
    the reflected polynomial 0xA001 — done a byte at a time from a table (the same function)."""
    reg = 0xFFFF
    table = _CRC_TABLE
    for byte in data:
        reg = (reg >> 8) ^ byte
        reg = (reg >> 8) ^ table[reg & 0xFF]
    return reg


def frame(segment: str) -> bytes:
    """``##`` + length + segment + CRC + CR LF, as the standard frames a data segment."""
    body = segment.encode("utf-8")
    if len(body) > 9999:
        raise FrameError("too_long", "data segment longer than 9999 bytes")
    return HEADER + f"{len(body):04d}".encode() + body + f"{crc16(body):04X}".encode() + TRAILER


@dataclass
class Packet:
    qn: str = ""
    st: str = ""
    cn: str = ""
    pw: str = ""
    mn: str = ""
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    # CP: plain fields (DataTime, QnRtn …) and per-factor groups {"a34004": {"Rtd": "14", "Flag": "N"}}.
    fields: dict[str, str] = field(default_factory=dict)
    factors: dict[str, dict[str, str]] = field(default_factory=dict)
    segment: str = ""

    @property
    def wants_answer(self) -> bool:
        """Flag bit A: the sender asks for an answer."""
        return self.flag is not None and bool(self.flag & 1)

    @property
    def data_time(self) -> str:
        return self.fields.get("DataTime", "")


def parse_segment(segment: str) -> Packet:
    """The data segment's fields (any order, QN and Flag optional as 2005-era devices send them) and its CP."""
    head, sep, rest = segment.partition("CP=&&")
    if not sep or not rest.endswith("&&"):
        raise FrameError("no_cp", "data segment without CP=&&…&&")
    packet = Packet(segment=segment)
    for part in head.split(";"):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise FrameError("bad_field", f"field without '=': {part[:20]!r}")
        if key in ("QN", "ST", "CN", "PW", "MN"):
            setattr(packet, key.lower(), value)
        elif key in ("Flag", "PNUM", "PNO"):
            if not (value.isascii() and value.isdigit()):
                raise FrameError("bad_field", f"{key} is not a number: {value[:10]!r}")
            setattr(packet, key.lower(), int(value))
    if not packet.cn or not packet.mn:
        raise FrameError("bad_field", "CN and MN are required")
    _parse_cp(rest[:-2], packet)
    return packet


def _parse_cp(cp: str, packet: Packet) -> None:
    for item in cp.split(";"):
        for pair in item.split(","):
            if not pair:
                continue  # a trailing ';' before '&&' (seen in real traffic)
            key, eq, value = pair.partition("=")
            if not eq:
                raise FrameError("bad_cp", f"CP entry without '=': {pair[:20]!r}")
            code, dash, suffix = key.rpartition("-")
            if dash and code:
                packet.factors.setdefault(code, {})[suffix] = value
            else:
                packet.fields[key] = value


def decode(raw: bytes) -> Packet:
    """One whole frame (``##…\\r\\n``): length and CRC checked, then parsed."""
    if not raw.startswith(HEADER) or not raw.endswith(TRAILER) or len(raw) < 12:
        raise FrameError("bad_frame", "not a ##…CRLF frame")
    length = raw[2:6]
    if not length.isdigit():
        raise FrameError("bad_length", "length is not four digits")
    n = int(length)
    body = raw[6:-6]
    if len(body) != n:
        raise FrameError("bad_length", f"length says {n}, segment has {len(body)} bytes")
    stated = raw[-6:-2]
    try:
        stated_crc = int(stated, 16)
    except ValueError as exc:
        raise FrameError("bad_crc", "CRC is not hexadecimal") from exc
    computed = crc16(body)
    if stated_crc != computed:
        raise FrameError("bad_crc", f"CRC {stated.decode(errors='replace')} does not match {computed:04X}")
    try:
        segment = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameError("bad_encoding", "segment is not UTF-8") from exc
    return parse_segment(segment)


class Reader:
    """Frames out of a TCP stream: several in one read, one across reads; after garbage or a bad frame it
    resynchronises on the next ``##``. ``feed`` returns packets and errors in arrival order."""

    def __init__(self, limit: int = MAX_SEGMENT) -> None:
        self.buffer = b""
        self.limit = limit
        self.resyncing = False

    def feed(self, data: bytes) -> list[Packet | FrameError]:
        self.buffer += data
        out: list[Packet | FrameError] = []
        while True:
            start = self.buffer.find(HEADER)
            if start < 0:
                if self.buffer and not self.resyncing:
                    out.append(FrameError("garbage", f"{len(self.buffer)} bytes without ##"))
                self.buffer = self.buffer[-1:] if self.buffer.endswith(b"#") else b""
                return out
            if start > 0:
                if not self.resyncing:  # the rest of a refused frame is not counted twice
                    out.append(FrameError("garbage", f"{start} bytes before ##"))
                self.buffer = self.buffer[start:]
            self.resyncing = False
            if len(self.buffer) < 6:
                return out
            length = self.buffer[2:6]
            if not length.isdigit() or int(length) > self.limit:
                out.append(FrameError("bad_length", "length is not four digits or too long"))
                self.buffer = self.buffer[2:]
                self.resyncing = True
                continue
            total = 6 + int(length) + 4 + 2
            if len(self.buffer) < total:
                return out  # the rest is on its way
            raw, self.buffer = self.buffer[:total], self.buffer[total:]
            try:
                out.append(decode(raw))
            except FrameError as exc:
                out.append(exc)
                if raw.endswith(TRAILER):
                    # A whole frame, well bounded, with bad content (its CRC, its fields): dropped whole. Looking
                    # inside it again would let a sender make us check nested frames' CRCs over and over.
                    continue
                # Not bounded where its length says: it may hide the start of a good frame. Look again from just
                # after its ##.
                self.buffer = raw[2:] + self.buffer
                self.resyncing = True


def answer(packet: Packet) -> bytes | None:
    """What the platform sends back (HJ 212-2017 §6.5, Appendix C): 9014 数据应答 to an upload whose Flag asks
    for one, 9013 通知应答 to a 1013 time-calibration request; nothing otherwise. Echoes the QN, PW and MN; ST
    91 and Flag 4, as the standard's examples."""
    if packet.cn in UPLOADS and packet.wants_answer:
        cn = "9014"
    elif packet.cn == "1013":
        cn = "9013"
    else:
        return None
    return frame(f"QN={packet.qn};ST=91;CN={cn};PW={packet.pw};MN={packet.mn};Flag=4;CP=&&&&")


def values(packet: Packet, suffix: str) -> dict[str, tuple[float | None, str]]:
    """Each factor's value of one kind (``Rtd``, ``Avg`` …) with its data flag (N, F, M, S, D, C, T, B); a value
    that is not a number (``O3-Rtd=``) is None, kept so its flag still counts."""
    out: dict[str, tuple[float | None, str]] = {}
    for code, group in packet.factors.items():
        if suffix not in group:
            continue
        raw = group[suffix]
        number: Any
        try:
            number = float(raw)
        except ValueError:
            number = None
        out[code] = (number, group.get("Flag", "N"))
    return out
