"""The inbox: every Telegram update is recorded before it is handled.

Polling acknowledges updates before the handlers finish, so a crash would lose them; recorded
updates that never reached ``done`` are replayed: at start, and by any instance that finds one
left unfinished long after it was handed out (its instance stopped or crashed). Payloads say
who sent them, so they are sealed while waiting and erased once handled.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.chat_state import ChatState
from bot.privacy import Sealer, SealError
from bot.store.base import Store, Transaction
from bot.tickets.flood import Admission, FloodGate

log = logging.getLogger(__name__)

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Arrival:
    fresh: bool  # False: a repeat of an update already recorded, not to be handled again
    admission: Admission
    # The sender's chat state (see bot.chat_state), read in the same unit of work.
    state: dict[str, str] = field(default_factory=dict)


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
        self,
        update_id: int,
        payload_json: str,
        sender: str | None,
        flood: FloodGate,
        now: datetime,
        *,
        chat_state: ChatState | None = None,
    ) -> Arrival:
        """Record the update, count it against its sender's flood limit and read the sender's
        chat state in one unit of work: every update pays for one durable write here."""
        async with self._store.transaction() as tx:
            if not await self.record_in(tx, update_id, payload_json, now):
                return Arrival(fresh=False, admission=Admission.ADMIT)
            if sender is None:
                return Arrival(fresh=True, admission=Admission.ADMIT)
            admission = await flood.admit_in(tx, sender, now)
            state = await chat_state.load_in(tx, sender, now) if chat_state else {}
            return Arrival(fresh=True, admission=admission, state=state)

    async def mark_done(
        self,
        update_id: int,
        now: datetime,
        *,
        also: Callable[[Transaction], Awaitable[None]] | None = None,
    ) -> None:
        """``also`` writes what may ride along in the same commit (deferred chat state)."""
        async with self._store.transaction() as tx:
            await tx.finish_update(update_id, "done", now)
            if also is not None:
                await also(tx)

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
