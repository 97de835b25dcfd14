"""Staff managed from Telegram, through the emulator: an invitation link taken up, /whoami,
/staff, /remove and /role confirmed with a button, and every one of them refused (and audited)
for whoever lacks the role, forged buttons included."""

from __future__ import annotations

import re

from bot.emulator import inline_buttons
from bot.emulator.state import JsonDict
from tests.integration.inspecting import (
    Staffroom,
    eventually,
)

STAFF_ONLY = "抱歉,这个命令仅供核查人员使用。"
NOT_ALLOWED = "抱歉,您没有权限进行这个操作。"


def link_in(message: JsonDict) -> str:
    found = re.search(r"https://t\.me/shuangjian_bot\?start=(join-[A-Za-z0-9_-]+)", message["text"])
    assert found, message["text"]
    return found[1]


def data_of(message: JsonDict) -> list[str]:
    return [str(b.get("callback_data")) for b in inline_buttons(message)]


def menu(room: Staffroom, chat_id: int, language: str = "") -> set[str]:
    return {c["command"] for c in room.emu.my_commands.get((f"chat:{chat_id}", language), [])}


async def test_an_invitation_link_makes_an_inspector_who_can_work_at_once(room: Staffroom) -> None:
    [invite] = await room.command(room.carol, "/invite edu-haidian 核查员")
    assert "海淀区教育局" in invite["text"] and "只能使用一次" in invite["text"]
    assert data_of(invite) == ["st:rv:1"]
    start = link_in(invite)
    assert len(start) <= 64
    newbie = room.emu.user(7_300_000_100, "小周")

    [welcome] = await room.command(newbie, f"/start {start}")

    assert "欢迎加入" in welcome["text"] and "海淀区教育局" in welcome["text"]
    assert "核查员" in welcome["text"] and "Carol" in welcome["text"]
    told = await room.wait_for_text(room.carol.id, "小周", "已通过您的邀请加入")
    assert "海淀区教育局" in told["text"]
    await eventually(lambda: {"claim", "queue", "duty", "whoami"} <= menu(room, newbie.id))
    [whoami] = await room.command(newbie, "/whoami")
    assert str(newbie.id) in whoami["text"] and "核查员 · 海淀区教育局" in whoami["text"]
    number = (await room.file_ticket()).ticket_number
    [claimed] = await room.command(newbie, f"/claim {number}")
    assert claimed["text"] == f"✅ 已认领 {number}。"
    # The link is spent: someone else is refused; a forged one is refused; nothing changes.
    stranger = room.emu.user(7_300_000_101, "路人")
    [used] = await room.command(stranger, f"/start {start}")
    assert "已经被使用过" in used["text"]
    [forged] = await room.command(stranger, f"/start {start[:-2]}xy")
    assert "无效" in forged["text"]
    [still] = await room.command(stranger, "/queue")
    assert still["text"] == STAFF_ONLY


async def test_an_invitation_typed_in_a_group_goes_out_privately_and_can_be_revoked(
    room: Staffroom,
) -> None:
    [said] = await room.command(room.carol, "/invite 教育部门 督导", chat=room.supervisors)
    assert said["text"] == "邀请链接已私聊发给您。"
    invite = room.find({"id": room.carol.id}, "教育部门(整个部门)")
    start = link_in(invite)
    await room.emu.press_button(room.carol, invite, "st:rv:1")
    [answer] = await room.answered(1)
    assert "已撤销" in answer["text"]
    newbie = room.emu.user(7_300_000_102, "小吴")
    [refused] = await room.command(newbie, f"/start {start}")
    assert "已被撤销" in refused["text"]
    [usage] = await room.command(room.carol, "/invite")
    assert "用法" in usage["text"] and "尚未使用的邀请" not in usage["text"]


async def test_whoami_shows_a_person_only_themselves(room: Staffroom) -> None:
    [mine] = await room.command(room.carol, "/whoami")
    assert str(room.carol.id) in mine["text"] and "督导 · 教育部门(整个部门)" in mine["text"]
    assert str(room.alice.id) not in mine["text"] and "Alice" not in mine["text"]
    [nobody] = await room.command(room.outsider, "/whoami")
    assert str(room.outsider.id) in nobody["text"] and "没有工作人员角色" in nobody["text"]
    [in_group] = await room.command(room.alice, "/whoami", chat=room.haidian)
    assert "私聊" in in_group["text"] and str(room.alice.id) not in in_group["text"]


async def test_staff_lists_who_works_where_and_when_they_last_acted(room: Staffroom) -> None:
    await room.command(room.alice, "/queue")
    [listed] = await room.command(room.carol, "/staff 教育部门")
    text = listed["text"]
    for shown in ("Alice", f"#{room.alice.id}", "Bob", "Carol", "督导", "核查员", "加入"):
        assert shown in text, shown
    assert "Dan" not in text  # the joint group's, not Carol's to see
    alice_line = next(line for line in text.splitlines() if "Alice" in line)
    assert "最近操作 尚无" not in alice_line


