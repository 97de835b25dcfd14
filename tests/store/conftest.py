from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.store.settings import StoreSettings
from bot.store.sqlite import SqliteStore, open_sqlite_store

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

Query = Callable[[str], list[tuple[Any, ...]]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "hotline.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await open_sqlite_store(db_path, StoreSettings(busy_timeout_ms=200))
    yield opened
    await opened.close()


@pytest.fixture
def query(db_path: Path) -> Query:
    """Read the file as any other process would (committed data only)."""

    def run(sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(db_path)
        try:
            return [tuple(row) for row in conn.execute(sql)]
        finally:
            conn.close()

    return run


def file_bytes(*paths: Path) -> bytes:
    """Everything on disk for the database: the file and, if present, its WAL."""
    return b"".join(p.read_bytes() for p in paths if p.exists())
