"""``bench crashes`` at toy size: killed and restarted, the bot loses and corrupts nothing.

The full run (40 bursts of 40 questions, 40 report walks) is ``python -m bot bench crashes``;
here two of each kind keep the benchmark itself honest.
"""

from __future__ import annotations

from pathlib import Path

from bot.bench.crashes import BURST_SIZE, run_crash_trials
from bot.config import load_config


async def test_killed_bots_lose_nothing_and_corrupt_no_draft(tmp_path: Path) -> None:
    figures = await run_crash_trials(
        load_config(None, environ={}), tmp_path, bursts=2, walks=4, walkers=2, seed=7
    )
    assert figures.kills == 4
    assert (figures.questions, figures.unanswered) == (2 * BURST_SIZE, 0)
    assert (figures.walks, figures.tickets_filed_once) == (4, 4)
    assert figures.tickets_lost == figures.tickets_doubled == figures.drafts_corrupted == 0
    # An update handled but not yet marked done when the process died is handled again: the
    # ones in hand at the kill (eight at a time, and those whose done mark was waiting to share
    # a commit), never the whole burst.
    assert figures.answered_twice < figures.questions / 2
