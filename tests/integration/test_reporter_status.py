"""Status and follow-up with the receipt code, and the flood gate."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, inline_buttons
from bot.store.throttle import RateLimit
from bot.tickets.model import inspector
from tests.integration.conftest import Harness
from tests.integration.reporting import (
    Reporter,
    bot_running,
    data_ending,
    db_path,
    photo,
    query,
    receipt_of,
    reporting_config,
)

INSPECTOR = inspector("42")


@pytest.fixture
async def bot(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    config = reporting_config(tmp_path, emu)
    # The dispatcher looks for due notices often, so the test need not wait long for them.
    outbox = replace(config.tickets.outbox, poll_seconds=0.1)
    tickets = replace(config.tickets, outbox=outbox)
    async with bot_running(emu, replace(config, tickets=tickets)) as harness:
        yield harness


def fancy(code: str) -> str:
    """How people retype a code: dashes, and full-width digits from a Chinese keyboard."""
    digits = code.replace(" ", "")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in digits[:8]) + digits[8:]
    return f"{wide[:4]}-{wide[4:8]}-{wide[8:12]}-{wide[12:]}"


async def test_the_code_shows_status_timeline_and_questions(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent())
    number, code = receipt_of(await reporter.file_report())
    lifecycle = bot.services.tickets.lifecycle
    now = datetime.now(UTC)
    await lifecycle.claim_ticket(number, INSPECTOR, now)
    await lifecycle.ask_reporter(number, "培训班的招生<海报>在哪里看到的?", INSPECTOR, now)

    await reporter.say("/status")
    view = await reporter.say(fancy(code))

    assert number in view["text"] and "待您补充" in view["text"]
    assert "收到举报" in view["text"] and "核查人员提出追问" in view["text"]
    assert "招生<海报>在哪里" in view["text"]  # escaped, so shown as typed
    question = data_ending(view, ":1")
    assert question.startswith("s:ans:")
    prompt = await reporter.press(":1", view)
    assert "追问 1" in prompt["text"]
    await reporter.say("小区门口的公告栏", expect=2)
    saved, again = bot.emu.messages(reporter.user.id)[-2:]
    assert "已转交" in saved["text"]
    assert "核查中" in again["text"] and "您回答了追问" in again["text"]
    assert not any(b["callback_data"].startswith("s:ans") for b in inline_buttons(again))


async def test_evidence_later_and_notifications_on_and_off(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent())
    number, code = receipt_of(await reporter.file_report())
    view = await reporter.say(code)  # pasted without /status
    await reporter.press("s:ev", view)
    added = await reporter.send_and_wait(bot.emu.send_photo(reporter.user, photo()))
    assert f"已补充到举报 {number}" in added["text"]
    view = await reporter.press("s:evdone", added)
    assert "您补充了证据" in view["text"]
    on = await reporter.press("s:on", view)
    assert "已开启" in on["text"]

    await bot.services.tickets.lifecycle.claim_ticket(number, INSPECTOR, datetime.now(UTC))
    await bot.emu.wait_for_chat(reporter.user.id, lambda: "有新进展" in reporter.last["text"])
    notice = reporter.last["text"]
    assert number in notice and "已分派核查人员" in notice and "assigned to an inspector" in notice
    assert code not in notice

    view = await reporter.say(code)
    off = await reporter.press("s:off", view)
    assert "已关闭" in off["text"]
    done = await reporter.press("s:done", view)
    assert "查询码没有被保存" in done["text"]
    stale = await reporter.press("s:ev", view)  # the check ended with "done"
    assert "请重新发送查询码" in stale["text"]


async def test_wrong_codes_are_throttled(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent())
    await reporter.say("/status")
    malformed = await reporter.say("1234")
    assert "16 位数字" in malformed["text"]
    rng = random.Random(7)
    replies = []
    for _ in range(30):
        guess = f"{rng.randrange(10**16):016d}"
        replies.append((await reporter.say(f"/status {guess}"))["text"])
    assert all("没有找到" in r for r in replies[:5])
    assert all("错误次数过多" in r and "分钟后再试" in r for r in replies[5:])


async def test_a_check_in_progress_survives_a_restart_without_the_code_in_clear(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """The next press may reach another instance (or this one restarted): the check is in the
    store, its receipt code sealed."""
    config = reporting_config(tmp_path, emu)
    user = emu.user()
    async with bot_running(emu, config) as first:
        reporter = Reporter(first, user)
        _, code = receipt_of(await reporter.file_report())
        view = await reporter.say(code)
    stored = query(db_path(config), "SELECT value FROM chat_state")
    assert stored and code.replace(" ", "") not in repr(stored) and code not in repr(stored)
    async with bot_running(emu, config) as second:
        asked = await Reporter(second, user).press("s:ev", view)
        assert "请发送照片或文件" in asked["text"]
        done = await Reporter(second, user).press("s:done", view)
        assert "请重新发送查询码" not in done["text"]
    assert query(
        db_path(config), "SELECT COUNT(*) FROM chat_state WHERE name = 'status_check'"
    ) == [(0,)]


async def test_a_flood_is_refused_politely_once(emu: BotApiEmulator, tmp_path: Path) -> None:
    config = reporting_config(tmp_path, emu)
    config = replace(config, telegram=replace(config.telegram, flood_limit=RateLimit(5, 60)))
    async with bot_running(emu, config) as bot:
        user = bot.parent()
        for n in range(9):
            await emu.send_text(user, f"周末补课{n}")
        await emu.wait_until_delivered()
        await emu.wait_for_messages(user.id, 6)
        await bot.settle(0.2)
        texts = [m["text"] for m in emu.messages(user.id)]
        assert len(texts) == 6
        assert sum("发送得太快" in t for t in texts) == 1
        other = bot.parent()
        [answer] = await bot.say(other, "周六日还能送孩子去上数学补习班吗")
        assert "来源" in answer["text"]  # one person's flood does not stop anyone else
    assert query(db_path(config), "SELECT COUNT(*) FROM inbox WHERE status = 'done'") == [(10,)]
