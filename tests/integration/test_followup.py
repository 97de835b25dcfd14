"""回访 through the emulator: the question pushed or shown at /status, each answer, comments,
forged and repeated presses, 不满意 to the supervisors, their reopen, a second verdict, "not
reached" once the days are up; and /brief's PDF."""

from __future__ import annotations

import io

from pypdf import PdfReader

from bot.emulator import FakeUser, inline_buttons
from bot.emulator.state import JsonDict
from tests.integration.inspecting import Staffroom
from tests.integration.reporting import data_ending, db_path, query


async def resolve(room: Staffroom, number: str, outcome: str = "已责令停止培训") -> None:
    await room.command(room.alice, f"/claim {number}")
    await room.command(room.alice, f"/resolve {number} 查实 {outcome}")


async def press(room: Staffroom, user: FakeUser, message: JsonDict, suffix: str) -> JsonDict:
    sent = await room.bot.press(user, message, data_ending(message, suffix))
    return sent[-1]


async def status(room: Staffroom, user: FakeUser, code: str) -> JsonDict:
    [view] = await room.command(user, f"/status {code}")
    return view


async def forge(room: Staffroom, user: FakeUser, message: JsonDict, data: str) -> JsonDict:
    """A press the message does not offer (any more): a replayed or modified client's."""
    before = room.bot.sent_count(user)
    await room.emu.forge_button_press(user, message, data)
    sent = await room.emu.wait_for_messages(user.id, before + 1)
    return sent[-1]


def verdict_buttons(message: JsonDict) -> list[str]:
    return [
        str(b["callback_data"])
        for b in inline_buttons(message)
        if str(b["callback_data"]).startswith("v:")
    ]


async def test_a_pushed_question_answered_with_a_comment_once(room: Staffroom) -> None:
    citizen = room.emu.user(first_name="王小明")
    number = (await room.file_ticket(reporter=citizen, wants_updates=True)).ticket_number
    await resolve(room, number)
    asked = await room.wait_for_text(citizen.id, "回访", number)
    assert "Follow-up" in asked["text"] and "保密" in asked["text"]
    assert len(verdict_buttons(asked)) == 3
    assert all(len(d.encode()) <= 64 for d in verdict_buttons(asked))

    thanks = await press(room, citizen, asked, ":s")
    assert "感谢您的评价:满意" in thanks["text"]
    [saved] = await room.command(citizen, "<b>老师</b>态度很好 👍")
    assert "已收到您的意见" in saved["text"]
    # The answered question lost its buttons; a stale copy pressed again changes nothing.
    assert not verdict_buttons(room.find({"id": citizen.id}, "回访", number))
    again = await forge(room, citizen, asked, data_ending(asked, ":m"))
    assert "已经评价过" in again["text"]
    rows = query(db_path(room.bot.config), "SELECT round, verdict, comment FROM ticket_verdicts")
    assert rows == [(1, "satisfied", "<b>老师</b>态度很好 👍")]

    # Staff see the verdict and the comment on the ticket, never who gave them.
    await room.command(room.carol, f"/ticket {number}")
    details = room.find({"id": room.carol.id}, "回访")
    assert "第 1 次" in details["text"] and ":满意" in details["text"]
    assert "意见:<b>老师</b>态度很好 👍" in details["text"]  # escaped: shown as typed
    assert "王小明" not in details["text"] and str(citizen.id) not in details["text"]


