"""The work-report reader on the seed report: reads/s, figures and tasks found, against a raw baseline that only
finds the numbers with one regular expression (what any reader must at least do), in the same run.

    .venv/bin/python bench/report_reader.py [--rounds 50]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jingwu.supervision.reader import read  # noqa: E402

SEED = ROOT / "jingwu" / "supervision" / "data" / "jingwu-2019-report.txt"
NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:亿元|万元|万美元|%|个|家|人|件|处)?")


def timed(fn: object, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds
    text = SEED.read_text(encoding="utf-8")
    reading = read(text)
    raw = timed(lambda: NUMBER.findall(text), rounds)
    ours = timed(lambda: read(text), rounds)
    r, o = statistics.median(raw), statistics.median(ours)
    print(f"seed report: {len(text):,} characters")
    print(f"reader: {len(reading.figures)} figures, {len(reading.tasks)} tasks; median {o * 1000:.1f} ms a read")
    print(f"raw baseline (one regex over the numbers): {len(NUMBER.findall(text))} matches; median {r * 1000:.2f} ms")
    print(f"reader / raw: {o / r:.0f}×; {len(text) / o / 1000:,.0f} k characters/s")


if __name__ == "__main__":
    main()
