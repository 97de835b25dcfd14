"""Benchmark: durable ticket submissions per second, next to a bare aiosqlite insert loop.

Both sides use the same file settings (WAL, synchronous=FULL): every submission is on disk
before the call returns. The bare loop inserts one row of similar size and commits, nothing
more; the service path writes the ticket, receipt hash, audit event, receipt message and rate
counters, with a fresh scrypt receipt code each time. Submissions made at the same time share
one commit (group commit), which is why the concurrent figure is the one to compare.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.privacy import PrivacyKeys, reporter_key
from bot.store.settings import StorageSettings
from bot.store.sqlite import open_sqlite_store
from bot.tickets.intake import Intake
from bot.tickets.model import Refused, ReportDraft
from bot.tickets.settings import ReportLimits, TicketSettings

DESCRIPTION = "某培训机构周末以“托管”名义开设数学、英语学科类培训，每班约三十名学生。" * 3


async def bench_tickets(n: int, path: Path, *, concurrency: int = 8) -> dict[str, Any]:
    """Submit ``n`` tickets one after another and ``n`` more ``concurrency`` at a time (as the
    bot handles updates), and time ``n`` bare insert+commits. ``path`` is a folder."""
    _make_folder(path)
    settings = StorageSettings(synchronous="FULL")
    raw = await _raw_inserts(n, path / "raw.sqlite3", settings)
    sequential = await _submissions(n, path / "sequential.sqlite3", settings, 1)
    parallel = await _submissions(n, path / "parallel.sqlite3", settings, concurrency)
    return {
        "n": n,
        "synchronous": settings.synchronous,
        "raw_inserts_per_s": round(raw, 1),
        "submissions_per_s": round(sequential, 1),
        "submissions_concurrent_per_s": round(parallel, 1),
        "concurrency": concurrency,
        "ratio_to_raw": round(sequential / raw, 3),
        "ratio_concurrent_to_raw": round(parallel / raw, 3),
    }


async def _raw_inserts(n: int, file: Path, settings: StorageSettings) -> float:
    _remove(file)
    async with aiosqlite.connect(file, isolation_level=None) as db:
        await db.execute_fetchall("PRAGMA journal_mode = WAL")
        await db.execute_fetchall(f"PRAGMA synchronous = {settings.synchronous}")
        await db.execute_fetchall(
            "CREATE TABLE tickets (id INTEGER PRIMARY KEY, number TEXT, description TEXT,"
            " created_at TEXT)"
        )
        started = time.perf_counter()
        for i in range(n):
            await db.execute_fetchall("BEGIN IMMEDIATE")
            await db.execute_fetchall(
                "INSERT INTO tickets (number, description, created_at) VALUES (?, ?, ?)",
                (f"SJ-2026-{i:06d}", DESCRIPTION, datetime.now(UTC).isoformat()),
            )
            await db.execute_fetchall("COMMIT")
        return n / (time.perf_counter() - started)


async def _submissions(n: int, file: Path, settings: StorageSettings, concurrency: int) -> float:
    _remove(file)
    store = await open_sqlite_store(file, settings)
    keys = PrivacyKeys.generate()
    limits = ReportLimits(reports_per_hour=n, reports_per_day=n)
    intake = Intake(store, TicketSettings(limits=limits), keys)
    reporters = [reporter_key(keys.pepper, 5_000_000_000 + i) for i in range(64)]

    async def submit(i: int) -> None:
        draft = ReportDraft(draft_id=f"bench-{i}", category="disguised", description=DESCRIPTION)
        result = await intake.submit_report(
            draft,
            reporters[i % len(reporters)],
            f"draft:bench-{i}",
            datetime.now(UTC),
            reply_chat_id=5_000_000_000 + i,
        )
        assert not isinstance(result, Refused), result

    async def worker(start: int) -> None:
        for i in range(start, n, concurrency):
            await submit(i)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        return n / (time.perf_counter() - started)
    finally:
        await store.close()


def _make_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)


def _remove(file: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
