"""The flood gate: how many updates one person may send in a short window.

Counted in the store's throttle table, so every instance of the bot shares one count. Only a
keyed hash of the sender is kept, and only for the window.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bot.store.base import Store, Transaction
from bot.tickets.settings import RateLimit
from bot.tickets.throttle import count, slots_for


class Admission(StrEnum):
    ADMIT = "admit"
    # The first update over the limit: say once, politely, to slow down.
    REFUSE_AND_SAY = "refuse_and_say"
    # Every later one in the same window: answering each would feed the flood.
    REFUSE_QUIETLY = "refuse_quietly"


class FloodGate:
    def __init__(self, store: Store, limit: RateLimit) -> None:
        self._store = store
        self.limit = limit

    async def admit(self, sender_key: str, now: datetime) -> Admission:
        async with self._store.transaction() as tx:
            return await self.admit_in(tx, sender_key, now)

    async def admit_in(self, tx: Transaction, sender_key: str, now: datetime) -> Admission:
        """``admit`` inside a unit of work the caller holds."""
        slots = slots_for(f"flood:{sender_key}", [self.limit], now)
        await count(tx, slots)
        [seen] = await tx.throttle_counts([s.slot for s in slots])
        if seen <= self.limit.count:
            return Admission.ADMIT
        if seen == self.limit.count + 1:
            return Admission.REFUSE_AND_SAY
        return Admission.REFUSE_QUIETLY
