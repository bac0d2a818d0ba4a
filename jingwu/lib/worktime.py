"""Working-time arithmetic (工作时 / 工作日), model-free.

A calendar is a day schedule (periods such as 08:30-12:00 and 13:00-17:30), the weekend, a set of
public holidays and a set of make-up working days (调休: a Saturday or Sunday that is worked). All
arithmetic is exact to the microsecond and done in the calendar's local time zone.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS_SCANNED = 3660


class LimitUnit(enum.StrEnum):
    WORK_MINUTES = "work_minutes"
    WORK_HOURS = "work_hours"
    WORK_DAYS = "work_days"
    # 紧急: counted continuously, calendar time.
    CONTINUOUS_HOURS = "continuous_hours"


@dataclass(frozen=True)
class Limit:
    value: int
    unit: LimitUnit

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", LimitUnit(self.unit))
        if self.value < 0:
            raise ValueError("a time limit cannot be negative")


def parse_schedule(text: str) -> list[tuple[time, time]]:
    """``"08:30-12:00,13:00-17:30"`` → sorted, non-overlapping periods."""
    periods: list[tuple[time, time]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            a, b = part.split("-")
            start, end = time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
        except ValueError as exc:
            raise ValueError(f"bad schedule period {part!r}: use HH:MM-HH:MM") from exc
        if end <= start:
            raise ValueError(f"schedule period {part!r} ends before it starts")
        periods.append((start, end))
    periods.sort()
    for (_, end1), (start2, _) in itertools.pairwise(periods):
        if start2 < end1:
            raise ValueError("schedule periods overlap")
    if not periods:
        raise ValueError("the schedule has no working period")
    return periods


@dataclass
class WorkCalendar:
    periods: Sequence[tuple[time, time]]
    tz: ZoneInfo
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    weekend: frozenset[int] = frozenset({5, 6})

    @classmethod
    def build(
        cls,
        schedule: str,
        tz: str,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
    ) -> WorkCalendar:
        return cls(parse_schedule(schedule), ZoneInfo(tz), frozenset(holidays), frozenset(workdays))

    @property
    def day_length(self) -> timedelta:
        return sum(
            (datetime.combine(date.min, b) - datetime.combine(date.min, a) for a, b in self.periods),
            timedelta(),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    def _day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(day, a, tzinfo=self.tz), datetime.combine(day, b, tzinfo=self.tz))
            for a, b in self.periods
        ]

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment ``amount`` of working time after ``start``."""
        if amount < timedelta(0):
            raise ValueError("cannot add negative working time")
        current = start.astimezone(self.tz)
        remaining = amount
        day = current.date()
        for _ in range(MAX_DAYS_SCANNED):
            if self.is_working_day(day):
                for p_start, p_end in self._day_periods(day):
                    if p_end <= current:
                        continue
                    begin = max(p_start, current)
                    available = p_end - begin
                    if remaining <= available:
                        # A limit that ends exactly at a period's start is due at that start.
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("working time does not fit in ten years of the calendar")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b`` (negative when b is before a)."""
        if b < a:
            return -self.between(b, a)
        a, b = a.astimezone(self.tz), b.astimezone(self.tz)
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                for p_start, p_end in self._day_periods(day):
                    lo, hi = max(p_start, a), min(p_end, b)
                    if hi > lo:
                        total += hi - lo
            day += timedelta(days=1)
        return total

    def add_limit(self, start: datetime, limit: Limit) -> datetime:
        if limit.unit == LimitUnit.CONTINUOUS_HOURS:
            return start + timedelta(hours=limit.value)
        if limit.unit == LimitUnit.WORK_MINUTES:
            return self.add(start, timedelta(minutes=limit.value))
        if limit.unit == LimitUnit.WORK_HOURS:
            return self.add(start, timedelta(hours=limit.value))
        # N 工作日 = N working days of the schedule's length (8 工作时 with the default schedule).
        return self.add(start, self.day_length * limit.value)
