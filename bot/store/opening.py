"""Opening the database ``storage.url`` names: SQLite for one process, PostgreSQL for several."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.store.base import Store
from bot.store.settings import StorageSettings
from bot.store.sqlite import open_sqlite_store


async def open_store(settings: StorageSettings, base_dir: Path) -> Store:
    """The database ``storage.url`` names, schema brought up to date.

    A relative SQLite path is resolved from ``base_dir`` (the config file's folder)."""
    if settings.is_postgresql:
        # Imported here: a single SQLite deployment never loads the PostgreSQL driver.
        from bot.store.postgresql import open_postgresql_store

        return await open_postgresql_store(settings)
    path = settings.sqlite_path
    return await open_sqlite_store(path if path.is_absolute() else base_dir / path, settings)


@asynccontextmanager
async def opened_store(settings: StorageSettings, base_dir: Path) -> AsyncIterator[Store]:
    """:func:`open_store` for one piece of work, closed after it whatever happens (the
    command line's commands and checks)."""
    store = await open_store(settings, base_dir)
    try:
        yield store
    finally:
        await store.close()
