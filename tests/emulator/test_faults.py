"""Injected failures reach python-telegram-bot as the real server's failures would."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.emulator import BotApiEmulator
from tests.emulator.conftest import TOKEN


async def test_429_surfaces_as_retry_after_and_delivers_nothing(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user()
    emu.fail_next("sendMessage", kind="429", retry_after=3, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(user.id, "你好")
        assert raised.value.retry_after == dt.timedelta(seconds=3)
    await bot.send_message(user.id, "你好")

    assert [m["text"] for m in emu.messages(user.id)] == ["你好"]
    assert len(emu.calls("sendMessage")) == 3
    assert emu.fault_count == {"429": 2}


async def test_502_surfaces_as_network_error(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    emu.fail_next("sendMessage", kind="502")
    with pytest.raises(NetworkError, match="Bad Gateway") as raised:
        await bot.send_message(user.id, "你好")
    assert not isinstance(raised.value, BadRequest)
    assert emu.messages(user.id) == []


async def test_timeout_fault_outlasts_the_client(emu: BotApiEmulator) -> None:
    user = emu.user()
    emu.fail_next("sendMessage", kind="timeout", delay=2.0)
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(TOKEN, base_url=emu.base_url, request=request) as impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(user.id, "你好")
    assert emu.messages(user.id) == []


async def test_delay_fault_answers_late_but_delivers(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    emu.fail_next("sendMessage", kind="delay", delay=0.05)
    assert (await bot.send_message(user.id, "慢")).text == "慢"
    assert emu.fault_count == {"delay": 1}


async def test_random_faults_are_reproducible_with_a_seed(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()

    async def outcomes() -> list[str]:
        emu.set_fault_rate("sendMessage", rate_429=0.2, rate_5xx=0.2, seed=7)
        results = []
        for n in range(30):
            try:
                await bot.send_message(user.id, str(n))
                results.append("ok")
            except RetryAfter:
                results.append("429")
            except NetworkError:
                results.append("5xx")
        return results

    first, second = await outcomes(), await outcomes()
    assert first == second
    assert {"ok", "429", "5xx"} <= set(first)
    delivered = len(emu.messages(user.id))
    assert delivered == 2 * first.count("ok")
    assert sum(emu.fault_count.values()) == 60 - delivered
