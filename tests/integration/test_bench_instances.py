"""``bench e2e --instances N --storage URL`` at toy size: 1, then 2 instances behind one webhook
URL, every question answered once, both instances taking deliveries, nothing left behind.

Timings on a shared test machine mean nothing, so none are asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bench.e2e import run_instances_benchmark
from bot.config import load_config
from tests.conftest import NO_POSTGRESQL, POSTGRESQL_URL

SIDES = ("1 instance", "2 instances")


async def bench_schemas() -> set[str]:
    import asyncpg

    connection = await asyncpg.connect(POSTGRESQL_URL)
    try:
        rows = await connection.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'"
        )
        return {row["nspname"] for row in rows}
    finally:
        await connection.close()


def left_in(folder: Path) -> list[Path]:
    return list(folder.iterdir())


@pytest.mark.skipif(not POSTGRESQL_URL, reason=NO_POSTGRESQL)
async def test_two_instances_on_one_database_answer_every_question_once() -> None:
    schemas_before = await bench_schemas()
    figures = await run_instances_benchmark(
        load_config(None, environ={}),
        instances=2,
        storage=POSTGRESQL_URL,
        users=5,
        messages=20,
    )

    for side in SIDES:
        assert figures[f"{side} lost"] == 0
        assert figures[f"{side} duplicated"] == 0
        assert figures[f"{side} handler errors"] == 0
        assert figures[f"{side} answered %"] >= 50
    assert figures["1 instance #1 deliveries"] >= 20
    assert figures["2 instances #1 deliveries"] > 0
    assert figures["2 instances #2 deliveries"] > 0
    assert figures["2 instances/1 instance replies/s"] > 0
    # Each run's schema is dropped at the end.
    assert await bench_schemas() <= schemas_before


async def test_one_instance_on_sqlite_uses_a_file_of_its_own_and_removes_it(
    tmp_path: Path,
) -> None:
    given = tmp_path / "hotline.sqlite3"
    figures = await run_instances_benchmark(
        load_config(None, environ={}),
        instances=1,
        storage=f"sqlite:///{given}",
        users=5,
        messages=20,
    )

    assert figures["1 instance lost"] == 0
    assert figures["1 instance duplicated"] == 0
    assert "2 instances replies/s" not in figures
    assert left_in(tmp_path) == []


async def test_several_instances_are_refused_one_sqlite_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        await run_instances_benchmark(
            load_config(None, environ={}),
            instances=2,
            storage=f"sqlite:///{tmp_path / 'hotline.sqlite3'}",
            users=5,
            messages=20,
        )
