"""Parents in Telegram: the real Application against the emulator over HTTP."""

from __future__ import annotations

import pytest

import bot.privacy
from bot.emulator import inline_buttons
from tests.integration.conftest import Harness


def button_data(message: dict) -> list[str]:  # type: ignore[type-arg]
    return [b.get("callback_data", "") for b in inline_buttons(message)]


async def test_start_shows_the_menu(harness: Harness) -> None:
    parent = harness.parent()
    [greeting] = await harness.say(parent, "/start")
    assert "双减" in greeting["text"]
    assert button_data(greeting) == ["m:ask", "m:report", "m:status", "m:human"]


async def test_commands_are_published_per_scope_and_language(harness: Harness) -> None:
    commands = harness.emu.my_commands
    private = [c["command"] for c in commands[("all_private_chats", "")]]
    group = [c["command"] for c in commands[("all_group_chats", "")]]
    assert "start" in private and "start" not in group
    assert "ask" in group
    assert ("all_private_chats", "en") in commands


async def test_question_gets_answer_with_source_related_and_feedback(harness: Harness) -> None:
    parent = harness.parent()
    [answer] = await harness.say(parent, "周六日还能送孩子去上数学补习班吗")
    assert "来源" in answer["text"]
    assert "2021" in answer["text"]
    data = button_data(answer)
    assert data[-2:] == ["fb:up:training.holidays_ban", "fb:down:training.holidays_ban"]
    assert any(d.startswith("faq:") for d in data)
    assert all(len(d.encode()) <= 64 for d in data)


async def test_traditional_and_english_questions(harness: Harness) -> None:
    parent = harness.parent()
    [answer] = await harness.say(parent, "週六日還能送孩子去上數學補習班嗎")
    assert "fb:up:training.holidays_ban" in button_data(answer)
    english = harness.parent(language_code="en")
    [reply] = await harness.say(english, "Is weekend maths tutoring allowed?")
    assert "Source:" in reply["text"]


async def test_related_topic_button_shows_that_answer(harness: Harness) -> None:
    parent = harness.parent()
    [answer] = await harness.say(parent, "周六日还能送孩子去上数学补习班吗")
    related = next(d for d in button_data(answer) if d.startswith("faq:"))
    [shown] = await harness.press(parent, answer, related)
    assert f"fb:up:{related.removeprefix('faq:')}" in button_data(shown)
    assert harness.emu.callback_answers  # the press was answered


async def test_vague_question_offers_did_you_mean(harness: Harness) -> None:
    parent = harness.parent()
    [reply] = await harness.say(parent, "退费")
    data = button_data(reply)
    assert reply["text"].startswith("没有找到完全对应的答案")
    assert data[-1] == "staff:ask"
    suggestion = data[0]
    [answer] = await harness.press(parent, reply, suggestion)
    assert f"fb:up:{suggestion.removeprefix('faq:')}" in button_data(answer)


async def test_out_of_scope_offers_a_person_and_is_logged(harness: Harness) -> None:
    parent = harness.parent()
    [reply] = await harness.say(parent, "明天北京天气怎么样")
    assert "不在本机器人的解答范围" in reply["text"]
    assert "12345" in reply["text"]
    assert button_data(reply) == ["staff:ask", "m:human"]
    gaps = await harness.services.questions.gaps(harness.services.faq.matcher.segmenter)
    assert [g.example for g in gaps] == ["明天北京天气怎么样"]
    assert str(parent.id) not in str(gaps)


async def test_leave_a_question_for_staff(harness: Harness) -> None:
    parent = harness.parent()
    [reply] = await harness.say(parent, "明天北京天气怎么样")
    [prompt] = await harness.press(parent, reply, "staff:ask")
    assert "工作人员" in prompt["text"]
    [thanks] = await harness.say(parent, "我想问本区的托管班名单在哪里查")
    assert "已收到" in thanks["text"]
    gaps = await harness.services.questions.gaps(harness.services.faq.matcher.segmenter)
    assert any(g.kinds.get("for_staff") for g in gaps)


async def test_thumbs_down_asks_why_and_logs_the_question(harness: Harness) -> None:
    parent = harness.parent()
    [answer] = await harness.say(parent, "周六日还能送孩子去上数学补习班吗")
    await harness.press(parent, answer, "fb:down:training.holidays_ban", expect=0)
    await harness.emu.wait_for_chat(
        parent.id, lambda: "fb:w:t:training.holidays_ban" in button_data(harness.latest(parent))
    )
    await harness.press(parent, harness.latest(parent), "fb:w:t:training.holidays_ban", expect=0)
    await harness.emu.wait_for_chat(parent.id, lambda: not button_data(harness.latest(parent)))
    gaps = await harness.services.questions.gaps(harness.services.faq.matcher.segmenter)
    assert gaps[0].kinds == {"disliked": 1}
    assert gaps[0].example == "周六日还能送孩子去上数学补习班吗"


