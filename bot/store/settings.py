"""Storage settings (the ``storage:`` section of the config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

SQLITE_SCHEME = "sqlite:///"
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class StorageSettings:
    # sqlite:///relative/path, sqlite:////absolute/path or postgresql://user@host:port/db.
    # Kept out of repr: a PostgreSQL URL may carry a password.
    url: str = field(default="sqlite:///data/hotline.sqlite3", repr=False)
    # How long a write waits for another's lock (an export, a backup, another instance) before
    # giving up; the unit is then not saved and safe to retry.
    busy_timeout_ms: int = 5000
    # SQLite: FULL means a committed tip-off survives a power cut, not only a crash of the bot.
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    # PostgreSQL: connections each instance keeps open for its units of work (it opens one
    # more of its own for chat turns: pool_size + 1 per instance).
    pool_size: int = 10
    # How long opening the database waits for another instance (or an explicit `db migrate`)
    # to finish migrating, and a migration for the locks it needs, in seconds.
    migration_wait_seconds: int = 600

    def __post_init__(self) -> None:
        if not (self.is_sqlite or self.is_postgresql):
            raise ValueError("url must start with sqlite:/// or postgresql://")
        if self.is_sqlite and not self.url.removeprefix(SQLITE_SCHEME).strip():
            raise ValueError("url must name the database file, e.g. sqlite:///data/hotline.sqlite3")
        if not 0 <= self.busy_timeout_ms <= 600_000:
            raise ValueError("busy_timeout_ms must be between 0 and 600000")
        if not 1 <= self.pool_size <= 200:
            raise ValueError("pool_size must be between 1 and 200")
        if not 1 <= self.migration_wait_seconds <= 86_400:
            raise ValueError("migration_wait_seconds must be between 1 and 86400")

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith(SQLITE_SCHEME)

    @property
    def is_postgresql(self) -> bool:
        return self.url.startswith(POSTGRESQL_SCHEMES)

    @property
    def sqlite_path(self) -> Path:
        """The file named by a sqlite:/// URL (relative to the config's folder if relative)."""
        return Path(self.url.removeprefix(SQLITE_SCHEME))

    @property
    def safe_url(self) -> str:
        """The URL without its password, for logs and messages."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        host = parts.hostname or ""
        user = f"{parts.username}:***@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return parts._replace(netloc=f"{user}{host}{port}").geturl()
