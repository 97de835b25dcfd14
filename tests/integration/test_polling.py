"""Polling takes a burst at the pace the handlers work through it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from bot.emulator import BotApiEmulator
from bot.updates.queue import UpdateQueue
from tests.integration.conftest import bot_running, make_config
from tests.integration.test_reporter_durability import until

QUESTION = "周末还能上数学补习班吗"


async def test_more_updates_are_fetched_only_once_the_handlers_have_room(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = make_config(tmp_path, emu)
    config = replace(config, telegram=replace(config.telegram, concurrent_updates=1))
    parents = [emu.user(language_code="zh-hans") for _ in range(150)]
    for parent in parents:
        await emu.send_text(parent, QUESTION)
    emu.fail_next("sendMessage", kind="delay", delay=1.0)  # the first answer holds the slot
    async with bot_running(emu, config) as bot:
        queue = bot.app.update_queue
        assert isinstance(queue, UpdateQueue)
        await until(lambda: queue.in_hand >= 100)  # the first batch, whole
        polls = len(emu.calls("getUpdates"))
        await asyncio.sleep(0.5)
        assert len(emu.calls("getUpdates")) == polls  # no room: the rest wait at Telegram
        await until(lambda: all(bot.sent_count(p) == 1 for p in parents))
        await bot.settle()
        assert [bot.sent_count(p) for p in parents] == [1] * len(parents)
        assert queue.in_hand == 0


async def test_the_queue_has_room_again_once_an_update_is_done() -> None:
    queue = UpdateQueue(room_below=2)
    queue.put_nowait("first")
    await asyncio.wait_for(queue.room(), 1)
    await queue.put("second")
    waiting = asyncio.ensure_future(queue.room())
    await asyncio.sleep(0.01)
    assert not waiting.done() and queue.in_hand == 2
    queue.get_nowait()
    queue.task_done()
    await asyncio.wait_for(waiting, 1)
    assert queue.in_hand == 1
