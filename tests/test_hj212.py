"""HJ 212-2017 framing, the Appendix A CRC, parsing and the platform's answers, on the standard's own example
and public sample packets (../shared/docs/HJ212.md)."""

from __future__ import annotations

from typing import Any

import pytest

from jingwu.iot import hj212

STANDARD = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
# Real packets with correct CRCs (S06 air hourly, S27 a split minute packet, S23 water real-time, S02 a
# 2005-style packet with neither QN nor Flag, S26 a malformed item, S32 a newer Flag).
S06 = (
    "##0285QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;Flag=5;"
    "CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,a34007-Flag=N;"
    "a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;a34049-Avg=10.66300,a34049-Flag=N&&C181\r\n"
)
S23 = (
    "##0310QN=20210412154520280;ST=21;CN=2011;PW=123456;MN=DXCBZ000000005;Flag=5;CP=&&DataTime=20210412154500;"
    "w01018-Rtd=235.292750833832,w01018-Flag=N;w21003-Rtd=34.4142747017156,w21003-Flag=N;"
    "w21011-Rtd=3.48453748242675,w21011-Flag=N;w21001-Rtd=33.0912558014464,w21001-Flag=N;"
    "w01001-Rtd=7.15293021684183,w01001-Flag=N&&F441\r\n"
)
S02 = (
    "##0139ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;B01-Rtd=36.91;"
    "011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980\r\n"
)
S26 = (
    "##0121QN=20250131202809340;ST=39;CN=2011;PW=123456;MN=0507A010003242;Flag=4;"
    "CP=&&DataTime=20250131202809;a34001-Rtd=92;Flag=N&&BF41\r\n"
)
S32 = "##0075QN=20260706103512345;ST=91;CN=9014;PW=123456;MN=A110000_0001;Flag=8;CP=&&&&0140\r\n"


def test_the_appendix_a_crc() -> None:
    assert f"{hj212.crc16(b'123456789'):04X}" == "2F80"  # not CRC-16/MODBUS (4B37)
    assert f"{hj212.crc16(STANDARD.encode()):04X}" == "1C80"  # the standard's example (its prose misprints 1C08)
    assert hj212.frame(STANDARD) == f"##0101{STANDARD}1C80\r\n".encode()
    # Only 8 bits of state survive a byte: a valid CRC's low byte is always one of eight values.
    assert {hj212.crc16(bytes([b, 0x41])) & 0xFF for b in range(256)} <= {
        0x00,
        0x01,
        0x40,
        0x41,
        0x80,
        0x81,
        0xC0,
        0xC1,
    }


@pytest.mark.parametrize("raw", [S06, S23, S02, S26, S32])
def test_real_packets_decode(raw: str) -> None:
    packet = hj212.decode(raw.encode())
    assert packet.mn and packet.cn


def test_the_fields_and_cp_groups() -> None:
    p = hj212.decode(S06.encode())
    assert (p.qn, p.st, p.cn, p.pw, p.mn, p.flag) == (
        "20190925181031464",
        "22",
        "2061",
        "BF470F88957588DE902D1A52",
        "Z13401000010301",
        5,
    )
    assert p.data_time == "20190924220000" and p.factors["a34006"] == {"Avg": "2.69700", "Flag": "N"}
    assert hj212.values(p, "Avg")["a34049"] == (10.663, "N")
    old = hj212.decode(S02.encode())  # 2005 style: no QN, no Flag
    assert old.qn == "" and old.flag is None and old.factors["B01"] == {"Rtd": "36.91"}
    assert not old.wants_answer and hj212.answer(old) is None
    odd = hj212.decode(S26.encode())  # "a34001-Rtd=92;Flag=N": the stray Flag is a plain field
    assert odd.factors["a34001"] == {"Rtd": "92"} and odd.fields["Flag"] == "N"