async def test_remove_asks_first_then_hands_back_the_tickets_and_tells_the_queue(
    room: Staffroom,
) -> None:
    number = (await room.file_ticket()).ticket_number
    await room.card(room.haidian, number)
    await room.command(room.alice, f"/claim {number}")
    [plan] = await room.command(room.admin, f"/remove {room.alice.id}")
    assert "确认移除 Alice" in plan["text"] and number in plan["text"]
    assert data_of(plan) == [f"st:rm:{room.alice.id}:0", "st:x"]
    await room.emu.press_button(room.admin, plan, "st:x")  # not yet
    await room.answered(1)
    assert room.ticket_row(number)[2] == f"inspector:{room.alice.id}"

    [plan] = await room.command(room.admin, f"/remove {room.alice.id}")
    await room.emu.press_button(room.admin, plan, f"st:rm:{room.alice.id}:0")
    await room.answered(2)

    assert room.ticket_row(number) == ("new", "edu-haidian", None)
    done = room.find({"id": room.admin.id}, "已移除 Alice")
    assert not inline_buttons(done) and number in done["text"]
    told = await room.wait_for_text(room.haidian, "Alice 已不再负责本队列")
    assert number in told["text"] and "退回队列" in told["text"]
    card = room.find(room.haidian, number, "待认领")
    assert f"t:claim:{number}" in data_of(card)
    [gone] = await room.command(room.alice, "/queue")
    assert gone["text"] == STAFF_ONLY
    await eventually(lambda: menu(room, room.alice.id) == set())
    actions = [(a, ok) for _, a, ok, _ in room.audit() if a == "staff_remove"]
    assert actions == [("staff_remove", 1)]


async def test_a_role_change_is_confirmed_and_takes_effect(room: Staffroom) -> None:
    [refused] = await room.command(room.bob, "/stats")
    assert refused["text"] == NOT_ALLOWED
    [plan] = await room.command(room.admin, f"/role {room.bob.id} 督导")
    assert "确认把 Bob" in plan["text"]
    await room.emu.press_button(room.admin, plan, plan_data(plan))
    await room.answered(1)
    sent = await room.command(room.bob, "/stats", expect=2)
    assert "统计" in sent[0]["text"] or "受理" in sent[0]["text"]


def plan_data(plan: JsonDict) -> str:
    return next(d for d in data_of(plan) if d != "st:x")


STAFF_COMMANDS = ("/invite edu-haidian", "/staff", "/remove 7300000002", "/role 7300000002 督导")


async def test_every_staff_command_is_refused_and_audited_without_the_role(
    room: Staffroom,
) -> None:
    for line in (*STAFF_COMMANDS, "/duty"):
        [reply] = await room.command(room.outsider, line)
        assert reply["text"] == STAFF_ONLY, line
    for line in STAFF_COMMANDS:
        [reply] = await room.command(room.alice, line)
        assert reply["text"] == NOT_ALLOWED, line
    for who, chat in ((room.alice, room.haidian), (room.outsider, room.haidian)):
        [bind] = await room.command(who, "/bind edu-haidian", chat=chat)
        assert bind["text"] == NOT_ALLOWED
        [unbind] = await room.command(who, "/unbind", chat=chat)
        assert unbind["text"] == NOT_ALLOWED
    refused = [(actor, action) for actor, action, ok, _ in room.audit() if not ok]
    assert len(refused) == 5 + len(STAFF_COMMANDS) + 4
    outsiders = [actor for actor, _ in refused if not actor.startswith("inspector:")]
    assert all(actor.startswith("outsider:") for actor in outsiders) and len(outsiders) == 7
    assert str(room.outsider.id) not in str(room.audit())
    # Nothing changed: Bob is still an inspector, the group still the queue's.
    [queue] = await room.command(room.bob, "/queue", chat=room.haidian)
    assert queue["text"] != STAFF_ONLY


async def test_forged_staff_buttons_change_nothing_and_are_audited(room: Staffroom) -> None:
    [anything] = await room.command(room.alice, "/whoami")
    forged = (
        (room.outsider, f"st:rm:{room.bob.id}:0"),  # not staff at all
        (room.alice, f"st:rm:{room.bob.id}:0"),  # staff, but may not remove anyone
        (room.alice, f"st:role:{room.alice.id}:a:o"),  # making herself an admin
        (room.carol, f"st:role:{room.dan.id}:s:q:joint"),  # not her department
        (room.admin, "st:rm:not-a-number:0"),
        (room.admin, "st:zz"),
    )
    for who, data in forged:
        await room.emu.forge_button_press(who, anything, data)
    answers = await room.answered(len(forged))
    assert all(a.get("show_alert") for a in answers)
    said = [a["text"] for a in answers]
    assert said.count(NOT_ALLOWED) == 3 and STAFF_ONLY in said
    assert sum("按钮已失效" in s for s in said) == 2
    refused = [action for _, action, ok, _ in room.audit() if not ok]
    assert len(refused) == len(forged)
    assert {"button:st:rm", "staff_remove", "staff_role", "button:st:zz"} <= set(refused)
    [works] = await room.command(room.bob, "/queue")
    assert works["text"] != STAFF_ONLY
    assert room.bot.services.inspection.access.roles(room.alice.id) == {"inspector"}
