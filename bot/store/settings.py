"""Storage settings (the ``store:`` section of the config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class StoreSettings:
    # The SQLite file; relative paths are resolved from the config file's folder.
    path: str = "data/hotline.sqlite3"
    # How long a write waits for another process (an export, a backup) before giving up.
    busy_timeout_ms: int = 5000
    # FULL: a committed tip-off survives a power cut, not only a crash of the bot.
    synchronous: Literal["FULL", "NORMAL"] = "FULL"

    def __post_init__(self) -> None:
        if not self.path.strip():
            raise ValueError("path must name the database file")
        if not 0 <= self.busy_timeout_ms <= 600_000:
            raise ValueError("busy_timeout_ms must be between 0 and 600000")
