"""The time now, in UTC: the one clock every service defaults to (the bot injects one clock
into all of them; tests inject their own)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

# What every part that needs the time is given.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
