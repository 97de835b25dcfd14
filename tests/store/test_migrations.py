from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store.base import SchemaError
from bot.store.migrate import Migration, check_applied, known_migrations, split_statements
from bot.store.sqlite import open_sqlite_store

from .conftest import Query


async def test_migrations_are_applied_and_recorded(db_path: Path, query: Query) -> None:
    store = await open_sqlite_store(db_path)
    try:
        assert await store.schema_version() == len(known_migrations())
        applied = await store.applied_migrations()
        assert applied == [(m.version, m.name) for m in known_migrations()]
        assert applied[:2] == [(1, "initial"), (2, "faq_log")]
    finally:
        await store.close()
    tables = {name for (name,) in query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "tickets",
        "ticket_events",
        "attachments",
        "drafts",
        "receipt_codes",
        "inbox",
        "outbox",
        "throttles",
        "notify_links",
        "schema_migrations",
    } <= tables


async def test_reopening_applies_nothing_again(db_path: Path, query: Query) -> None:
    await (await open_sqlite_store(db_path)).close()
    first = query("SELECT version, checksum, applied_at FROM schema_migrations")
    await (await open_sqlite_store(db_path)).close()
    assert query("SELECT version, checksum, applied_at FROM schema_migrations") == first


async def test_the_file_is_in_wal_mode(db_path: Path, query: Query) -> None:
    await (await open_sqlite_store(db_path)).close()
    assert query("PRAGMA journal_mode") == [("wal",)]


async def test_an_edited_migration_is_refused(db_path: Path) -> None:
    await (await open_sqlite_store(db_path)).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="changed after it was applied"):
        await open_sqlite_store(db_path)


async def test_a_newer_database_is_refused(db_path: Path) -> None:
    await (await open_sqlite_store(db_path)).close()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="newer than this code"):
        await open_sqlite_store(db_path)


def test_pending_migrations_are_those_not_yet_applied() -> None:
    known = [Migration(1, "initial", "SELECT 1;"), Migration(2, "more", "SELECT 2;")]
    assert check_applied({1: known[0].checksum}, known) == [known[1]]


def test_trigger_bodies_stay_one_statement() -> None:
    sql = """
    -- a comment
    CREATE TABLE a (x INTEGER);
    CREATE TRIGGER t BEFORE UPDATE ON a
    BEGIN
        SELECT RAISE(ABORT, 'no');
    END;
    """
    statements = split_statements(sql)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_an_unterminated_statement_is_an_error() -> None:
    with pytest.raises(SchemaError, match="unterminated"):
        split_statements("CREATE TABLE a (x INTEGER)")


@pytest.fixture
def backend() -> str:
    """These tests read SQLite's own catalogue; tests/store/test_postgresql.py has PostgreSQL's."""
    return "sqlite"
