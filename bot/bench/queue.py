"""Benchmark: inspectors' work with 100,000 tickets in the store.

Tickets are bulk-loaded straight into the file (one transaction, ``executemany``), spread over
half a year, the default queues, categories and districts; about one in ten is still open. Then,
through the real services (every call one durable transaction with its audit record):

* claim throughput: distinct new tickets claimed one after another, and 8 at a time, with
  membership as the bot reads it (from the store, the organisation version looked at as the
  staff gate does before each command), next to the config's members held in memory, and to
  the version read before every single claim;
* the 50-way race: 50 inspectors claim the same ticket at once (exactly one must win);
* ``/queue``: the first page of open tickets of one queue, and of a whole department;
* ``stats``: figures over the last 30 days and over everything.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.inspection.figures import Period, StatsFigures
from bot.inspection.model import Changed, QueuePage
from bot.inspection.organisation import Organisation
from bot.inspection.routing import Router
from bot.inspection.services import InspectionServices, build_inspection_services
from bot.inspection.settings import (
    CATEGORIES,
    DEFAULT_DEPARTMENTS,
    Department,
    InspectionSettings,
    Member,
)
from bot.inspection.workdays import WorkingCalendar
from bot.privacy import PrivacyKeys
from bot.store.settings import StorageSettings
from bot.store.sql import to_db_time
from bot.store.sqlite import open_sqlite_store
from bot.tickets.settings import TicketSettings

NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
SPAN = timedelta(days=180)
OPEN_SHARE = 0.1
DISTRICTS = ("东城区", "西城区", "海淀区", "朝阳区", "丰台区")
RACERS = 50
# Membership as the bot reads it (the store), the config's held in memory, and the store with
# its version read before every claim; timed turn about in this many chunks each.
MEMBERSHIPS = ("store", "config", "store_checked")
CHUNKS = 10
ADMIN = 900
SUPERVISOR = 800  # of the education department


def bench_settings() -> InspectionSettings:
    """The default organisation with 60 inspectors in every department and a supervisor."""
    departments: list[Department] = []
    for department in DEFAULT_DEPARTMENTS:
        base = 1000 * (len(departments) + 1)
        members = tuple(Member(base + i) for i in range(RACERS + 10))
        if department.id == "education":
            members += (Member(SUPERVISOR, "supervisor"),)
        departments.append(Department(department.id, department.name, department.queues, members))
    return InspectionSettings(departments=tuple(departments), members=(Member(ADMIN, "admin"),))


async def bench_queue(path: Path, tickets: int = 100_000, *, claims: int = 200) -> dict[str, Any]:
    """Load ``tickets`` into a fresh database in folder ``path`` and time the inspectors' work
    (``claims`` claims one at a time, twice as many 8 at a time)."""
    file = _fresh_file(path)
    settings = bench_settings()
    await (await open_sqlite_store(file)).close()  # creates the schema
    started = time.perf_counter()
    open_numbers = _bulk_load(file, tickets, Router(settings, WorkingCalendar()))
    load_seconds = time.perf_counter() - started

    store = await open_sqlite_store(file, StorageSettings(synchronous="FULL"))
    try:
        keys = PrivacyKeys.generate()
        in_memory = build_inspection_services(
            store,
            settings,
            TicketSettings(),
            keys,
            clock=lambda: NOW,
            organisation=Organisation.fixed(settings),
        )
        services = build_inspection_services(
            store, settings, TicketSettings(), keys, clock=lambda: NOW
        )
        await services.organisation.open()  # the config's members seeded, then read back
        figures = await _measure(services, in_memory, open_numbers, claims)
    finally:
        await store.close()
    return {
        "tickets": tickets,
        "open_tickets": sum(len(v) for v in open_numbers.values()),
        "load_s": round(load_seconds, 2),
        "load_per_s": round(tickets / load_seconds),
        **figures,
    }


async def _measure(
    services: InspectionServices,
    in_memory: InspectionServices,
    open_numbers: dict[str, list[str]],
    claims: int,
) -> dict[str, Any]:
    education = [n for q, numbers in open_numbers.items() if q.startswith("edu-") for n in numbers]
    random.Random(7).shuffle(education)
    per_chunk = max(1, claims // CHUNKS)
    if len(education) < (CHUNKS + 1) * len(MEMBERSHIPS) * 3 * per_chunk + 10:
        raise ValueError("too few tickets for that many claims")
    unclaimed = iter(education)
    inspector = 2000  # education department, see bench_settings
    variants = {
        name: (
            in_memory if name == "config" else services,
            None if name == "config" else _gate(services, forced=name == "store_checked"),
        )
        for name in MEMBERSHIPS
    }
    result: dict[str, Any] = {}
    for kind, at_once in (("claims_per_s", 1), ("claims_concurrent_per_s", 8)):
        size = per_chunk * (2 if at_once > 1 else 1)
        rates = await _compared(variants, unclaimed, inspector, size, at_once)
        for name, rate in rates.items():
            result[kind if name == "store" else f"{kind}_{name}"] = rate
        result[f"{kind}_store_vs_config"] = round(rates["store"] / rates["config"], 3)
    result.update(await _races(services, unclaimed, 10))
    views = services.views
    result["queue_page_ms"] = await _latency(
        lambda: views.open_tickets(inspector, queue="edu-haidian"), 30
    )
    result["queue_page_department_ms"] = await _latency(lambda: views.open_tickets(SUPERVISOR), 30)
    reports = services.reports
    last_30 = Period.last_days(30, NOW)
    everything = Period(NOW - SPAN - timedelta(days=1), NOW)
    result["stats_30_days_ms"] = await _latency(lambda: reports.stats(ADMIN, last_30), 5)
    result["stats_all_ms"] = await _latency(lambda: reports.stats(ADMIN, everything), 3)
    figures = await reports.stats(ADMIN, everything)
    assert isinstance(figures, StatsFigures)
    result["stats_all_tickets"] = figures.total
    return result


Gate = Callable[[int], Awaitable[None]]


def _gate(services: InspectionServices, *, forced: bool) -> Gate:
    """What the staff gate does before each command: look at the organisation version (at
    most every refresh_seconds, or, ``forced``, every time)."""
    organisation = services.organisation

    async def check(user_id: int) -> None:
        if forced:
            await organisation.refresh(force=True)
        else:
            await organisation.refresh_for(user_id)

    return check


async def _compared(
    variants: dict[str, tuple[InspectionServices, Gate | None]],
    numbers: Iterator[str],
    first_user: int,
    size: int,
    at_once: int,
) -> dict[str, float]:
    """Claims per second of each variant, timed in small chunks turn about (each round in
    another order, after one round not counted, caches warm): a change in the machine's load
    falls on them all alike."""
    spent = dict.fromkeys(variants, 0.0)
    names = list(variants)
    for round_number in range(CHUNKS + 1):
        turn = round_number % len(names)
        for name in names[turn:] + names[:turn]:
            services, gate = variants[name]
            seconds = await _claims_timed(services, numbers, first_user, size, at_once, gate)
            if round_number > 0:
                spent[name] += seconds
    return {name: round(CHUNKS * size / spent[name], 1) for name in names}


async def _claims_timed(
    services: InspectionServices,
    numbers: Iterator[str],
    first_user: int,
    n: int,
    at_once: int,
    gate: Gate | None = None,
) -> float:
    """Seconds ``n`` claims of distinct tickets took, ``at_once`` at a time."""
    batch = [next(numbers) for _ in range(n)]

    async def worker(start: int) -> None:
        for i in range(start, n, at_once):
            user = first_user + i % RACERS
            if gate is not None:
                await gate(user)
            won = await services.desk.claim(user, batch[i])
            assert isinstance(won, Changed), won

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(at_once)))
    return time.perf_counter() - started


async def _races(
    services: InspectionServices, numbers: Iterator[str], rounds: int
) -> dict[str, Any]:
    durations, winners = [], []
    for _ in range(rounds):
        number = next(numbers)
        started = time.perf_counter()
        results = await asyncio.gather(
            *(services.desk.claim(2000 + i, number) for i in range(RACERS))
        )
        durations.append((time.perf_counter() - started) * 1000)
        winners.append(sum(isinstance(r, Changed) for r in results))
    return {
        "race_claimers": RACERS,
        "race_winners": sorted(set(winners)),
        "race_all_answered_ms": _summary(durations),
    }


async def _latency(call: Callable[[], Awaitable[object]], runs: int) -> dict[str, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = await call()
        timings.append((time.perf_counter() - started) * 1000)
        assert isinstance(answer, QueuePage | StatsFigures), answer
    return _summary(timings)


def _summary(milliseconds: list[float]) -> dict[str, float]:
    ordered = sorted(milliseconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 2), "p95": round(p95, 2)}


# --- bulk loading ---


def _fresh_file(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "queue.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
    return file


TICKET_COLUMNS = (
    "number, year, seq, idempotency_key, status, queue, category, district, institution,"
    " description, details, disposition, claimed_by, claimed_at, claim_due_at, resolve_due_at,"
    " created_at, updated_at, closed_at, resolved_at, outcome"
)


def _bulk_load(file: Path, n: int, router: Router) -> dict[str, list[str]]:
    """Insert ``n`` tickets in one transaction; return the open unclaimed numbers per queue."""
    rng = random.Random(20260901)
    unclaimed: dict[str, list[str]] = {}
    rows = []
    for i in range(n):
        row = _ticket_row(i, n, rng, router)
        rows.append(row)
        if row[4] == "new":
            unclaimed.setdefault(str(row[5]), []).append(str(row[0]))
    conn = sqlite3.connect(file)
    try:
        conn.execute("PRAGMA synchronous = NORMAL")
        with conn:
            marks = ", ".join("?" * 21)
            conn.executemany(f"INSERT INTO tickets ({TICKET_COLUMNS}) VALUES ({marks})", rows)
            conn.execute("INSERT INTO ticket_counters (year, last_seq) VALUES (2026, ?)", (n,))
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return unclaimed


def _ticket_row(i: int, n: int, rng: random.Random, router: Router) -> tuple[Any, ...]:
    created = NOW - SPAN + SPAN * (i / n)
    category = rng.choice(CATEGORIES)
    district = rng.choice(DISTRICTS)
    queue = router.rule_queue(category, district) or router.settings.default_queue
    claim_due, resolve_due = created + timedelta(hours=24), created + timedelta(days=21)
    status, claimed_at, resolved_at = _progress(created, rng)
    return (
        f"SJ-2026-{i + 1:06d}",
        2026,
        i + 1,
        f"bench-{i}",
        status,
        queue,
        category,
        district,
        f"第{rng.randrange(5000)}号培训机构",
        "周末开设学科类培训班",
        "{}",
        "substantiated" if resolved_at else None,
        None if claimed_at is None else "inspector:2001",
        _text(claimed_at),
        to_db_time(claim_due),
        to_db_time(resolve_due),
        to_db_time(created),
        to_db_time(resolved_at or claimed_at or created),
        _text(resolved_at + timedelta(days=1) if status == "closed" and resolved_at else None),
        _text(resolved_at),
        "已责令整改" if resolved_at else None,
    )


def _progress(
    created: datetime, rng: random.Random
) -> tuple[str, datetime | None, datetime | None]:
    if rng.random() < OPEN_SHARE:
        return "new", None, None
    claimed = created + timedelta(hours=rng.uniform(0.2, 40))
    resolved = claimed + timedelta(days=rng.uniform(1, 25))
    return rng.choice(("resolved", "closed", "closed")), claimed, resolved


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else to_db_time(moment)
