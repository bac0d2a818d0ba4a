"""HJ 633-2012 AQI, worked by hand from the breakpoint table (../shared/docs/DOMAIN.md §8).
IAQI = (IAQI_hi - IAQI_lo) / (BP_hi - BP_lo) * (C - BP_lo) + IAQI_lo, then ceil."""

from __future__ import annotations

import math

import pytest

from jingwu.iot import aqi
from jingwu.iot.aqi import (
    CO_1H,
    CO_24H,
    NO2_1H,
    NO2_24H,
    O3_1H,
    O3_8H,
    PM10_24H,
    PM25_24H,
    SO2_1H,
    SO2_24H,
)


@pytest.mark.parametrize(
    ("table", "conc", "expected"),
    [
        (PM25_24H, 0, 0),
        (PM25_24H, 35, 50),  # breakpoint
        (PM25_24H, 55, 75),  # 50/40*20 + 50
        (PM25_24H, 75, 100),  # breakpoint: exactly 100, not 101
        (PM25_24H, 76, 102),  # 50/40*1 + 100 = 101.25 -> 102
        (PM25_24H, 7.7, 11),  # 50/35*7.7 = 11 exactly
        (PM25_24H, 500, 500),
        (PM10_24H, 150, 100),
        (PM10_24H, 100, 75),  # 50/100*50 + 50
        (PM10_24H, 385, 250),  # 100/70*35 + 200
        (SO2_24H, 50, 50),
        (SO2_24H, 312.5, 125),  # 50/325*162.5 + 100
        (SO2_24H, 1850, 350),  # 100/500*250 + 300
        (SO2_24H, 2620, 500),
        (SO2_1H, 150, 50),
        (SO2_1H, 325, 75),  # 50/350*175 + 50
        (SO2_1H, 575, 125),  # 50/150*75 + 100
        (SO2_1H, 800, 200),
        (NO2_24H, 40, 50),
        (NO2_24H, 41, 52),  # 50/40*1 + 50 = 51.25 -> 52
        (NO2_24H, 130, 125),  # 50/100*50 + 100
        (NO2_24H, 940, 500),
        (NO2_1H, 100, 50),
        (NO2_1H, 150, 75),  # 50/100*50 + 50
        (NO2_1H, 1770, 250),  # 100/1140*570 + 200
        (NO2_1H, 3840, 500),
        (CO_24H, 2, 50),
        (CO_24H, 3, 75),  # 50/2*1 + 50
        (CO_24H, 0.28, 7),  # 50/2*0.28 = 7 exactly; naive floats give 7.000000000000001 -> 8
        (CO_24H, 0.04, 1),  # 25*0.04 = 1; Fraction(0.04) is a hair above 0.04 -> 2
        (CO_24H, 9, 125),  # 50/10*5 + 100
        (CO_24H, 60, 500),
        (CO_1H, 5, 50),
        (CO_1H, 7.5, 75),  # 50/5*2.5 + 50
        (CO_1H, 22.5, 125),  # 50/25*12.5 + 100
        (CO_1H, 0.1, 1),  # 10*0.1 = 1 exactly
        (CO_1H, 150, 500),
        (O3_1H, 160, 50),
        (O3_1H, 180, 75),  # 50/40*20 + 50
        (O3_1H, 600, 250),  # 100/400*200 + 200
        (O3_1H, 1200, 500),
        (O3_8H, 100, 50),
        (O3_8H, 130, 75),  # 50/60*30 + 50
        (O3_8H, 240, 175),  # 50/50*25 + 150
        (O3_8H, 532.5, 250),  # 100/535*267.5 + 200
        (O3_8H, 800, 300),
    ],
)
def test_iaqi_worked_values(table, conc, expected):
    assert aqi.iaqi(conc, table) == expected


@pytest.mark.parametrize(
    ("conc", "expected"), [(500.1, 500), (10_000, 500), (math.inf, 500), (-1, None), (math.nan, None)]
)
def test_iaqi_over_the_top_and_refused(conc, expected):
    assert aqi.iaqi(conc, PM25_24H) == expected


def test_hourly_full_example():
    r = aqi.hourly({"SO2": 10, "NO2": 150, "PM10": 100, "PM2.5": 76, "CO": 0.8, "O3": 180})
    # SO2 50/150*10 = 3.3 -> 4; NO2 75; PM10 75; PM2.5 101.25 -> 102; CO 10*0.8 = 8; O3 75
    assert r.iaqi == {"SO2": 4, "NO2": 75, "PM10": 75, "PM2.5": 102, "CO": 8, "O3": 75}
    assert (r.aqi, r.primary) == (102, ("PM2.5",))
    assert (r.level.number, r.level.name, r.level.label, r.level.colour) == (3, "轻度污染", "三级", "#FF7E00")


def test_hourly_tie_gives_two_primaries_in_pollutant_order():
    r = aqi.hourly({"PM2.5": 55, "PM10": 100, "NO2": 100})  # 75, 75, 50
    assert (r.aqi, r.primary, r.level.name) == (75, ("PM10", "PM2.5"), "良")


