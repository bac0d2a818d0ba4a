"""China's official holiday schedule (国务院办公厅关于部分节假日安排的通知), for the years the demo covers.

Administrators add later years in the admin when the State Council publishes them (each November).
"""

from __future__ import annotations

from datetime import date, timedelta


def _span(first: date, days: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(days)]


# (name, holidays, make-up working days)
SCHEDULE: dict[int, list[tuple[str, list[date], list[date]]]] = {
    2025: [
        ("元旦", [date(2025, 1, 1)], []),
        ("春节", _span(date(2025, 1, 28), 8), [date(2025, 1, 26), date(2025, 2, 8)]),
        ("清明节", _span(date(2025, 4, 4), 3), []),
        ("劳动节", _span(date(2025, 5, 1), 5), [date(2025, 4, 27)]),
        ("端午节", _span(date(2025, 5, 31), 3), []),
        ("国庆节、中秋节", _span(date(2025, 10, 1), 8), [date(2025, 9, 28), date(2025, 10, 11)]),
    ],
    2026: [
        ("元旦", _span(date(2026, 1, 1), 3), [date(2026, 1, 4)]),
        ("春节", _span(date(2026, 2, 15), 9), [date(2026, 2, 14), date(2026, 2, 28)]),
        ("清明节", _span(date(2026, 4, 4), 3), []),
        ("劳动节", _span(date(2026, 5, 1), 5), [date(2026, 5, 9)]),
        ("端午节", _span(date(2026, 6, 19), 3), []),
        ("中秋节", _span(date(2026, 9, 25), 3), []),
        ("国庆节", _span(date(2026, 10, 1), 7), [date(2026, 9, 20), date(2026, 10, 10)]),
    ],
}


def rows() -> list[tuple[date, str, str]]:
    out: list[tuple[date, str, str]] = []
    for entries in SCHEDULE.values():
        for name, holidays, workdays in entries:
            out += [(d, "holiday", name) for d in holidays]
            out += [(d, "workday", f"{name}调休") for d in workdays]
    return out
