"""The inbox: every update is recorded before Telegram is told it arrived, and before anything
handles it; it is marked done once handled, and replayed if it never was.

One object owns the protocol, with three verbs the front doors (polling, the webhook) and the
handlers call the same way:

- :meth:`Inbox.arrive` records a batch (one unit of work: the updates, sealed, and each
  sender's flood count) and says of each update whether it is fresh, a repeat, or refused;
- :meth:`Inbox.finish` marks a handled update done, with what may ride along in that commit;
- :meth:`Inbox.replay` takes up updates recorded but never finished (at start, and those an
  instance sharing the database left behind).

Polling acknowledges a batch (the next getUpdates offset) only after ``arrive`` has committed
it; the webhook answers 200 only after. So a process killed at any moment loses nothing: what it
had not recorded, Telegram delivers again; what it had, a restart (or another instance) replays.
Payloads say who sent them, so they are sealed while waiting and erased once handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.privacy import Sealer, SealError
from bot.store.base import Store, StoreError, Transaction
from bot.updates.chat_state import ChatState
from bot.updates.flood import Admission, FloodGate
from bot.updates.incoming import IncomingUpdate, NotAnUpdate

log = logging.getLogger(__name__)

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
# Where this process is the database's only writer, a handled update's done mark waits this
# long for others to share its commit (or rides on the next batch recorded). Killed meanwhile,
# the update is handled again after the restart, like one killed mid-handling.
FINISH_BATCH_SECONDS = 0.02
Clock = Callable[[], datetime]


class Verdict(StrEnum):
    FRESH = "fresh"  # recorded now: to be handled
    REPEAT = "repeat"  # recorded before (a redelivery): not to be handled again
    REFUSED = "refused"  # recorded, but its sender is flooding: answered with a refusal only


def effect_key(update_id: int) -> str:
    """The key under which an update's effect is applied once, however often the update is
    handled (see ``Transaction.first_application``)."""
    return f"update:{update_id}"


@dataclass(frozen=True)
class InHand:
    """An update this process recorded (or took up again) and has not finished."""

    update_id: int
    sender: str | None  # the keyed hash of who sent it
    admission: Admission
    replays: int = 0  # 0: its first handling
    # A replay whose effect was committed before the crash (under its effect key): handlers
    # show where things stand instead of acting on it again.
    effect_applied: bool = False


@dataclass(frozen=True)
class PendingUpdate:
    update_id: int
    payload: str  # the update's JSON, as received
    attempts: int  # replays before this one


class Inbox:
    def __init__(
        self,
        store: Store,
        sealer: Sealer,
        flood: FloodGate,
        chat_state: ChatState,
        *,
        person_key: Callable[[int], str],
        clock: Clock,
        max_replays: int = 3,
    ) -> None:
        self._store = store
        self._sealer = sealer
        self._flood = flood
        self.chat_state = chat_state
        self._person_key = person_key
        self._clock = clock
        self._max_replays = max_replays
        self._in_hand: dict[int, InHand] = {}
        # Handled updates whose done mark is not committed yet: (update id, recorded here).
        self._finished: list[tuple[int, bool]] = []
        self._batching = store.exclusive
        self._flush_soon: asyncio.Task[None] | None = None

    # --- arrive ---

    async def arrive(
        self, batch: Sequence[IncomingUpdate], *, unreadable: Sequence[int] = ()
    ) -> dict[int, Verdict]:
        """Record ``batch`` in one unit of work and count each sender's updates against the
        flood limit; ``unreadable`` ids (updates the bot cannot make sense of) are recorded as
        failed in the same commit, without their payload. Raises
        :class:`bot.store.StoreError` if nothing could be recorded: then Telegram must not be
        told the batch arrived."""
        now = self._clock()
        senders = {u.update_id: self._sender(u) for u in batch}
        finished, self._finished = self._finished, []
        try:
            async with self._store.transaction() as tx:
                fresh = await tx.record_updates(
                    [(u.update_id, self._sealer.seal(u.payload())) for u in batch], now
                )
                counted = [(i, senders[i]) for i in senders if i in fresh]
                admissions = await self._flood.admit_in(tx, counted, now)
                for update_id in unreadable:
                    await tx.record_failed_update(update_id, now)
                await self._mark_done_in(tx, finished, now)  # riding on this commit
        except BaseException:
            self._finished = finished + self._finished
            raise
        self.chat_state.deferred_written([update_id for update_id, _ in finished])
        for update_id in unreadable:
            log.error("update %d set aside: the bot cannot read it", update_id)
        verdicts: dict[int, Verdict] = {}
        for update_id, sender in senders.items():
            if update_id not in fresh:
                verdicts[update_id] = Verdict.REPEAT
                continue
            admission = admissions[update_id]
            self._in_hand[update_id] = InHand(update_id, sender, admission)
            verdicts[update_id] = Verdict.FRESH if admission == Admission.ADMIT else Verdict.REFUSED
        return verdicts

    async def set_aside(self, update_id: int) -> None:
        """A replayed update the bot cannot read any more: failed, never replayed again."""
        self._in_hand.pop(update_id, None)
        async with self._store.transaction() as tx:
            await tx.record_failed_update(update_id, self._clock())
        log.error("update %d set aside: the bot cannot read it", update_id)

    def in_hand(self, update_id: int) -> InHand | None:
        return self._in_hand.get(update_id)

    @property
    def updates_in_hand(self) -> int:
        """Updates recorded here and not finished in the store yet."""
        return len(self._in_hand) + len(self._finished)

    # --- finish ---

    async def finish(self, update_id: int) -> None:
        """The update was handled: mark it done, with the chat state its handlers deferred to
        this commit. An update not in hand (a repeat; one handled unrecorded while the
        database was busy) only writes that chat state. Where this process is the database's
        only writer, the mark waits a moment to share a commit (see FINISH_BATCH_SECONDS)."""
        held = self._in_hand.pop(update_id, None)
        if held is None and not self.chat_state.has_deferred(update_id):
            return
        self._finished.append((update_id, held is not None))
        if not self._batching:
            await self.flush()
        elif self._flush_soon is None or self._flush_soon.done():
            self._flush_soon = asyncio.create_task(self._flush_after_a_moment())

    async def flush(self) -> None:
        """Commit the done marks (and deferred chat state) of handled updates now."""
        finished, self._finished = self._finished, []
        if not finished:
            return
        ids = [update_id for update_id, _ in finished]
        try:
            async with self._store.transaction() as tx:
                await self._mark_done_in(tx, finished, self._clock())
        except StoreError:
            self.chat_state.deferred_written(ids)  # the replay writes them again
            if not self._batching:
                raise  # the caller says so
            log.warning("updates %s handled but not marked done; they will be replayed", ids)
            return
        self.chat_state.deferred_written(ids)

    async def close(self) -> None:
        """Before the store closes: what is handled is marked done (a flush under way is
        waited for, not cut short: the marks it took would be lost)."""
        if self._flush_soon is not None:
            await asyncio.gather(self._flush_soon, return_exceptions=True)
            self._flush_soon = None
        await self.flush()

    async def _flush_after_a_moment(self) -> None:
        # Until nothing waits: marks added while a flush was under way go with the next one.
        while self._finished:
            await asyncio.sleep(FINISH_BATCH_SECONDS)
            await self.flush()

    async def _mark_done_in(
        self, tx: Transaction, finished: Sequence[tuple[int, bool]], now: datetime
    ) -> None:
        done = [update_id for update_id, recorded in finished if recorded]
        await tx.finish_updates(done, "done", now)
        await self.chat_state.write_deferred_in(tx, [update_id for update_id, _ in finished])

    # --- replay ---

    async def replay(self, *, stale_after: timedelta | None) -> list[IncomingUpdate]:
        """Take up updates recorded but never finished, oldest first, and hold them: the
        caller hands them to the handlers. ``stale_after=None`` takes every one (right for the
        only process on its database, at its start); else only those handed out longer than
        ``stale_after`` ago (an instance sharing the database may still be on a recent one).
        One still in hand here is left alone: taking it renewed its lease, no more."""
        now = self._clock()
        taken_before = FAR_FUTURE if stale_after is None else now - stale_after
        replayed: list[IncomingUpdate] = []
        async with self._store.transaction() as tx:
            rows = await tx.take_unfinished_updates(taken_before, now, limit=500)
            applied = await tx.applied_keys([effect_key(r.update_id) for r in rows])
            for row in rows:
                if row.update_id in self._in_hand or self._awaiting_done(row.update_id):
                    continue  # still being handled here, only slowly (or just finished)
                replays = row.attempts - 1  # before this one
                update = self._readable(row.payload, row.update_id)
                if update is None or replays >= self._max_replays:
                    log.warning("update %d set aside after %d replays", row.update_id, replays)
                    await tx.finish_update(row.update_id, "failed", now)
                    continue
                replayed.append(update)
                sender = self._sender(update)
                self._in_hand[row.update_id] = InHand(
                    row.update_id,
                    sender,
                    Admission.ADMIT,
                    replays + 1,
                    effect_applied=effect_key(row.update_id) in applied,
                )
        for update in replayed:
            log.info("replaying update %d", update.update_id)
        return replayed

    async def purge(self, keep: timedelta) -> int:
        """Forget handled updates older than ``keep`` (their ids still guard against repeats
        until then), and the effect keys of that age."""
        before = self._clock() - keep
        async with self._store.transaction() as tx:
            await tx.purge_applied_once(before)
            return await tx.purge_updates(before)

    # --- the store, plainly (tests and tools) ---

    async def record_update(self, update_id: int, payload_json: str, now: datetime) -> bool:
        """Record one update as another process would have; True if it was new."""
        async with self._store.transaction() as tx:
            fresh = await tx.record_updates([(update_id, self._sealer.seal(payload_json))], now)
        return update_id in fresh

    async def take_unfinished(
        self, now: datetime, *, stale_after: timedelta | None, limit: int = 500
    ) -> list[PendingUpdate]:
        """What :meth:`replay` takes, as stored, without holding anything."""
        taken_before = FAR_FUTURE if stale_after is None else now - stale_after
        async with self._store.transaction() as tx:
            rows = await tx.take_unfinished_updates(taken_before, now, limit)
        pending = []
        for row in rows:
            payload = self._open(row.payload, row.update_id)
            if payload is not None:
                pending.append(PendingUpdate(row.update_id, payload, row.attempts - 1))
        return pending

    async def mark_done(self, update_id: int, now: datetime) -> None:
        async with self._store.transaction() as tx:
            await tx.finish_update(update_id, "done", now)

    # --- helpers ---

    def _awaiting_done(self, update_id: int) -> bool:
        return any(finished == update_id for finished, _ in self._finished)

    def _sender(self, update: IncomingUpdate) -> str | None:
        return None if update.sender_id is None else self._person_key(update.sender_id)

    def _readable(self, sealed: str, update_id: int) -> IncomingUpdate | None:
        payload = self._open(sealed, update_id)
        if payload is None:
            return None
        try:
            return IncomingUpdate.from_json(payload)
        except NotAnUpdate:
            log.error("update %d cannot be read back", update_id)
            return None

    def _open(self, sealed: str, update_id: int) -> str | None:
        try:
            return self._sealer.open(sealed)
        except SealError:
            log.error("update %d cannot be opened with the current keys", update_id)
            return None
