"""Groups through the emulator: the bot added to a group says how to bind it, /bind moves a
queue's cards there and says so in both groups, /unbind, and the bot removed from a group
unbinds it and tells the admin, so no card goes into the void."""

from __future__ import annotations

from tests.integration.inspecting import Staffroom, eventually

NOT_ALLOWED = "抱歉,您没有权限进行这个操作。"


def menu(room: Staffroom, chat_id: int) -> set[str]:
    return {c["command"] for c in room.emu.my_commands.get((f"chat:{chat_id}", ""), [])}


async def test_a_new_group_is_told_how_to_bind_and_then_takes_the_queues_cards(
    room: Staffroom,
) -> None:
    newer = room.emu.group("海淀专班(二组)", members=[room.alice, room.admin])
    newer_id = int(newer["id"])
    room.emu.state.chats[newer_id].bot_left = True  # the bot is not in it yet
    await room.emu.add_bot_to_group(newer, room.admin)
    hint = await room.wait_for_text(newer, "/bind")
    assert "海淀专班(二组)" in hint["text"]

    [bound] = await room.command(room.admin, "/bind edu-haidian", chat=newer)

    assert "本群现在接收 海淀区教育局" in bound["text"]
    assert "海淀区教育局专班" in bound["text"]  # where the cards went until now
    moved = await room.wait_for_text(room.haidian, "今后发往群「海淀专班(二组)」")
    assert "海淀区教育局" in moved["text"]
    number = (await room.file_ticket()).ticket_number
    await room.card(newer, number)
    assert not any(number in m.get("text", "") for m in room.emu.messages(room.haidian["id"]))
    await eventually(lambda: "claim" in menu(room, newer_id) and not menu(room, room.haidian["id"]))
    # Cards there work as anywhere: Alice claims in the new group.
    [reply] = await room.command(room.alice, f"/claim {number}", chat=newer)
    assert reply["text"] == f"✅ 已认领 {number}。"
    # And the old group is no staff group any more.
    [wrong] = await room.command(room.alice, "/queue", chat=room.haidian)
    assert "私聊或本队列的工作群" in wrong["text"]


async def test_the_bot_removed_from_a_group_unbinds_it_and_tells_the_admin(
    room: Staffroom,
) -> None:
    await room.emu.remove_bot_from_group(room.haidian, room.alice)
    told = await room.wait_for_text(room.admin.id, "机器人已被移出群")
    assert "海淀区教育局" in told["text"] and "/bind" in told["text"]
    number = (await room.file_ticket()).ticket_number
    await room.settle()
    # The card is not posted into a group the bot cannot write to (nor retried there).
    outbox = room.bot.services.tickets.outbox
    assert await outbox.due(room.clock()) == []
    assert room.ticket_row(number) == ("new", "edu-haidian", None)
    assert ("system", "group_lost", 1) in [(a, b, c) for a, b, c, _ in room.audit()]
    # Bound again in another group, new cards go there.
    again = room.emu.group("海淀专班(新)", members=[room.admin])
    [bound] = await room.command(room.admin, "/bind 海淀区教育局", chat=again)
    assert "本群现在接收" in bound["text"]
    later = (await room.file_ticket()).ticket_number
    await room.card(again, later)


async def test_unbind_and_the_supervisors_group(room: Staffroom) -> None:
    [private] = await room.command(room.admin, "/bind edu-haidian")
    assert "群里" in private["text"]
    [usage] = await room.command(room.admin, "/bind", chat=room.haidian)
    assert "用法" in usage["text"]
    [unbound] = await room.command(room.admin, "/unbind", chat=room.haidian)
    assert "已不再是工作群:海淀区教育局" in unbound["text"]
    [not_bound] = await room.command(room.admin, "/unbind", chat=room.haidian)
    assert "不是任何队列的工作群" in not_bound["text"]
    council = room.emu.group("教育督导(新)", members=[room.carol, room.admin])
    [bound] = await room.command(room.admin, "/bind supervisors 教育部门", chat=council)
    assert "教育部门督导群" in bound["text"] and "督办和日报" in bound["text"]
    moved = await room.wait_for_text(room.supervisors, "今后发往群「教育督导(新)」")
    assert "教育部门督导群" in moved["text"]
    [refused] = await room.command(room.carol, "/unbind", chat=council)
    assert refused["text"] == NOT_ALLOWED
