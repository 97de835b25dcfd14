"""Settings and fixtures every test shares."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.privacy import PrivacyKeys
from bot.store.settings import StorageSettings
from bot.store.sqlite import SqliteStore, open_sqlite_store

# PTB 22 warns when it builds RetryAfter unless this opt-in is set, and warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")

Query = Callable[[str], list[tuple[Any, ...]]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hotline.sqlite3"


@pytest.fixture
def keys() -> PrivacyKeys:
    return PrivacyKeys.generate()


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    # A short busy timeout: a test that locks the database should fail fast, not hang.
    opened = await open_sqlite_store(db_path, StorageSettings(busy_timeout_ms=200))
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
