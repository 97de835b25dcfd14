"""When each shift of a rota runs: the shift covering a moment, the ones after it, the gaps.

Shifts are matched to local days by the working calendar (weekdays, working and rest days,
public holidays); the first shift listed that covers a moment is the one on duty. Who is on
duty in it (the config's people, a shift taken or handed over, who still works there) is the
duty desk's business (:mod:`bot.inspection.duty`); this module only knows the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.inspection.shifts import DutySettings, Rota, Shift
from bot.inspection.workdays import WorkingCalendar

# How far ahead the next shift is looked for (a rota with no shift in a week has a gap anyway).
LOOK_AHEAD_DAYS = 8
# At most this many shifts are listed ahead (a rota of 15-minute shifts would be silly).
MAX_LISTED = 200


@dataclass(frozen=True)
class ShiftTime:
    """One occurrence of a shift: this shift, from ``start`` to ``end`` (local time)."""

    rota_index: int  # in the config's list of rotas
    rota: Rota
    shift_index: int
    start: datetime
    end: datetime

    @property
    def shift(self) -> Shift:
        return self.rota.shifts[self.shift_index]

    @property
    def name(self) -> str:
        return self.shift.name


class RotaClock:
    def __init__(self, duty: DutySettings, calendar: WorkingCalendar) -> None:
        self.rotas = duty.rotas
        self._calendar = calendar
        self._days: dict[tuple[int, date], dict[int, ShiftTime]] = {}

    def index_of(self, rota: Rota) -> int:
        return self.rotas.index(rota)

    def at(self, rota: Rota, moment: datetime) -> ShiftTime | None:
        """The shift on duty at ``moment``, or None (a gap)."""
        index = self.index_of(rota)
        day = moment.astimezone(self._calendar.tz).date()
        today, yesterday = self._day(index, day), self._day(index, day - timedelta(days=1))
        for shift_index in range(len(rota.shifts)):
            for found in (today.get(shift_index), yesterday.get(shift_index)):
                if found is not None and found.start <= moment < found.end:
                    return found
        return None

    def next_start(
        self, rota: Rota, moment: datetime, days: int = LOOK_AHEAD_DAYS
    ) -> ShiftTime | None:
        """The first shift to begin after ``moment`` (within ``days``)."""
        index = self.index_of(rota)
        first = moment.astimezone(self._calendar.tz).date()
        starts = [
            found.start
            for offset in range(days + 1)
            for found in self._day(index, first + timedelta(days=offset)).values()
            if found.start > moment
        ]
        return self.at(rota, min(starts)) if starts else None

    def following(self, shift: ShiftTime) -> ShiftTime | None:
        """The shift on duty once ``shift`` ends."""
        return self.at(shift.rota, shift.end) or self.next_start(shift.rota, shift.end)

    def upcoming(self, rota: Rota, moment: datetime, until: datetime) -> list[ShiftTime]:
        """The shift on duty at ``moment`` (if any) and those after it, starting before
        ``until``."""
        found: list[ShiftTime] = []
        shift = self.at(rota, moment) or self.next_start(rota, moment)
        while shift is not None and shift.start < until and len(found) < MAX_LISTED:
            found.append(shift)
            shift = self.following(shift)
        return found

    def gaps(self, rota: Rota, start: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
        """Stretches of time in [start, until) when no shift is on duty."""
        gaps: list[tuple[datetime, datetime]] = []
        cursor = start
        while cursor < until:
            shift = self.at(rota, cursor)
            if shift is not None:
                cursor = shift.end
                continue
            following = self.next_start(rota, cursor)
            gap_end = (
                min(following.start, until)
                if following
                else min(until, cursor + timedelta(days=LOOK_AHEAD_DAYS))
            )
            if gaps and gaps[-1][1] == cursor:
                gaps[-1] = (gaps[-1][0], gap_end)
            else:
                gaps.append((cursor, gap_end))
            cursor = gap_end
        return gaps

    def _day(self, rota_index: int, day: date) -> dict[int, ShiftTime]:
        """The shifts of the rota that begin on local ``day``, by their index."""
        key = (rota_index, day)
        known = self._days.get(key)
        if known is None:
            rota = self.rotas[rota_index]
            names = self._calendar.day_names(day)
            midnight = datetime(day.year, day.month, day.day, tzinfo=self._calendar.tz)
            known = {
                index: ShiftTime(
                    rota_index,
                    rota,
                    index,
                    midnight + timedelta(minutes=shift.start_minute),
                    midnight + timedelta(minutes=shift.end_minute),
                )
                for index, shift in enumerate(rota.shifts)
                if names.intersection(shift.days)
            }
            self._days[key] = known
        return known
