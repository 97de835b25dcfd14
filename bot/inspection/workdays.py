"""Deadlines in natural hours or in Chinese working days.

Working days come from the ``chinese-calendar`` package: weekends and public holidays are off,
make-up working days (调休) are on. Its data covers only the years the State Council has
published; outside them the calendar falls back to Monday-Friday, logs a warning once per year
and says so through :meth:`WorkingCalendar.covers`, so a deadline is never silently wrong.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import chinese_calendar  # type: ignore[import-untyped]  # ships no type hints

from bot.inspection.settings import Calendar
from bot.inspection.shifts import EVERY_DAY, HOLIDAY, RESTDAY, WEEKDAYS, WORKDAY

log = logging.getLogger(__name__)

# Far more than any deadline needs; stops a loop if a calendar ever had no working day.
_MAX_DAYS = 3 * 366


class WorkingCalendar:
    def __init__(self, utc_offset_hours: int = 8) -> None:
        self.tz = timezone(timedelta(hours=utc_offset_hours))
        self._warned_years: set[int] = set()
        self._day_names: dict[date, frozenset[str]] = {}

    def covers(self, day: date) -> bool:
        """Whether the holiday data knows ``day`` (False means Monday-Friday is assumed)."""
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    def is_working_day(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self._warn_outside(day.year)
            return day.weekday() < 5

    def _warn_outside(self, year: int) -> None:
        if year not in self._warned_years:
            self._warned_years.add(year)
            log.warning(
                "no holiday data for %d: counting Monday-Friday as working days "
                "(upgrade the chinese-calendar package)",
                year,
            )

    def day_names(self, day: date) -> frozenset[str]:
        """What a rota's shift may call ``day``: its weekday ("mon"), "workday" or "restday",
        and "holiday" on a public holiday (法定节假日)."""
        known = self._day_names.get(day)
        if known is None:
            names = {WEEKDAYS[day.weekday()], EVERY_DAY}
            names.add(WORKDAY if self.is_working_day(day) else RESTDAY)
            if RESTDAY in names and self._holiday_name(day) is not None:
                names.add(HOLIDAY)
            known = self._day_names[day] = frozenset(names)
        return known

    def _holiday_name(self, day: date) -> str | None:
        try:
            _, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return None  # outside the data: no holidays known (warned about above)
        return None if name is None else str(name)

    def add_hours(self, start: datetime, hours: int, calendar: Calendar) -> datetime:
        """``start`` plus ``hours`` of clock time; with ``working_days`` the clock runs only on
        working days (local time), so a ticket filed on Saturday starts counting on Monday."""
        if calendar == "natural":
            return start + timedelta(hours=hours)
        cursor = start.astimezone(self.tz)
        remaining = timedelta(hours=hours)
        for _ in range(_MAX_DAYS):
            midnight = _next_midnight(cursor)
            if self.is_working_day(cursor.date()):
                available = midnight - cursor
                if remaining <= available:
                    return (cursor + remaining).astimezone(start.tzinfo)
                remaining -= available
            cursor = midnight
        raise ValueError(f"no working days within {_MAX_DAYS} days of {start.isoformat()}")

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


def _next_midnight(moment: datetime) -> datetime:
    day = moment.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=moment.tzinfo)
