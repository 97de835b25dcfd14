from __future__ import annotations

from pathlib import Path

from bot.bench.queue import bench_queue


async def test_the_queue_benchmark_reports_every_figure(tmp_path: Path) -> None:
    figures = await bench_queue(tmp_path, 6000, claims=5)
    assert figures["tickets"] == 6000 == figures["stats_all_tickets"]
    assert 400 < figures["open_tickets"] < 800  # about one in ten
    assert figures["race_claimers"] == 50 and figures["race_winners"] == [1]
    # Membership from the store (as the bot reads it), from the config in memory, and from the
    # store with its version read before every claim, side by side.
    for suffix in ("", "_config", "_store_checked"):
        assert figures[f"claims_per_s{suffix}"] > 0
        assert figures[f"claims_concurrent_per_s{suffix}"] > 0
    ratio = figures["claims_per_s"] / figures["claims_per_s_config"]
    assert figures["claims_per_s_store_vs_config"] == round(ratio, 3)
    for name in ("queue_page_ms", "queue_page_department_ms", "stats_30_days_ms", "stats_all_ms"):
        assert 0 < figures[name]["median"] <= figures[name]["p95"]
