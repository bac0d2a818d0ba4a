"""The rules a town starts with (an administrator changes them in the admin). Limits from the standards the
town's devices are judged by; each is a starting point, not a legal threshold."""

from __future__ import annotations

from typing import Any

# (name, kind, device_type, code, event, above, below, rate, aqi_level, duration s, severity, category code,
#  deadline minutes, dispatch)
RULES: list[tuple[Any, ...]] = [
    # A fire alarm goes straight to the fire station, to be on site within 30 minutes of the alarm.
    ("火警", "event", "", "", "fire", None, None, None, None, 0, "critical", "90002", 30, True),
    # GB 26875: 监管 signals (a closed valve, a pump stopped) need someone to look today, not a fire engine.
    ("消防设施监管告警", "event", "", "", "supervisory", None, None, None, None, 0, "major", "90002", 120, False),
    ("设备故障", "event", "", "", "fault", None, None, None, None, 0, "minor", None, None, False),
    ("占用消防通道", "event", "camera", "", "fire_lane", None, None, None, None, 0, "major", "09012", 120, False),
    ("高空抛物", "event", "camera", "", "throwing", None, None, None, None, 0, "major", None, None, False),
    # GB 50974: a hydrant's static pressure below 0.10 MPa cannot fight a fire.
    (
        "消火栓水压不足",
        "threshold",
        "hydrant",
        "pressure",
        "",
        None,
        0.10,
        None,
        None,
        300,
        "major",
        "90002",
        240,
        False,
    ),
    # GB 14287.2: residual current alarm settings run 20–1000 mA; 300 mA is the common setting.
    (
        "电气火灾剩余电流超限",
        "threshold",
        "electrical",
        "leakage",
        "",
        300,
        None,
        None,
        None,
        60,
        "major",
        "90002",
        120,
        False,
    ),
    ("线缆温度骤升", "rate", "electrical", "temperature", "", None, None, 5.0, None, 0, "minor", None, None, False),
    # HJ 633: 中度污染 (level 4) and worse.
    ("空气质量中度及以上污染", "aqi", "air", "", "", None, None, None, 4, 0, "major", "90003", 240, False),
    # DB12/524-2020 (Tianjin VOCs emission control): NMHC 60 mg/m³ for most industries.
    (
        "VOCs(非甲烷总烃)排放超标",
        "threshold",
        "voc",
        "a24088",
        "",
        60,
        None,
        None,
        None,
        600,
        "major",
        "90003",
        240,
        False,
    ),
    ("工地扬尘PM10超标", "threshold", "dust", "a34002", "", 250, None, None, None, 1800, "minor", "90003", 480, False),
    # GB 3838 class V: COD 40 mg/L, NH3-N 2.0 mg/L.
    ("河道水质COD超V类", "threshold", "water", "w01018", "", 40, None, None, None, 3600, "minor", "90003", 480, False),
    (
        "河道水质氨氮超V类",
        "threshold",
        "water",
        "w21003",
        "",
        2.0,
        None,
        None,
        None,
        3600,
        "minor",
        "90003",
        480,
        False,
    ),
    ("设备离线", "offline", "", "", "", None, None, None, None, 0, "minor", None, None, False),
]


def install(rule_model: Any, category_model: Any) -> int:
    made = 0
    for name, kind, dtype, code, event, above, below, rate, level, duration, severity, cat, minutes, dispatch in RULES:
        if rule_model.objects.filter(name=name).exists():
            continue
        category = category_model.objects.filter(kind="matter", code=cat).first() if cat else None
        rule_model.objects.create(
            name=name,
            kind=kind,
            device_type=dtype,
            code=code,
            event=event,
            above=above,
            below=below,
            rate=rate,
            aqi_level=level,
            duration=duration,
            severity=severity,
            category=category,
            deadline_minutes=minutes,
            dispatch=dispatch,
        )
        made += 1
    return made
