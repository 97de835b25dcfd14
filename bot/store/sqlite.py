"""The SQLite store: one aiosqlite connection, WAL, one unit of work at a time.

Every statement costs a hop to the connection's thread and back, and hops, not SQLite, dominate
a unit of work's time. So writes are held back and sent together with the next read (or the end
of the unit) in a single hop, through a small ``sqlite3.Connection`` subclass that runs a list of
statements. It runs each one only while the transaction is still open: if SQLite rolled back by
itself (disk full, I/O error), later writes must fail rather than commit on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.base import NotSaved, StoreBusy, StoreError
from bot.store.migrate import check_applied, known_migrations
from bot.store.settings import StorageSettings
from bot.store.sql import Params, SqlTransaction, Statement, to_db_time

log = logging.getLogger(__name__)


def translate_error(exc: sqlite3.Error) -> StoreError:
    message = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message):
        return StoreBusy("the database is busy; nothing was saved")
    return NotSaved(f"the database refused the write; nothing was saved ({exc})")


async def open_sqlite_store(path: Path, settings: StorageSettings | None = None) -> SqliteStore:
    """Open (creating if needed) the database file and bring its schema up to date."""
    settings = settings or StorageSettings()
    _make_folder(path.parent)
    conn = await aiosqlite.connect(path, isolation_level=None, factory=BatchingConnection)
    try:
        conn.row_factory = sqlite3.Row
        await _set_pragmas(conn, settings)
        # A backup or another process holding the write lock is waited for as long as a
        # migration may wait, not as long as one unit of work.
        await conn.execute_fetchall(
            f"PRAGMA busy_timeout = {settings.migration_wait_seconds * 1000}"
        )
        await _migrate(conn)
        await conn.execute_fetchall(f"PRAGMA busy_timeout = {int(settings.busy_timeout_ms)}")
    except BaseException:
        await conn.close()
        raise
    return SqliteStore(conn, path)


def _make_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)


async def _set_pragmas(conn: aiosqlite.Connection, settings: StorageSettings) -> None:
    await conn.execute_fetchall(f"PRAGMA busy_timeout = {int(settings.busy_timeout_ms)}")
    rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
    if rows[0][0].lower() != "wal":
        raise StoreError(f"could not switch the database to WAL (got {rows[0][0]!r})")
    await conn.execute_fetchall(f"PRAGMA synchronous = {settings.synchronous}")
    await conn.execute_fetchall("PRAGMA foreign_keys = ON")
    # Deleted drafts and receipt deliveries are overwritten on disk, not just unlinked.
    await conn.execute_fetchall("PRAGMA secure_delete = ON")
    await conn.execute_fetchall("PRAGMA trusted_schema = OFF")


async def _migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute_fetchall(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    await conn.execute_fetchall("BEGIN IMMEDIATE")
    try:
        rows = await conn.execute_fetchall("SELECT version, checksum FROM schema_migrations")
        pending = check_applied({r[0]: r[1] for r in rows}, known_migrations())
        for migration in pending:
            for statement in migration.statements():
                await conn.execute_fetchall(statement)
            await conn.execute_fetchall(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
                " VALUES (?, ?, ?, ?)",
                (migration.version, migration.name, migration.checksum, _now_text()),
            )
            log.info("applied migration %04d_%s", migration.version, migration.name)
        await conn.execute_fetchall("COMMIT")
    except BaseException:
        await conn.execute_fetchall("ROLLBACK")
        raise


def _now_text() -> str:
    return to_db_time(datetime.now(UTC))


BATCH = "-- batch of statements --"
BEGIN = "BEGIN IMMEDIATE"
# Gives a finished unit's held-back writes, when one fails, back to where the unit began.
UNDO_UNIT = ("ROLLBACK TO unit", "RELEASE unit")


@dataclass(eq=False)
class _Tail:
    """What a unit still held back when it ended (its last writes, then RELEASE): sent with the
    next trip of its batch, the next unit's or the commit's. If it fails, only its own unit is
    rolled back (to its savepoint), and that unit alone hears the error."""

    statements: list[Statement]
    error: sqlite3.Error | None = None


@dataclass(eq=False)
class _Trip:
    """One call to the connection's thread: the batch's BEGIN if not sent yet, the tails of
    units that ended since the last trip, then the statements of the unit making the trip."""

    begin: bool
    tails: list[_Tail]
    statements: list[Statement]
    # A read-only unit's reads outside any transaction (see SqliteStore.transaction).
    outside: bool = False


class BatchingConnection(sqlite3.Connection):
    """``execute(BATCH, trip)`` runs a :class:`_Trip` (or a plain list of statements) in one
    call and returns the last statement's cursor; ``execute("COMMIT", trip)`` runs the trip's
    BEGIN and tails, then commits."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if sql == BATCH:
            trip = parameters if isinstance(parameters, _Trip) else _Trip(False, [], parameters)
            return self._run_trip(trip)
        if sql == "COMMIT" and isinstance(parameters, _Trip):
            self._run_trip(parameters)
            return super().execute("COMMIT")
        return super().execute(sql, parameters)

    def _run_trip(self, trip: _Trip) -> sqlite3.Cursor:
        if trip.begin:
            super().execute(BEGIN)
        for tail in trip.tails:
            self._run_tail(tail)
        return self._run_statements(trip.statements, inside=not trip.outside)

    def _run_tail(self, tail: _Tail) -> None:
        try:
            self._run_statements(tail.statements)
        except sqlite3.Error as exc:
            tail.error = exc
            if not self.in_transaction:
                return  # all of the batch is gone; the statements after this one say so
            try:
                for statement in UNDO_UNIT:
                    super().execute(statement)
            except sqlite3.Error:
                super().execute("ROLLBACK")  # then no unit of the batch is saved

    def _run_statements(self, statements: Sequence[Any], *, inside: bool = True) -> sqlite3.Cursor:
        cursor = self.cursor()  # no rows, for a trip with nothing of its own
        for statement in statements:
            if inside and not self.in_transaction:
                raise sqlite3.OperationalError("the transaction ended early; nothing was saved")
            cursor = super().execute(statement[0], statement[1])
            if len(statement) > 2 and statement[2] is not None:
                statement[2].fill(cursor.fetchall())
        return cursor


