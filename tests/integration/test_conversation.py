"""Parents' small talk, follow-up questions and two-topic questions, through the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from tests.integration.conftest import Harness
from tests.integration.inspecting import Staffroom, button_data, running_staffroom


@pytest.fixture
async def room(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Staffroom]:
    async with running_staffroom(emu, tmp_path) as running:
        yield running


@pytest.mark.parametrize(
    ("said", "reply"),
    [
        ("你好", "请直接输入"),
        ("在吗？", "请直接输入"),
        ("谢谢！", "不客气"),
        ("你是谁", "举报机器人"),
        ("拜拜", "再见"),
    ],
)
async def test_small_talk_gets_a_fitting_reply(harness: Harness, said: str, reply: str) -> None:
    [answer] = await harness.say(harness.parent(), said)
    assert reply in answer["text"]
    assert "请用文字输入" not in answer["text"]


async def test_asking_for_a_person_shows_the_human_contact(harness: Harness) -> None:
    for said in ("人工", "转人工"):
        [answer] = await harness.say(harness.parent(), said)
        assert "人工服务" in answer["text"]
        assert button_data(answer) == ["staff:ask"]


async def test_help_names_report_and_status(harness: Harness) -> None:
    [answer] = await harness.say(harness.parent(), "/help")
    assert "/report" in answer["text"] and "/status" in answer["text"]


async def test_a_greeting_before_a_question_is_dropped(harness: Harness) -> None:
    [answer] = await harness.say(harness.parent(), "你好，周末能上数学补习班吗")
    assert "fb:up:training.holidays_ban" in button_data(answer)


async def test_a_follow_up_leans_on_the_last_answer_until_it_expires(room: Staffroom) -> None:
    bot, parent = room.bot, room.bot.parent()
    [first] = await bot.say(parent, "小学生每天作业多长时间")
    assert "fb:up:homework.time_limits" in button_data(first)
    [follow] = await bot.say(parent, "那初中呢？")
    assert "fb:up:homework.time_limits" in button_data(follow)
    [again] = await bot.say(parent, "寒假也一样吗")
    assert "fb:up:homework.time_limits" in button_data(again)
    # Some minutes later the same words are a question of their own.
    room.clock.advance(minutes=6)
    [alone] = await bot.say(parent, "那初中呢？")
    assert "fb:up:homework.time_limits" not in button_data(alone)


async def test_another_person_does_not_share_the_context(harness: Harness) -> None:
    await harness.say(harness.parent(), "小学生每天作业多长时间")
    [alone] = await harness.say(harness.parent(), "那初中呢？")
    assert "fb:up:homework.time_limits" not in button_data(alone)


async def test_a_question_on_two_topics_gets_both_short_answers(harness: Harness) -> None:
    [answer] = await harness.say(harness.parent(), "课后服务收费吗 几点结束")
    assert "涉及两个方面" in answer["text"]
    data = button_data(answer)
    assert {"faq:afterschool.fees", "faq:afterschool.hours"} <= set(data)
    assert len(answer["text"]) < 600  # short answers, the full ones a button away
