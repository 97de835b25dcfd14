"""Report figures: the ones a hotline is judged by, each defined once, here.

Pure functions over :class:`bot.store.base.TicketTiming` rows, so the numbers behind /stats,
the daily digest, the export and the /brief report are the same numbers, checkable by hand.
Every figure is over the tickets *received* in the period (``[start, end)``):

- **received** (受理量): how many tickets.
- **claimed in time** (及时受理率): of the tickets whose claim deadline has passed or that were
  claimed (or decided without a claim), the share claimed by the deadline.
- **resolved in time** (按时办结率): of the tickets whose resolve deadline has passed or that
  were resolved, the share resolved by the deadline. A reopened ticket counts with its latest
  resolution against its renewed deadline.
- **claim / resolution time**: hours from receipt to the claim, and to the (latest)
  resolution: average, median and 90th percentile, over the tickets that got there.
- **回访 reached** (回访率): each ticket counts once, by its latest 回访: answered, over answered
  plus not reached (no answer within ``followup.reply_days``). Still within its days: neither.
- **satisfied** (满意率): 满意 plus 基本满意, over the answered latest 回访.
- **reopened** (二次办理率): of the tickets decided at least once, the share reopened.
- **repeat reports** (重复举报率): of the tickets received, those merged or decided as
  duplicates, or about an institution a ticket received in the 90 days before had named
  (which institution: :func:`reported_institution`).
- **per shift** (值班): for each shift of the duty rota, by the shift a ticket arrived in (or
  the rota's gap): tickets arrived, and the share claimed (or decided) within
  ``duty.ack_minutes`` of arriving; one still unclaimed within that time is neither.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np

from bot.matching.names import institution_key
from bot.store.base import TicketTiming
from bot.tickets.model import OPEN_STATUSES
from bot.tickets.verdicts import Verdict, round_state

# A ticket about an institution reported within this many days before it is a repeat report.
REPEAT_WINDOW = timedelta(days=90)
# What reporters write when they do not know the name: not an institution.
UNKNOWN_NAMES = frozenset(
    {"不清楚", "不知道", "不详", "未知", "无", "没有", "暂无", "不清楚名字", "unknown", "none"}
)
TOP_INSTITUTIONS = 10


@dataclass(frozen=True)
class Period:
    """Tickets received in [start, end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs timezone-aware times")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @classmethod
    def last_days(cls, days: int, now: datetime) -> Period:
        return cls(now - timedelta(days=days), now)

    def local_days(self, tz: tzinfo) -> tuple[str, str]:
        """The first and the last local day it covers (ISO dates; its end is exclusive)."""
        last = self.end - timedelta(microseconds=1)
        return self.start.astimezone(tz).date().isoformat(), last.astimezone(tz).date().isoformat()


def previous_period(period: Period, tz: tzinfo) -> Period:
    """What a period is compared with: the month before a calendar month (whole or so far,
    in local time), else the same length just before it."""
    start = period.start.astimezone(tz)
    month_start = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    if start == month_start and period.end <= next_month:
        return Period((month_start - timedelta(days=1)).replace(day=1), month_start)
    return Period(period.start - (period.end - period.start), period.start)


@dataclass(frozen=True)
class Durations:
    count: int
    mean_hours: float | None
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole``; no percent when there is no whole to speak of."""

    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return None if self.whole == 0 else round(100 * self.part / self.whole, 1)


@dataclass(frozen=True)
class Compliance:
    met: int
    missed: int
    pending: int  # deadline still ahead and not yet done: neither met nor missed

    @property
    def percent(self) -> float | None:
        return Share(self.met, self.met + self.missed).percent


@dataclass(frozen=True)
class Followup:
    """回访 of the tickets' latest rounds."""

    satisfied: int = 0
    mostly_satisfied: int = 0
    dissatisfied: int = 0
    not_reached: int = 0
    pending: int = 0  # asked, still within its days

    @property
    def answered(self) -> int:
        return self.satisfied + self.mostly_satisfied + self.dissatisfied

    @property
    def reached(self) -> Share:
        return Share(self.answered, self.answered + self.not_reached)

    @property
    def satisfaction(self) -> Share:
        return Share(self.satisfied + self.mostly_satisfied, self.answered)


@dataclass(frozen=True)
class Headline:
    """The figures a bureau is judged by, for one set of tickets."""

    received: int
    claim_deadline: Compliance
    resolve_deadline: Compliance
    claim_time: Durations
    resolution_time: Durations
    followup: Followup
    reopened: Share
    repeats: Share


@dataclass(frozen=True)
class ShiftFigures:
    """Tickets that arrived during one shift of a rota."""

    received: int
    claimed_in_time: Compliance  # claimed within duty.ack_minutes of arriving


# Which rota and shift a ticket of a queue arriving at a moment fell in: (rota, shift), the
# shift "" in a gap of the rota; None when the queue has no rota.
ShiftOf = Callable[[str, datetime], "tuple[str, str] | None"]


@dataclass(frozen=True)
class StatsFigures:
    period: Period
    as_of: datetime
    headline: Headline
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_district: dict[str, int]
    by_queue: dict[str, int]
    # The headline figures per queue, department (id) and district (id).
    queues: dict[str, Headline] = field(default_factory=dict)
    departments: dict[str, Headline] = field(default_factory=dict)
    districts: dict[str, Headline] = field(default_factory=dict)
    # Institutions named most often (as first written), with how many tickets named them.
    top_institutions: tuple[tuple[str, int], ...] = ()
    # Tickets per local week (its Monday, ISO) and category.
    by_week: dict[str, dict[str, int]] = field(default_factory=dict)
    tz: tzinfo = UTC  # the local time its days and weeks are counted in
    # Per shift of the duty rotas: (rota, shift) -> tickets arrived, claimed within the ack time.
    shifts: dict[tuple[str, str], ShiftFigures] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.headline.received

    @property
    def claim_time(self) -> Durations:
        return self.headline.claim_time

    @property
    def resolution_time(self) -> Durations:
        return self.headline.resolution_time

    @property
    def claim_deadline(self) -> Compliance:
        return self.headline.claim_deadline

    @property
    def resolve_deadline(self) -> Compliance:
        return self.headline.resolve_deadline


# The headline figures by id, in the order every table lists them, and what each one is.
FIGURE_KINDS: dict[str, str] = {
    "received": "count",
    "claim_on_time": "percent",
    "resolve_on_time": "percent",
    "claim_mean": "hours",
    "claim_p90": "hours",
    "resolve_mean": "hours",
    "resolve_p90": "hours",
    "reached": "percent",
    "satisfied": "percent",
    "reopened": "percent",
    "repeats": "percent",
}
FIGURE_IDS = tuple(FIGURE_KINDS)


def figure_values(figures: Headline) -> dict[str, float | int | None]:
    """Each headline figure by its id: what /stats, the digest, exports and /brief show."""
    return {
        "received": figures.received,
        "claim_on_time": figures.claim_deadline.percent,
        "resolve_on_time": figures.resolve_deadline.percent,
        "claim_mean": figures.claim_time.mean_hours,
        "claim_p90": figures.claim_time.p90_hours,
        "resolve_mean": figures.resolution_time.mean_hours,
        "resolve_p90": figures.resolution_time.p90_hours,
        "reached": figures.followup.reached.percent,
        "satisfied": figures.followup.satisfaction.percent,
        "reopened": figures.reopened.percent,
        "repeats": figures.repeats.percent,
    }


def reported_institution(name: str, institution_id: int | None = None) -> str | None:
    """Which institution a ticket is about, for repeat reports and the most reported: the
    registry's entry the ticket was linked to when it came in, else its name folded as
    possible duplicates are (:func:`institution_key`); None when neither says. (A ticket
    without a link is counted with the entry that tickets linked to it under the same folded
    name all name: see :class:`ReportedInstitutions`.)"""
    if institution_id is not None:
        return f"registry:{institution_id}"
    key = institution_key(name)
    if len(key) < 2 or key in UNKNOWN_NAMES:
        return None
    return key


class ReportedInstitutions:
    """:func:`reported_institution` over a set of tickets: a ticket that names an institution
    without a registry link ("not sure" at the form, or received before the list was
    imported) is about the registry's entry that the linked tickets of the same folded name
    point to, when they all point to one."""

    def __init__(self, tickets: Iterable[TicketTiming]) -> None:
        entries: defaultdict[str, set[str]] = defaultdict(set)
        for ticket in tickets:
            name = reported_institution(ticket.institution)
            if ticket.institution_id is not None and name is not None:
                entries[name].add(f"registry:{ticket.institution_id}")
        self._entry_of = {name: found.pop() for name, found in entries.items() if len(found) == 1}

    def of(self, ticket: TicketTiming) -> str | None:
        key = reported_institution(ticket.institution, ticket.institution_id)
        if ticket.institution_id is None and key is not None:
            return self._entry_of.get(key, key)
        return key


def compute_stats(
    rows: Sequence[TicketTiming],
    period: Period,
    as_of: datetime,
    district_of: Callable[[str], str] = lambda d: d,
    *,
    department_of: Callable[[str], str] = lambda q: q,
    history: Sequence[TicketTiming] | None = None,
    tz: tzinfo = UTC,
    shift_of: ShiftOf | None = None,
    ack: timedelta = timedelta(minutes=30),
) -> StatsFigures:
    """``district_of`` folds the names reporters gave into district ids, ``department_of``
    names a queue's department; ``history`` holds every queue's tickets from
    ``REPEAT_WINDOW`` before the period to its end (default: ``rows`` alone); ``shift_of``
    places a ticket in the duty rota, ``ack`` the time it should be claimed in."""
    history = rows if history is None else history
    about = ReportedInstitutions([*history, *rows])
    repeats = repeat_reports(rows, history, about)
    districts = [district_of(r.district) or "-" for r in rows]

    def headlines(keys: Iterable[str]) -> dict[str, Headline]:
        groups: defaultdict[str, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            groups[key].append(index)
        ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
        return {k: headline([rows[i] for i in ix], as_of, repeats) for k, ix in ranked}

    return StatsFigures(
        period=period,
        as_of=as_of,
        headline=headline(rows, as_of, repeats),
        by_status=_ranked(Counter(r.status for r in rows)),
        by_category=_ranked(Counter(r.category for r in rows)),
        by_district=_ranked(Counter(districts)),
        by_queue=_ranked(Counter(r.queue for r in rows)),
        queues=headlines(r.queue for r in rows),
        departments=headlines(department_of(r.queue) for r in rows),
        districts=headlines(districts),
        top_institutions=_most_reported(rows, about),
        by_week=_by_week(rows, tz),
        tz=tz,
        shifts={} if shift_of is None else shift_figures(rows, shift_of, ack, as_of),
    )


def shift_figures(
    rows: Sequence[TicketTiming], shift_of: ShiftOf, ack: timedelta, as_of: datetime
) -> dict[tuple[str, str], ShiftFigures]:
    """Per (rota, shift): tickets arrived, and how many were claimed within ``ack``."""
    groups: defaultdict[tuple[str, str], Counter[str | None]] = defaultdict(Counter)
    for row in rows:
        label = shift_of(row.queue, row.created_at)
        if label is not None:
            groups[label][_ack_state(row, ack, as_of)] += 1
    ranked = sorted(groups.items(), key=lambda item: (item[0][0], -item[1].total(), item[0][1]))
    return {label: ShiftFigures(states.total(), _compliance(states)) for label, states in ranked}


def _ack_state(row: TicketTiming, ack: timedelta, as_of: datetime) -> str | None:
    done = row.claimed_at or row.resolved_at
    return _state(done, row.created_at + ack, as_of, still_open=row.status in OPEN_STATUSES)


def headline(rows: Sequence[TicketTiming], as_of: datetime, repeats: set[str]) -> Headline:
    claim_states: Counter[str | None] = Counter()
    resolve_states: Counter[str | None] = Counter()
    followups: Counter[str | None] = Counter()
    claim_spans, resolve_spans = [], []
    for row in rows:
        if row.claimed_at is not None:
            claim_spans.append(row.claimed_at - row.created_at)
        if row.resolved_at is not None:
            resolve_spans.append(row.resolved_at - row.created_at)
        claim_states[_claim_state(row, as_of)] += 1
        resolve_states[_resolve_state(row, as_of)] += 1
        followups[followup_state(row, as_of)] += 1
    decided = [r for r in rows if r.resolved_at is not None or r.reopened > 0]
    return Headline(
        received=len(rows),
        claim_deadline=_compliance(claim_states),
        resolve_deadline=_compliance(resolve_states),
        claim_time=durations(claim_spans),
        resolution_time=durations(resolve_spans),
        followup=Followup(
            satisfied=followups[Verdict.SATISFIED],
            mostly_satisfied=followups[Verdict.MOSTLY_SATISFIED],
            dissatisfied=followups[Verdict.DISSATISFIED],
            not_reached=followups["not_reached"],
            pending=followups["pending"],
        ),
        reopened=Share(sum(1 for r in decided if r.reopened > 0), len(decided)),
        repeats=Share(sum(1 for r in rows if r.number in repeats), len(rows)),
    )


@dataclass(frozen=True)
class TicketMarks:
    """How one ticket counts in the figures, for an export's rows."""

    followup: str | None  # its latest 回访: a verdict, "not_reached", "pending"; None: not asked
    reopened: int
    repeat: bool


def ticket_marks(
    rows: Sequence[TicketTiming], history: Sequence[TicketTiming], as_of: datetime
) -> dict[str, TicketMarks]:
    repeats = repeat_reports(rows, history, ReportedInstitutions([*history, *rows]))
    return {
        r.number: TicketMarks(followup_state(r, as_of), r.reopened, r.number in repeats)
        for r in rows
    }


def followup_state(row: TicketTiming, as_of: datetime) -> str | None:
    """The ticket's latest 回访: its verdict, "not_reached", "pending", or None (not asked)."""
    if row.verdict_reply_by is None:
        return None
    return round_state(row.verdict, row.verdict_reply_by, as_of)


def repeat_reports(
    rows: Sequence[TicketTiming],
    history: Sequence[TicketTiming],
    about: ReportedInstitutions | None = None,
) -> set[str]:
    """Numbers of the ``rows`` that are repeat reports: decided as duplicates, or about an
    institution that a ticket of ``history`` received up to ``REPEAT_WINDOW`` before named."""
    about = about or ReportedInstitutions([*history, *rows])
    earlier: defaultdict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for ticket in history:
        key = about.of(ticket)
        if key is not None:
            earlier[key].append((ticket.created_at, ticket.number))
    for times in earlier.values():
        times.sort()
    found = set()
    for row in rows:
        if row.disposition == "duplicate":
            found.add(row.number)
            continue
        key = about.of(row)
        if key is None:
            continue
        times = earlier[key]
        first = bisect.bisect_left(times, (row.created_at - REPEAT_WINDOW, ""))
        if first < len(times) and times[first] < (row.created_at, row.number):
            found.add(row.number)
    return found


def _most_reported(
    rows: Sequence[TicketTiming], about: ReportedInstitutions
) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for row in rows:
        key = about.of(row)
        if key is not None:
            counts[key] += 1
            shown.setdefault(key, row.institution.strip())
    top = sorted(counts.items(), key=lambda item: (-item[1], shown[item[0]]))[:TOP_INSTITUTIONS]
    return tuple((shown[key], count) for key, count in top)


def _by_week(rows: Sequence[TicketTiming], tz: tzinfo) -> dict[str, dict[str, int]]:
    weeks: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        day = row.created_at.astimezone(tz).date()
        weeks[(day - timedelta(days=day.weekday())).isoformat()][row.category] += 1
    return {week: dict(weeks[week]) for week in sorted(weeks)}


def _ranked(counted: Counter[str]) -> dict[str, int]:
    """Largest first, then by name, so charts and tests see a stable order."""
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def durations(spans: Sequence[timedelta]) -> Durations:
    hours = np.fromiter((s.total_seconds() for s in spans), dtype=float, count=len(spans)) / 3600
    if hours.size == 0:
        return Durations(0, None, None, None)
    median, p90 = np.percentile(hours, [50, 90])
    mean = float(hours.mean())
    return Durations(int(hours.size), round(mean, 2), round(float(median), 2), round(float(p90), 2))


def _claim_state(row: TicketTiming, as_of: datetime) -> str | None:
    if row.claim_due_at is None:
        return None
    # A ticket decided without a claim (e.g. out of scope at triage) was handled when decided.
    done = row.claimed_at or row.resolved_at
    return _state(done, row.claim_due_at, as_of, still_open=row.status in OPEN_STATUSES)


def _resolve_state(row: TicketTiming, as_of: datetime) -> str | None:
    if row.resolve_due_at is None:
        return None
    return _state(row.resolved_at, row.resolve_due_at, as_of, still_open=True)


def _state(
    done: datetime | None, due: datetime, as_of: datetime, *, still_open: bool
) -> str | None:
    if done is not None:
        return "met" if done <= due else "missed"
    if not still_open:
        return None  # closed without the step (cannot say)
    return "missed" if due < as_of else "pending"


def _compliance(states: Counter[str | None]) -> Compliance:
    return Compliance(states["met"], states["missed"], states["pending"])
