"""The registry through the real Application and the emulator: a parent's /check and
"正规吗", the report form's "您说的是 ××吗?", and the card inspectors see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config
from bot.emulator import BotApiEmulator, FakeUser, inline_buttons
from bot.emulator.state import JsonDict
from bot.registry.importing import ListDefaults
from bot.registry.service import Registry
from bot.store.opening import open_store
from tests.integration.inspecting import Staffroom, bot_running_with_clock, staffroom
from tests.integration.reporting import (
    ADDRESS,
    WHAT,
    WHEN,
    Harness,
    Reporter,
    db_path,
    query,
    receipt_of,
    until_handled,
)
from tests.integration.test_update_path import say_update, unfinish

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "registry" / "example-list.csv"


async def listed_config(room: Staffroom, tmp_path: Path) -> Config:
    """The room's config, its database holding the bureau's list (as `registry import` leaves
    it before the bot starts)."""
    config = room.config(tmp_path)
    store = await open_store(config.storage, config.base_dir)
    try:
        await Registry.of(store, config).import_file(
            EXAMPLE, ListDefaults(), actor="import:example-list.csv"
        )
    finally:
        await store.close()
    return config


@pytest.fixture
async def room(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Staffroom]:
    room = staffroom(emu)
    async with bot_running_with_clock(room, await listed_config(room, tmp_path)):
        yield room


def buttons(message: dict[str, object]) -> list[str]:
    return [b["callback_data"] for b in inline_buttons(message)]


async def test_a_parent_asks_whether_institutions_are_licensed(room: Staffroom) -> None:
    parent = Reporter(room.bot, room.emu.user(first_name="家长"))
    approved = await parent.say("学而思正规吗?")
    assert "白名单" in approved["text"] and "教民111010870000123号" in approved["text"]
    assert "学科类" in approved["text"] and "名单日期:2026-03-01" in approved["text"]
    blacklisted = await parent.say("/check 博学优才")
    assert "黑名单" in blacklisted["text"] and "2026-03-12" in blacklisted["text"]
    assert "无证开展学科类培训" in blacklisted["text"]
    assert buttons(blacklisted) == ["m:report"]
    unknown = await parent.say("星光学堂有没有资质")
    assert "没有找到“星光学堂”" in unknown["text"] and "办学许可证" in unknown["text"]
    assert buttons(unknown) == ["m:report"]
    await parent.press("m:report", unknown)  # the report form starts
    await parent.say("/cancel")
    typo = await parent.say("/check 北京学尔思教育科技有限公司")  # homophone, other ending
    assert "北京市海淀区学而思培训学校有限公司" in typo["text"]
    how = await parent.say("怎么查补习班是不是正规的")  # not about one institution: the FAQ's
    assert "来源" in how["text"] and "没有找到" not in how["text"]


async def test_an_edited_question_is_not_answered_again(room: Staffroom) -> None:
    parent = room.emu.user(first_name="家长")
    for asked in ("/check 学而思", "学而思正规吗"):
        answered = len(room.emu.messages(parent.id)) + 1
        sent = await room.emu.send_text(parent, asked)
        [answer] = (await room.emu.wait_for_messages(parent.id, answered))[answered - 1 :]
        assert "学而思" in answer["text"]
        await room.emu.edit_text(parent, sent, asked.replace("学而思", "博学优才"))
        await room.settle()
        later = room.emu.messages(parent.id)[answered:]
        assert not any("博学优才" in m.get("text", "") for m in later)


async def test_close_names_are_offered_as_buttons(room: Staffroom) -> None:
    parent = Reporter(room.bot, room.emu.user(first_name="家长"))
    offered = await parent.say("/check 博学忧乐")
    assert "哪一家" in offered["text"]
    data = buttons(offered)
    assert data[-1] == "m:report" and data[0].startswith("g:")
    assert all(len(d.encode()) <= 64 for d in data)
    chosen = await parent.press(data[0], offered)
    assert "北京博学优才教育科技有限公司" in chosen["text"] and "黑名单" in chosen["text"]
    await room.emu.forge_button_press(parent.user, offered, "g:999999")  # answered, nothing sent
    answers = await room.answered(2)
    assert answers[-1].get("show_alert") is True


async def test_the_report_form_confirms_the_registry_match(room: Staffroom) -> None:
    reporter = Reporter(room.bot, room.emu.user(first_name="王小明", username="wangxm"))
    await reporter.begin_report("holiday_classes", "chaoyang")
    asked = await reporter.say("博学优才")
    assert "您说的是 北京博学优才教育科技有限公司(朝阳区)吗?" in asked["text"]
    yes = next(d for d in buttons(asked) if ":inst:y" in d)
    after = await reporter.press(yes.rsplit(":", 1)[-1], asked)
    assert "已记下" in after["text"] and "3/8" not in after["text"]
    await reporter.say(ADDRESS)
    await reporter.say(WHEN)
    await reporter.say(WHAT)
    await reporter.press(":evdone")
    await reporter.press(":nocontact")
    receipt = await reporter.press(":ok")
    number, _ = receipt_of(receipt)
    [(institution_id, status)] = query(
        db_path(room.bot.config),
        "SELECT institution_id, institution_status FROM tickets WHERE number = ?",
        number,
    )
    assert status == "blacklisted" and institution_id is not None
    card = await room.card(room.joint, number)  # a blacklisted institution: the joint group
    assert "登记:黑名单:2026-03-12 无证开展学科类培训,已取缔 · #" in card["text"]
    for identity in ("王小明", "wangxm", str(reporter.user.id)):
        assert identity not in card["text"]


@pytest.mark.parametrize(("answer", "recorded"), [("no", "not_found"), ("unsure", "unconfirmed")])
async def test_no_and_not_sure_are_recorded_as_such(
    room: Staffroom, answer: str, recorded: str
) -> None:
    reporter = Reporter(room.bot, room.emu.user(first_name="李"))
    await reporter.begin_report("holiday_classes", "haidian")
    asked = await reporter.say("学而思")
    nxt = await reporter.press(f":inst:{answer}", asked)
    assert "2/8" not in nxt["text"]
    await reporter.say(ADDRESS)
    await reporter.say(WHEN)
    await reporter.say(WHAT)
    await reporter.press(":evdone")
    await reporter.press(":nocontact")
    number, _ = receipt_of(await reporter.press(":ok"))
    [(institution_id, status)] = query(
        db_path(room.bot.config),
        "SELECT institution_id, institution_status FROM tickets WHERE number = ?",
        number,
    )
    assert (institution_id, status) == (None, recorded)


async def test_a_name_changed_at_the_review_is_confirmed_then_the_review_shown(
    room: Staffroom,
) -> None:
    reporter = Reporter(room.bot, room.emu.user())
    review = await reporter.answer_until_review(category="holiday_classes", district="chaoyang")
    assert "您说的是" not in review["text"]  # the first name is not in the registry
    who = await reporter.press(":fix:who", await reporter.press(":edit", review))
    asked = await reporter.say("博学优才")
    assert "您说的是 北京博学优才教育科技有限公司(朝阳区)吗?" in asked["text"]
    yes = next(d for d in buttons(asked) if ":inst:y" in d)
    again = await reporter.press(yes.rsplit(":", 1)[-1], asked)
    assert "请核对您的举报" in again["text"] and "博学优才" in again["text"]
    assert who["message_id"] != again["message_id"]
    number, _ = receipt_of(await reporter.press(":ok", again))
    [(status,)] = query(
        db_path(room.bot.config), "SELECT institution_status FROM tickets WHERE number = ?", number
    )
    assert status == "blacklisted"


async def test_a_resolution_blacklists_and_parents_and_inspectors_see_it(room: Staffroom) -> None:
    reporter = Reporter(room.bot, room.emu.user())
    await reporter.begin_report("holiday_classes", "haidian")
    asked = await reporter.say("学而思")
    await reporter.press(yes_of(asked).rsplit(":", 1)[-1], asked)
    for answer in (ADDRESS, WHEN, WHAT):
        await reporter.say(answer)
    await reporter.press(":evdone")
    await reporter.press(":nocontact")
    number, _ = receipt_of(await reporter.press(":ok"))
    [(queue, institution_id)] = query(
        db_path(room.bot.config),
        "SELECT queue, institution_id FROM tickets WHERE number = ?",
        number,
    )
    assert queue == "edu-haidian"  # approved then: the district's bureau
    await room.command(room.alice, f"/claim {number}")
    [done] = await room.command(
        room.alice, f"/resolve {number} 查实 机构:黑名单 超前超纲培训,已依法取缔"
    )
    assert "已办结" in done["text"] and "机构登记已改为:黑名单" in done["text"]
    parent = Reporter(room.bot, room.emu.user(first_name="家长"))
    now = await parent.say("/check 学而思")
    assert "黑名单" in now["text"] and "超前超纲培训,已依法取缔" in now["text"]
    [history] = await room.command(room.alice, f"/institution {institution_id}")
    assert f"#{institution_id} 北京市海淀区学而思培训学校有限公司" in history["text"]
    assert f"超前超纲培训,已依法取缔 ({number})" in history["text"]  # the change and its ticket
    assert f"{number}" in history["text"].split("工单")[-1]
    [(details,)] = query(
        db_path(room.bot.config),
        "SELECT details FROM staff_audit WHERE action = 'view_institution'",
    )
    assert number in details
    await room.emu.send_text(room.carol, "/stats 30d", chat=room.supervisors)
    top = await room.wait_for_text(room.supervisors, "查实举报最多的机构")
    assert f"#{institution_id} 北京市海淀区学而思培训学校有限公司" in top["text"]
    assert "查实 1 件" in top["text"]


# --- replays after a crash: the "who" step's question and its answer apply once --------------


async def press_update(harness: Harness, user: FakeUser, message: JsonDict, data: str) -> JsonDict:
    """Press a button as its own update; the update as the bot received it."""
    before = harness.sent_count(user)
    press = await harness.emu.press_button(user, message, data)
    await harness.emu.wait_for_messages(user.id, before + 1)
    await until_handled(harness)
    [(update_id,)] = query(db_path(harness.config), "SELECT MAX(update_id) FROM inbox")
    return {"update_id": update_id, "callback_query": press}


async def draft_of(harness: Harness, user: FakeUser) -> tuple[str, str, str, str]:
    """Where the reporter's draft is: (step, name, address, the registry's word)."""
    draft = await harness.services.tickets.drafts.load(
        harness.services.tickets.reporter_key(user.id)
    )
    assert draft is not None
    return draft.step, draft.institution, draft.answers.get("address", ""), draft.registry


@pytest.fixture
async def listed(emu: BotApiEmulator, tmp_path: Path) -> tuple[Staffroom, Config]:
    room = staffroom(emu)
    return room, await listed_config(room, tmp_path)


async def name_it(bot: Harness, user: FakeUser) -> tuple[JsonDict, JsonDict]:
    """A report about 朝阳区 whose "who" answer is 博学优才: (that update, the bot's question)."""
    reporter = Reporter(bot, user)
    await reporter.begin_report("holiday_classes", "chaoyang")
    return await say_update(reporter, "博学优才")


def yes_of(question: JsonDict) -> str:
    return next(d for d in buttons(question) if ":inst:y" in d)


async def test_a_replayed_confirmation_is_not_taken_again(
    emu: BotApiEmulator, listed: tuple[Staffroom, Config]
) -> None:
    """Killed after "是" was saved, before its reply went out: the press comes again at the
    restart; it changes nothing and the reporter is shown the step they are at."""
    room, config = listed
    user = emu.user()
    async with bot_running_with_clock(room, config) as bot:
        _, asked = await name_it(bot, user)
        press = await press_update(bot, user, asked, yes_of(asked))
        saved = await draft_of(bot, user)
    unfinish(config, press)
    async with bot_running_with_clock(room, config) as bot:
        before = bot.sent_count(user)
        await until_handled(bot)
        shown = await emu.wait_for_messages(user.id, before + 1)
        assert "具体地址" in shown[-1]["text"]  # the step after the confirmation, once
        assert bot.sent_count(user) == before + 1
        assert await draft_of(bot, user) == saved
        assert not any(a.get("show_alert") for a in emu.callback_answers)
    assert saved[3].startswith("id:")


async def test_a_replayed_name_is_not_taken_as_the_next_answer(
    emu: BotApiEmulator, listed: tuple[Staffroom, Config]
) -> None:
    """The name comes again after the reporter confirmed it and the form moved on: it must not
    be taken as the address."""
    room, config = listed
    user = emu.user()
    async with bot_running_with_clock(room, config) as bot:
        name, asked = await name_it(bot, user)
        await Reporter(bot, user).press(yes_of(asked), asked)
        saved = await draft_of(bot, user)
    unfinish(config, name)
    async with bot_running_with_clock(room, config) as bot:
        await until_handled(bot)
        assert await draft_of(bot, user) == saved
        assert saved[1:3] == ("博学优才", "")
        when = await Reporter(bot, user).say(ADDRESS)
        assert "什么时间" in when["text"]


async def test_the_question_lost_in_a_crash_is_asked_again(
    emu: BotApiEmulator, listed: tuple[Staffroom, Config]
) -> None:
    """Killed after the name was saved with the registry's match, before "您说的是 ××吗?" went
    out: the replayed name asks the same question, with its buttons, and "是" is taken."""
    room, config = listed
    user = emu.user()
    async with bot_running_with_clock(room, config) as bot:
        name, first = await name_it(bot, user)
    unfinish(config, name)
    async with bot_running_with_clock(room, config) as bot:
        before = bot.sent_count(user)
        await until_handled(bot)
        [again] = (await emu.wait_for_messages(user.id, before + 1))[before:]
        assert again["text"] == first["text"] and "您说的是" in again["text"]
        assert buttons(again) == buttons(first)
        after = await Reporter(bot, user).press(yes_of(again).rsplit(":", 1)[-1], again)
        assert "已记下" in after["text"] and "具体地址" in after["text"]