@dataclass(eq=False)
class _Batch:
    """Units of work sharing one SQLite transaction, committed (and fsynced) together."""

    committed: asyncio.Future[None]
    broken: StoreError | None = None
    begun: bool = False  # BEGIN went (or is going) to the database
    tails: list[_Tail] = field(default_factory=list)  # for the next trip

    def trip(self, statements: list[Statement]) -> _Trip:
        trip = _Trip(not self.begun, self.tails, statements)
        self.begun, self.tails = True, []
        return trip

    @property
    def touched(self) -> bool:
        """Whether anything of it reached (or waits to reach) the database."""
        return self.begun or bool(self.tails)


class SqliteStore:
    """Units of work run one at a time on the connection, each inside a SAVEPOINT of a shared
    transaction. Units that queue up while one runs join the same transaction, and a commit task
    queued behind them commits once for all (group commit). A unit returns only after the commit
    that contains it; if that commit fails, every unit in it raises :class:`NotSaved`.

    Trips to the connection's thread, not SQLite, are what a unit costs, so none is spent on
    its own: BEGIN goes with the batch's first statements, and what a unit still holds back
    when it ends goes with the next unit's first trip or with the COMMIT."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._batch: _Batch | None = None
        self._committers: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def transaction(self, *, readonly: bool = False) -> AsyncIterator[SqlTransaction]:
        async with self._lock:
            if readonly and self._batch is None and not self._conn.in_transaction:
                # Nothing to commit, so no transaction to begin and end: a trip for each read
                # and none for a COMMIT. Each read sees the latest commit; this process's
                # writers wait for the unit (the lock), another process's might commit
                # between two of its reads.
                reader = ReadOnlyTransaction(self._conn)
                try:
                    yield reader
                    await reader.flush()  # reads held back for a later trip nobody made
                except sqlite3.Error as exc:
                    raise translate_error(exc) from exc
                return
            batch = await self._current_batch()
            tx = SqliteTransaction(self._conn, batch)
            tx.open_savepoint()
            try:
                yield tx
                tail = tx.tail()
            except BaseException as exc:
                await self._undo(tx, batch, exc)
                if isinstance(exc, sqlite3.Error):
                    raise translate_error(exc) from exc
                raise
            if tail is not None:
                batch.tails.append(tail)
        await asyncio.shield(batch.committed)
        if tail is not None and tail.error is not None:
            raise translate_error(tail.error) from tail.error

    async def _current_batch(self) -> _Batch:
        if self._batch is not None and self._batch.broken is None:
            return self._batch
        try:
            if self._conn.in_transaction:  # what is left of a broken batch
                await self._conn.execute_fetchall("ROLLBACK")
        except sqlite3.Error as exc:
            raise translate_error(exc) from exc
        batch = _Batch(asyncio.get_running_loop().create_future())
        self._batch = batch
        committer = asyncio.ensure_future(self._commit_when_idle(batch))
        self._committers.add(committer)
        committer.add_done_callback(self._committers.discard)
        return batch

    async def _commit_when_idle(self, batch: _Batch) -> None:
        # The lock is fair: every unit already waiting runs (and joins the batch) before this.
        async with self._lock:
            if batch.broken is None and batch.touched:
                await self._commit(batch)
            if self._batch is batch:
                self._batch = None
        if batch.broken is None:
            batch.committed.set_result(None)
        else:
            batch.committed.set_exception(batch.broken)
            batch.committed.exception()  # retrieved here: units may have stopped waiting

    async def _commit(self, batch: _Batch) -> None:
        try:
            await self._conn.execute_fetchall("COMMIT", batch.trip([]))
        except sqlite3.Error as exc:
            batch.broken = translate_error(exc)
            await self._rollback_quietly()
        except ValueError as exc:  # the connection was closed under us
            batch.broken = NotSaved(f"the database is closed; nothing was saved ({exc})")

    async def _undo(self, tx: SqliteTransaction, batch: _Batch, exc: BaseException) -> None:
        """Roll back this unit only; if SQLite already dropped the whole transaction (or the
        batch's BEGIN, sent with this unit, failed), the batch is lost and its other units
        will raise NotSaved (StoreBusy if the BEGIN found the database busy)."""
        tx.discard_pending()
        if not tx.started:
            return  # nothing reached the database
        try:
            if self._conn.in_transaction:
                await self._conn.execute_fetchall(BATCH, [(s, ()) for s in UNDO_UNIT])
                return
        except sqlite3.Error:
            log.exception("rolling back a unit of work failed")
        busy = isinstance(exc, sqlite3.Error) and isinstance(translate_error(exc), StoreBusy)
        batch.broken = (
            StoreBusy("the database is busy; nothing was saved")
            if busy
            else NotSaved("the database rolled the transaction back; nothing was saved")
        )
        await self._rollback_quietly()

    async def _rollback_quietly(self) -> None:
        try:
            if self._conn.in_transaction:
                await self._conn.execute_fetchall("ROLLBACK")
        except (sqlite3.Error, ValueError):
            log.exception("rollback failed")

    def chat_turn(self, chat_key: int) -> AbstractAsyncContextManager[None]:
        """One process owns a SQLite file, and it keeps each chat in order by itself."""
        return contextlib.nullcontext()

    @property
    def exclusive(self) -> bool:
        return True  # one SQLite file serves exactly one bot process

    async def schema_version(self) -> int:
        async with self._lock:
            rows = list(
                await self._conn.execute_fetchall("SELECT MAX(version) FROM schema_migrations")
            )
        return int(rows[0][0] or 0)

    async def applied_migrations(self) -> list[tuple[int, str]]:
        async with self._lock:
            rows = await self._conn.execute_fetchall(
                "SELECT version, name FROM schema_migrations ORDER BY version"
            )
        return [(r[0], r[1]) for r in rows]

    async def close(self) -> None:
        await asyncio.gather(*self._committers, return_exceptions=True)
        async with self._lock:
            await self._conn.close()


class SqliteTransaction(SqlTransaction):
    def __init__(self, conn: aiosqlite.Connection, batch: _Batch) -> None:
        super().__init__()
        self._conn = conn
        self._batch = batch

    async def _run(self, statements: list[Statement]) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(BATCH, self._batch.trip(statements)))

    async def _run_many(self, sql: str, rows: Sequence[Params]) -> None:
        if not self._batch.begun or self._batch.tails:
            await self._run([])  # BEGIN and what earlier units left go first
        await self._conn.executemany(sql, rows)

    # --- this unit's savepoint ---

    def open_savepoint(self) -> None:
        self._write("SAVEPOINT unit")

    def tail(self) -> _Tail | None:
        """What this unit still holds back, with the RELEASE of its savepoint, for the next
        trip; None if nothing is held back. A unit that holds nothing back keeps its savepoint
        open, saving a statement: a later unit's ROLLBACK TO reaches only its own, newer
        savepoint of the same name, and COMMIT releases them all."""
        if not self._writes or (not self.started and len(self._writes) == 1):
            return None  # nothing, or only a SAVEPOINT no statement followed
        statements, self._writes = self._writes, []
        return _Tail([*statements, ("RELEASE unit", (), None)])


class ReadOnlyTransaction(SqlTransaction):
    """A read-only unit of work that found no batch open: its reads go as they are, outside
    any transaction (SQLite's autocommit); a write would be a mistake in the caller."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__()
        self._conn = conn

    async def _run(self, statements: list[Statement]) -> list[sqlite3.Row]:
        for sql, _, _ in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                raise RuntimeError(f"a read-only unit of work cannot run {sql.split()[0]}")
        trip = _Trip(begin=False, tails=[], statements=statements, outside=True)
        return list(await self._conn.execute_fetchall(BATCH, trip))

    async def _run_many(self, sql: str, rows: Sequence[Params]) -> None:
        raise RuntimeError("a read-only unit of work cannot write")
