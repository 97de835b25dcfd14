"""Fixed-window counters kept in the store: how many updates from one sender, reports, wrong
receipt codes, per window; every instance sharing the database shares the counts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.base import ThrottleSlot, Transaction

DAY = 24 * 60 * 60


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` events per fixed window of ``window_seconds``."""

    count: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("count must be at least 1")
        if not 1 <= self.window_seconds <= 31 * DAY:
            raise ValueError("window_seconds must be between 1 and 2678400 (31 days)")


@dataclass(frozen=True)
class LimitedSlot:
    slot: ThrottleSlot
    limit: RateLimit


@dataclass(frozen=True)
class Blocked:
    limit: RateLimit
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


def slots_for(key: str, limits: Sequence[RateLimit], now: datetime) -> list[LimitedSlot]:
    epoch = int(now.timestamp())
    return [
        LimitedSlot(
            ThrottleSlot(key, limit.window_seconds, epoch - epoch % limit.window_seconds), limit
        )
        for limit in limits
    ]


async def blocked(tx: Transaction, slots: Sequence[LimitedSlot], now: datetime) -> Blocked | None:
    """The limit that is full and stays full longest, or None when all have room."""
    counts = await tx.throttle_counts([s.slot for s in slots])
    epoch = int(now.timestamp())
    worst: Blocked | None = None
    for limited, count in zip(slots, counts, strict=True):
        if count >= limited.limit.count:
            ends = limited.slot.window_start + limited.slot.window_seconds
            if worst is None or ends - epoch > worst.seconds:
                worst = Blocked(limited.limit, ends - epoch)
    return worst


class Taking:
    """One more counted against each slot, on the unit's next trip to the database (no trip of
    its own): ask :meth:`over`, the limit this one went over or None, once a read of the unit
    has returned. The caller rolls back when over, so the count is undone with the rest."""

    def __init__(self, tx: Transaction, slots: Sequence[LimitedSlot], now: datetime) -> None:
        self._slots = slots
        self._now = now
        self._counts = tx.count_in_throttles_later([(s.slot, 1) for s in slots])

    def over(self) -> Blocked | None:
        counts = self._counts.result()
        return _went_over(self._slots, [counts[s.slot] for s in self._slots], self._now)


def _went_over(
    slots: Sequence[LimitedSlot], counts: Sequence[int], now: datetime
) -> Blocked | None:
    over = [(s, c) for s, c in zip(slots, counts, strict=True) if c > s.limit.count]
    if not over:
        return None
    epoch = int(now.timestamp())
    return max(
        (Blocked(s.limit, s.slot.window_start + s.slot.window_seconds - epoch) for s, _ in over),
        key=lambda b: b.seconds,
    )


async def count(tx: Transaction, slots: Sequence[LimitedSlot], amount: int = 1) -> None:
    await tx.add_to_throttles([s.slot for s in slots], amount)


async def count_each(
    tx: Transaction, amounts: Sequence[tuple[LimitedSlot, int]]
) -> dict[ThrottleSlot, int]:
    """Add each amount to its slot and read every slot's count back, in one statement."""
    return await tx.count_in_throttles([(limited.slot, amount) for limited, amount in amounts])
