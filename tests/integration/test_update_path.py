"""The update path from outside: killed processes, replays after a crash, updates the bot
cannot read, odd text, and what the log may hold."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Config, LoggingConfig, load_config
from bot.emulator import BotApiEmulator, FakeUser, text_entities
from bot.emulator.state import JsonDict
from bot.privacy import Sealer, load_privacy_keys
from bot.run import setup_logging
from bot.store.base import NotSaved
from bot.tickets.drafts import ReportDrafts
from bot.updates.chat_state import ChatState
from tests.integration.conftest import TOKEN
from tests.integration.inspecting import ALICE, bot_running_with_clock, staffroom
from tests.integration.reporting import (
    ADDRESS,
    INSTITUTION,
    WHAT,
    Reporter,
    bot_running,
    db_path,
    query,
    reporting_config,
    until_handled,
)
from tests.integration.test_reporter_durability import bot_process, write_config

QUESTION = "周末还能上数学补习班吗"


def unfinish(config: Config, update: JsonDict) -> None:
    """What a process killed after handling ``update``, before marking it done, leaves behind:
    the update recorded and unfinished, as if its handling had never ended."""
    update_id = update["update_id"]
    keys = load_privacy_keys(config.keys_path)
    sealed = Sealer(keys).seal(json.dumps(update, ensure_ascii=False))
    done = query(
        db_path(config), "SELECT status FROM inbox WHERE update_id = ?", update["update_id"]
    )
    assert done == [("done",)], done
    conn = sqlite3.connect(db_path(config))
    try:
        conn.execute(
            "UPDATE inbox SET status = 'received', payload = ?, finished_at = NULL,"
            " taken_at = NULL WHERE update_id = ?",
            (sealed, update_id),
        )
        conn.commit()
    finally:
        conn.close()


async def say_update(reporter: Reporter, text: str) -> tuple[JsonDict, JsonDict]:
    """Send ``text`` as its own update; (the update, the bot's reply)."""
    harness = reporter.harness
    before = harness.sent_count(reporter.user)
    update = await harness.emu.send_update(
        {"message": harness.emu.new_message(reporter.user, text=text)}
    )
    sent = await harness.emu.wait_for_messages(reporter.user.id, before + 1)
    await until_handled(harness)
    return update, sent[before]


def answered(emu: BotApiEmulator, parent: FakeUser) -> bool:
    return any("来源" in m.get("text", "") for m in emu.messages(parent.id))


# --- polling: recorded before acknowledged -------------------------------------------------------


async def test_a_burst_killed_at_its_first_reply_is_answered_in_full_after_a_restart(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """40 people ask at once; the bot process is SIGKILLed as its first reply goes out. Every
    question was acknowledged to Telegram only once recorded, so the restart answers all 40."""
    config_file = write_config(tmp_path, emu)
    config = load_config(config_file, environ={"TELEGRAM_BOT_TOKEN": TOKEN})
    parents = [emu.user(language_code="zh-hans") for _ in range(40)]
    async with bot_process(emu, config_file) as process:
        killed = asyncio.Event()

        def kill_at_first_reply(activity: object) -> None:
            if not killed.is_set():
                process.kill()
                killed.set()

        stop_listening = emu.add_listener(kill_at_first_reply)
        for parent in parents:
            await emu.send_text(parent, QUESTION)
        await asyncio.wait_for(killed.wait(), 30)
        stop_listening()
        await process.wait()
    async with bot_running(emu, config) as bot:
        for parent in parents:
            await emu.wait_for_chat(
                parent.id,
                lambda p=parent: any("来源" in m.get("text", "") for m in emu.messages(p.id)),
            )
        await until_handled(bot)
    assert query(db_path(config), "SELECT DISTINCT status FROM inbox") == [("done",)]


# --- replays after a crash apply nothing twice ---------------------------------------------------


async def test_a_replayed_answer_does_not_land_in_the_next_step(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """Killed right after the step-4 prompt went out: the step-3 answer comes again at the
    restart, and must not be taken as the address."""
    config = reporting_config(tmp_path, emu)
    user = emu.user()
    async with bot_running(emu, config) as first:
        reporter = Reporter(first, user)
        await reporter.begin_report("holiday_classes", "dongcheng")
        answer, prompt = await say_update(reporter, INSTITUTION)
        assert "具体地址" in prompt["text"]
    unfinish(config, answer)
    async with bot_running(emu, config) as second:
        reporter = Reporter(second, user)
        await until_handled(second)
        assert "具体地址" in second.latest(user)["text"]  # still asked for the address
        when = await reporter.say(ADDRESS)
        assert "什么时间" in when["text"]
        key = second.services.tickets.reporter_key(user.id)
        draft = await second.services.tickets.drafts.load(key)
    assert draft is not None
    assert (draft.institution, draft.answers.get("address")) == (INSTITUTION, ADDRESS)


async def test_a_replayed_note_is_not_added_twice(emu: BotApiEmulator, tmp_path: Path) -> None:
    room = staffroom(emu)
    config = room.config(tmp_path)
    async with bot_running_with_clock(room, config) as bot:
        ticket = await room.file_ticket()
        await room.command(room.alice, f"/claim {ticket.ticket_number}")
        before = len(emu.state.chat(ALICE).bot_messages)
        line = f"/note {ticket.ticket_number} 已电话核实"
        message = emu.new_message(room.alice, text=line, entities=text_entities(line))
        note = await emu.send_update({"message": message})
        await emu.wait_for_messages(ALICE, before + 1)
        await until_handled(bot)
    unfinish(config, note)
    async with bot_running_with_clock(room, config) as bot:
        await until_handled(bot)
        repeated = room.emu.messages(ALICE)[-1]["text"]
    notes = query(db_path(config), "SELECT COUNT(*) FROM ticket_events WHERE kind = 'note'")
    assert notes == [(1,)]
    assert "已经执行过" in repeated and ticket.ticket_number in repeated


async def test_a_replayed_answer_to_an_inspectors_question_is_saved_once(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    room = staffroom(emu)
    config = room.config(tmp_path)
    citizen = emu.user(language_code="zh-hans")
    async with bot_running_with_clock(room, config) as bot:
        ticket = await room.file_ticket(reporter=citizen)
        await room.command(room.alice, f"/claim {ticket.ticket_number}")
        await room.command(room.alice, f"/ask {ticket.ticket_number} 具体几点上课?")
        reporter = Reporter(bot, citizen)
        shown = await reporter.say(f"/status {ticket.receipt_code}")
        await reporter.press(":1", shown)  # answer the first open question
        answer, saved = await say_update(reporter, "每周六上午九点")
        assert "回答已转交" in saved["text"]
    unfinish(config, answer)
    before = len(emu.messages(citizen.id))
    async with bot_running_with_clock(room, config) as bot:
        await until_handled(bot)
        again = [m["text"] for m in emu.messages(citizen.id)][before:]
    answered = query(
        db_path(config), "SELECT COUNT(*) FROM ticket_events WHERE kind = 'question_answered'"
    )
    assert answered == [(1,)]
    # The replay shows the ticket as it stands; it is neither refused nor taken as a question.
    assert len(again) == 1 and "当前状态" in again[0] and ticket.ticket_number in again[0]


# --- updates the bot cannot read, and text it must not choke on ---------------------------------


async def test_an_update_the_bot_cannot_read_is_set_aside_and_nobody_else_waits(
    emu: BotApiEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An update in an older Bot API shape (no chat, no date): recorded as failed, logged by
    id only, and the questions behind it are answered."""
    config = reporting_config(tmp_path, emu)
    stranger = emu.user(first_name="王晓明", username="wang_xiaoming_1987")
    parent = emu.user(language_code="zh-hans")
    async with bot_running(emu, config) as bot:
        broken = await emu.send_update(
            {
                "message": {
                    "message_id": 1,
                    "from": {"id": stranger.id, "is_bot": False, "first_name": "王晓明"},
                    "text": "hello",
                }
            }
        )
        answer = (await bot.say(parent, QUESTION))[-1]
        assert "来源" in answer["text"]
        await until_handled(bot)
    assert query(
        db_path(config),
        "SELECT status, payload FROM inbox WHERE update_id = ?",
        broken["update_id"],
    ) == [("failed", "")]
    logged = caplog.text
    assert str(broken["update_id"]) in logged
    for secret in ("王晓明", "wang_xiaoming_1987", str(stranger.id)):
        assert secret not in logged


async def test_a_lone_surrogate_in_a_question_is_answered_like_any_text(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = reporting_config(tmp_path, emu)
    parent = emu.user(language_code="zh-hans")
    async with bot_running(emu, config) as bot:
        before = bot.sent_count(parent)
        await emu.send_update({"message": emu.new_message(parent, text=QUESTION + "\ud83d")})
        [answer] = (await emu.wait_for_messages(parent.id, before + 1))[before:]
    assert "来源" in answer["text"]


async def test_an_edited_question_is_not_answered_again(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = reporting_config(tmp_path, emu)
    parent = emu.user(language_code="zh-hans")
    async with bot_running(emu, config) as bot:
        await bot.say(parent, QUESTION)
        chat = emu.state.chat(parent.id)
        [asked] = [m for m in chat.messages.values() if m.get("text") == QUESTION]
        before = bot.sent_count(parent)
        await emu.edit_text(parent, asked, QUESTION + "?")
        await bot.settle()
        await until_handled(bot)
        assert bot.sent_count(parent) == before


async def test_at_debug_level_the_log_holds_no_texts(
    emu: BotApiEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The config promises no message text at any level: libraries that print query
    parameters at DEBUG are held at INFO."""
    config = reporting_config(tmp_path, emu)
    config = replace(config, logging=LoggingConfig(level="DEBUG"))
    caplog.set_level(logging.DEBUG)
    setup_logging(config)
    user: FakeUser = emu.user()
    async with bot_running(emu, config) as bot:
        reporter = Reporter(bot, user)
        await reporter.answer_until_review()
        await bot.say(emu.user(language_code="zh-hans"), QUESTION)
        await until_handled(bot)
    assert logging.getLogger("bot").isEnabledFor(logging.DEBUG)
    for text in (INSTITUTION, ADDRESS, WHAT, QUESTION):
        assert text not in caplog.text, text


@pytest.mark.parametrize("command", ["/report", "/status"])
async def test_a_database_that_cannot_write_gets_a_clear_answer(
    emu: BotApiEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The disk is full (or the database refuses writes) after the update was recorded:
    the person is told nothing was saved, not that "something went wrong"."""

    async def full_disk(*args: object, **kwargs: object) -> None:
        raise NotSaved(
            "the database refused the write; nothing was saved (database or disk is full)"
        )

    monkeypatch.setattr(ReportDrafts, "start", full_disk)
    monkeypatch.setattr(ChatState, "save", full_disk)
    config = reporting_config(tmp_path, emu)
    async with bot_running(emu, config) as bot:
        [reply] = await bot.say(emu.user(language_code="zh-hans"), command)
        await until_handled(bot)
        assert [type(e) for e in bot.errors] == [NotSaved]
        bot.errors.clear()  # the failure itself was expected
    assert "没有保存" in reply["text"] and "出了问题" not in reply["text"]
