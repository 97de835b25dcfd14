"""Inspectors in Telegram: cards in the queue groups, claims, and who may do what."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.emulator import BotApiEmulator, inline_buttons
from tests.integration.inspecting import (
    OUTSIDER,
    Staffroom,
    bot_running_with_clock,
    staffroom,
)
from tests.integration.reporting import INSTITUTION, Reporter, photo, receipt_of


def buttons(message: dict[str, object]) -> list[str]:
    return [str(b.get("callback_data")) for b in inline_buttons(message)]  # type: ignore[arg-type]


async def test_a_full_report_posts_a_card_in_its_queue_group_without_the_reporter(
    room: Staffroom,
) -> None:
    citizen = room.emu.user(first_name="王小明", username="wangxm")
    reporter = Reporter(room.bot, citizen)
    receipt = await reporter.file_report(
        evidence=(photo(),), category="teacher_paid_tutoring", district="haidian"
    )
    number, _ = receipt_of(receipt)

    card = await room.card(room.haidian, number)
    for shown in ("在职教师有偿补课", "海淀区", INSTITUTION, "待认领", "以托管名义在周末"):
        assert shown in card["text"], shown
    assert buttons(card) == [f"t:claim:{number}", f"t:info:{number}", f"t:xfer:{number}"]
    assert all(len(data.encode()) <= 64 for data in buttons(card))
    for identity in ("王小明", "wangxm", str(citizen.id)):
        assert identity not in card["text"]
    assert not any(number in m.get("text", "") for m in room.emu.messages(room.joint["id"]))
    # Staff groups list the inspectors' commands (and keep the parents' group ones).
    menu = [c["command"] for c in room.emu.my_commands[(f"chat:{room.haidian['id']}", "")]]
    assert {"ask", "help", "queue", "claim", "resolve", "export"} <= set(menu)
    # So do the private chats of listed staff (next to what everyone has there).
    mine = [c["command"] for c in room.emu.my_commands[(f"chat:{room.alice.id}", "en")]]
    assert {"report", "status", "lang", "mine", "ticket", "claim"} <= set(mine)

    # The details, with the evidence re-sent from the store, go to whoever asks.
    before = len(room.emu.state.chat(room.alice.id).bot_messages)
    await room.emu.send_text(room.alice, f"/ticket {number.lower()}")
    sent = await room.emu.wait_for_messages(room.alice.id, before + 2)
    details, evidence = sent[before:]
    assert number in details["text"] and "以托管名义" in details["text"]
    assert "王小明" not in details["text"] and str(citizen.id) not in details["text"]
    assert "photo" in evidence and number in evidence["caption"]


async def test_a_possible_duplicate_is_flagged_on_the_card(room: Staffroom) -> None:
    first = await room.file_ticket(institution="北京星光学堂教育科技有限公司")
    second = await room.file_ticket(institution="星光学堂")
    card = await room.card(room.haidian, second.ticket_number)
    assert "可能重复" in card["text"] and first.ticket_number in card["text"]


async def test_two_inspectors_press_claim_at_once_and_one_gets_it(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    card = await room.card(room.haidian, number)

    await asyncio.gather(
        room.emu.press_button(room.alice, card, f"t:claim:{number}"),
        room.emu.press_button(room.bob, card, f"t:claim:{number}"),
    )
    await room.answered(2)

    status, _, holder = room.ticket_row(number)
    assert status == "claimed" and holder in (
        f"inspector:{room.alice.id}",
        f"inspector:{room.bob.id}",
    )
    winner, loser = ("Alice", "Bob") if holder.endswith(str(room.alice.id)) else ("Bob", "Alice")
    alerts = [a for a in room.emu.callback_answers if a.get("show_alert")]
    assert len(alerts) == 1 and f"已由 {winner} 认领" in alerts[0]["text"]
    await room.wait_in(room.haidian, lambda m: f"认领人:{winner}" in m.get("text", ""))
    card = room.find(room.haidian, number)
    assert f"t:claim:{number}" not in buttons(card) and loser not in card["text"]


async def test_a_forged_press_changes_nothing_and_is_audited(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    card = await room.card(room.haidian, number)

    # Someone with no role at all, and an inspector of another queue.
    await room.emu.forge_button_press(room.outsider, card, f"t:claim:{number}")
    await room.emu.forge_button_press(room.dan, card, f"t:claim:{number}")
    await room.emu.forge_button_press(room.dan, card, f"t:to:{number}:joint")
    await room.answered(3)

    assert room.ticket_row(number) == ("new", "edu-haidian", None)
    alerts = [a["text"] for a in room.emu.callback_answers if a.get("show_alert")]
    assert alerts[0] == "抱歉,这个命令仅供核查人员使用。"
    assert alerts[1:] == ["抱歉,您没有权限进行这个操作。"] * 2
    refused = [(actor, action) for actor, action, allowed, _ in room.audit() if not allowed]
    assert refused[0][0].startswith("outsider:") and str(OUTSIDER) not in refused[0][0]
    assert refused[1:] == [
        (f"inspector:{room.dan.id}", "claim"),
        (f"inspector:{room.dan.id}", "transfer"),
    ]
    assert f"t:claim:{number}" in buttons(room.find(room.haidian, number))


async def test_malformed_staff_buttons_are_answered_and_audited(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    card = await room.card(room.haidian, number)
    for data in ("t:nope", "t:claim:", "t:claim:not-a-number", f"t:to:{number}", "t:q:x"):
        await room.emu.forge_button_press(room.alice, card, data)
    answers = await room.answered(5)
    assert [a["text"] for a in answers] == ["这个按钮已失效,请重新提问。"] * 5
    refused = [(action, details) for _, action, allowed, details in room.audit() if not allowed]
    assert len(refused) == 5 and all("button_invalid" in details for _, details in refused)
    assert room.ticket_row(number) == ("new", "edu-haidian", None)


async def test_the_transfer_button_of_a_resolved_ticket_offers_no_queues(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    card = await room.card(room.haidian, number)
    await room.command(room.alice, f"/claim {number}")
    await room.command(room.alice, f"/resolve {number} 查实 已责令停办")
    before = len(room.emu.messages(room.haidian))
    await room.emu.forge_button_press(room.alice, card, f"t:xfer:{number}")
    [answer] = await room.answered(1)
    assert answer["show_alert"] and number in answer["text"]
    assert len(room.emu.messages(room.haidian)) == before  # no queue menu was posted


STAFF_COMMANDS = (
    "/queue",
    "/mine",
    "/ticket SJ-2026-000001",
    "/claim SJ-2026-000001",
    "/release SJ-2026-000001",
    "/note SJ-2026-000001 备注",
    "/ask SJ-2026-000001 请问上课地点?",
    "/transfer SJ-2026-000001 joint",
    "/resolve SJ-2026-000001 查实 已处理",
    "/reopen SJ-2026-000001",
    "/merge SJ-2026-000001 SJ-2026-000002",
    "/stats",
    "/export",
)


async def test_every_command_refuses_outsiders_politely_and_audits_it(room: Staffroom) -> None:
    await room.file_ticket()
    for line in STAFF_COMMANDS:
        [reply] = await room.command(room.outsider, line)
        assert reply["text"] == "抱歉,这个命令仅供核查人员使用。", line
    refused = [a for a in room.audit() if not a[2]]
    assert len(refused) == len(STAFF_COMMANDS)
    assert {a[1] for a in refused} == {line.split()[0][1:] for line in STAFF_COMMANDS}
    assert room.ticket_row("SJ-2026-000001")[2] is None
    # A parent's "/ask <question>" is still a policy question.
    [answer] = await room.command(room.outsider, "/ask 周末还能上数学补习班吗")
    assert "仅供核查人员" not in answer["text"]


async def test_roles_and_chats_limit_what_staff_may_do(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    parents = room.emu.group("家长群", members=[room.alice])
    [wrong_chat] = await room.command(room.alice, "/queue", chat=parents)
    assert "私聊或本队列的工作群" in wrong_chat["text"]
    for line in ("/stats", "/export", f"/reopen {number}"):
        [refused] = await room.command(room.alice, line)
        assert refused["text"] == "抱歉,您没有权限进行这个操作。", line
    [not_theirs] = await room.command(room.dan, f"/claim {number}")
    assert not_theirs["text"] == "抱歉,您没有权限进行这个操作。"
    [unknown] = await room.command(room.alice, "/claim SJ-2026-999999")
    assert "没有找到工单 SJ-2026-999999" in unknown["text"]
    [usage] = await room.command(room.alice, "/claim 123")
    assert "用法" in usage["text"]
    assert room.ticket_row(number) == ("new", "edu-haidian", None)


async def test_queue_mine_claim_release_and_notes(room: Staffroom) -> None:
    numbers = [(await room.file_ticket()).ticket_number for _ in range(2)]
    for number in numbers:
        await room.card(room.haidian, number)
    [page] = await room.command(room.alice, "/queue", chat=room.haidian)
    assert all(n in page["text"] for n in numbers) and "海淀区教育局" in page["text"]
    assert f"t:info:{numbers[0]}" in buttons(page)

    [claimed] = await room.command(room.alice, f"/claim  {numbers[0].lower()} ", chat=room.haidian)
    assert claimed["text"] == f"✅ 已认领 {numbers[0]}。"
    await room.wait_in(
        room.haidian,
        lambda m: numbers[0] in m.get("text", "") and "认领人:Alice" in m.get("text", ""),
    )
    [mine] = await room.command(room.alice, "/mine")
    assert numbers[0] in mine["text"] and numbers[1] not in mine["text"]
    [taken] = await room.command(room.bob, f"/release {numbers[0]}")
    assert "由 Alice 认领" in taken["text"]

    [noted] = await room.command(room.alice, f"/note {numbers[0]} 已电话联系<机构>\n明日走访")
    assert "内部备注" in noted["text"]
    [details] = await room.command(room.alice, f"/ticket {numbers[0]}", expect=1)
    assert "已电话联系&lt;机构&gt;" not in details["text"]  # shown as typed, not as entities
    assert "已电话联系<机构>" in details["text"] and "(内部)" in details["text"]

    [released] = await room.command(room.alice, f"/release {numbers[0]}")
    assert "回到队列" in released["text"]
    assert room.ticket_row(numbers[0]) == ("new", "edu-haidian", None)


async def test_pages_turn_with_buttons(emu: BotApiEmulator, tmp_path: Path) -> None:
    room = staffroom(emu)
    config = room.config(tmp_path, page_size=2)
    async with bot_running_with_clock(room, config):
        numbers = [(await room.file_ticket()).ticket_number for _ in range(3)]
        [page] = await room.command(room.bob, "/queue edu-haidian")
        assert "第 1/2 页" in page["text"] and numbers[2] not in page["text"]
        await room.emu.press_button(room.bob, page, "t:q:edu-haidian:1")
        turned = await room.wait_for_text(room.bob.id, "第 2/2 页")
        assert numbers[2] in turned["text"]