def test_the_platform_answers_as_the_standard_shows() -> None:
    # The document's constructed replies (HJ212.md §2), byte for byte.
    assert hj212.answer(hj212.decode(S06.encode())) == (
        b"##0096QN=20190925181031464;ST=91;CN=9014;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;Flag=4;CP=&&&&CE81\r\n"
    )
    assert hj212.answer(hj212.decode(S23.encode())) == (
        b"##0077QN=20210412154520280;ST=91;CN=9014;PW=123456;MN=DXCBZ000000005;Flag=4;CP=&&&&B041\r\n"
    )
    no_answer = S23.replace("Flag=5", "Flag=4")
    body = no_answer[6:-6]
    assert hj212.answer(hj212.decode(hj212.frame(body))) is None  # Flag A = 0: no answer


def test_bad_frames_are_refused_with_a_reason() -> None:
    swapped = (  # S20: byte-swapped CRC-16/MODBUS, as some devices send; the standard says refuse
        "##0868ST=31;CN=2011;PW=123456;MN=4201003;CP=&&DataTime=20200923111707;112-Rtd=11.285,112-Flag=N&&A6EC\r\n"
    )
    for raw, code in [
        (S06.replace("C181", "C180"), "bad_crc"),
        (S06.replace("##0285", "##0284"), "bad_length"),
        (swapped, "bad_length"),
        (S06[:-2], "bad_frame"),
        (hj212.frame("QN=1;ST=22;CN=2011;PW=1;MN=X;Flag=5;CP=&&a=1").decode(), "no_cp"),
        (hj212.frame("QN=1;ST=22;PW=1;Flag=5;CP=&&&&").decode(), "bad_field"),
        (hj212.frame("QN=1;ST=22;CN=2011;PW=1;MN=X;Flag=x;CP=&&&&").decode(), "bad_field"),
    ]:
        with pytest.raises(hj212.FrameError) as err:
            hj212.decode(raw.encode())
        assert err.value.code == code, raw[:40]


def test_the_stream_reader_splits_joins_and_resynchronises() -> None:
    stream = (S06 + S23).encode()
    reader = hj212.Reader()
    got: list[object] = []
    for i in range(0, len(stream), 7):  # in pieces, as TCP may deliver them
        got += reader.feed(stream[i : i + 7])
    assert [p.mn for p in got if isinstance(p, hj212.Packet)] == ["Z13401000010301", "DXCBZ000000005"]
    # Garbage, a corrupted frame, then a good one: two errors counted, the good one kept.
    bad = S06.replace("C181", "0000")
    out = hj212.Reader().feed(b"xx" + bad.encode() + S23.encode())
    assert [type(o).__name__ for o in out] == ["FrameError", "FrameError", "Packet"]
    assert [o.code for o in out if isinstance(o, hj212.FrameError)] == ["garbage", "bad_crc"]
    # A frame announcing an absurd length does not make the reader wait forever.
    out = hj212.Reader(limit=2000).feed(b"##9999QN=" + S23.encode())
    assert isinstance(out[-1], hj212.Packet)


def test_nested_headers_cost_one_check_not_one_per_header(monkeypatch: Any) -> None:
    """A sender who nests ``##dddd`` headers that all end on the same CRLF must not make the reader check a CRC
    for each of them (each over the rest of the data): a well-bounded bad frame is dropped whole."""
    n = 600
    body = b"QN=1;CN=2011;MN=X;CP=&&&&"
    # Header k claims a segment running to the shared tail: the 6-byte headers after it, then the body.
    data = b"".join(b"##" + f"{6 * (n - k - 1) + len(body):04d}".encode() for k in range(n)) + body + b"0000\r\n"
    calls = []
    real = hj212.crc16
    monkeypatch.setattr(hj212, "crc16", lambda b: calls.append(len(b)) or real(b))
    out = hj212.Reader(limit=9999).feed(data)
    assert len(calls) == 1 and [e.code for e in out if isinstance(e, hj212.FrameError)] == ["bad_crc"]
