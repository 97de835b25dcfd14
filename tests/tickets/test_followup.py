from __future__ import annotations

from bot.store.base import StoredFile
from bot.tickets.lifecycle import QuestionAsked, StatusChanged
from bot.tickets.model import FollowupSaved, Reason, Refused, TicketStatus, TicketView, inspector

from .conftest import NOW, OTHER_ID, Desk, Query

INSPECTOR = inspector("staff-17")
MORE_EVIDENCE = StoredFile("receipt.png", "image/png", "22" * 32, True, b"\x89PNG cleaned")


async def test_a_question_reaches_the_reporter_and_the_answer_comes_back(
    desk: Desk, query: Query
) -> None:
    accepted = await desk.report()
    number, code, me = accepted.ticket_number, accepted.receipt_code, desk.reporter_key(OTHER_ID)
    await desk.lifecycle.claim_ticket(number, INSPECTOR, NOW)
    asked = await desk.lifecycle.ask_reporter(number, "上课的具体时间是？", INSPECTOR, NOW)
    assert isinstance(asked, QuestionAsked)

    view = await desk.reporters.check_status(code, me, NOW)
    assert isinstance(view, TicketView)
    assert view.status == TicketStatus.AWAITING_REPORTER
    assert [(q.question_id, q.text) for q in view.open_questions] == [
        (asked.question_id, "上课的具体时间是？")
    ]

    answer = await desk.reporters.answer_question(code, me, asked.question_id, "每周六上午", NOW)
    assert answer == FollowupSaved(number)
    view = await desk.reporters.check_status(code, me, NOW)
    assert isinstance(view, TicketView)
    assert view.open_questions == ()
    assert view.status == TicketStatus.INVESTIGATING
    assert [e.what for e in view.timeline] == [
        "received",
        "claimed",
        "question_asked",
        "status_changed",
        "question_answered",
        "status_changed",
    ]
    again = await desk.reporters.answer_question(code, me, asked.question_id, "再答一次", NOW)
    assert again == Refused(Reason.QUESTION_NOT_OPEN)
    assert query("SELECT answer FROM questions") == [("每周六上午",)]


async def test_evidence_can_be_added_with_the_code(desk: Desk, query: Query) -> None:
    accepted = await desk.report()
    code, me = accepted.receipt_code, desk.reporter_key(OTHER_ID)
    assert await desk.reporters.add_evidence(code, me, MORE_EVIDENCE, NOW) == FollowupSaved(
        accepted.ticket_number
    )
    assert await desk.reporters.add_evidence(code, me, MORE_EVIDENCE, NOW) == FollowupSaved(
        accepted.ticket_number, added=False
    )
    assert query("SELECT filename, added_by FROM attachments") == [("receipt.png", "reporter")]
    assert query("SELECT kind FROM ticket_events ORDER BY id") == [
        ("received",),
        ("evidence_added",),
    ]


async def test_nothing_can_be_added_to_a_closed_ticket(desk: Desk) -> None:
    accepted = await desk.report()
    number = accepted.ticket_number
    await desk.lifecycle.change_status(number, TicketStatus.REJECTED, INSPECTOR, NOW)
    changed = await desk.lifecycle.change_status(number, TicketStatus.CLOSED, INSPECTOR, NOW)
    assert isinstance(changed, StatusChanged)
    me = desk.reporter_key(OTHER_ID)
    result = await desk.reporters.add_evidence(accepted.receipt_code, me, MORE_EVIDENCE, NOW)
    assert result == Refused(Reason.TICKET_CLOSED)


async def test_internal_notes_stay_internal(desk: Desk) -> None:
    accepted = await desk.report()
    await desk.lifecycle.change_status(
        accepted.ticket_number,
        TicketStatus.REJECTED,
        INSPECTOR,
        NOW,
        public_note="经核查不属于学科类培训",
        internal_note="举报人可能是竞争对手",
    )
    view = await desk.reporters.check_status(
        accepted.receipt_code, desk.reporter_key(OTHER_ID), NOW
    )
    assert isinstance(view, TicketView)
    assert [(e.what, e.status, e.note) for e in view.timeline][-1] == (
        "status_changed",
        "rejected",
        "经核查不属于学科类培训",
    )
    assert all("竞争对手" not in (e.note or "") for e in view.timeline)