def test_hourly_aqi_at_most_50_has_no_primary():
    r = aqi.hourly({"PM2.5": 35, "PM10": 50, "SO2": None})  # 50, 50
    assert (r.aqi, r.primary, r.level.name_en) == (50, (), "Excellent")
    assert r.iaqi == {"PM10": 50, "PM2.5": 50}


@pytest.mark.parametrize("conc", [{}, {"SO2": None, "O3": None}, {"PM2.5": -3}])
def test_nothing_present_gives_no_aqi(conc):
    assert aqi.hourly(conc) == aqi.Result(None, None, (), {})
    assert aqi.daily(conc).aqi is None


def test_negative_is_missing_not_zero():
    assert aqi.hourly({"PM2.5": -1, "PM10": 100}).iaqi == {"PM10": 75}


def test_over_the_top_is_500():
    r = aqi.hourly({"PM2.5": 800, "CO": 1})
    assert (r.aqi, r.primary, r.level.number, r.level.colour) == (500, ("PM2.5",), 6, "#7E0023")


def test_unknown_key_is_refused():
    with pytest.raises(ValueError, match="PM25"):
        aqi.hourly({"PM25": 80})


def test_so2_hourly_above_800_uses_24h_table():
    assert aqi.hourly({"SO2": 800}).aqi == 200  # still the 1 h table's top
    assert aqi.hourly({"SO2": 900}).aqi == 213  # 24 h table: 100/800*100 + 200 = 212.5 -> 213


def test_daily_full_example():
    r = aqi.daily({"SO2": 312.5, "NO2": 60, "PM10": 100, "PM2.5": 76, "CO": 3, "O3": 180}, o3_8h=240)
    # SO2 125; NO2 50/40*20 + 50 = 75; PM10 75; PM2.5 102; CO 75; O3 max(1 h 75, 8 h 175) = 175
    assert r.iaqi == {"SO2": 125, "NO2": 75, "PM10": 75, "PM2.5": 102, "CO": 75, "O3": 175}
    assert (r.aqi, r.primary, r.level.name, r.level.colour) == (175, ("O3",), "中度污染", "#FF0000")


@pytest.mark.parametrize(
    ("o3_1h", "o3_8h", "expected"),
    [
        (600, 130, 250),  # 1 h 250 beats 8 h 75
        (None, 130, 75),  # 8 h alone
        (180, None, 75),  # 1 h alone
        (600, 900, 250),  # 8 h above 800: the 1 h IAQI decides
        (None, 900, None),  # ... and without a 1 h value O3 is missing
        (1000, 800, 400),  # 8 h at 800 is still rated (300), 1 h 400 is larger
    ],
)
def test_daily_o3(o3_1h, o3_8h, expected):
    r = aqi.daily({"O3": o3_1h, "PM10": 50}, o3_8h=o3_8h)
    assert r.iaqi.get("O3") == expected


def test_o3_8h_max_full_day():
    assert aqi.o3_8h_max([100.0] * 24) == 100
    # h*10 for h = 0..23: the last window (16..23) averages 10 * 19.5
    assert aqi.o3_8h_max([h * 10.0 for h in range(24)]) == pytest.approx(195)


def test_o3_8h_max_with_gaps():
    # window 0..7 has 6 valid hours (mean 50); window 1..8 has 7: (6*50 + 80)/7
    assert aqi.o3_8h_max([None, None, 50, 50, 50, 50, 50, 50, 80]) == pytest.approx(380 / 7)
    # negative = missing: 6 valid of 8 still counts
    assert aqi.o3_8h_max([-5, math.nan, 60, 60, 60, 60, 60, 60]) == pytest.approx(60)


@pytest.mark.parametrize(
    "hours", [[], [100.0] * 7, [100, None, None, None, 100, 100, 100, 100], [None] * 24]
)  # no window with 6 valid hours
def test_o3_8h_max_none(hours):
    assert aqi.o3_8h_max(hours) is None


@pytest.mark.parametrize(
    ("value", "number", "name", "colour"),
    [
        (0, 1, "优", "#00E400"),
        (50, 1, "优", "#00E400"),
        (51, 2, "良", "#FFFF00"),
        (100, 2, "良", "#FFFF00"),
        (101, 3, "轻度污染", "#FF7E00"),
        (150, 3, "轻度污染", "#FF7E00"),
        (151, 4, "中度污染", "#FF0000"),
        (200, 4, "中度污染", "#FF0000"),
        (201, 5, "重度污染", "#99004C"),
        (300, 5, "重度污染", "#99004C"),
        (301, 6, "严重污染", "#7E0023"),
        (500, 6, "严重污染", "#7E0023"),
    ],
)
def test_level_boundaries(value, number, name, colour):
    level = aqi.level_of(value)
    assert (level.number, level.name, level.colour) == (number, name, colour)
    assert level.label == "一二三四五六"[number - 1] + "级"


def test_level_refuses_negative_and_codes_cover_pollutants():
    with pytest.raises(ValueError):
        aqi.level_of(-1)
    assert sorted(aqi.HJ212_CODES.values()) == sorted(aqi.POLLUTANTS)
