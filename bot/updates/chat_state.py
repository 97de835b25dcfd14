"""What a person is in the middle of, kept in the store so any instance can take their next
message: the language they chose, a /status check in progress, a question for staff being
typed, the questions behind recent answers.

Rows are keyed by the person's keyed hash, never a Telegram id. The handlers read a copy loaded
at the start of each update (PTB's ``user_data``, refilled from the store every time, so it is
never a second source of truth) through :class:`PersonState`, which sends every change to the
store first, then to that copy.
Values that could lead to a ticket (a receipt code) are sealed, and rows may expire.

When this process is the database's only writer (SQLite), what it last wrote is what the
database holds: the rows it has read or written are remembered here and not read again.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.privacy import Sealer, SealError
from bot.store.base import Store, Transaction

# The update's copy of the person's state (PTB's user_data).
StateCopy = MutableMapping[Any, Any]
# People whose rows are remembered (only where this process is the only writer).
REMEMBERED_PEOPLE = 20_000
# A person's rows: name -> (value, when it expires).
Rows = dict[str, tuple[str, datetime | None]]


@dataclass(frozen=True)
class _Change:
    person: str
    name: str
    value: str
    now: datetime
    ttl: timedelta | None

    @property
    def expires_at(self) -> datetime | None:
        return None if self.ttl is None else self.now + self.ttl

    async def write_in(self, tx: Transaction) -> None:
        await tx.set_chat_state(self.person, self.name, self.value, self.now, self.expires_at)


class ChatState:
    def __init__(self, store: Store, sealer: Sealer) -> None:
        self._store = store
        self._sealer = sealer
        # Changes that may wait for the update's own "done" commit, by update id.
        self._deferred: defaultdict[int, list[_Change]] = defaultdict(list)
        self._remembered: OrderedDict[str, Rows] | None = OrderedDict() if store.exclusive else None

    async def load(self, person: str, now: datetime) -> dict[str, str]:
        remembered = self._recall(person, now)
        if remembered is not None:
            return remembered
        async with self._store.transaction(readonly=True) as tx:
            return await self.load_in(tx, person, now)

    async def load_in(self, tx: Transaction, person: str, now: datetime) -> dict[str, str]:
        """``load`` inside a unit of work the caller holds (the inbox's, say)."""
        rows = await tx.chat_state(person, now)
        self._remember(person, rows)
        return {name: value for name, (value, _) in rows.items()}

    def _recall(self, person: str, now: datetime) -> dict[str, str] | None:
        if self._remembered is None or person not in self._remembered:
            return None
        self._remembered.move_to_end(person)
        rows = self._remembered[person]
        return {n: v for n, (v, expires) in rows.items() if expires is None or expires > now}

    def _remember(self, person: str, rows: Rows) -> None:
        if self._remembered is None:
            return
        self._remembered[person] = dict(rows)
        self._remembered.move_to_end(person)
        while len(self._remembered) > REMEMBERED_PEOPLE:
            self._remembered.popitem(last=False)

    def _changed(self, change: _Change) -> None:
        if self._remembered is not None and change.person in self._remembered:
            self._remembered[change.person][change.name] = (change.value, change.expires_at)

    def _dropped(self, person: str, name: str) -> None:
        if self._remembered is not None and person in self._remembered:
            self._remembered[person].pop(name, None)

    def read(self, copy: StateCopy, name: str, *, sealed: bool = False) -> str | None:
        value = copy.get(name)
        if not isinstance(value, str):
            return None
        if not sealed:
            return value
        try:
            return self._sealer.open(value)
        except SealError:  # sealed with keys since retired: as if nothing was kept
            return None

    async def save(
        self,
        copy: StateCopy,
        person: str,
        name: str,
        value: str,
        now: datetime,
        *,
        ttl: timedelta | None = None,
        sealed: bool = False,
        with_update: int | None = None,
    ) -> None:
        """Store a value now; or, ``with_update`` (an update id), in the commit that marks
        that update done: for a value that need not be durable before the reply (the question
        behind an answer, say), which then costs no commit of its own."""
        change = _Change(person, name, self._sealer.seal(value) if sealed else value, now, ttl)
        if with_update is not None:
            self._deferred[with_update].append(change)
        else:
            async with self._store.transaction() as tx:
                await change.write_in(tx)
        self._changed(change)
        copy[name] = change.value

    def has_deferred(self, update_id: int) -> bool:
        return update_id in self._deferred

    async def write_deferred_in(self, tx: Transaction, update_ids: Sequence[int]) -> None:
        """Write what the updates ``update_ids`` deferred, in one statement (a later change of
        the same value wins); kept until :meth:`deferred_written` (the unit of work may yet
        fail)."""
        latest: dict[tuple[str, str], _Change] = {}
        for update_id in update_ids:
            for change in self._deferred.get(update_id, ()):
                latest[(change.person, change.name)] = change
        await tx.set_chat_states(
            [(c.person, c.name, c.value, c.now, c.expires_at) for c in latest.values()]
        )

    def deferred_written(self, update_ids: list[int]) -> None:
        for update_id in update_ids:
            self._deferred.pop(update_id, None)

    async def forget(self, copy: StateCopy, person: str, name: str) -> bool:
        """Drop one value; False if there was none (and then nothing is written)."""
        if name not in copy:
            return False
        async with self._store.transaction() as tx:
            await tx.delete_chat_state(person, name)
        self._dropped(person, name)
        del copy[name]
        return True

    async def purge(self, now: datetime) -> int:
        async with self._store.transaction() as tx:
            purged = await tx.purge_chat_state(now)
        if self._remembered is not None:
            self._remembered.clear()  # read again when next needed, without what expired
        return purged


class PersonState:
    """One person's chat state as one update sees it: the copy loaded for the update, read and
    changed with the person, the update and its "now" already known, so a change can only go
    through the store."""

    def __init__(
        self, chat_state: ChatState, copy: StateCopy, person: str, now: datetime, update_id: int
    ) -> None:
        self._chat_state = chat_state
        self._copy = copy
        self._person = person
        self._now = now
        self._update_id = update_id

    def get(self, name: str, *, sealed: bool = False) -> str | None:
        return self._chat_state.read(self._copy, name, sealed=sealed)

    async def set(
        self,
        name: str,
        value: str,
        *,
        ttl: timedelta | None = None,
        sealed: bool = False,
        with_update: bool = False,
    ) -> None:
        """Store a value now; or, ``with_update``, in the commit that marks this update done
        (see :meth:`ChatState.save`)."""
        await self._chat_state.save(
            self._copy,
            self._person,
            name,
            value,
            self._now,
            ttl=ttl,
            sealed=sealed,
            with_update=self._update_id if with_update else None,
        )

    async def forget(self, name: str) -> bool:
        """Drop one value; False if there was none."""
        return await self._chat_state.forget(self._copy, self._person, name)
