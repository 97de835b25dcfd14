"""The flood gate: how many updates one person may send in a short window.

Counted in the store's throttle table, so every instance of the bot shares one count. Only a
keyed hash of the sender is kept, and only for the window.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from bot.store.base import Transaction
from bot.store.throttle import LimitedSlot, RateLimit, count_each, slots_for


class Admission(StrEnum):
    ADMIT = "admit"
    # The first update over the limit: say once, politely, to slow down.
    REFUSE_AND_SAY = "refuse_and_say"
    # Every later one in the same window: answering each would feed the flood.
    REFUSE_QUIETLY = "refuse_quietly"


class FloodGate:
    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit

    async def admit_in(
        self, tx: Transaction, arrivals: Sequence[tuple[int, str | None]], now: datetime
    ) -> dict[int, Admission]:
        """Count each (update id, sender) against its sender's window, in the caller's unit
        of work: one write and one read for a whole batch. Updates without a sender (channel
        posts, say) are admitted uncounted."""
        per_sender = Counter(sender for _, sender in arrivals if sender is not None)
        slots = {s: self._slot(s, now) for s in per_sender}
        totals = await count_each(tx, [(slots[s], n) for s, n in per_sender.items()])
        seen = {s: totals[slots[s].slot] - n for s, n in per_sender.items()}  # before the batch
        admissions: dict[int, Admission] = {}
        for update_id, sender in arrivals:
            if sender is None:
                admissions[update_id] = Admission.ADMIT
                continue
            seen[sender] += 1
            admissions[update_id] = self._admission(seen[sender])
        return admissions

    def _slot(self, sender: str, now: datetime) -> LimitedSlot:
        [slot] = slots_for(f"flood:{sender}", [self.limit], now)
        return slot

    def _admission(self, seen: int) -> Admission:
        if seen <= self.limit.count:
            return Admission.ADMIT
        if seen == self.limit.count + 1:
            return Admission.REFUSE_AND_SAY
        return Admission.REFUSE_QUIETLY
