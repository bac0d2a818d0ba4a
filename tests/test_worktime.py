from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jingwu.lib.worktime import Limit, LimitUnit, WorkCalendar, parse_schedule
from jingwu.workcal.official import rows
from jingwu.workcal.services import add_working_time, working_time_between

TZ = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def dt(*a: int) -> datetime:
    return datetime(*a, tzinfo=TZ)


def official() -> WorkCalendar:
    data = rows()
    return WorkCalendar.build(
        "08:30-12:00,13:00-17:30",
        "Asia/Shanghai",
        [d for d, k, _ in data if k == "holiday"],
        [d for d, k, _ in data if k == "workday"],
    )


def test_it_adds_within_a_morning() -> None:
    assert official().add(dt(2026, 3, 2, 9, 0), 2 * H) == dt(2026, 3, 2, 11, 0)


def test_it_skips_the_lunch_break() -> None:
    assert official().add(dt(2026, 3, 2, 11, 0), 2 * H) == dt(2026, 3, 2, 14, 0)


def test_it_starts_outside_hours_at_the_next_period() -> None:
    cal = official()
    assert cal.add(dt(2026, 3, 2, 7, 0), H) == dt(2026, 3, 2, 9, 30)
    assert cal.add(dt(2026, 3, 2, 12, 30), H) == dt(2026, 3, 2, 14, 0)
    assert cal.add(dt(2026, 3, 2, 20, 0), H) == dt(2026, 3, 3, 9, 30)


def test_it_skips_the_weekend() -> None:
    # Friday 2026-03-06 17:00 + 1 h: 30 min on Friday, 30 min on Monday.
    assert official().add(dt(2026, 3, 6, 17, 0), H) == dt(2026, 3, 9, 9, 0)


def test_one_working_day_is_eight_working_hours() -> None:
    cal = official()
    assert cal.day_length == 8 * H
    start = dt(2026, 3, 3, 10, 0)
    assert cal.add_limit(start, Limit(1, LimitUnit.WORK_DAYS)) == cal.add_limit(start, Limit(8, LimitUnit.WORK_HOURS))
    assert cal.add_limit(start, Limit(1, LimitUnit.WORK_DAYS)) == dt(2026, 3, 4, 10, 0)


def test_it_skips_the_labour_day_holiday() -> None:
    # Thursday 2026-04-30 16:00 + 1 工作日: 1.5 h on Apr 30, then May 1–5 off, 6.5 h on Wed May 6.
    assert official().add_limit(dt(2026, 4, 30, 16, 0), Limit(1, LimitUnit.WORK_DAYS)) == dt(2026, 5, 6, 16, 0)


def test_it_counts_a_make_up_saturday() -> None:
    # Saturday 2026-05-09 is a 调休 working day.
    cal = official()
    assert cal.is_working_day(date(2026, 5, 9))
    assert cal.add_limit(dt(2026, 5, 8, 16, 0), Limit(1, LimitUnit.WORK_DAYS)) == dt(2026, 5, 9, 16, 0)
    # And an ordinary Saturday is not.
    assert not cal.is_working_day(date(2026, 5, 16))


def test_the_spring_festival_is_nine_days_off_with_two_make_up_saturdays() -> None:
    cal = official()
    assert [d for d in (date(2026, 2, 15) + timedelta(days=i) for i in range(9)) if cal.is_working_day(d)] == []
    assert cal.is_working_day(date(2026, 2, 14)) and cal.is_working_day(date(2026, 2, 28))
    assert cal.add_limit(dt(2026, 2, 13, 17, 0), Limit(1, LimitUnit.WORK_HOURS)) == dt(2026, 2, 14, 9, 0)


def test_continuous_limits_ignore_the_calendar() -> None:
    start = dt(2026, 5, 1, 10, 0)
    assert official().add_limit(start, Limit(24, LimitUnit.CONTINUOUS_HOURS)) == start + timedelta(hours=24)


def test_between_is_the_inverse_of_add() -> None:
    cal = official()
    start = dt(2026, 4, 29, 11, 17)
    for hours in (0, 1, 3.5, 8, 17, 40, 123):
        end = cal.add(start, timedelta(hours=hours))
        assert cal.between(start, end) == timedelta(hours=hours)
        assert cal.between(end, start) == -timedelta(hours=hours)


def test_between_across_a_holiday_counts_nothing_for_it() -> None:
    assert official().between(dt(2026, 4, 30, 17, 30), dt(2026, 5, 6, 8, 30)) == timedelta(0)


def test_limits_ending_at_a_period_boundary_are_due_then() -> None:
    assert official().add(dt(2026, 3, 2, 8, 30), 3.5 * H) == dt(2026, 3, 2, 12, 0)


@pytest.mark.parametrize("bad", ["", "8-12", "12:00-08:00", "08:00-12:00,11:00-13:00"])
def test_bad_schedules_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(bad)


def test_negative_time_is_refused() -> None:
    with pytest.raises(ValueError):
        official().add(dt(2026, 3, 2, 9, 0), -H)


@pytest.mark.django_db
def test_the_database_calendar_carries_the_official_schedule_and_follows_edits() -> None:
    from jingwu.workcal.models import Holiday

    assert add_working_time(dt(2026, 4, 30, 16, 0), Limit(1, LimitUnit.WORK_DAYS)) == dt(2026, 5, 6, 16, 0)
    # An administrator declares Wednesday 2026-05-06 a holiday too: the deadline moves at once.
    Holiday.objects.create(date=date(2026, 5, 6), kind="holiday", name="本地假日")
    assert add_working_time(dt(2026, 4, 30, 16, 0), Limit(1, LimitUnit.WORK_DAYS)) == dt(2026, 5, 7, 16, 0)
    assert working_time_between(dt(2026, 5, 6, 9, 0), dt(2026, 5, 6, 11, 0)) == timedelta(0)
