"""How values travel to and from the database, for every module of shared SQL.

Times are fixed-width UTC text in both databases ('YYYY-MM-DDTHH:MM:SS.ffffffZ'), so comparing
the text compares the time and the same statements serve both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

Params = Sequence[Any]
# A result row: sqlite3.Row or asyncpg.Record; both are read by position and by column name.
Row = Any


def to_db_time(value: datetime) -> str:
    """Fixed-width UTC text, so comparing the text compares the time."""
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    # isoformat is the same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), in a third of the time.
    return value.astimezone(UTC).isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


def from_db_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def db_time(value: str) -> datetime:
    return datetime.fromisoformat(value)
