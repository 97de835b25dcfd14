from __future__ import annotations

from pathlib import Path

from bot.bench.tickets import bench_tickets


async def test_the_benchmark_reports_both_rates(tmp_path: Path) -> None:
    figures = await bench_tickets(40, tmp_path, concurrency=4)
    assert figures["n"] == 40 and figures["synchronous"] == "FULL"
    for name in ("raw_inserts_per_s", "submissions_per_s", "submissions_concurrent_per_s"):
        assert figures[name] > 0
    # The rates are rounded for display and the ratio is taken before rounding.
    ratio = figures["submissions_per_s"] / figures["raw_inserts_per_s"]
    assert abs(figures["ratio_to_raw"] - ratio) < 0.002
    assert database_files(tmp_path) == ["parallel.sqlite3", "raw.sqlite3", "sequential.sqlite3"]


def database_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.sqlite3"))
