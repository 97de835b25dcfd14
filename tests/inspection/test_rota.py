"""The duty rota (值班): which shift is on at any moment (across a week's end, on a public
holiday and its make-up working day), gaps, shifts taken and handed over, the pings a new
ticket sends along the rota as time passes, and the per-shift figures."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.inspection.duty import DutyChanged
from bot.inspection.figures import Period
from bot.inspection.model import Changed, Denial, Denied
from bot.inspection.rota import RotaClock
from bot.inspection.settings import InspectionSettings, Member
from bot.inspection.shifts import DutySettings, Rota, Shift
from bot.inspection.workdays import WorkingCalendar
from bot.privacy import PrivacyKeys
from bot.store.base import Store

from .conftest import ADMIN, DAN, OUTSIDER, Bureau, Clock, Query, opened_bureau, organisation

# The duty desk's people (值班室): three inspectors and their supervisor.
ZHANG, LI, WANG, CHIEF = 4001, 4002, 4003, 4009
HOLIDAY = Shift("节假日", ("holiday",), "08:30", "08:30", (WANG, ZHANG))
DAY = Shift("白班", ("workday",), "08:30", "17:30", (ZHANG, LI))
NIGHT = Shift("夜班", ("*",), "17:30", "08:30", (LI, WANG))
WEEKEND = Shift("周末白班", ("restday",), "08:30", "17:30", (WANG,))
ROTA = Rota((HOLIDAY, DAY, NIGHT, WEEKEND), department="duty")


def beijing(text: str) -> datetime:
    """``"2026-03-02 09:30"`` in Beijing time."""
    return datetime.fromisoformat(f"{text}+08:00")


def on_duty_desk() -> InspectionSettings:
    base = organisation()
    staff = (Member(ZHANG), Member(LI), Member(WANG), Member(CHIEF, "supervisor"))
    departments = tuple(
        replace(d, members=staff) if d.id == "duty" else d for d in base.departments
    )
    return replace(base, departments=departments, duty=DutySettings(30, (ROTA,)))


@pytest.fixture
def rotas() -> RotaClock:
    return RotaClock(DutySettings(30, (ROTA,)), WorkingCalendar())


@pytest.fixture
async def desk(store: Store, keys: PrivacyKeys, clock: Clock) -> Bureau:
    return await opened_bureau(store, keys, clock, on_duty_desk())  # type: ignore[arg-type]


# --- the clock of shifts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "shift", "start"),
    [
        ("2026-03-02 09:30", "白班", "2026-03-02 08:30"),  # Monday morning
        ("2026-03-02 17:29", "白班", "2026-03-02 08:30"),
        ("2026-03-02 17:30", "夜班", "2026-03-02 17:30"),
        ("2026-03-03 08:29", "夜班", "2026-03-02 17:30"),  # past midnight, still Monday's night
        ("2026-03-01 12:00", "周末白班", "2026-03-01 08:30"),  # Sunday
        ("2026-03-02 03:00", "夜班", "2026-03-01 17:30"),  # Sunday's night into Monday
        ("2026-10-01 10:00", "节假日", "2026-10-01 08:30"),  # National Day, a Thursday
        ("2026-10-01 03:00", "夜班", "2026-09-30 17:30"),  # the night before it
        ("2026-10-07 20:00", "节假日", "2026-10-07 08:30"),  # its last day: 24 hours
        ("2026-10-08 08:00", "节假日", "2026-10-07 08:30"),
        ("2026-10-10 10:00", "白班", "2026-10-10 08:30"),  # a Saturday made a working day
        ("2026-10-11 10:00", "周末白班", "2026-10-11 08:30"),  # the Sunday after it
        ("2026-02-28 10:00", "白班", "2026-02-28 08:30"),  # Spring Festival's make-up Saturday
    ],
)
def test_the_shift_on_duty_at_a_moment(
    rotas: RotaClock, moment: str, shift: str, start: str
) -> None:
    found = rotas.at(ROTA, beijing(moment))
    assert found is not None and (found.name, found.start) == (shift, beijing(start))


def test_the_next_shift_follows_across_the_end_of_the_week(rotas: RotaClock) -> None:
    sunday_night = rotas.at(ROTA, beijing("2026-03-01 23:00"))
    assert sunday_night is not None and sunday_night.end == beijing("2026-03-02 08:30")
    monday = rotas.following(sunday_night)
    assert monday is not None and (monday.name, monday.start) == (
        "白班",
        beijing("2026-03-02 08:30"),
    )
    week = rotas.upcoming(ROTA, beijing("2026-03-06 09:00"), beijing("2026-03-10 09:00"))
    assert [(s.name, s.start.strftime("%a %H:%M")) for s in week] == [
        ("白班", "Fri 08:30"),
        ("夜班", "Fri 17:30"),
        ("周末白班", "Sat 08:30"),
        ("夜班", "Sat 17:30"),
        ("周末白班", "Sun 08:30"),
        ("夜班", "Sun 17:30"),
        ("白班", "Mon 08:30"),
        ("夜班", "Mon 17:30"),
        ("白班", "Tue 08:30"),
    ]


def test_a_rota_that_covers_every_hour_has_no_gap_and_one_without_nights_has_them(
    rotas: RotaClock,
) -> None:
    start = beijing("2026-03-02 00:00")
    assert rotas.gaps(ROTA, start, start + timedelta(days=366)) == []
    days_only = Rota((DAY,), queue="edu-haidian")
    clock = RotaClock(DutySettings(30, (days_only,)), WorkingCalendar())
    gaps = clock.gaps(days_only, start, start + timedelta(days=8))
    assert gaps[0] == (start, beijing("2026-03-02 08:30"))
    assert gaps[1] == (beijing("2026-03-02 17:30"), beijing("2026-03-03 08:30"))
    # Friday evening to Monday morning is one gap.
    assert (beijing("2026-03-06 17:30"), beijing("2026-03-09 08:30")) in gaps


# --- who is on duty, taking and handing over ----------------------------------------------------


async def test_duty_now_and_next_and_taking_a_shift(desk: Bureau, query: Query) -> None:
    duty = desk.inspection.duty
    view = duty.view(ROTA)
    assert view.now is not None and view.next is not None
    assert (view.now.shift.name, view.now.people) == ("白班", (ZHANG, LI))
    assert (view.next.shift.name, view.next.people) == ("夜班", (LI, WANG))

    start = view.now.shift.start
    taken = await duty.take(LI, 0, start)

    assert taken == DutyChanged(ROTA, view.now.shift, LI, ZHANG)
    assert duty.view(ROTA).now.people == (LI, ZHANG)  # type: ignore[union-attr]
    assert await duty.take(LI, 0, start) == Denied(Denial.ALREADY_ON_DUTY)
    # Whoever was on duty is told; the change is audited.
    [(payload,)] = query(
        f"SELECT payload FROM outbox WHERE kind = 'duty_taken' AND target = '{ZHANG}'"
    )
    assert json.loads(payload)["by"] == LI
    [(actor, details)] = query(
        "SELECT actor, details FROM staff_audit WHERE action = 'duty_take' AND allowed = TRUE"
    )
    assert actor == f"inspector:{LI}"
    assert json.loads(details)["from"] == f"inspector:{ZHANG}"


async def test_shifts_are_handed_over_by_their_holder_or_a_supervisor(
    desk: Bureau, clock: Clock, query: Query
) -> None:
    duty = desk.inspection.duty
    night = duty.view(ROTA).next
    assert night is not None and night.people[0] == LI
    start = night.shift.start
    assert await duty.hand_over(ZHANG, 0, start, WANG) == Denied(Denial.NOT_ALLOWED)  # not his
    assert await duty.hand_over(LI, 0, start, DAN) == Denied(Denial.COLLEAGUE_CANNOT_CLAIM)

    assert isinstance(await duty.hand_over(LI, 0, start, WANG), DutyChanged)

    assert duty.on_duty(night.shift).people == (WANG, LI)
    assert query(
        f"SELECT COUNT(*) FROM outbox WHERE kind = 'duty_handed' AND target = '{WANG}'"
    ) == [(1,)]
    assert isinstance(await duty.hand_over(CHIEF, 0, start, ZHANG), DutyChanged)
    assert [s.shift.name for s in duty.my_shifts(ZHANG, ROTA)][:2] == ["白班", "夜班"]
    # A shift that is over, a start no shift has, a rota that is not there, an outsider.
    assert await duty.take(LI, 0, start - timedelta(days=1)) == Denied(Denial.NO_SHIFT)
    assert await duty.take(LI, 0, start + timedelta(minutes=5)) == Denied(Denial.NO_SHIFT)
    assert await duty.take(LI, 7, start) == Denied(Denial.NO_ROTA)
    assert await duty.take(OUTSIDER, 0, start) == Denied(Denial.NOT_ALLOWED)
    clock.advance(days=1)
    assert await duty.take(WANG, 0, start) == Denied(Denial.NO_SHIFT)
    refused = query(
        "SELECT COUNT(*) FROM staff_audit WHERE allowed = FALSE AND action LIKE 'duty_%'"
    )
    assert refused == [(7,)]


# --- pings along the rota -----------------------------------------------------------------------


def pings(query: Query) -> list[tuple[str, int, str]]:
    rows = query("SELECT target, payload FROM outbox WHERE kind = 'duty_ping' ORDER BY id")
    return [(t, json.loads(p)["step"], json.loads(p)["reason"]) for t, p in rows]


async def test_an_unclaimed_ticket_goes_down_the_rota_then_to_the_supervisors(
    desk: Bureau, clock: Clock, query: Query
) -> None:
    duty = desk.inspection.duty
    number = await desk.report(category="other")
    assert query(f"SELECT queue FROM tickets WHERE number = '{number}'") == [("intake",)]
    assert pings(query) == [(str(ZHANG), 0, "on_duty")]

    clock.advance(minutes=29)
    assert await duty.due_pings(clock()) == 0
    clock.advance(minutes=1)
    assert await duty.due_pings(clock()) == 1
    assert await duty.due_pings(clock()) == 0  # and not again
    assert pings(query)[-1] == (str(LI), 1, "next")
    clock.advance(minutes=30)
    assert await duty.due_pings(clock()) == 1
    assert pings(query)[-1] == (str(CHIEF), 2, "supervisors")
    clock.advance(hours=3)
    assert await duty.due_pings(clock()) == 0  # nobody left to ping: the deadlines take over
    # The pings carry the ticket, so the card's buttons come with them.
    [(ticket_id,)] = query(f"SELECT id FROM tickets WHERE number = '{number}'")
    assert query("SELECT DISTINCT ticket_id FROM outbox WHERE kind = 'duty_ping'") == [(ticket_id,)]


async def test_a_claimed_ticket_pings_nobody_else(desk: Bureau, clock: Clock, query: Query) -> None:
    number = await desk.report(category="other")
    clock.advance(minutes=10)
    assert isinstance(await desk.inspection.desk.claim(ZHANG, number), Changed)
    clock.advance(minutes=50)
    assert await desk.inspection.duty.due_pings(clock()) == 0
    assert len(pings(query)) == 1


async def test_at_night_and_at_weekends_the_rota_is_pinged_too(
    desk: Bureau, clock: Clock, query: Query
) -> None:
    clock.now = beijing("2026-03-07 03:00").astimezone(UTC)  # Saturday, 3 a.m.
    await desk.report(category="other")
    assert pings(query) == [(str(LI), 0, "on_duty")]
    clock.advance(minutes=30)
    await desk.inspection.duty.due_pings(clock())
    assert pings(query)[-1] == (str(WANG), 1, "next")


async def test_a_shift_taken_or_a_member_removed_changes_who_is_pinged(
    desk: Bureau, query: Query
) -> None:
    duty = desk.inspection.duty
    now = duty.view(ROTA).now
    assert now is not None
    await duty.take(WANG, 0, now.shift.start)
    await desk.report(category="other")
    assert pings(query)[-1] == (str(WANG), 0, "on_duty")
    await desk.inspection.staff.remove(ADMIN, WANG)
    await desk.report(category="other")
    assert pings(query)[-1] == (str(ZHANG), 0, "on_duty")


# --- figures per shift --------------------------------------------------------------------------


async def test_stats_and_the_digest_count_each_shift(desk: Bureau, clock: Clock) -> None:
    desk_ = desk.inspection.desk
    fast = await desk.report(category="other")  # Monday 09:30, day shift
    clock.advance(minutes=10)
    await desk_.claim(ZHANG, fast)
    slow = await desk.report(category="other")
    clock.advance(minutes=40)
    await desk_.claim(ZHANG, slow)
    await desk.report(category="other")  # never claimed
    clock.now = beijing("2026-03-02 18:00").astimezone(UTC)
    await desk.report(category="other")  # night shift, still within its 30 minutes
    clock.advance(minutes=5)

    figures = await desk.inspection.reports.stats(ADMIN, Period.last_days(7, clock()))

    assert not isinstance(figures, Denied)
    day, night = figures.shifts[("值班室", "白班")], figures.shifts[("值班室", "夜班")]
    assert (day.received, day.claimed_in_time.met, day.claimed_in_time.missed) == (3, 1, 2)
    assert (night.received, night.claimed_in_time.pending) == (1, 1)
    assert day.claimed_in_time.percent == 33.3
    digest = await desk.inspection.reports.daily_digest("duty", clock())
    assert "值班室 · 白班:3 / 33.3%" in digest and "值班室 · 夜班:1 / -" in digest
