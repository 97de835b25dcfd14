from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.store.base import (
    DraftRecord,
    NewEvent,
    NewTicket,
    NotSaved,
    StoreBusy,
    StoredFile,
    ThrottleSlot,
)
from bot.store.postgresql import PostgresStore
from bot.store.settings import StorageSettings
from bot.store.sqlite import BATCH, BatchingConnection, SqliteStore, open_sqlite_store
from tests.conftest import WriteLock, postgresql_only, sqlite_only

from .conftest import NOW, Query, file_bytes


def new_ticket(key: str, *, year: int = 2026) -> NewTicket:
    return NewTicket(
        number_prefix="SJ",
        year=year,
        idempotency_key=key,
        queue="intake",
        category="disguised",
        district="海淀区",
        institution="某培训中心",
        description="周末开设学科类培训",
        details="{}",
        claim_due_at=NOW + timedelta(hours=24),
        created_at=NOW,
    )


async def add(store: SqliteStore, key: str, *, year: int = 2026) -> tuple[int, str]:
    async with store.transaction() as tx:
        added = await tx.add_ticket(new_ticket(key, year=year))
    assert added is not None
    return added


async def test_ticket_numbers_count_per_year(store: SqliteStore) -> None:
    numbers = [(await add(store, f"k{i}"))[1] for i in range(3)]
    assert numbers == ["SJ-2026-000001", "SJ-2026-000002", "SJ-2026-000003"]
    assert (await add(store, "next-year", year=2027))[1] == "SJ-2027-000001"


async def test_numbers_grow_past_six_digits(store: SqliteStore, query: Query) -> None:
    await add(store, "first")
    query("UPDATE ticket_counters SET last_seq = 999999 WHERE year = 2026")
    assert (await add(store, "big"))[1] == "SJ-2026-1000000"


async def test_a_used_idempotency_key_adds_nothing(store: SqliteStore, query: Query) -> None:
    await add(store, "same")
    async with store.transaction() as tx:
        assert await tx.add_ticket(new_ticket("same")) is None
    assert query("SELECT COUNT(*) FROM tickets") == [(1,)]


async def test_a_failure_inside_the_unit_writes_nothing(store: SqliteStore, query: Query) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            added = await tx.add_ticket(new_ticket("doomed"))
            assert added is not None
            await tx.add_event(NewEvent(added[0], NOW, "system", "received", public=True))
            raise RuntimeError("crash after the writes")
    assert query("SELECT COUNT(*) FROM tickets") == [(0,)]
    assert query("SELECT COUNT(*) FROM ticket_events") == [(0,)]
    assert query("SELECT COUNT(*) FROM ticket_counters") == [(0,)]
    assert (await add(store, "after"))[1] == "SJ-2026-000001"


async def test_a_refused_write_is_not_saved(store: SqliteStore, query: Query) -> None:
    with pytest.raises(NotSaved):
        async with store.transaction() as tx:
            await tx.add_event(NewEvent(12345, NOW, "system", "received", public=True))
            await tx.count_tickets()  # the held-back write fails here (no such ticket)
    assert query("SELECT COUNT(*) FROM ticket_events") == [(0,)]


async def test_units_in_one_group_commit_succeed_or_fail_alone(
    store: SqliteStore, query: Query
) -> None:
    async def good(i: int) -> None:
        await add(store, f"good-{i}")

    async def bad() -> None:
        async with store.transaction() as tx:
            await tx.add_ticket(new_ticket("bad"))
            raise ValueError("this one fails")

    results = await asyncio.gather(good(1), bad(), good(2), good(3), return_exceptions=True)
    assert [type(r) for r in results] == [type(None), ValueError, type(None), type(None)]
    assert query("SELECT COUNT(*) FROM tickets") == [(3,)]
    assert query("SELECT idempotency_key FROM tickets WHERE idempotency_key = 'bad'") == []


async def test_events_cannot_be_changed(store: SqliteStore, query: Query) -> None:
    ticket_id, _ = await add(store, "audited")
    async with store.transaction() as tx:
        await tx.add_event(NewEvent(ticket_id, NOW, "system", "received", public=True))
    with pytest.raises(Exception, match="append-only"):
        query("UPDATE ticket_events SET kind = 'forged'")
    with pytest.raises(Exception, match="append-only"):
        query("DELETE FROM ticket_events")
    assert query("SELECT kind FROM ticket_events") == [("received",)]


async def test_another_writer_holding_the_lock_means_not_saved(
    store: SqliteStore, write_lock: WriteLock, query: Query
) -> None:
    async with write_lock():
        with pytest.raises(StoreBusy):
            await add(store, "while-locked")
    assert query("SELECT COUNT(*) FROM tickets") == [(0,)]
    await add(store, "after-unlock")
    assert query("SELECT COUNT(*) FROM tickets") == [(1,)]


