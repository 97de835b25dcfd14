"""Matches of recent questions are kept for a question asked again word for word, never past
a change to the knowledge base (a taught phrasing makes a new FAQ), and only so many."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import faq as faq_module
from bot.config import load_config
from bot.faq import FaqService
from bot.store.base import TaughtPhrasing

QUESTION = "周末还能上英语补习班吗"


@pytest.fixture(scope="module")
def faq() -> FaqService:
    return FaqService.from_config(load_config(None, environ={}))


def test_a_question_asked_again_is_matched_once(faq: FaqService) -> None:
    first = faq.ask(QUESTION, "zh")
    again = faq.ask(QUESTION, "zh")
    assert again.match is first.match
    assert again.match == faq.matcher.match(QUESTION)


def test_a_taught_phrasing_is_answered_by_a_fresh_faq(faq: FaqService) -> None:
    asked = "娃周六去学英语行不行"
    before = faq.ask(asked, "zh")
    taught = TaughtPhrasing(1, "training.holidays_ban", asked, "admin", datetime.now(UTC))
    after = faq.with_phrasings([taught]).ask(asked, "zh")
    assert after.match is not before.match
    assert after.entry_id == "training.holidays_ban" and after.band == "answer"


def test_only_the_latest_short_questions_are_kept(
    faq: FaqService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faq_module, "RECENT_MATCHES", 3)
    fresh = FaqService(faq.kb, faq.matcher, faq.placeholders)
    for n in range(5):
        fresh.match(f"{QUESTION}{n}")
    assert list(fresh._recent) == [f"{QUESTION}{n}" for n in (2, 3, 4)]
    long_question = QUESTION * 20
    fresh.match(long_question)
    assert long_question not in fresh._recent