async def test_thumbs_up_thanks_and_removes_the_buttons(harness: Harness) -> None:
    parent = harness.parent()
    [answer] = await harness.say(parent, "周六日还能送孩子去上数学补习班吗")
    await harness.press(parent, answer, "fb:up:training.holidays_ban", expect=0)
    await harness.emu.wait_for_chat(parent.id, lambda: not button_data(harness.latest(parent)))
    assert harness.emu.callback_answers[-1]["text"] == "谢谢您的反馈!"


@pytest.mark.parametrize(
    "data",
    ["fb:up:no.such_entry", "faq:no.such_entry", "fb:w:x:training.fees", "fb:zz:1", "zz", "m:x"],
)
async def test_forged_buttons_are_answered_and_change_nothing(harness: Harness, data: str) -> None:
    parent = harness.parent()
    [answer] = await harness.say(parent, "周六日还能送孩子去上数学补习班吗")
    before = len(harness.emu.messages(parent.id))
    answered = len(harness.emu.callback_answers)
    await harness.emu.forge_button_press(parent, answer, data)
    await harness.settle()
    assert len(harness.emu.callback_answers) == answered + 1
    assert len(harness.emu.messages(parent.id)) == before
    assert button_data(harness.emu.messages(parent.id)[-1]) == button_data(answer)


async def test_language_switch(harness: Harness) -> None:
    parent = harness.parent()
    [chooser] = await harness.say(parent, "/lang")
    await harness.press(parent, chooser, "lang:en", expect=0)
    await harness.emu.wait_for_chat(
        parent.id, lambda: "English" in harness.latest(parent).get("text", "")
    )
    [greeting] = await harness.say(parent, "/start")
    assert "Hello" in greeting["text"]


@pytest.mark.parametrize(
    "text",
    [
        "<b>周末</b> & <script>补课</script>",
        "**周末** _补课_ `code` [link](http://x)",
        "周\u200b末\u200d补\u200c课",
        "\u202eكيف حالك 周末补课",
    ],
)
async def test_markup_and_odd_characters_are_answered_literally(
    harness: Harness, text: str
) -> None:
    parent = harness.parent()
    [reply] = await harness.say(parent, text)
    assert reply["text"]  # the emulator rejects broken HTML, so arriving means it was escaped


async def test_emoji_only_asks_for_words(harness: Harness) -> None:
    parent = harness.parent()
    [reply] = await harness.say(parent, "😀😀😀")
    assert "请用文字" in reply["text"]


async def test_very_long_message_is_answered(harness: Harness) -> None:
    parent = harness.parent()
    [reply] = await harness.say(parent, "周末补课" * 1024)
    assert len(reply["text"]) <= 4096


async def test_sticker_and_photo_without_question(harness: Harness) -> None:
    parent = harness.parent()
    await harness.emu.send_sticker(parent)
    await harness.emu.send_photo(parent, TINY_PNG)
    replies = await harness.emu.wait_for_messages(parent.id, 2)
    assert all("文字" in r["text"] for r in replies)


async def test_groups_hear_only_mentions_and_commands(harness: Harness) -> None:
    parent = harness.parent()
    group = harness.emu.group(title="家长群", members=[parent])
    await harness.emu.send_text(parent, "周末能上补习班吗", chat=group)
    await harness.emu.send_text(
        parent, "@shuangjian_bot 周六日还能送孩子去上数学补习班吗", chat=group
    )
    [reply] = await harness.emu.wait_for_messages(group["id"], 1)
    assert "来源" in reply["text"]
    await harness.emu.send_text(parent, "/ask 周六日还能送孩子去上数学补习班吗", chat=group)
    await harness.emu.wait_for_messages(group["id"], 2)
    await harness.settle()
    assert len(harness.emu.messages(group["id"])) == 2


async def test_replies_survive_429_and_5xx(harness: Harness) -> None:
    parent = harness.parent()
    harness.emu.fail_next("sendMessage", kind="429", retry_after=1, times=1)
    harness.emu.fail_next("sendMessage", kind="502", times=2)
    [answer] = await harness.say(parent, "周六日还能送孩子去上数学补习班吗")
    assert "来源" in answer["text"]
    assert harness.emu.fault_count.get("429") == 1


TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def test_the_askers_keyed_hash_is_computed_once_per_question(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[int] = []
    keyed_hash = bot.privacy.asker_key

    def counted(pepper: bytes, telegram_user_id: int) -> str:
        hashed.append(telegram_user_id)
        return keyed_hash(pepper, telegram_user_id)

    monkeypatch.setattr(bot.privacy, "asker_key", counted)
    monkeypatch.setattr("bot.services.asker_key", counted)
    parent = harness.parent()
    [answer] = await harness.say(parent, "周六日还能送孩子去上数学补习班吗")
    assert answer["text"]
    assert hashed == [parent.id]
