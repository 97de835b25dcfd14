"""Nothing a reporter sends is lost or doubled: restarts, crashes, repeats, a busy database,
and Telegram failing to take the reply with the receipt code."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Update

from bot.bench.crashes import write_config as crash_bench_config
from bot.config import PROJECT_ROOT, Config, load_config
from bot.emulator import BotApiEmulator, FakeUser
from bot.front_door import replay_unfinished
from bot.privacy import Sealer, load_privacy_keys
from bot.store.sqlite import open_sqlite_store
from bot.updates.incoming import IncomingUpdate
from tests.integration.conftest import TOKEN, Harness
from tests.integration.reporting import (
    ADDRESS,
    CODE,
    INSTITUTION,
    Reporter,
    bot_running,
    data_ending,
    db_path,
    messages_with,
    query,
    receipt_of,
    reporting_config,
    until_handled,
)


def count(db: Path, table: str) -> int:
    return int(query(db, f"SELECT COUNT(*) FROM {table}")[0][0])


def code_messages(harness: Harness, user: FakeUser) -> list[str]:
    return [m["text"] for m in harness.emu.messages(user.id) if CODE.search(m.get("text", ""))]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_a_restart_resumes_the_report_where_it_was(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = reporting_config(tmp_path, emu)
    user = emu.user()
    async with bot_running(emu, config) as first:
        reporter = Reporter(first, user)
        await reporter.begin_report("holiday_classes", "dongcheng")
        await reporter.say(INSTITUTION)
    async with bot_running(emu, config) as second:
        reporter = Reporter(second, user)
        when = await reporter.say(ADDRESS)
        assert "什么时间" in when["text"]
        await reporter.say("每天晚上")
        await reporter.say("周末上数学课")
        await reporter.press(":evdone")
        await reporter.press(":nocontact")
        receipt_of(await reporter.press(":ok"))
    assert query(db_path(config), "SELECT category, institution FROM tickets") == [
        ("holiday_classes", INSTITUTION)
    ]


async def test_an_update_recorded_before_a_crash_is_handled_after_the_restart(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = reporting_config(tmp_path, emu)
    user = emu.user()
    async with bot_running(emu, config) as first:
        reporter = Reporter(first, user)
        await reporter.begin_report("holiday_classes", "dongcheng")
    # What a process that died right after recording the update leaves behind.
    answer = emu.new_message(user, text=INSTITUTION)
    await _record_only(config, {"update_id": 990_000_001, "message": answer})
    async with bot_running(emu, config) as second:
        await emu.wait_for_chat(user.id, lambda: "具体地址" in second.latest(user)["text"])
        await until_handled(second)
    assert query(db_path(config), "SELECT status, payload FROM inbox WHERE update_id = 990000001")[
        0
    ] == ("done", "")


async def _record_only(config: Config, update: dict[str, object]) -> None:
    store = await open_sqlite_store(db_path(config))
    try:
        keys = load_privacy_keys(config.keys_path)
        sealed = Sealer(keys).seal(json.dumps(update))
        async with store.transaction() as tx:
            await tx.record_updates([(int(str(update["update_id"])), sealed)], datetime.now(UTC))
    finally:
        await store.close()


async def test_confirm_pressed_twice_makes_one_ticket(emu: BotApiEmulator, tmp_path: Path) -> None:
    async with bot_running(emu, reporting_config(tmp_path, emu)) as bot:
        reporter = Reporter(bot, bot.parent())
        review = await reporter.answer_until_review()
        before = bot.sent_count(reporter.user)
        for _ in range(2):
            await emu.press_button(reporter.user, review, data_ending(review, ":ok"))
        sent = (await emu.wait_for_messages(reporter.user.id, before + 2))[before:]
        await until_handled(bot)
        number, _ = receipt_of(sent[0])
        assert "已经受理" in sent[1]["text"] and number in sent[1]["text"]
        assert not CODE.search(sent[1]["text"])
        assert count(db_path(bot.config), "tickets") == 1


async def test_the_same_update_delivered_twice_is_handled_once(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    async with bot_running(emu, reporting_config(tmp_path, emu)) as bot:
        reporter = Reporter(bot, bot.parent())
        await reporter.begin_report("holiday_classes", "dongcheng")
        message = emu.new_message(reporter.user, text=INSTITUTION)
        before = bot.sent_count(reporter.user)
        for _ in range(2):  # as the Updater hands it over, twice, with the same update_id
            update = Update.de_json({"update_id": 990_000_002, "message": message}, bot.app.bot)
            await bot.app.update_queue.put(update)
        await emu.wait_for_messages(reporter.user.id, before + 1)
        await until_handled(bot)
        await bot.settle(0.1)
        assert bot.sent_count(reporter.user) == before + 1
        key = bot.services.tickets.reporter_key(reporter.user.id)
        draft = await bot.services.tickets.drafts.load(key)
        assert draft is not None and draft.step == "where"  # not taken as the address too


async def test_a_press_waits_while_the_database_is_locked_and_is_then_handled_once(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """An update the database cannot take is not acknowledged: Telegram keeps it, the bot
    fetches it again, and once the database is free the report is saved."""
    config = reporting_config(tmp_path, emu, busy_timeout_ms=100)
    async with bot_running(emu, config) as bot:
        reporter = Reporter(bot, bot.parent())
        review = await reporter.answer_until_review()
        polls = len(emu.calls("getUpdates"))
        lock = sqlite3.connect(db_path(config), isolation_level=None, timeout=5)
        lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            await emu.press_button(reporter.user, review, data_ending(review, ":ok"))
            # Fetched, not recorded, fetched again: never acknowledged meanwhile.
            await until(lambda: len(emu.calls("getUpdates")) >= polls + 3)
            assert count(db_path(config), "tickets") == 0
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        await emu.wait_for_chat(reporter.user.id, lambda: bool(code_messages(bot, reporter.user)))
        await until_handled(bot)
        assert count(db_path(config), "tickets") == 1
        assert len(code_messages(bot, reporter.user)) == 1


async def test_a_database_locked_mid_update_says_not_saved_and_confirm_works_again(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = reporting_config(tmp_path, emu, busy_timeout_ms=100)
    async with bot_running(emu, config) as bot:
        reporter = Reporter(bot, bot.parent())
        review = await reporter.answer_until_review()
        before = bot.sent_count(reporter.user)
        # The press is recorded; while the bot answers it (slowly), the database gets locked.
        emu.fail_next("answerCallbackQuery", kind="delay", delay=1.0)
        answered = len(emu.calls("answerCallbackQuery"))
        await emu.press_button(reporter.user, review, data_ending(review, ":ok"))
        await until(lambda: len(emu.calls("answerCallbackQuery")) > answered)
        lock = sqlite3.connect(db_path(config), isolation_level=None, timeout=5)
        lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            [refused] = (await emu.wait_for_messages(reporter.user.id, before + 1))[before:]
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert "<b>没有</b>保存" in refused["text"] or "没有保存" in refused["text"]
        assert count(db_path(config), "tickets") == 0
        receipt_of(await reporter.press(":ok", review))
        assert count(db_path(config), "tickets") == 1


async def test_the_receipt_survives_429_and_5xx_and_arrives_once(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    async with bot_running(emu, reporting_config(tmp_path, emu)) as bot:
        reporter = Reporter(bot, bot.parent())
        review = await reporter.answer_until_review()
        emu.fail_next("sendMessage", kind="429", retry_after=1)
        emu.fail_next("sendMessage", kind="502", times=2)
        receipt_of(await reporter.press(":ok", review))
        await until_handled(bot)
        later = datetime.now(UTC) + timedelta(hours=1)
        assert await bot.services.tickets.outbox.due(later) == []  # nothing left to resend
        assert emu.fault_count == {"429": 1, "502": 2}
        assert len(code_messages(bot, reporter.user)) == 1


async def test_when_the_reply_cannot_be_sent_the_outbox_delivers_the_receipt(
    emu: BotApiEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.app.NETWORK_BACKOFF_SECONDS", 0.01)
    async with bot_running(emu, reporting_config(tmp_path, emu)) as bot:
        reporter = Reporter(bot, bot.parent())
        review = await reporter.answer_until_review()
        emu.fail_next("sendMessage", kind="502", times=5)  # every retry of the reply fails
        await emu.press_button(reporter.user, review, data_ending(review, ":ok"))
        await emu.wait_for_chat(reporter.user.id, lambda: bool(code_messages(bot, reporter.user)))
        await until_handled(bot)
        await bot.settle(0.2)
        [receipt] = code_messages(bot, reporter.user)
        assert "举报已受理" in receipt and "Report received" in receipt  # both languages
        assert count(db_path(bot.config), "tickets") == 1


# --- A killed process ---------------------------------------------------------------------------


# What `run` requires of every config file: the local facts its answers and messages show.
LOCAL_FACTS = """
local:
  report_hotline: "12345"
  citizen_hotline: "12345"
  service_hours: "工作日"
  claim_hours: "24"
