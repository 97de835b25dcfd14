from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.inspection.workdays import WorkingCalendar

BEIJING = timezone(timedelta(hours=8))


def beijing(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BEIJING)


def test_natural_hours_count_every_hour() -> None:
    start = beijing(2026, 9, 30, 10)
    assert WorkingCalendar().add_hours(start, 24, "natural") == beijing(2026, 10, 1, 10)


def test_working_days_skip_the_national_day_holiday() -> None:
    calendar = WorkingCalendar()
    start = beijing(2026, 9, 30, 10)  # Wednesday; 1-7 October are public holidays
    # 14 hours left on the 30th, the other 10 on 8 October.
    assert calendar.add_hours(start, 24, "working_days") == beijing(2026, 10, 8, 10)
    # Saturday 10 October is a make-up working day (调休), Sunday 11 October is not.
    assert calendar.add_hours(start, 72, "working_days") == beijing(2026, 10, 10, 10)
    assert calendar.add_hours(start, 96, "working_days") == beijing(2026, 10, 12, 10)


def test_a_report_filed_at_the_weekend_starts_counting_on_monday() -> None:
    saturday = beijing(2026, 3, 7, 15)
    assert WorkingCalendar().add_hours(saturday, 24, "working_days") == beijing(2026, 3, 10, 0)


def test_results_keep_the_callers_time_zone() -> None:
    start = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Beijing, a Monday
    due = WorkingCalendar().add_hours(start, 24, "working_days")
    assert due.tzinfo is UTC and due == start + timedelta(hours=24)


def test_outside_the_holiday_data_it_falls_back_to_weekdays_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkingCalendar()
    assert calendar.covers(date(2026, 6, 1))
    assert not calendar.covers(date(2040, 6, 1))
    friday = beijing(2040, 6, 1, 12)
    with caplog.at_level(logging.WARNING, logger="bot.inspection.workdays"):
        due = calendar.add_hours(friday, 24, "working_days")
        calendar.add_hours(friday, 48, "working_days")
    assert due == beijing(2040, 6, 4, 12)  # Monday: the weekend stopped the clock
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "no holiday data for 2040: counting Monday-Friday as working days "
        "(upgrade the chinese-calendar package)"
    ]
