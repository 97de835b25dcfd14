"""The duty rota through the emulator: a new ticket's card pinged privately to whoever is on
duty, then to the next one and the supervisors as the clock moves, claimed from the ping;
/duty, taking a shift and handing one over with buttons; per-shift lines in /stats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, inline_buttons
from bot.emulator.state import JsonDict
from bot.inspection.shifts import DutySettings, Rota, Shift
from tests.integration.inspecting import ALICE, BOB, Staffroom, bot_running_with_clock, staffroom

ROTA = Rota((Shift("全天", people=(ALICE, BOB)),), queue="edu-haidian")


@pytest.fixture
async def room(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Staffroom]:
    room = staffroom(emu)
    config = room.config(tmp_path, duty=DutySettings(30, (ROTA,)))
    async with bot_running_with_clock(room, config):
        yield room


def data_of(message: JsonDict) -> list[str]:
    return [str(b.get("callback_data")) for b in inline_buttons(message)]


async def test_a_new_ticket_goes_to_whoever_is_on_duty_then_down_the_rota(
    room: Staffroom,
) -> None:
    number = (await room.file_ticket()).ticket_number
    await room.card(room.haidian, number)
    ping = await room.wait_for_text(room.alice.id, "值班提醒", number)
    assert data_of(ping) == [f"t:claim:{number}", f"t:info:{number}", f"t:xfer:{number}"]
    assert not any(number in m.get("text", "") for m in room.emu.messages(room.bob.id))

    room.clock.advance(minutes=30)
    await room.bot.background.watch_deadlines()
    nudge = await room.wait_for_text(room.bob.id, "30 分钟内无人认领", number)

    await room.emu.press_button(room.bob, nudge, f"t:claim:{number}")
    [claimed] = await room.answered(1)
    assert number in claimed["text"]
    assert room.ticket_row(number)[2] == f"inspector:{room.bob.id}"
    await room.wait_in(room.alice.id, lambda m: number in m.get("text", "") and "Bob" in m["text"])
    assert f"t:claim:{number}" not in data_of(room.find({"id": room.alice.id}, number))
    # Claimed: nobody further is pinged, the supervisors included.
    room.clock.advance(minutes=30)
    await room.bot.background.watch_deadlines()
    await room.settle()
    assert not any(number in m.get("text", "") for m in room.emu.messages(room.carol.id))


async def test_nobody_claims_and_the_supervisors_are_pinged(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    for _ in range(2):
        room.clock.advance(minutes=30)
        await room.bot.background.watch_deadlines()
    told = await room.wait_for_text(room.carol.id, "督导提醒", number)
    assert "60 分钟" in told["text"] and f"t:claim:{number}" in data_of(told)


async def test_duty_shows_who_is_on_and_a_shift_is_taken_with_a_button(room: Staffroom) -> None:
    [shown] = await room.command(room.bob, "/duty")
    assert "值班 · 海淀区教育局" in shown["text"]
    assert "现在:全天" in shown["text"] and "Alice → Bob" in shown["text"]
    take = next(d for d in data_of(shown) if d.startswith("d:take:0:"))

    await room.emu.press_button(room.bob, shown, take)

    [answer] = await room.answered(1)
    assert "由 Bob 值班" in answer["text"]
    told = await room.wait_for_text(room.alice.id, "Bob 接替了您")
    assert "全天" in told["text"]
    number = (await room.file_ticket()).ticket_number
    await room.wait_for_text(room.bob.id, "值班提醒", number)
    audited = [(a, ok) for _, a, ok, _ in room.audit() if a.startswith("duty_")]
    assert audited == [("duty_take", 1)]


async def test_a_shift_is_handed_to_a_colleague(room: Staffroom) -> None:
    [mine] = await room.command(room.alice, "/duty swap")
    assert "交给同事" in mine["text"]
    give = data_of(mine)[0]
    assert give.startswith("d:give:0:")
    [choose] = await room.command_press(room.alice, mine, give)
    to_bob = next(d for d in data_of(choose) if d.endswith(f":{room.bob.id}"))
    await room.emu.press_button(room.alice, choose, to_bob)
    await room.answered(2)
    told = await room.wait_for_text(room.bob.id, "把海淀区教育局的值班交给了您")
    assert "全天" in told["text"]
    [shown] = await room.command(room.carol, "/duty 海淀区教育局")
    assert "Bob → Alice" in shown["text"]
    # Dan works the joint group, which has no rota.
    [none] = await room.command(room.dan, "/duty swap")
    assert "没有您可以查看的值班表" in none["text"]


async def test_stats_show_each_shift(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    await room.command(room.alice, f"/claim {number}")
    sent = await room.command(room.carol, "/stats 7d", expect=2)
    assert "各班次" in sent[0]["text"] and "海淀区教育局 · 全天:1 / 100.0%" in sent[0]["text"]


async def test_forged_duty_buttons_change_nothing_and_are_audited(room: Staffroom) -> None:
    [shown] = await room.command(room.alice, "/duty")
    take = next(d for d in data_of(shown) if d.startswith("d:take:0:"))
    start = take.rsplit(":", 1)[1]
    forged = (
        (room.outsider, take),  # not staff
        (room.dan, take),  # staff, not of this rota
        (room.alice, f"d:to:0:{start}:{room.dan.id}"),  # to someone who cannot claim there
        (room.bob, f"d:to:0:{start}:{room.bob.id}"),  # Alice's shift is not Bob's to give
        (room.alice, f"d:take:9:{start}"),  # no such rota
        (room.alice, "d:take:0:x"),  # not a shift
    )
    for who, data in forged:
        await room.emu.forge_button_press(who, shown, data)
    answers = await room.answered(len(forged))
    said = [a["text"] for a in answers]
    assert said[0] == "抱歉,这个命令仅供核查人员使用。"
    assert said[1] == said[3] == "抱歉,您没有权限进行这个操作。"
    assert "不能在那里认领" in said[2] and "没有您可以查看的值班表" in said[4]
    assert "按钮已失效" in said[5]
    refused = [a for _, a, ok, _ in room.audit() if not ok]
    assert len(refused) == len(forged)
    [now] = await room.command(room.carol, "/duty")
    assert "Alice → Bob" in now["text"]  # nobody's shift changed
