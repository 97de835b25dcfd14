"""The tip-off conversation in Telegram: the real Application against the emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, inline_buttons
from bot.tickets.form import Step
from tests.integration.conftest import Harness
from tests.integration.reporting import (
    ADDRESS,
    INSTITUTION,
    WHAT,
    WHEN,
    Reporter,
    bot_running,
    data_ending,
    db_path,
    photo,
    query,
    receipt_of,
    reporting_config,
    until_handled,
)
from tests.integration.test_parent import TINY_PNG


@pytest.fixture
async def bot(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    async with bot_running(emu, reporting_config(tmp_path, emu)) as harness:
        yield harness


@pytest.fixture
def reporter(bot: Harness) -> Reporter:
    return Reporter(bot, bot.parent())


def tickets(harness: Harness) -> list[tuple[str, str, str, str, str, str]]:
    return query(
        db_path(harness.config),
        "SELECT number, category, district, institution, description, details FROM tickets",
    )


async def test_a_full_report_becomes_a_ticket_with_a_receipt(
    bot: Harness, reporter: Reporter
) -> None:
    receipt = await reporter.file_report(evidence=(photo(),))

    number, code = receipt_of(receipt)
    assert "只显示这一次" in receipt["text"] and "/status" in receipt["text"]
    [(stored_number, category, district, who, what, details)] = tickets(bot)
    assert (stored_number, category, district, who, what) == (
        number,
        "disguised_tutoring",
        "haidian",
        INSTITUTION,
        WHAT,
    )
    assert json.loads(details) == {"address": ADDRESS, "when": WHEN}
    [(mime, cleaned)] = query(db_path(bot.config), "SELECT mime, cleaned FROM attachments")
    assert (mime, cleaned) == ("image/jpeg", 1)
    # The code was shown by the reply, so the outbox copy is cancelled and erased.
    await until_handled(bot)
    assert query(db_path(bot.config), "SELECT payload, sent_at IS NOT NULL FROM outbox") == [
        ("", 1)
    ]
    inbox = query(db_path(bot.config), "SELECT * FROM inbox")
    assert inbox and code.replace(" ", "") not in json.dumps(inbox)
    assert query(db_path(bot.config), "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_the_review_shows_every_answer_and_the_keyboard_goes_after_confirm(
    reporter: Reporter,
) -> None:
    review = await reporter.answer_until_review(contact="电话 138 0000 0000")
    for answer in (INSTITUTION, ADDRESS, WHEN, WHAT, "海淀区", "电话 138 0000 0000"):
        assert answer in review["text"]
    assert "以家政、住家、众筹" in review["text"]  # the label, not the id
    await reporter.press(":ok", review)
    await reporter.harness.emu.wait_for_chat(
        reporter.user.id,
        lambda: not inline_buttons(reporter.harness.emu.messages(reporter.user.id)[-2]),
    )


async def test_english_speakers_get_english(bot: Harness) -> None:
    reporter = Reporter(bot, bot.parent(language_code="en"))
    intro = await reporter.say("/report")
    assert "Report illegal tutoring" in intro["text"] and "Step 1 of 8" in intro["text"]
    await reporter.say("/cancel")
    receipt = await reporter.file_report()
    assert "Receipt code" in receipt["text"]


@pytest.mark.parametrize(
    ("sending", "expected"),
    [
        ("sticker", "表情贴纸无法作为回答"),
        ("location", "不接收地图位置"),
        ("contact", "不接收联系人名片"),
        ("voice", "语音无法转成文字"),
        ("photo", "照片和文件请在证据那一步发送"),
    ],
)
async def test_a_text_step_explains_what_it_cannot_take(
    bot: Harness, reporter: Reporter, sending: str, expected: str
) -> None:
    await reporter.begin_report("unlicensed", "chaoyang")
    emu, user = bot.emu, reporter.user
    send = {
        "sticker": lambda: emu.send_sticker(user),
        "location": lambda: emu.send_location(user, 39.99, 116.31),
        "contact": lambda: emu.send_contact(user, "+8613800000000", "王", contact_user_id=user.id),
        "voice": lambda: emu.send_voice(user),
        "photo": lambda: emu.send_photo(user, TINY_PNG),
    }[sending]
    reply = await reporter.send_and_wait(send())
    assert expected in reply["text"]
    assert "第 3/8 步" in reply["text"]  # still asking the same question
    assert "星光学堂" not in str(tickets(bot))


async def test_answers_that_are_empty_or_too_long_are_refused_politely(
    reporter: Reporter,
) -> None:
    await reporter.say("/report")
    hint = await reporter.say("周末补课")
    assert "请点选按钮" in hint["text"]
    await reporter.press(":cat:unlicensed")
    await reporter.press(":dist:chaoyang")
    empty = await reporter.say("   ")
    assert "不能为空" in empty["text"]
    too_long = await reporter.say("长" * 201)
    assert "最多 200 个字,您发送了 201 个字" in too_long["text"]
    for answer in (INSTITUTION, ADDRESS, WHEN):
        await reporter.say(answer)
    essay = await reporter.say("长" * 3000)
    assert "内容太长" in essay["text"]  # the report's total must fit too
    evidence = await reporter.say(WHAT)
    assert "第 7/8 步" in evidence["text"]
    typed = await reporter.say("我没有照片")
    assert "请发送照片或文件" in typed["text"]
    sticker = await reporter.send_and_wait(reporter.harness.emu.send_sticker(reporter.user))
    assert "不能作为证据" in sticker["text"]
    contact_step = await reporter.say("完成")  # typed instead of pressing the button
    assert "第 8/8 步" in contact_step["text"]


async def test_back_and_cancel(bot: Harness, reporter: Reporter) -> None:
    await reporter.say("/report")
    first = await reporter.say("/back")
    assert "这已经是第一步" in first["text"]
    await reporter.press(":cat:unlicensed")
    await reporter.press(":dist:chaoyang")
    await reporter.say(INSTITUTION)
    where = await reporter.say("/back")
    assert "叫什么名字" in where["text"]
    district = await reporter.press(":back")
    assert "哪个区" in district["text"]
    cancelled = await reporter.say("/cancel")
    assert "草稿和已上传的文件都已删除" in cancelled["text"]
    assert query(db_path(bot.config), "SELECT COUNT(*) FROM drafts") == [(0,)]
    faq = await reporter.say("周六日还能送孩子去上数学补习班吗")  # back to questions
    assert "来源" in faq["text"]
    nothing = await reporter.say("/cancel")
    assert "没有进行中" in nothing["text"]


async def test_edit_from_the_review_returns_to_the_review(reporter: Reporter) -> None:
    review = await reporter.answer_until_review()
    choices = await reporter.press(":edit", review)
    assert {b["text"] for b in inline_buttons(choices)} >= {"地址", "经过", "证据"}
    where = await reporter.press(":fix:where", choices)
    assert "具体地址" in where["text"]
    again = await reporter.say("朝阳区某路1号")
    assert "请核对您的举报" in again["text"] and "朝阳区某路1号" in again["text"]
    old_choice = await reporter.harness.emu.forge_button_press(
        reporter.user, choices, data_ending(choices, ":fix:where").replace("where", "review")
    )
    assert old_choice["data"].endswith(":fix:review")
    await reporter.harness.settle(0.1)
    assert "请核对您的举报" in reporter.last["text"]


async def test_a_second_report_offers_to_continue_or_start_over(reporter: Reporter) -> None:
    await reporter.say("/report")
    await reporter.press(":cat:preschool")
    resume = await reporter.say("/report")
    assert "未完成的举报草稿(停在第 2 步)" in resume["text"]
    district = await reporter.press(":go", resume)
    assert "哪个区" in district["text"]
    fresh = await reporter.press(":new", resume)
    assert "第 1/8 步" in fresh["text"]


async def test_a_long_pause_keeps_the_draft_and_reminds_where_it_was(
    bot: Harness, reporter: Reporter
) -> None:
    await reporter.begin_report("preschool", "xicheng")
    drafts = bot.services.tickets.drafts
    key = bot.services.tickets.reporter_key(reporter.user.id)
    draft = await drafts.load(key)
    assert draft is not None
    await drafts.save(key, draft, datetime.now(UTC) - timedelta(hours=3))

    reminder = await reporter.say("初中每天作业多长时间?")
    assert "欢迎回来" in reminder["text"] and "第 3/8 步" in reminder["text"]
    kept = await drafts.load(key)
    # The answers are unchanged (the draft only notes the update it has seen).
    assert kept is not None
    assert kept == replace(draft, updated_at=kept.updated_at, applied=kept.applied)
    where = await reporter.say(INSTITUTION)  # now it is an answer again
    assert "具体地址" in where["text"]


async def test_forged_and_stale_buttons_change_nothing(bot: Harness, reporter: Reporter) -> None:
    intro = await reporter.say("/report")
    own = data_ending(intro, ":cat:preschool")
    for forged in (
        own.replace("preschool", "no_such_type"),
        "r:" + "0" * 32 + ":cat:preschool",
        own.replace(":cat:", ":dist:"),
        own.replace(":cat:preschool", ":ok"),
    ):
        answered = len(bot.emu.callback_answers)
        await bot.emu.forge_button_press(reporter.user, intro, forged)
        await bot.emu.wait_for_chat(
            reporter.user.id,
            lambda n=answered: len(bot.emu.callback_answers) > n,  # type: ignore[misc]
        )
    await bot.settle(0.1)
    key = bot.services.tickets.reporter_key(reporter.user.id)
    draft = await bot.services.tickets.drafts.load(key)
    assert draft is not None and draft.step == Step.CATEGORY and draft.category == ""


async def test_deep_links_and_menu_buttons_open_the_flows(bot: Harness, reporter: Reporter) -> None:
    intro = await reporter.say("/start report")
    assert "举报违规校外培训" in intro["text"]
    ask = await reporter.say("/start status")
    assert "请发送您的查询码" in ask["text"]
    await reporter.say("/cancel")
    menu = await reporter.say("/start")
    status = await reporter.press("m:status", menu)
    assert "请发送您的查询码" in status["text"]
    report = await reporter.press("m:report", menu)
    assert "未完成的举报草稿" in report["text"]


async def test_groups_are_sent_to_a_private_chat(bot: Harness) -> None:
    parent = bot.parent()
    group = bot.emu.group(title="家长群", members=[parent])
    await bot.emu.send_text(parent, "/report", chat=group)
    [reply] = await bot.emu.wait_for_messages(group["id"], 1)
    assert "请私聊我" in reply["text"]
    assert query(db_path(bot.config), "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_editing_a_sent_answer_is_explained_not_logged(
    bot: Harness, reporter: Reporter
) -> None:
    await reporter.begin_report("preschool", "xicheng")
    sent = await bot.emu.send_text(reporter.user, INSTITUTION)
    await bot.emu.wait_for_messages(reporter.user.id, bot.sent_count(reporter.user) + 1)
    before = bot.sent_count(reporter.user)
    await bot.emu.edit_text(reporter.user, sent, "另一个学堂")
    [notice] = (await bot.emu.wait_for_messages(reporter.user.id, before + 1))[before:]
    assert "不会改动草稿" in notice["text"]
    assert query(db_path(bot.config), "SELECT COUNT(*) FROM faq_log") == [(0,)]


async def test_commands_for_reports_are_published(bot: Harness) -> None:
    private = [c["command"] for c in bot.emu.my_commands[("all_private_chats", "")]]
    assert {"report", "status", "cancel"} <= set(private)
