"""The factors devices report, by name and unit for people (HJ 212 codes and the devices' own)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _l

# Others show as their code.
FACTORS = {
    "a34004": "PM2.5",
    "a34002": "PM10",
    "a21026": "SO2",
    "a21004": "NO2",
    "a21005": "CO",
    "a05024": "O3",
    "a24088": _l("非甲烷总烃"),
    "w01018": "COD",
    "w21003": _l("氨氮"),
    "w01001": "pH",
    "pressure": _l("水压"),
    "leakage": _l("剩余电流"),
    "temperature": _l("温度"),
    "LA": _l("噪声"),
    "battery": _l("备电电量"),
    "online": _l("在线状态"),
    "a01001": _l("气温"),
    "a01002": _l("湿度"),
    "a01007": _l("风速"),
    "a01008": _l("风向"),
}
UNITS = {
    "a34004": "µg/m³",
    "a34002": "µg/m³",
    "a21026": "µg/m³",
    "a21004": "µg/m³",
    "a21005": "mg/m³",
    "a05024": "µg/m³",
    "a24088": "mg/m³",
    "w01018": "mg/L",
    "w21003": "mg/L",
    "pressure": "MPa",
    "leakage": "mA",
    "temperature": "°C",
    "LA": "dB(A)",
    "battery": "%",
    "a01001": "°C",
    "a01002": "%",
    "a01007": "m/s",
    "a01008": "°",
}


def factor(code: str) -> dict[str, str]:
    return {"code": code, "name": str(FACTORS.get(code, code)), "unit": UNITS.get(code, "")}
