"""Settings and fixtures every test shares."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.privacy import PrivacyKeys
from bot.store.base import Store
from bot.store.opening import open_store
from bot.store.settings import StorageSettings

# PTB 22 warns when it builds RetryAfter unless this opt-in is set, and warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")

Query = Callable[[str], list[tuple[Any, ...]]]
# For tests of one backend's own machinery (SQLite's group commit, its files on disk).
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])
postgresql_only = pytest.mark.parametrize("backend", ["postgresql"])
# Opens another connection to the test's database, as a second bot process or a restart would.
Reopen = Callable[..., Awaitable[Store]]
# Another process holding the write lock (a backup, an export, a stuck instance) while in use.
WriteLock = Callable[[], AbstractAsyncContextManager[None]]

# The PostgreSQL server the contract tests run against (every test gets a schema of its own).
# `make test` sets it when a server answers on 127.0.0.1:5432.
POSTGRESQL_URL = os.environ.get("TEST_POSTGRESQL_URL", "")
NO_POSTGRESQL = (
    "no PostgreSQL server configured: set TEST_POSTGRESQL_URL=postgresql://user@host:port/db"
    " to run the store contract tests against PostgreSQL too"
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hotline.sqlite3"


@pytest.fixture
def keys() -> PrivacyKeys:
    return PrivacyKeys.generate()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that uses the store runs against both databases: one contract for both."""
    if request.param == "postgresql" and not POSTGRESQL_URL:
        pytest.skip(NO_POSTGRESQL)
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, db_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{db_path}"
        return
    import asyncpg

    schema = f"test_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(POSTGRESQL_URL)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in POSTGRESQL_URL else "?"
        yield f"{POSTGRESQL_URL}{separator}search_path={schema}"
    finally:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()


@pytest.fixture
def reopen(database_url: str, tmp_path: Path) -> Reopen:
    async def open_again(**settings: Any) -> Store:
        # A short busy timeout: a test that locks the database should fail fast, not hang.
        settings.setdefault("busy_timeout_ms", 200)
        return await open_store(StorageSettings(url=database_url, **settings), tmp_path)

    return open_again


@pytest.fixture
async def store(reopen: Reopen) -> AsyncIterator[Store]:
    opened = await reopen()
    yield opened
    await opened.close()


@pytest.fixture
def write_lock(database_url: str) -> WriteLock:
    @asynccontextmanager
    async def hold() -> AsyncIterator[None]:
        if database_url.startswith("sqlite:///"):
            path = database_url.removeprefix("sqlite:///")
            blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            # In a thread: waiting here must not stop the store finishing what it holds.
            await asyncio.to_thread(blocker.execute, "BEGIN IMMEDIATE")
            try:
                yield
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            return
        import asyncpg

        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():
                # EXCLUSIVE lets others read but not write what a tip-off or a claim writes.
                await conn.execute(
                    "LOCK TABLE tickets, ticket_counters, throttles, inbox IN EXCLUSIVE MODE"
                )
                yield
        finally:
            await conn.close()

    return hold


@pytest.fixture
def query(database_url: str) -> Query:
    """Read the database as any other process would (committed data only)."""
    if database_url.startswith("sqlite:///"):
        return _sqlite_query(Path(database_url.removeprefix("sqlite:///")))
    return _postgresql_query(database_url)


def _sqlite_query(db_path: Path) -> Query:
    def run(sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(db_path)
        try:
            rows = [tuple(row) for row in conn.execute(sql)]
            conn.commit()  # a test may change something behind the bot's back
            return rows
        finally:
            conn.close()

    return run


def _postgresql_query(url: str) -> Query:
    import asyncpg

    async def fetch(sql: str) -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()

    # Called from async tests: a thread of its own, with its own event loop and connection.
    def run(sql: str) -> list[tuple[Any, ...]]:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, fetch(sql)).result()

    return run
