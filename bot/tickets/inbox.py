"""The inbox: every Telegram update is recorded before it is handled.

Polling acknowledges updates before the handlers finish, so a crash would lose them; recorded
updates that never reached ``done`` are replayed: at start, and by any instance that finds one
left unfinished long after it was handed out (its instance stopped or crashed). Payloads say
who sent them, so they are sealed while waiting and erased once handled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.privacy import Sealer, SealError
from bot.store.base import Store, Transaction
from bot.tickets.flood import Admission, FloodGate

log = logging.getLogger(__name__)

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Arrival:
    fresh: bool  # False: a repeat of an update already recorded, not to be handled again
    admission: Admission


@dataclass(frozen=True)
class PendingUpdate:
    update_id: int
    payload: str  # the update's JSON, as received
    attempts: int  # replays before this one


class Inbox:
    def __init__(self, store: Store, sealer: Sealer, *, max_replays: int = 3) -> None:
        self._store = store
        self._sealer = sealer
        self._max_replays = max_replays

    async def record_update(self, update_id: int, payload_json: str, now: datetime) -> bool:
        """True for an update not seen before; False for a repeat, which must not be handled."""
        async with self._store.transaction() as tx:
            return await self.record_in(tx, update_id, payload_json, now)

    async def record_in(
        self, tx: Transaction, update_id: int, payload_json: str, now: datetime
    ) -> bool:
        """``record_update`` inside a unit of work the caller holds (one commit for both)."""
        return await tx.record_update(update_id, self._sealer.seal(payload_json), now)

    async def receive(
        self, update_id: int, payload_json: str, sender: str | None, flood: FloodGate, now: datetime
    ) -> Arrival:
        """Record the update and count it against its sender's flood limit in one commit:
        every update pays for one durable write here, not two."""
        async with self._store.transaction() as tx:
            if not await self.record_in(tx, update_id, payload_json, now):
                return Arrival(fresh=False, admission=Admission.ADMIT)
            if sender is None:
                return Arrival(fresh=True, admission=Admission.ADMIT)
            return Arrival(fresh=True, admission=await flood.admit_in(tx, sender, now))

    async def mark_done(self, update_id: int, now: datetime) -> None:
        async with self._store.transaction() as tx:
            await tx.finish_update(update_id, "done", now)

    async def mark_failed(self, update_id: int, now: datetime) -> None:
        """Set aside an update that cannot be handled; it is not replayed again."""
        async with self._store.transaction() as tx:
            await tx.finish_update(update_id, "failed", now)

    async def take_unfinished(
        self, now: datetime, *, stale_after: timedelta | None, limit: int = 500
    ) -> list[PendingUpdate]:
        """Updates to replay, oldest first; each one taken counts as one more replay.

        ``stale_after=None`` takes every unfinished update: right for the only process at its
        start. With instances sharing the database, another instance may still be working on a
        recent one, so only those handed out longer than ``stale_after`` ago are taken."""
        taken_before = FAR_FUTURE if stale_after is None else now - stale_after
        async with self._store.transaction() as tx:
            rows = await tx.take_unfinished_updates(taken_before, now, limit)
            pending = []
            for row in rows:
                replays = row.attempts - 1  # before this one
                payload = self._open(row.payload, row.update_id)
                if payload is None or replays >= self._max_replays:
                    log.warning("update %d set aside after %d replays", row.update_id, replays)
                    await tx.finish_update(row.update_id, "failed", now)
                    continue
                pending.append(PendingUpdate(row.update_id, payload, replays))
        return pending

    async def purge(self, now: datetime, keep: timedelta) -> int:
        """Forget handled updates older than ``keep`` (their ids still guard against repeats
        until then)."""
        async with self._store.transaction() as tx:
            return await tx.purge_updates(now - keep)

    def _open(self, sealed: str, update_id: int) -> str | None:
        try:
            return self._sealer.open(sealed)
        except SealError:
            log.error("update %d cannot be opened with the current keys", update_id)
            return None
