"""Numbered SQL migrations: ``migrations/0001_initial.sql``, ``0002_...sql`` and so on."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

from bot.store.base import SchemaError

MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self) -> list[str]:
        return split_statements(self.sql)


def known_migrations(package: str = "bot.store.migrations") -> list[Migration]:
    """Every migration shipped with the code, checked to be numbered 1, 2, 3 ... without gaps."""
    found = []
    for entry in resources.files(package).iterdir():
        match = MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise SchemaError(
                f"migration {expected:04d} is missing (found {migration.version:04d})"
            )
    return found


def split_statements(sql: str) -> list[str]:
    """Split a script into statements; trigger bodies (``BEGIN ... END;``) stay whole."""
    statements: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        if not current and (not line.strip() or line.lstrip().startswith("--")):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise SchemaError(f"unterminated SQL statement: {current.strip()[:60]!r}")
    return statements


def check_applied(applied: dict[int, str], known: list[Migration]) -> list[Migration]:
    """The migrations still to apply; refuse a database that is newer or was edited."""
    by_version = {m.version: m for m in known}
    for version, checksum in sorted(applied.items()):
        migration = by_version.get(version)
        if migration is None:
            raise SchemaError(
                f"the database has migration {version:04d}, newer than this code knows; "
                "upgrade the bot"
            )
        if migration.checksum != checksum:
            raise SchemaError(
                f"migration {version:04d}_{migration.name}.sql changed after it was applied; "
                "add a new migration instead of editing an old one"
            )
    return [m for m in known if m.version not in applied]