async def test_pulled_at_status_dissatisfied_reopened_and_asked_again(room: Staffroom) -> None:
    citizen = room.emu.user()
    accepted = await room.file_ticket(reporter=citizen)
    number, code = accepted.ticket_number, accepted.receipt_code
    await resolve(room, number)
    view = await status(room, citizen, code)
    assert "您对这次办理满意吗" in view["text"] and len(verdict_buttons(view)) == 3

    sorry = await press(room, citizen, view, ":d")
    assert "很抱歉" in sorry["text"]
    [empty] = await room.command(citizen, "   ")
    assert "不能为空" in empty["text"]
    [long] = await room.command(citizen, "慢" * 201)
    assert "最多 200 个字" in long["text"]
    [saved] = await room.command(citizen, "一个月了还没人去查")
    assert "已收到您的意见" in saved["text"]
    notice = await room.wait_for_text(room.supervisors, "回访不满意", number)
    assert "一个月了还没人去查" in notice["text"] and "海淀区教育局" in notice["text"]
    assert str(citizen.id) not in notice["text"]

    # An inspector may not reopen; the supervisor can, from the notice.
    reopen = data_ending(notice, f"reopen:{number}")
    pressed = len(room.emu.callback_answers)
    await room.emu.press_button(room.alice, notice, reopen)
    [refused] = (await room.answered(pressed + 1))[pressed:]
    assert refused["show_alert"] and "没有权限" in refused["text"]
    assert room.ticket_row(number)[0] == "resolved"
    await room.emu.press_button(room.carol, notice, reopen)
    await room.wait_for_text(room.supervisors, "已重新办理", number)
    assert room.ticket_row(number)[0] == "new"
    reopened = await status(room, citizen, code)
    assert "二次办理" in reopened["text"] and not verdict_buttons(reopened)

    await resolve(room, number, "已查处")
    view = await status(room, citizen, code)
    assert verdict_buttons(view) and all(":2:" in d for d in verdict_buttons(view))
    thanks = await press(room, citizen, view, ":m")
    assert "基本满意" in thanks["text"]
    no_comment = await press(room, citizen, thanks, ":n")
    assert "谢谢您的评价" in no_comment["text"]
    rows = query(
        db_path(room.bot.config), "SELECT round, verdict FROM ticket_verdicts ORDER BY round"
    )
    assert rows == [(1, "dissatisfied"), (2, "mostly_satisfied")]


async def test_forged_presses_and_no_answer_in_time(room: Staffroom) -> None:
    citizen = room.emu.user()
    accepted = await room.file_ticket(reporter=citizen)
    await resolve(room, accepted.ticket_number)
    view = await status(room, citizen, accepted.receipt_code)
    real = verdict_buttons(view)[0]
    _, ticket_id, round_number, token, _ = real.split(":")
    for forged in (
        f"v:{ticket_id}:{round_number}:{'A' * 16}:d",
        f"v:{int(ticket_id) + 1}:{round_number}:{token}:d",
        "v:1:1:not-a-token:x",
        "v:" + "9" * 60,
    ):
        reply = await forge(room, citizen, view, forged)
        assert "评价按钮无效" in reply["text"]
    assert query(db_path(room.bot.config), "SELECT verdict FROM ticket_verdicts") == [(None,)]

    room.clock.advance(days=7, minutes=1)
    late = await press(room, citizen, view, ":s")
    assert "回访已经结束" in late["text"]
    later = await status(room, citizen, accepted.receipt_code)
    assert not verdict_buttons(later)
    [figures, _chart] = await room.command(room.carol, "/stats 30d", room.supervisors, expect=2)
    assert "回访率:0.0%" in figures["text"] and "满意率:-" in figures["text"]


async def test_a_dissatisfied_left_without_a_comment_reaches_the_supervisors(
    room: Staffroom,
) -> None:
    citizen = room.emu.user()
    accepted = await room.file_ticket(reporter=citizen)
    await resolve(room, accepted.ticket_number)
    view = await status(room, citizen, accepted.receipt_code)
    await press(room, citizen, view, ":d")
    room.clock.advance(minutes=31)
    await room.bot.background.watch_deadlines()
    notice = await room.wait_for_text(room.supervisors, "回访不满意", accepted.ticket_number)
    assert "意见:(未填写)" in notice["text"]


async def test_brief_sends_supervisors_a_pdf_privately(room: Staffroom) -> None:
    number = (await room.file_ticket()).ticket_number
    await resolve(room, number)
    before = len(room.emu.state.chat(room.carol.id).bot_messages)
    [told] = await room.command(room.carol, "/brief 30d", room.supervisors)
    assert "私聊" in told["text"]
    sent = await room.emu.wait_for_messages(room.carol.id, before + 1, timeout=30)
    document = sent[-1]["document"]
    assert document["file_name"].endswith(".pdf")
    reader = PdfReader(io.BytesIO(room.emu.file_bytes(document["file_id"])))
    assert len(reader.pages) == 5  # cover, two of charts, departments, overdue (none)
    assert number not in reader.pages[0].extract_text()
    assert "双减举报办理情况简报" in reader.pages[0].extract_text()
    [refused] = await room.command(room.alice, "/brief")
    assert "没有权限" in refused["text"]
