"""The log of questions the knowledge base missed, and `kb gaps` grouping them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.faq import FaqService
from bot.questions import QuestionLog
from bot.store.sqlite import open_sqlite_store


async def test_gaps_group_similar_questions_most_asked_first(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    log = QuestionLog(store)
    for asker in ("a", "b", "c"):
        await log.record("本区托管班名单在哪里查", "none", None, asker, "zh")
    await log.record("本区的托管班名单去哪里查?", "suggest", None, "d", "zh")
    await log.record("游泳馆几点开门", "none", None, "a", "zh")
    await log.record_dislike("周末补课", "training.holidays_ban", "outdated", "e", "zh")
    segmenter = FaqService.from_config(load_config(None, environ={})).matcher.segmenter
    gaps = await log.gaps(segmenter)
    await store.close()
    assert [(g.example, g.count, len(g.askers)) for g in gaps] == [
        ("本区托管班名单在哪里查", 4, 4),
        ("周末补课", 1, 1),
        ("游泳馆几点开门", 1, 1),
    ]
    assert gaps[0].kinds == {"unanswered": 3, "unsure": 1}


def test_kb_gaps_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    knowledge = Path(__file__).resolve().parents[2] / "knowledge"
    config.write_text(
        f"knowledge:\n  paths: [{knowledge / 'national'}]\n"
        f"storage:\n  url: sqlite:///{tmp_path / 'db.sqlite3'}\n",
        encoding="utf-8",
    )
    assert main(["--config", str(config), "kb", "gaps"]) == 0
    assert "no unanswered questions" in capsys.readouterr().out
