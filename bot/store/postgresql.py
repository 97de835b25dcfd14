"""The PostgreSQL store (asyncpg): several bot instances share one database.

Each unit of work takes a pooled connection and runs in its own READ COMMITTED transaction. The
statements are the shared ones of :mod:`bot.store.sql`; every write that races with another
instance is a single atomic statement there (``ON CONFLICT``, compare-and-set ``UPDATE ...
WHERE``, counters bumped in place), so no unit needs a stricter isolation level.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import asyncpg

from bot.store.base import NotSaved, StoreBusy, StoreError
from bot.store.migrate import (
    REFUSE_CHANGE_FUNCTION,
    check_applied,
    for_postgresql,
    known_migrations,
)
from bot.store.settings import StorageSettings
from bot.store.sql import Params, SqlTransaction, Statement, to_db_time

log = logging.getLogger(__name__)

# pg_advisory_lock's first key while migrating, so instances starting together migrate once;
# the second is the schema's hash, so deployments in other schemas of the database never wait
# for each other. The two-key form never meets the one-key form, which chat turns use.
MIGRATION_LOCK = 0x5A4A
MIGRATION_LOCK_SQL = "SELECT pg_advisory_{}lock($1, hashtext(current_schema()))"
# A chat another instance is handling is asked for again this often ...
TURN_POLL_SECONDS = 0.02
# ... and after this long handled anyway (an instance stuck on one update must not stop a chat).
TURN_MAX_WAIT_SECONDS = 60.0
# How long a unit of work waits for a free connection before giving up.
ACQUIRE_TIMEOUT_SECONDS = 30.0

_BUSY = (
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.CannotConnectNowError,
)
_UNREACHABLE = (OSError, asyncio.TimeoutError, asyncpg.exceptions.InterfaceError)


def translate_error(exc: BaseException) -> StoreError:
    if isinstance(exc, _BUSY):
        return StoreBusy("the database is busy; nothing was saved")
    if isinstance(exc, _UNREACHABLE):
        return NotSaved(f"the database could not be reached; nothing was saved ({exc})")
    return NotSaved(f"the database refused the write; nothing was saved ({exc})")


async def open_postgresql_store(settings: StorageSettings) -> PostgresStore:
    """Connect, and bring the schema up to date (once, whichever instance gets there first)."""
    try:
        pool = await asyncpg.create_pool(
            settings.url,
            min_size=1,
            max_size=settings.pool_size,
            # Waiting on another's lock longer than busy_timeout_ms fails the unit (safe to
            # retry), as in SQLite; 0 would mean "wait forever" here, so at least 1 ms.
            server_settings={"lock_timeout": f"{max(1, settings.busy_timeout_ms)}ms"},
        )
    except (asyncpg.PostgresError, *_UNREACHABLE) as exc:
        raise StoreError(f"cannot connect to {settings.safe_url}: {exc}") from exc
    try:
        await _migrate(pool, settings.migration_wait_seconds)
    except BaseException:
        await pool.close()
        raise
    return PostgresStore(pool, ChatTurns(settings.url))


async def _migrate(pool: asyncpg.Pool, wait_seconds: int) -> None:
    async with pool.acquire() as conn:
        # Not busy_timeout_ms: another instance may take minutes to migrate, and this one must
        # wait for it rather than fail; the migration's own statements may wait as long for
        # their table locks. (lock_timeout bounds advisory locks too.)
        await conn.execute(f"SET lock_timeout = '{int(wait_seconds)}s'")
        try:
            await conn.execute(MIGRATION_LOCK_SQL.format(""), MIGRATION_LOCK)
            try:
                await _apply_pending(conn)
            finally:
                await conn.execute(MIGRATION_LOCK_SQL.format("un"), MIGRATION_LOCK)
        except asyncpg.exceptions.LockNotAvailableError:
            raise StoreBusy(
                f"waited storage.migration_wait_seconds ({wait_seconds} s) for another"
                " migration of this database to finish; nothing was changed"
            ) from None
        finally:
            await conn.execute("RESET lock_timeout")


async def _apply_pending(conn: Any) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.transaction():
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        pending = check_applied({r[0]: r[1] for r in rows}, known_migrations())
        if pending:
            await conn.execute(REFUSE_CHANGE_FUNCTION)
        for migration in pending:
            for statement in migration.statements():
                await conn.execute(for_postgresql(statement))
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
                " VALUES ($1, $2, $3, $4)",
                migration.version,
                migration.name,
                migration.checksum,
                to_db_time(datetime.now(UTC)),
            )
            log.info("applied migration %04d_%s", migration.version, migration.name)


class PostgresStore:
    def __init__(self, pool: asyncpg.Pool, turns: ChatTurns) -> None:
        self._pool = pool
        self._turns = turns

    def chat_turn(self, chat_key: int) -> AbstractAsyncContextManager[None]:
        return self._turns.turn(chat_key)

    @property
    def exclusive(self) -> bool:
        return False  # other instances write to the same database

    @asynccontextmanager
    async def transaction(self, *, readonly: bool = False) -> AsyncIterator[PostgresTransaction]:
        try:
            async with (
                self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn,
                conn.transaction(readonly=readonly),
            ):
                tx = PostgresTransaction(conn)
                yield tx
                await tx.flush()
        except (asyncpg.PostgresError, *_UNREACHABLE) as exc:
            raise translate_error(exc) from exc

    async def schema_version(self) -> int:
        async with self._pool.acquire() as conn:
            version = await conn.fetchval("SELECT MAX(version) FROM schema_migrations")
        return int(version or 0)

    async def close(self) -> None:
        await self._turns.close()
        await self._pool.close()


class ChatTurns:
    """One instance at a time handles a chat's update, as one process does by itself.

    Session advisory locks keyed by the chat id, all on one connection of their own (not the
    pool's: a chat's turn lasts its whole update, Telegram calls included). Only non-blocking
    calls are made on it, so one waiting chat never holds up another. If the connection is
    lost, its locks go with it and the update goes ahead: better handled beside another than
    not at all.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: asyncpg.Connection | None = None
        self._calls = asyncio.Lock()

    @asynccontextmanager
    async def turn(self, chat_key: int) -> AsyncIterator[None]:
        taken = await self._take(chat_key)
        try:
            yield
        finally:
            if taken:
                await self._call("SELECT pg_advisory_unlock($1)", chat_key)

    async def _take(self, chat_key: int) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TURN_MAX_WAIT_SECONDS
        while True:
            taken = await self._call("SELECT pg_try_advisory_lock($1)", chat_key)
            if taken is not False:  # True, or None: no lock to be had, go ahead
                return bool(taken)
            if loop.time() > deadline:
                log.warning(
                    "a chat waited %.0f s for another instance; going ahead",
                    TURN_MAX_WAIT_SECONDS,
                )
                return False
            await asyncio.sleep(TURN_POLL_SECONDS)

    async def _call(self, sql: str, chat_key: int) -> bool | None:
        async with self._calls:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(self._url)
                return bool(await self._conn.fetchval(sql, chat_key))
            except (asyncpg.PostgresError, *_UNREACHABLE) as exc:
                log.warning("chat turns unavailable (%s); handling without one", exc)
                await self._drop()
                return None

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()

    async def close(self) -> None:
        async with self._calls:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None


class PostgresTransaction(SqlTransaction):
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"

    def __init__(self, conn: Any) -> None:
        super().__init__()
        self._conn = conn

    def commit_without_waiting(self) -> None:
        # Every status check counts a guess on one row of everyone's: each commit waiting for
        # its WAL to reach a busy disk (half a second, seen) while holding that row, ten
        # checks in a queue waited past lock_timeout.
        self._write("SET LOCAL synchronous_commit = off")

    async def _run(self, statements: list[Statement]) -> list[Any]:
        rows: list[Any] = []
        for i, (sql, params, later) in enumerate(statements):
            if later is None and i < len(statements) - 1:
                await self._conn.execute(numbered(sql), *params)
                continue
            rows = list(await self._conn.fetch(numbered(sql), *params))
            if later is not None:
                later.fill(rows)
        return rows

    async def _run_many(self, sql: str, rows: Sequence[Params]) -> None:
        await self._conn.executemany(numbered(sql), rows)


_PLACEHOLDER = re.compile(r"'[^']*'|\?")


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2 ...`` (quoted text left alone)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match[0] != "?":
            return match[0]
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)
