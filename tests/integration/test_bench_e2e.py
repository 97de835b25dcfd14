"""``bench e2e`` at toy size: every question answered once, by both bots, with every figure.

Timings on a shared test machine mean nothing, so none are asserted.
"""

from __future__ import annotations

from bot.bench.e2e import run_e2e_benchmark
from bot.config import load_config

SIDE_FIGURES = (
    "replies/s",
    "p50 ms",
    "p99 ms",
    "lost",
    "duplicated",
    "handler errors",
    "CPU ms/reply",
    "emulator busy %",
    "peak RSS before burst MB",
    "peak RSS MB",
)


async def test_every_question_gets_exactly_one_reply_from_both_bots() -> None:
    figures = await run_e2e_benchmark(load_config(None, environ={}), users=5, messages=20)

    expected = {f"{side} {name}" for side in ("bot", "echo") for name in SIDE_FIGURES}
    expected |= {"users", "messages", "bot answered %", "bot/echo replies/s"}
    expected |= {"bot/echo CPU ms/reply"}
    expected.add("emulator+parents peak RSS MB")
    assert set(figures) == expected
    for side in ("bot", "echo"):
        assert figures[f"{side} lost"] == 0
        assert figures[f"{side} duplicated"] == 0
        assert figures[f"{side} handler errors"] == 0
    # The parents' questions come from the knowledge base: most get a full answer.
    assert figures["bot answered %"] >= 50


async def test_no_reply_is_lost_to_429s_and_502s() -> None:
    figures = await run_e2e_benchmark(
        load_config(None, environ={}), users=5, messages=20, faults=True
    )

    # With the default seed the first 20 sends include both kinds of failure.
    assert figures["bot 429s injected"] >= 1
    assert figures["bot 502s injected"] >= 1
    assert figures["bot lost"] == 0
    assert figures["bot duplicated"] == 0
    assert "echo replies/s" not in figures  # the echo bot has no retries to measure


async def test_steady_load_compares_the_wait_people_feel() -> None:
    """``--rate``: questions spread evenly, the bot with its production rate limits."""
    config = load_config(None, environ={})
    figures = await run_e2e_benchmark(config, users=5, messages=10, rate=20)
    assert figures["bot lost"] == figures["echo lost"] == 0
    assert figures["bot duplicated"] == figures["echo duplicated"] == 0
    assert {"bot/echo p99 ms", "bot/echo CPU ms/reply"} <= set(figures)
    assert "bot/echo replies/s" not in figures  # a paced run says nothing about throughput