"""


def write_config(tmp_path: Path, emu: BotApiEmulator) -> Path:
    """A config file for ``python -m bot run`` against ``emu``, as the crash benchmark's."""
    return crash_bench_config(load_config(None, environ={}), emu, tmp_path)


@asynccontextmanager
async def bot_process(
    emu: BotApiEmulator, config_file: Path, *, ready_after: str = "getUpdates"
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bot run`` in a process of its own, as in production, for killing; ready
    once it has made the Bot API call ``ready_after`` (its first poll, or its setWebhook)."""
    polls = len(emu.calls(ready_after))
    log = (config_file.parent / f"{config_file.stem}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config_file),
        "run",
        cwd=PROJECT_ROOT,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
        stdout=log,
        stderr=log,
    )
    try:
        await until(lambda: len(emu.calls(ready_after)) > polls, timeout=30)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        log.close()


async def kill_during(
    emu: BotApiEmulator, config_file: Path, user: FakeUser, stuck_on: str
) -> None:
    """Fill in a report in a bot process, press confirm, and kill the process while it waits
    for Telegram to answer ``stuck_on`` (the request never returns in time)."""
    config = load_config(config_file, environ={"TELEGRAM_BOT_TOKEN": TOKEN})
    async with bot_process(emu, config_file) as process:
        reporter = Reporter(Harness(emu, None, config, []), user)  # type: ignore[arg-type]
        review = await reporter.answer_until_review()
        emu.fail_next(stuck_on, kind="timeout", delay=30)
        await emu.press_button(user, review, data_ending(review, ":ok"))
        await until(lambda: emu.fault_count.get("timeout") == 1)
        process.kill()  # SIGKILL: no handler finishes, nothing is marked done


async def test_killed_after_commit_before_the_reply_the_receipt_arrives_once(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config_file = write_config(tmp_path, emu)
    config = load_config(config_file, environ={"TELEGRAM_BOT_TOKEN": TOKEN})
    user = emu.user()
    await kill_during(emu, config_file, user, stuck_on="sendMessage")
    assert count(db_path(config), "tickets") == 1  # committed before the reply was sent
    async with bot_running(emu, config) as bot:
        await emu.wait_for_chat(user.id, lambda: bool(code_messages(bot, user)))
        await until_handled(bot)
        await bot.settle(0.2)
        [receipt] = code_messages(bot, user)
        [(number,)] = query(db_path(config), "SELECT number FROM tickets")
        assert number in receipt
        assert messages_with(bot, user, "已经受理")  # the replayed press is answered too
    assert count(db_path(config), "tickets") == 1


async def test_killed_before_commit_the_report_is_saved_once_after_the_restart(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config_file = write_config(tmp_path, emu)
    config = load_config(config_file, environ={"TELEGRAM_BOT_TOKEN": TOKEN})
    user = emu.user()
    await kill_during(emu, config_file, user, stuck_on="answerCallbackQuery")
    assert count(db_path(config), "tickets") == 0
    assert count(db_path(config), "drafts") == 1  # the answers are all still there
    async with bot_running(emu, config) as bot:
        await emu.wait_for_chat(user.id, lambda: bool(code_messages(bot, user)))
        await until_handled(bot)
        await bot.settle(0.2)
        assert len(code_messages(bot, user)) == 1
    assert count(db_path(config), "tickets") == 1


async def test_a_slow_update_still_in_hand_is_not_replayed_beside_itself(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = reporting_config(tmp_path, emu)
    async with bot_running(emu, config) as bot:
        inbox = bot.services.inbox
        update = {"update_id": 990_000_002, "message": emu.new_message(emu.user(), text="慢")}
        await inbox.arrive([IncomingUpdate.from_data(update)])  # a handler is still on it
        replayed = await replay_unfinished(bot.app, stale_after=timedelta(seconds=0))
        assert replayed == 0 and bot.app.update_queue.qsize() == 0
        await inbox.finish(990_000_002)