@sqlite_only
async def test_a_locked_commit_raises_store_busy_and_saves_nothing(
    store: SqliteStore, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = aiosqlite.Connection.execute_fetchall

    def locked_commit(self: aiosqlite.Connection, sql: str, params: Any = None) -> Any:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database is locked")
        return real(self, sql, params)

    monkeypatch.setattr(aiosqlite.Connection, "execute_fetchall", locked_commit)
    with pytest.raises(StoreBusy):
        await add(store, "unlucky")
    monkeypatch.undo()
    assert query("SELECT COUNT(*) FROM tickets") == [(0,)]
    assert (await add(store, "unlucky"))[1] == "SJ-2026-000001"


@sqlite_only
async def test_every_unit_of_a_failed_commit_hears_it(
    store: SqliteStore, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = aiosqlite.Connection.execute_fetchall

    def failing_commit(self: aiosqlite.Connection, sql: str, params: Any = None) -> Any:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("disk I/O error")
        return real(self, sql, params)

    monkeypatch.setattr(aiosqlite.Connection, "execute_fetchall", failing_commit)
    results = await asyncio.gather(
        *(add(store, f"batch-{i}") for i in range(4)), return_exceptions=True
    )
    assert all(isinstance(r, NotSaved) for r in results)
    monkeypatch.undo()
    assert query("SELECT COUNT(*) FROM tickets") == [(0,)]


def test_held_back_writes_never_run_outside_a_transaction(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None, factory=BatchingConnection)
    conn.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(sqlite3.OperationalError, match="ended early"):
        conn.execute(BATCH, [("INSERT INTO t VALUES (1)", ()), ("SELECT 1", ())])
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    conn.close()


async def test_deleted_text_is_overwritten_on_disk(db_path: Path) -> None:
    secret = "UNIQUE-DRAFT-TEXT-7f3a9c"
    store = await open_sqlite_store(db_path, StorageSettings())
    async with store.transaction() as tx:
        await tx.save_draft(DraftRecord("reporter-key", "d1", "start", f'{{"t": "{secret}"}}', NOW))
    async with store.transaction() as tx:
        await tx.delete_draft("reporter-key")
    await store.close()  # checkpoints the WAL into the file
    assert secret.encode() not in file_bytes(db_path)


async def test_files_are_kept_once_per_ticket(store: SqliteStore) -> None:
    ticket_id, _ = await add(store, "with-file")
    photo = StoredFile("photo.jpg", "image/jpeg", "ab" * 32, True, b"\xff\xd8\xff bytes")
    async with store.transaction() as tx:
        assert await tx.add_attachment(ticket_id, photo, "reporter", NOW)
        assert not await tx.add_attachment(ticket_id, photo, "reporter", NOW)
        files = await tx.attachments(ticket_id)
        assert [(f.filename, f.size, f.cleaned) for f in files] == [("photo.jpg", photo.size, True)]
        assert await tx.attachment_data(files[0].id) == photo.data


async def write_event_only(store: SqliteStore, ticket_id: int) -> None:
    """A unit that only writes: what it holds back goes with a later trip, not one of its own."""
    async with store.transaction() as tx:
        await tx.add_event(NewEvent(ticket_id, NOW, "system", "noted", public=False))


@pytest.mark.parametrize("failing", [1, 3])  # another unit's trip follows it, or the commit
async def test_a_write_failing_after_its_unit_ended_fails_that_unit_alone(
    store: SqliteStore, query: Query, failing: int
) -> None:
    ticket_id, _ = await add(store, "first")
    targets = [12345 if i == failing else ticket_id for i in range(4)]  # 12345: no such ticket
    results = await asyncio.gather(
        *(write_event_only(store, t) for t in targets), return_exceptions=True
    )
    assert [type(r) for r in results] == [
        NotSaved if i == failing else type(None) for i in range(4)
    ]
    assert query("SELECT ticket_id, kind FROM ticket_events") == [(ticket_id, "noted")] * 3


async def test_a_unit_of_writes_is_committed_when_it_returns(
    store: SqliteStore, query: Query
) -> None:
    ticket_id, _ = await add(store, "first")
    await write_event_only(store, ticket_id)
    assert query("SELECT COUNT(*) FROM ticket_events") == [(1,)]


def count_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of each trip to the connection's thread from now on."""
    trips: list[str] = []
    real = aiosqlite.Connection.execute_fetchall

    def counted(self: aiosqlite.Connection, sql: str, params: Any = None) -> Any:
        trips.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(aiosqlite.Connection, "execute_fetchall", counted)
    return trips


@sqlite_only
async def test_units_that_only_write_cost_no_trip_of_their_own(
    store: SqliteStore, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id, _ = await add(store, "first")
    trips = count_trips(monkeypatch)
    await asyncio.gather(*(write_event_only(store, ticket_id) for _ in range(5)))
    assert trips == ["COMMIT"]  # BEGIN, the five units and COMMIT in one call
    await add(store, "second")
    assert trips == ["COMMIT", BATCH, "COMMIT"]  # BEGIN goes with the unit's first statements
    assert query("SELECT COUNT(*) FROM ticket_events") == [(5,)]


@sqlite_only  # PostgreSQL's units run side by side on connections of their own: no order to keep
async def test_a_units_end_held_back_is_seen_by_the_next_unit(store: SqliteStore) -> None:
    ticket_id, _ = await add(store, "first")

    async def read_events() -> int:
        async with store.transaction() as tx:
            return len(await tx.events(ticket_id, public_only=False))

    results = await asyncio.gather(write_event_only(store, ticket_id), read_events())
    assert results == [None, 1]


async def test_a_count_read_later_comes_with_the_next_read(store: SqliteStore) -> None:
    slot = ThrottleSlot("reports:someone", 3600, 0)
    async with store.transaction() as tx:
        pending = tx.count_in_throttles_later([(slot, 2)])
        with pytest.raises(RuntimeError):
            pending.result()
        assert await tx.count_tickets() == 0
        assert pending.result() == {slot: 2}
    async with store.transaction() as tx:
        pending = tx.count_in_throttles_later([(slot, 1)])
        await tx.count_tickets()
        assert pending.result() == {slot: 3}


@sqlite_only
async def test_units_waiting_for_a_busy_begin_all_hear_store_busy(
    store: SqliteStore, write_lock: WriteLock, query: Query
) -> None:
    ticket_id, _ = await add(store, "first")
    async with write_lock():
        results = await asyncio.gather(
            write_event_only(store, ticket_id), add(store, "second"), return_exceptions=True
        )
    assert [type(r) for r in results] == [StoreBusy, StoreBusy]
    assert query("SELECT COUNT(*) FROM ticket_events") == [(0,)]
    assert query("SELECT COUNT(*) FROM tickets") == [(1,)]


@sqlite_only
async def test_a_read_only_unit_with_no_batch_open_is_one_trip_outside_a_transaction(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add(store, "first")
    await asyncio.sleep(0)  # the batch that added it is committed and gone
    trips = count_trips(monkeypatch)
    async with store.transaction(readonly=True) as tx:
        assert await tx.count_tickets() == 1
    assert trips == [BATCH]  # no BEGIN before it, no COMMIT after it
    assert not store._conn.in_transaction


@sqlite_only
async def test_a_read_only_unit_that_writes_fails_and_writes_nothing(
    store: SqliteStore, query: Query
) -> None:
    ticket_id, _ = await add(store, "first")
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="read-only"):
        async with store.transaction(readonly=True) as tx:
            await tx.add_event(NewEvent(ticket_id, NOW, "system", "noted", public=False))
    assert query("SELECT COUNT(*) FROM ticket_events") == [(0,)]
    async with store.transaction() as tx:  # the store carries on
        await tx.add_event(NewEvent(ticket_id, NOW, "system", "noted", public=False))
    assert query("SELECT COUNT(*) FROM ticket_events") == [(1,)]


async def test_a_read_only_unit_beside_writing_units_sees_what_was_committed_before_it(
    store: SqliteStore,
) -> None:
    await add(store, "first")

    async def read_count() -> int:
        async with store.transaction(readonly=True) as tx:
            return await tx.count_tickets()

    counts = await asyncio.gather(read_count(), add(store, "second"), read_count())
    assert counts[0] >= 1 and counts[2] >= counts[0]
    assert await read_count() == 2


@postgresql_only
async def test_a_unit_of_guess_counts_commits_without_waiting_for_the_disk(
    store: PostgresStore,
) -> None:
    # Status checks all count on one row of everyone's guesses; waiting for the WAL while
    # holding it queued them past lock_timeout on a busy disk. Only that unit goes without.
    slot = ThrottleSlot("wrong_codes:everyone", 3600, 0)

    async def synchronous_commit(tx: Any) -> str:
        return str(await tx._conn.fetchval("SHOW synchronous_commit"))

    async with store.transaction() as tx:
        tx.commit_without_waiting()
        await tx.add_to_throttles([slot], 1)
        assert await tx.throttle_counts([slot]) == [1]
        assert await synchronous_commit(tx) == "off"
    async with store.transaction() as tx:
        assert await tx.throttle_counts([slot]) == [1]
        assert await synchronous_commit(tx) == "on"
