"""Storage: one interface (:mod:`bot.store.base`); SQLite for one process, PostgreSQL for
several instances sharing a database."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.store.base import NotSaved, SchemaError, Store, StoreBusy, StoreError, Transaction
from bot.store.settings import StorageSettings
from bot.store.sqlite import SqliteStore, open_sqlite_store

__all__ = [
    "NotSaved",
    "SchemaError",
    "SqliteStore",
    "StorageSettings",
    "Store",
    "StoreBusy",
    "StoreError",
    "Transaction",
    "open_sqlite_store",
    "open_store",
    "opened_store",
]


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
