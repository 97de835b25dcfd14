"""The time now, in UTC: the one clock every service defaults to (tests inject their own)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
