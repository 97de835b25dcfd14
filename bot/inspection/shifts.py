"""The duty rota (值班) as the config writes it: shifts by day and time, people in order.

A department (or a single queue) has a rota: a list of shifts, each on some days, from a local
time to another (past midnight when it ends earlier than it starts), with the people on duty
in order: the first is pinged about each new ticket, the next one if nobody has claimed it
within ``ack_minutes``, and so on; then the supervisors. The first shift listed that covers a
moment is the one on duty then, so holidays go first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Day names a shift may list, besides the weekdays: Chinese working days (make-up workdays
# included), rest days (weekends and public holidays, make-up workdays excluded), public
# holidays only, and every day.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAY, RESTDAY, HOLIDAY, EVERY_DAY = "workday", "restday", "holiday", "*"
DAY_NAMES = (*WEEKDAYS, WORKDAY, RESTDAY, HOLIDAY, EVERY_DAY)
MINUTES_PER_DAY = 24 * 60
MAX_SHIFT_NAME = 20


def clock_minutes(text: str, *, end: bool = False) -> int:
    """``"08:30"`` → 510; ``"24:00"`` only as an end. A ValueError says what is expected."""
    hours, _, minutes = text.partition(":")
    if text.isdigit():
        # YAML reads an unquoted 08:30 as a number (base 60): say how to write it.
        raise ValueError(f'write shift times in quotes, like "08:30" (got {text})')
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(f'shift times look like "08:30", got {text!r}')
    value = int(hours) * 60 + int(minutes)
    highest = MINUTES_PER_DAY if end else MINUTES_PER_DAY - 1
    if int(minutes) > 59 or value > highest:
        raise ValueError(
            f"{text!r} is not a time of day{' (24:00 is the latest end)' if end else ''}"
        )
    return value


@dataclass(frozen=True)
class Shift:
    name: str  # what staff read: "白班", "夜班"
    days: tuple[str, ...] = (EVERY_DAY,)
    start: str = "00:00"
    end: str = "24:00"  # at or before ``start``: the next day (the same time: 24 hours)
    # Telegram user ids, first on duty first.
    people: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_SHIFT_NAME:
            raise ValueError(f"a shift needs a name of 1 to {MAX_SHIFT_NAME} characters")
        unknown = [d for d in self.days if d not in DAY_NAMES]
        if not self.days or unknown:
            raise ValueError(f"shift days are among {', '.join(DAY_NAMES)}; got {unknown or '[]'}")
        clock_minutes(self.start)  # each raises on a malformed time
        clock_minutes(self.end, end=True)
        if any(p <= 0 for p in self.people):
            raise ValueError("people are Telegram user ids (positive numbers)")
        if len(set(self.people)) != len(self.people):
            raise ValueError(f"shift {self.name!r} lists someone twice")

    @property
    def start_minute(self) -> int:
        return clock_minutes(self.start)

    @property
    def end_minute(self) -> int:
        """Minutes after the start day's midnight (past 24 h for a shift into the next day)."""
        end = clock_minutes(self.end, end=True)
        return end if end > self.start_minute else end + MINUTES_PER_DAY


@dataclass(frozen=True)
class Rota:
    """The shifts of one department (every queue of it) or of one queue."""

    shifts: tuple[Shift, ...]
    department: str = ""
    queue: str = ""

    def __post_init__(self) -> None:
        if bool(self.department) == bool(self.queue):
            raise ValueError("a rota names either a department or a queue")
        if not self.shifts:
            raise ValueError("a rota needs at least one shift")

    @property
    def key(self) -> str:
        """How the store names it: ``department:duty`` or ``queue:edu-haidian``."""
        return f"department:{self.department}" if self.department else f"queue:{self.queue}"


@dataclass(frozen=True)
class DutySettings:
    # Minutes a new ticket may wait unclaimed before the next person on the rota is pinged.
    ack_minutes: int = 30
    rotas: tuple[Rota, ...] = field(default=())

    def __post_init__(self) -> None:
        if not 1 <= self.ack_minutes <= 24 * 60:
            raise ValueError("ack_minutes must be between 1 and 1440")
        keys = [r.key for r in self.rotas]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"one rota each: {', '.join(twice)} has more than one")
