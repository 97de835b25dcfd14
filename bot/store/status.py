"""Which migrations a database has and which it still needs, read without changing anything:
no file is created, no migration applied (``db status``, ``config check``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.store.base import NotSaved
from bot.store.migrate import Migration, check_applied, known_migrations
from bot.store.settings import StorageSettings


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    applied_at: str


@dataclass(frozen=True)
class MigrationStatus:
    applied: tuple[AppliedMigration, ...]
    pending: tuple[Migration, ...]
    exists: bool = True  # False: a SQLite file not created yet (the first start makes it)

    @property
    def current(self) -> bool:
        return self.exists and not self.pending

    def summary(self) -> str:
        if not self.exists:
            return (
                f"not created yet; the first start creates it with {len(self.pending)} migrations"
            )
        latest = (
            f"{self.applied[-1].version:04d}_{self.applied[-1].name}" if self.applied else "none"
        )
        if not self.pending:
            return f"{len(self.applied)} migrations applied (latest {latest}), none pending"
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in self.pending)
        return f"{len(self.applied)} migrations applied (latest {latest}); pending: {names}"


async def migration_status(settings: StorageSettings, base_dir: Path) -> MigrationStatus:
    """Raises :class:`NotSaved` when the database cannot be reached, and
    :class:`~bot.store.base.SchemaError` when it is newer than this code or was edited."""
    if settings.is_postgresql:
        rows = await _postgresql_rows(settings)
    else:
        path = (
            settings.sqlite_path
            if settings.sqlite_path.is_absolute()
            else base_dir / settings.sqlite_path
        )
        if not path.exists():
            return MigrationStatus((), tuple(known_migrations()), exists=False)
        rows = _sqlite_rows(path)
    applied = tuple(AppliedMigration(int(r[0]), str(r[1]), str(r[3])) for r in rows)
    pending = check_applied(
        {a.version: str(r[2]) for a, r in zip(applied, rows, strict=True)}, known_migrations()
    )
    return MigrationStatus(applied, tuple(pending))


_SELECT = "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"


def _sqlite_rows(path: Path) -> list[tuple[Any, ...]]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise NotSaved(f"cannot open {path}: {exc}") from None
    try:
        known = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        return [tuple(row) for row in conn.execute(_SELECT)] if known else []
    except sqlite3.Error as exc:
        raise NotSaved(f"cannot read {path}: {exc}") from None
    finally:
        conn.close()


async def _postgresql_rows(settings: StorageSettings) -> list[tuple[Any, ...]]:
    import asyncpg

    try:
        conn = await asyncpg.connect(settings.url, timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise NotSaved(f"cannot connect to {settings.safe_url}: {exc}") from None
    try:
        if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
            return []
        return [tuple(row) for row in await conn.fetch(_SELECT)]
    finally:
        await conn.close()
