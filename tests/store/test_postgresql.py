"""What only PostgreSQL has: its form of the migrations, placeholders, several instances
starting at once. Everything else runs against both databases (the ``backend`` fixture)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.store.base import SchemaError
from bot.store.migrate import for_postgresql, known_migrations
from bot.store.opening import open_store
from bot.store.postgresql import ChatTurns, numbered
from bot.store.settings import StorageSettings
from tests.conftest import Query, Reopen


@pytest.fixture
def backend(backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    return backend


async def test_instances_starting_together_migrate_once(reopen: Reopen, query: Query) -> None:
    stores = await asyncio.gather(*(reopen() for _ in range(4)))
    try:
        versions = await asyncio.gather(*(s.schema_version() for s in stores))
    finally:
        await asyncio.gather(*(s.close() for s in stores))
    assert versions == [len(known_migrations())] * 4
    assert query("SELECT version FROM schema_migrations ORDER BY version") == [
        (m.version,) for m in known_migrations()
    ]
    tables = {
        name
        for (name,) in query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    }
    assert {"tickets", "ticket_events", "inbox", "outbox", "throttles", "staff_audit"} <= tables
    # Telegram chat ids need 64 bits.
    assert query(
        "SELECT data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'ticket_cards'"
        " AND column_name = 'chat_id'"
    ) == [("bigint",)]


async def test_an_edited_migration_is_refused(reopen: Reopen, query: Query) -> None:
    await (await reopen()).close()
    query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    with pytest.raises(SchemaError, match="changed after it was applied"):
        await reopen()


async def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = StorageSettings(url="postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(
        Exception, match="cannot connect to postgresql://nobody:\\*\\*\\*@"
    ) as caught:
        await open_store(settings, tmp_path)
    assert "secret" not in str(caught.value)


def test_placeholders_are_numbered_outside_quoted_text() -> None:
    assert numbered("SELECT ? || '?' FROM t WHERE a = ? AND b IN (?, ?)") == (
        "SELECT $1 || '?' FROM t WHERE a = $2 AND b IN ($3, $4)"
    )


def test_sqlite_only_statements_are_refused_not_guessed() -> None:
    assert "BYTEA" in for_postgresql("CREATE TABLE f (id INTEGER PRIMARY KEY, data BLOB)")
    with pytest.raises(SchemaError):
        for_postgresql("CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET z = 1; END;")
    with pytest.raises(SchemaError):
        for_postgresql("PRAGMA foreign_keys = ON")


async def test_one_instance_at_a_time_takes_a_chats_turn(reopen: Reopen) -> None:
    here, there = await reopen(), await reopen()
    order: list[str] = []
    try:
        async with here.chat_turn(7_100_000_001):

            async def other_instance() -> None:
                async with there.chat_turn(7_100_000_001):
                    order.append("there")

            waiting = asyncio.create_task(other_instance())
            async with there.chat_turn(7_100_000_002):  # another chat: no waiting
                order.append("other chat")
            await asyncio.sleep(0.1)
            order.append("here")
        await asyncio.wait_for(waiting, 5)
    finally:
        await here.close()
        await there.close()
    assert order == ["other chat", "here", "there"]


async def test_without_the_server_a_chat_goes_ahead_alone() -> None:
    turns = ChatTurns("postgresql://nobody@127.0.0.1:1/none")
    async with turns.turn(7_100_000_001):
        pass  # unavailable: the update is handled rather than held up
    await turns.close()


async def test_opening_waits_for_another_migration_longer_than_busy_timeout(
    reopen: Reopen, database_url: str, query: Query
) -> None:
    """An instance starting while another migrates waits for it (migration_wait_seconds), not
    busy_timeout_ms, and finds the schema done."""
    import asyncpg

    from bot.store.postgresql import MIGRATION_LOCK, MIGRATION_LOCK_SQL

    migrating = await asyncpg.connect(database_url)
    try:
        await migrating.execute(MIGRATION_LOCK_SQL.format(""), MIGRATION_LOCK)
        opening = asyncio.ensure_future(reopen(busy_timeout_ms=50))
        await asyncio.sleep(0.5)  # ten times busy_timeout_ms
        assert not opening.done()
        await migrating.execute(MIGRATION_LOCK_SQL.format("un"), MIGRATION_LOCK)
        store = await asyncio.wait_for(opening, timeout=30)
    finally:
        await migrating.close()
    try:
        assert await store.schema_version() == len(known_migrations())
    finally:
        await store.close()


async def test_a_migration_waits_only_migration_wait_seconds(
    reopen: Reopen, database_url: str
) -> None:
    import asyncpg

    from bot.store.base import StoreBusy
    from bot.store.postgresql import MIGRATION_LOCK, MIGRATION_LOCK_SQL

    migrating = await asyncpg.connect(database_url)
    try:
        await migrating.execute(MIGRATION_LOCK_SQL.format(""), MIGRATION_LOCK)
        with pytest.raises(StoreBusy, match=r"storage\.migration_wait_seconds"):
            await reopen(migration_wait_seconds=1)
    finally:
        await migrating.close()


async def test_a_migration_in_another_schema_does_not_wait(
    reopen: Reopen, database_url: str
) -> None:
    """Deployments (and test runs) in other schemas of one database migrate side by side."""
    import asyncpg

    from bot.store.postgresql import MIGRATION_LOCK, MIGRATION_LOCK_SQL

    elsewhere = await asyncpg.connect(database_url, server_settings={"search_path": "public"})
    try:
        # What a migration of the database's public schema holds, held throughout.
        await elsewhere.execute(MIGRATION_LOCK_SQL.format(""), MIGRATION_LOCK)
        store = await asyncio.wait_for(reopen(migration_wait_seconds=1), timeout=30)
        await store.close()
    finally:
        await elsewhere.close()
