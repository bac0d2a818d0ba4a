"""HJ 633-2012 (环境空气质量指数（AQI）技术规定): individual indices (IAQI), the AQI, its level and colour, and the
primary pollutant(s), for the hourly (real-time) and the daily report. Pure functions, no I/O.

Concentrations are µg/m³, except CO in mg/m³. HJ 212 devices often report SO2 and NO2 in mg/m³: ``HJ212_CODES``
maps the codes only, converting units is the caller's job. A negative or NaN concentration is treated as missing
(an instrument fault is not a clean-air reading), not refused, so one bad channel does not sink the whole report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

POLLUTANTS = ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3")
# HJ 212-2017 air-quality (ST=22) codes; a05024 is not in Table B.2 but is what devices send for O3.
HJ212_CODES = {"a21026": "SO2", "a21004": "NO2", "a34002": "PM10", "a34004": "PM2.5", "a21005": "CO", "a05024": "O3"}

IAQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
SO2_24H = (0, 50, 150, 475, 800, 1600, 2100, 2620)
SO2_1H = (0, 150, 500, 650, 800)  # ends at IAQI 200: above 800 the 24 h table applies
NO2_24H = (0, 40, 80, 180, 280, 565, 750, 940)
NO2_1H = (0, 100, 200, 700, 1200, 2340, 3090, 3840)
PM10_24H = (0, 50, 150, 250, 350, 420, 500, 600)
CO_24H = (0, 2, 4, 14, 24, 36, 48, 60)
CO_1H = (0, 5, 10, 35, 60, 90, 120, 150)
O3_1H = (0, 160, 200, 300, 400, 800, 1000, 1200)
O3_8H = (0, 100, 160, 215, 265, 800)  # ends at IAQI 300: above 800 the 1 h value decides
PM25_24H = (0, 35, 75, 115, 150, 250, 350, 500)

HOURLY_TABLES = {"SO2": SO2_1H, "NO2": NO2_1H, "PM10": PM10_24H, "PM2.5": PM25_24H, "CO": CO_1H, "O3": O3_1H}
DAILY_TABLES = {"SO2": SO2_24H, "NO2": NO2_24H, "PM10": PM10_24H, "PM2.5": PM25_24H, "CO": CO_24H, "O3": O3_1H}

O3_8H_MIN_HOURS = 6


@dataclass(frozen=True)
class Level:
    number: int
    name: str
    name_en: str
    label: str
    colour: str


LEVELS = (
    Level(1, "优", "Excellent", "一级", "#00E400"),
    Level(2, "良", "Good", "二级", "#FFFF00"),
    Level(3, "轻度污染", "Lightly polluted", "三级", "#FF7E00"),
    Level(4, "中度污染", "Moderately polluted", "四级", "#FF0000"),
    Level(5, "重度污染", "Heavily polluted", "五级", "#99004C"),
    Level(6, "严重污染", "Severely polluted", "六级", "#7E0023"),
)
_LEVEL_TOPS = (50, 100, 150, 200, 300)


@dataclass(frozen=True)
class Result:
    aqi: int | None
    level: Level | None
    primary: tuple[str, ...]
    iaqi: dict[str, int]


def _exact(value: float | int | Decimal | Fraction) -> Fraction | None:
    """The decimal the caller meant, as a Fraction; None for NaN. Fraction(0.04) would be the binary approximation,
    slightly above 0.04, and ceil would then push an exact result up by one."""
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if math.isnan(value):
        return None
    if isinstance(value, Decimal):
        return Fraction(value)
    return Fraction(repr(float(value)))


def iaqi(concentration: float, table: Sequence[float]) -> int | None:
    """Piecewise-linear IAQI against ``table`` (breakpoints for IAQI 0, 50, 100, 150, 200, 300, 400, 500), rounded
    up as HJ 633 requires. None for a negative or NaN concentration; 500 above the top breakpoint."""
    if math.isinf(concentration):
        return None if concentration < 0 else IAQI_LEVELS[-1]
    c = _exact(concentration)
    if c is None or c < 0:
        return None
    points = [_exact(bp) for bp in table]
    for i in range(1, len(points)):
        bp_lo, bp_hi = points[i - 1], points[i]
        assert bp_lo is not None and bp_hi is not None
        if c <= bp_hi:
            lo, hi = IAQI_LEVELS[i - 1], IAQI_LEVELS[i]
            return math.ceil(Fraction(hi - lo) / (bp_hi - bp_lo) * (c - bp_lo) + lo)
    return IAQI_LEVELS[-1]


def level_of(aqi: int) -> Level:
    if aqi < 0:
        raise ValueError(f"AQI cannot be negative: {aqi}")
    for top, level in zip(_LEVEL_TOPS, LEVELS, strict=False):
        if aqi <= top:
            return level
    return LEVELS[-1]


def _present(conc: Mapping[str, float | None]) -> dict[str, float]:
    # A misspelt key ("PM25") would otherwise drop a pollutant silently and understate the AQI.
    unknown = set(conc) - set(POLLUTANTS)
    if unknown:
        raise ValueError(f"unknown pollutant(s): {', '.join(sorted(unknown))}; expected keys from {POLLUTANTS}")
    return {name: value for name in POLLUTANTS if (value := conc.get(name)) is not None}


def _result(indices: dict[str, int]) -> Result:
    if not indices:
        return Result(None, None, (), {})
    aqi = max(indices.values())
    primary = tuple(name for name in POLLUTANTS if indices.get(name) == aqi) if aqi > 50 else ()
    return Result(aqi, level_of(aqi), primary, indices)


def hourly(conc: Mapping[str, float | None]) -> Result:
    """The real-time report from 1-hour concentrations (PM too: HJ 633 applies its 24 h breakpoints to the hour)."""
    indices: dict[str, int] = {}
    for name, value in _present(conc).items():
        table = HOURLY_TABLES[name]
        # HJ 633 note: SO2 1-h above 800 has no 1-h IAQI; it is rated on the 24-h table instead.
        if name == "SO2" and value > SO2_1H[-1]:
            table = SO2_24H
        index = iaqi(value, table)
        if index is not None:
            indices[name] = index
    return _result(indices)


def daily(conc: Mapping[str, float | None], o3_8h: float | None = None) -> Result:
    """The daily report from 24-h means; ``conc["O3"]`` is the day's maximum 1-h O3 and ``o3_8h`` its maximum 8-h
    moving average. O3 counts with the larger of the two IAQIs; an 8-h value above 800 has no 8-h IAQI (HJ 633
    note), so only the 1-h one counts then, and O3 is missing if there is none."""
    indices: dict[str, int] = {}
    for name, value in _present(conc).items():
        index = iaqi(value, DAILY_TABLES[name])
        if index is not None:
            indices[name] = index
    if o3_8h is not None and not o3_8h > O3_8H[-1]:
        index_8h = iaqi(o3_8h, O3_8H)
        if index_8h is not None:
            indices["O3"] = max(index_8h, indices.get("O3", index_8h))
    # dict order follows insertion; keep POLLUTANTS order so callers see a stable layout.
    return _result({name: indices[name] for name in POLLUTANTS if name in indices})


def o3_8h_max(hourly_o3: Sequence[float | None]) -> float | None:
    """The day's maximum 8-hour moving average from hourly O3 values in time order (None or negative = missing).

    Per HJ 663-2013 practice an 8-h window is valid with at least 6 valid hours, averaged over those hours. HJ 663's
    further rule that a day needs 14 valid windows is a data-completeness judgement left to the caller."""
    values = [v if v is not None and not math.isnan(v) and v >= 0 else None for v in hourly_o3]
    best: float | None = None
    for start in range(len(values) - 7):
        window = [v for v in values[start : start + 8] if v is not None]
        if len(window) >= O3_8H_MIN_HOURS:
            mean = math.fsum(window) / len(window)  # fsum: no accumulated rounding to nudge a mean over a breakpoint
            best = mean if best is None else max(best, mean)
    return best
