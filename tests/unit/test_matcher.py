"""The matcher on the shipped knowledge base: bands, scripts, languages, every topic reachable."""

from __future__ import annotations

from functools import cache

import pytest

from bot.config import load_config
from bot.faq import FaqService
from bot.matching.matcher import Matcher


@cache
def service() -> FaqService:
    return FaqService.from_config(load_config(None, environ={}))


def matcher() -> Matcher:
    return service().matcher


@pytest.mark.parametrize("entry_id", sorted(service().kb.required))
def test_every_required_topic_answers_its_own_question(entry_id: str) -> None:
    entry = service().kb.entries[entry_id]
    result = matcher().match(entry.question.zh)
    assert (result.band, result.entry_id) == ("answer", entry_id)


@pytest.mark.parametrize("entry_id", sorted(service().kb.required))
def test_every_required_topic_answers_its_english_question(entry_id: str) -> None:
    entry = service().kb.entries[entry_id]
    assert matcher().match(entry.question.en).entry_id == entry_id


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("周六日还能送孩子去上数学补习班吗", "training.holidays_ban"),
        ("週六日還能送孩子去上數學補習班嗎", "training.holidays_ban"),  # traditional
        ("周六日还能送孩子去上ＡＢＣ英语补习班吗？？", "training.holidays_ban"),  # full width
        ("Is weekend maths tutoring allowed?", "training.holidays_ban"),
        ("一年级老师天天布置家庭作业合理吗", "homework.time_limits"),
        ("老师让家长每天批改作业", "homework.parents"),
        ("班主任在外面收钱给学生补课", "teachers.paid_tutoring"),
    ],
)
def test_answers(question: str, expected: str) -> None:
    result = matcher().match(question)
    assert (result.band, result.entry_id) == ("answer", expected), result.candidates[:3]


@pytest.mark.parametrize(
    "question",
    [
        "今天天气怎么样",
        "附近哪家火锅店好吃",
        "What's the bitcoin price?",
        "你好",
        "晚上好",  # a greeting the jieba dictionary does not hold whole ("晚上" is a concept)
        "老师好",
        "asdfghjkl",
        "👍👍👍",
        "",
        "   ",
        "<b></b>",
    ],
)
def test_out_of_scope_is_declined(question: str) -> None:
    result = matcher().match(question)
    assert result.band == "none"
    assert result.entry_id is None


def test_near_domain_question_is_declined_with_a_pointer() -> None:
    result = matcher().match("高考志愿应该怎么选学校")
    assert result.band == "none"
    assert result.redirect == "outside.further_study"
    assert result.candidates == ()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("小升初招生政策是什么", "exams.admission"),  # 招生 once folded onto outside.enrolment
        ("周末有偿补课违规吗", "teachers.paid_tutoring"),  # 兼职 once folded onto 有偿
        ("老师周末兼职可以吗", "teachers.paid_tutoring"),
    ],
)
def test_policy_question_sharing_a_word_with_an_outside_topic_is_answered(
    question: str, expected: str
) -> None:
    result = matcher().match(question)
    assert (result.band, result.entry_id) == ("answer", expected), result.candidates[:3]


@pytest.mark.parametrize(
    ("question", "outside"),
    [("随迁子女入学政策怎么样", "outside.enrolment"), ("周末想找个兼职", "outside.daily_life")],
)
def test_the_outside_topic_still_declines_its_own_questions(question: str, outside: str) -> None:
    result = matcher().match(question)
    assert (result.band, result.redirect) == ("none", outside)


def test_vague_question_gets_suggestions_not_an_answer() -> None:
    # Refunds from a tutoring company and from the school's after-school service: ask which.
    result = matcher().match("退费")
    assert result.band == "suggest"
    assert result.entry_id is None
    assert 1 <= len(result.candidates) <= 3
    assert {c.id for c in result.candidates} == {
        "training.refunds",
        "afterschool.fee_refunds",
    } | {c.id for c in result.candidates[2:]}


def test_short_subset_query_is_not_trusted() -> None:
    # One shared word must not make a confident answer (token_set_ratio would say 100).
    assert matcher().match("老师").band != "answer"


def test_matching_is_deterministic() -> None:
    first = matcher().match("课后服务到几点")
    assert all(matcher().match("课后服务到几点") == first for _ in range(5))


def test_answer_fills_local_placeholders() -> None:
    reply = service().answer("report.process", "zh")
    assert "{" not in reply.answer
    assert service().placeholders["claim_hours"] in reply.answer
