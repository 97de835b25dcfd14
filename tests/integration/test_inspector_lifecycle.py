"""What inspectors do reaches the reporter: questions, outcomes, transfers, merges, reopening."""

from __future__ import annotations

from bot.emulator import inline_buttons
from tests.integration.inspecting import Staffroom
from tests.integration.reporting import Reporter


async def status_of(reporter: Reporter, code: str) -> str:
    await reporter.say("/status")
    view = await reporter.say(code)
    await reporter.say("/cancel")
    return str(view["text"])


async def test_a_question_reaches_the_reporter_and_is_pushed_if_they_opted_in(
    room: Staffroom,
) -> None:
    reporter = Reporter(room.bot, room.emu.user(first_name="家长"))
    ticket = await room.file_ticket(reporter=reporter.user, wants_updates=True)
    number = ticket.ticket_number
    await room.command(room.alice, f"/claim {number}")

    [sent] = await room.command(room.alice, f"/ask {number} 培训班<海报>在哪里看到的?")
    assert "已转给" in sent["text"] and "会收到提醒" in sent["text"]
    pushed = await room.wait_for_text(reporter.user.id, number, "有追问")
    assert "查询码" in pushed["text"]

    view = await status_of(reporter, ticket.receipt_code)
    assert "待您补充" in view and "培训班<海报>在哪里看到的?" in view


async def test_an_outcome_shows_on_the_reporters_status(room: Staffroom) -> None:
    reporter = Reporter(room.bot, room.emu.user(first_name="家长"))
    ticket = await room.file_ticket(reporter=reporter.user)
    number = ticket.ticket_number
    await room.command(room.alice, f"/claim {number}")

    [usage] = await room.command(room.alice, f"/resolve {number} 大概属实 已处理")
    assert "用法" in usage["text"]
    [done] = await room.command(room.alice, f"/resolve {number} 查实 已责令该机构停止违规培训。")
    assert "已办结:查实" in done["text"]
    card = await room.wait_for_text(room.haidian, number, "已办结")
    assert "t:xfer" not in str(card.get("reply_markup"))

    view = await status_of(reporter, ticket.receipt_code)
    assert "已办结" in view and "已责令该机构停止违规培训" in view


async def test_transfer_posts_a_card_in_the_new_queue_and_tells_the_reporter(
    room: Staffroom,
) -> None:
    reporter = Reporter(room.bot, room.emu.user(first_name="家长"))
    ticket = await room.file_ticket(reporter=reporter.user)
    number = ticket.ticket_number
    card = await room.card(room.haidian, number)

    # By button: the queues to choose from come as a message of their own.
    await room.emu.press_button(room.alice, card, f"t:xfer:{number}")
    menu = await room.wait_for_text(room.haidian, "要转办到的队列")
    await room.emu.press_button(room.alice, menu, f"t:to:{number}:joint")
    moved = await room.card(room.joint, number)
    assert "由 海淀区教育局 转办至本队列" in moved["text"]
    assert room.ticket_row(number)[:2] == ("new", "joint")
    await room.wait_for_text(room.haidian, "已转办至 双减联合检查组")
    left = await room.wait_for_text(room.haidian, number, "已转办至 双减联合检查组,请在该队列办理")
    assert [b["callback_data"] for b in inline_buttons(left)] == [f"t:info:{number}"]

    view = await status_of(reporter, ticket.receipt_code)
    assert "已转交其他部门办理" in view
    # Alice has no say in the joint group's queue any more.
    [refused] = await room.command(room.alice, f"/claim {number}")
    assert refused["text"] == "抱歉,您没有权限进行这个操作。"


async def test_merge_keeps_the_report_with_the_other_one(room: Staffroom) -> None:
    reporter = Reporter(room.bot, room.emu.user(first_name="家长"))
    first = await room.file_ticket(category="unlicensed")
    second = await room.file_ticket(category="unlicensed", reporter=reporter.user)
    await room.card(room.joint, second.ticket_number)

    line = f"/merge {first.ticket_number} {second.ticket_number}"
    [merged] = await room.command(room.dan, line, chat=room.joint)
    assert f"{second.ticket_number} 已并入 {first.ticket_number}" in merged["text"]
    assert room.ticket_row(second.ticket_number)[0] == "duplicate"
    await room.wait_for_text(room.joint, second.ticket_number, f"已并入 {first.ticket_number}")

    view = await status_of(reporter, second.receipt_code)
    assert "与其他举报合并办理" in view and first.ticket_number in view
    [details] = await room.command(room.dan, f"/ticket {first.ticket_number}")
    assert "并入的举报" in details["text"] and second.ticket_number in details["text"]


async def test_only_a_supervisor_reopens(room: Staffroom) -> None:
    reporter = Reporter(room.bot, room.emu.user(first_name="家长"))
    ticket = await room.file_ticket(reporter=reporter.user)
    number = ticket.ticket_number
    await room.command(room.alice, f"/claim {number}")
    await room.command(room.alice, f"/resolve {number} 不属实 经核查未发现违规培训。")

    [refused] = await room.command(room.alice, f"/reopen {number}")
    assert refused["text"] == "抱歉,您没有权限进行这个操作。"
    [reopened] = await room.command(room.carol, f"/reopen {number} 家长再次反映")
    assert "已重新办理" in reopened["text"]
    assert room.ticket_row(number) == ("new", "edu-haidian", None)
    card = await room.wait_for_text(room.haidian, number, "待认领")
    assert f"t:claim:{number}" in str(card.get("reply_markup"))

    view = await status_of(reporter, ticket.receipt_code)
    assert "重新办理" in view


async def test_transfer_by_command_and_details_asked_in_a_group_go_privately(
    room: Staffroom,
) -> None:
    number = (await room.file_ticket()).ticket_number
    await room.card(room.haidian, number)
    [told] = await room.command(room.alice, f"/ticket {number}", chat=room.haidian)
    assert told["text"] == "详情已私聊发给您。"
    await room.wait_for_text(room.alice.id, f"举报 {number}", "经过")

    [unknown] = await room.command(room.alice, f"/transfer {number} 火星")
    assert unknown["text"].startswith("没有这个队列")
    [moved] = await room.command(room.alice, f"/transfer {number} 双减联合检查组 涉及无证办学")
    assert moved["text"] == f"↪️ {number} 已转办至 双减联合检查组。"
    await room.card(room.joint, number)
