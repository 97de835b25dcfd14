"""Deadlines, the daily digest, statistics and exports, with a clock the test moves."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from bot.emulator import BotApiEmulator
from tests.integration.inspecting import (
    Staffroom,
    bot_running_with_clock,
    staffroom,
)
from tests.integration.reporting import WHAT, Reporter, db_path, query

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def texts(room: Staffroom, chat: dict[str, object], fragment: str) -> list[str]:
    found = [m.get("text", "") for m in room.emu.messages(int(chat["id"]))]  # type: ignore[call-overload]
    return [t for t in found if fragment in t]


async def test_reminder_then_escalation_and_a_restart_repeats_neither(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    room = staffroom(emu)
    config = room.config(tmp_path)
    async with bot_running_with_clock(room, config):
        number = (await room.file_ticket()).ticket_number
        await room.card(room.haidian, number)
        room.clock.advance(hours=21)  # 3 hours before the 24-hour claim deadline
        assert await room.bot.background.watch_deadlines() == (1, 0)
        reminder = await room.wait_for_text(room.haidian, "催办", number)
        assert "认领时限" in reminder["text"] and "海淀区教育局" in reminder["text"]

        room.clock.advance(hours=4)  # an hour late
        assert await room.bot.background.watch_deadlines() == (1, 0)
        escalation = await room.wait_for_text(room.supervisors, "督办", number)
        assert "超过认领时限" in escalation["text"]
        assert await room.bot.background.watch_deadlines() == (0, 0)
        await room.command(room.alice, f"/claim {number}")

    async with bot_running_with_clock(room, config):
        assert await room.bot.background.watch_deadlines() == (0, 0)
        await room.settle()
    assert len(texts(room, room.haidian, "催办")) == 1
    assert len(texts(room, room.supervisors, "督办")) == 1


async def test_an_escalation_names_who_holds_the_ticket(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    await room.command(room.alice, f"/claim {number}")
    room.clock.advance(days=40)  # past the resolve deadline (15 working days)
    notices, _ = await room.bot.background.watch_deadlines()
    assert notices == 1  # the claim reminder and escalation no longer apply
    escalation = await room.wait_for_text(room.supervisors, "督办", number)
    assert "办结时限" in escalation["text"] and "认领人:Alice" in escalation["text"]


async def test_the_daily_digest_goes_to_the_supervisors_once_a_day(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    room = staffroom(emu)
    async with bot_running_with_clock(room, room.config(tmp_path, digest_at="00:00")):
        await room.file_ticket()
        await room.wait_for_text(room.supervisors, "日报")  # the watch runs as the bot starts
        assert await room.bot.background.watch_deadlines() == (0, 0)
        room.clock.advance(days=1)
        _, digests = await room.bot.background.watch_deadlines()
        assert digests == 1
        room.clock.advance(seconds=3)  # spaced after the escalation to the same group
        room.bot.services.wake_outbox()
        await room.emu.wait_for_chat(
            room.supervisors["id"], lambda: len(texts(room, room.supervisors, "日报")) == 2
        )
    assert "海淀区教育局：在办 1 件" in texts(room, room.supervisors, "日报")[-1]


async def test_export_documents_parse_and_hold_no_reporter_identity(room: Staffroom) -> None:
    citizen = room.emu.user(first_name="王小明", username="wangxm")
    reporter = Reporter(room.bot, citizen)
    number = (await room.file_ticket(reporter=reporter.user)).ticket_number
    await room.file_ticket(category="unlicensed")

    before = len(room.emu.state.chat(room.admin.id).bot_messages)
    await room.emu.send_text(room.admin, "/export 7d")
    sent = await room.emu.wait_for_messages(room.admin.id, before + 2)
    csv_message, xlsx_message = sent[before:]
    csv_bytes = room.emu.file_bytes(csv_message["document"]["file_id"])
    xlsx_bytes = room.emu.file_bytes(xlsx_message["document"]["file_id"])
    assert xlsx_message["document"]["file_name"].endswith(".xlsx")

    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert rows[0][0] == "受理编号" and len(rows) == 3
    assert number in {row[0] for row in rows}
    sheet = load_workbook(io.BytesIO(xlsx_bytes), read_only=True)["tickets"]
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert number in cells
    for secret in ("王小明", "wangxm", str(citizen.id), WHAT[:10]):
        assert secret not in csv_bytes.decode("utf-8-sig") and secret not in " ".join(cells)
    exported = query(
        db_path(room.bot.config), "SELECT COUNT(*) FROM staff_audit WHERE action = 'export'"
    )
    assert exported == [(2,)]

    # In a group, the files still go privately, and only admins get them.
    [told] = await room.command(room.admin, "/export", chat=room.haidian)
    assert "私聊" in told["text"]
    [refused] = await room.command(room.carol, "/export 2026-13")
    assert "时间段写法" in refused["text"]


async def test_stats_send_the_figures_and_a_png_chart(room: Staffroom) -> None:
    await room.file_ticket()
    before = len(room.emu.state.chat(room.supervisors["id"]).bot_messages)
    await room.emu.send_text(room.carol, "/stats 30d", chat=room.supervisors)
    sent = await room.emu.wait_for_messages(room.supervisors["id"], before + 2, timeout=15)
    figures, chart = sent[before:]
    assert "共 1 件" in figures["text"] and "在职教师有偿补课 1" in figures["text"]
    png = room.emu.file_bytes(chart["photo"][-1]["file_id"])
    assert png.startswith(PNG_SIGNATURE)
