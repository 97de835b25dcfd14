"""Storage: one interface (:mod:`bot.store.base`), SQLite behind it today."""

from bot.store.base import NotSaved, SchemaError, Store, StoreBusy, StoreError, Transaction
from bot.store.settings import StoreSettings
from bot.store.sqlite import SqliteStore, open_sqlite_store

__all__ = [
    "NotSaved",
    "SchemaError",
    "SqliteStore",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreSettings",
    "Transaction",
    "open_sqlite_store",
]
