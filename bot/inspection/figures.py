"""Report figures: counts, claim and resolution times, deadline compliance.

Pure functions over :class:`bot.store.base.TicketTiming` rows, so the numbers behind a chart or
a digest can be checked without drawing anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from bot.store.base import TicketTiming
from bot.tickets.model import OPEN_STATUSES


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


@dataclass(frozen=True)
class Durations:
    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Compliance:
    met: int
    missed: int
    pending: int  # deadline still ahead and not yet done: neither met nor missed

    @property
    def percent(self) -> float | None:
        decided = self.met + self.missed
        return None if decided == 0 else round(100 * self.met / decided, 1)


@dataclass(frozen=True)
class StatsFigures:
    period: Period
    as_of: datetime
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_district: dict[str, int]
    by_queue: dict[str, int]
    claim_time: Durations
    resolution_time: Durations
    claim_deadline: Compliance
    resolve_deadline: Compliance


def compute_stats(
    rows: Sequence[TicketTiming],
    period: Period,
    as_of: datetime,
    district_of: Callable[[str], str] = lambda d: d,
) -> StatsFigures:
    """``district_of`` folds the names reporters gave into district ids."""
    # One pass over the rows: reports read up to a whole year of tickets.
    statuses: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    districts: Counter[str] = Counter()
    queues: Counter[str] = Counter()
    claim_states: Counter[str | None] = Counter()
    resolve_states: Counter[str | None] = Counter()
    claim_spans, resolve_spans = [], []
    for row in rows:
        statuses[row.status] += 1
        categories[row.category] += 1
        districts[row.district] += 1
        queues[row.queue] += 1
        if row.claimed_at is not None:
            claim_spans.append(row.claimed_at - row.created_at)
        if row.resolved_at is not None:
            resolve_spans.append(row.resolved_at - row.created_at)
        claim_states[_claim_state(row, as_of)] += 1
        resolve_states[_resolve_state(row, as_of)] += 1
    by_district: Counter[str] = Counter()
    for name, count in districts.items():
        by_district[district_of(name) or "-"] += count
    return StatsFigures(
        period=period,
        as_of=as_of,
        total=len(rows),
        by_status=_ranked(statuses),
        by_category=_ranked(categories),
        by_district=_ranked(by_district),
        by_queue=_ranked(queues),
        claim_time=durations(claim_spans),
        resolution_time=durations(resolve_spans),
        claim_deadline=_compliance(claim_states),
        resolve_deadline=_compliance(resolve_states),
    )


def _ranked(counted: Counter[str]) -> dict[str, int]:
    """Largest first, then by name, so charts and tests see a stable order."""
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def durations(spans: Sequence[timedelta]) -> Durations:
    hours = np.fromiter((s.total_seconds() for s in spans), dtype=float, count=len(spans)) / 3600
    if hours.size == 0:
        return Durations(0, None, None)
    median, p90 = np.percentile(hours, [50, 90])
    return Durations(int(hours.size), round(float(median), 2), round(float(p90), 2))


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
