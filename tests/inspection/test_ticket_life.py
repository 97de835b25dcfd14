"""A ticket's life with inspectors: investigate, ask, transfer, resolve, close, reopen, merge."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.inspection.access import Action
from bot.inspection.model import (
    Changed,
    Denial,
    Denied,
    Disposition,
    Merged,
    NoteAdded,
    QuestionSent,
    Transferred,
)
from bot.store.sql import to_db_time
from bot.tickets.model import TicketStatus, TicketView

from .conftest import (
    ADMIN,
    ALICE,
    BOB,
    CAROL,
    DAN,
    FRANK,
    MARKET_CHAT,
    NOW,
    REPORTER_ID,
    Bureau,
    Query,
)

S = TicketStatus


async def reporter_view(bureau: Bureau, index: int = 0) -> TicketView:
    code = bureau.reported[index].receipt_code
    key = bureau.tickets.reporter_key(REPORTER_ID)
    view = await bureau.tickets.reporters.check_status(code, key, bureau.clock())
    assert isinstance(view, TicketView), view
    return view


async def test_a_ticket_from_claim_to_close(bureau: Bureau, query: Query) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    steps = [
        await desk.claim(ALICE, number),
        await desk.investigate(ALICE, number),
        await desk.resolve(ALICE, number, Disposition.SUBSTANTIATED, "已责令停止补课并通报学校"),
        await desk.close(ALICE, number),
    ]
    assert [(s.old, s.new) for s in steps if isinstance(s, Changed)] == [
        (S.NEW, S.CLAIMED),
        (S.CLAIMED, S.INVESTIGATING),
        (S.INVESTIGATING, S.RESOLVED),
        (S.RESOLVED, S.CLOSED),
    ]
    [(disposition, outcome, resolved_at, closed_at)] = query(
        "SELECT disposition, outcome, resolved_at, closed_at FROM tickets"
    )
    assert disposition == "substantiated" and outcome == "已责令停止补课并通报学校"
    assert resolved_at and closed_at
    assert query("SELECT action FROM staff_audit ORDER BY id") == [
        ("claim",),
        ("investigate",),
        ("resolve",),
        ("close",),
    ]


@pytest.mark.parametrize(
    ("disposition", "status"),
    [
        (Disposition.SUBSTANTIATED, S.RESOLVED),
        (Disposition.UNSUBSTANTIATED, S.RESOLVED),
        (Disposition.REFERRED, S.TRANSFERRED),
        (Disposition.DUPLICATE, S.DUPLICATE),
        (Disposition.NOT_IN_SCOPE, S.REJECTED),
    ],
)
async def test_each_disposition_ends_in_its_status(
    bureau: Bureau, disposition: Disposition, status: TicketStatus
) -> None:
    number = await bureau.report()
    # Triage may decide an unclaimed ticket straight away.
    result = await bureau.inspection.desk.resolve(ALICE, number, disposition, "结果")
    assert result == Changed(number, Action.RESOLVE, S.NEW, status)


async def test_the_reporter_sees_outcomes_but_never_internal_notes(bureau: Bureau) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    await desk.claim(ALICE, number)
    assert await desk.add_note(ALICE, number, "机构负责人是区里某领导亲属") == NoteAdded(number)
    await desk.resolve(
        ALICE, number, Disposition.UNSUBSTANTIATED, "经核查未发现违规", internal_note="现场无人"
    )
    view = await reporter_view(bureau)
    shown = repr(view)
    assert "领导" not in shown and "现场无人" not in shown
    assert [e.what for e in view.timeline] == ["received", "claimed", "status_changed"]
    assert view.timeline[-1].note == "经核查未发现违规"


async def test_asking_the_reporter_notifies_only_those_who_opted_in(
    bureau: Bureau, query: Query
) -> None:
    desk = bureau.inspection.desk
    quiet = await bureau.report()
    told = await bureau.report(wants_updates=True)
    for number in (quiet, told):
        await desk.claim(ALICE, number)
    assert await desk.ask_reporter(ALICE, quiet, "机构的具体门牌号？") == QuestionSent(
        quiet, 1, False
    )
    assert await desk.ask_reporter(ALICE, told, "上课时间？") == QuestionSent(told, 2, True)
    assert query("SELECT status FROM tickets ORDER BY id") == [
        ("awaiting_reporter",),
        ("awaiting_reporter",),
    ]
    questions = [m for m in await bureau.tickets.outbox.due(NOW) if m.kind == "question"]
    assert [(m.chat_id, m.data["ticket_number"]) for m in questions] == [(REPORTER_ID, told)]
    # The quiet reporter sees the question at their next /status.
    assert [q.text for q in (await reporter_view(bureau, 0)).open_questions] == [
        "机构的具体门牌号？"
    ]


async def test_empty_or_overlong_texts_are_refused(bureau: Bureau) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    await desk.claim(ALICE, number)
    assert await desk.add_note(ALICE, number, "  ") == Denied(Denial.TEXT_MISSING, number)
    long_text = "长" * 3001
    assert await desk.ask_reporter(ALICE, number, long_text) == Denied(Denial.TEXT_TOO_LONG, number)
    assert await desk.resolve(ALICE, number, Disposition.SUBSTANTIATED, "") == Denied(
        Denial.TEXT_MISSING, number
    )


async def test_transfer_moves_an_open_ticket_to_another_queue_unclaimed(
    bureau: Bureau, query: Query
) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()  # edu-haidian
    await desk.claim(ALICE, number)
    moved = await desk.transfer(ALICE, number, "market", "涉及预收费，转市场监管")
    assert moved == Transferred(number, "edu-haidian", "market")
    assert query("SELECT queue, status, claimed_by FROM tickets") == [("market", "new", None)]
    # The new queue's chat hears of it; the reporter is told "transferred", not where to.
    notices = [m for m in await bureau.tickets.outbox.due(NOW) if m.kind == "ticket_transferred"]
    assert [(m.chat_id, m.data["to_queue"]) for m in notices] == [(MARKET_CHAT, "market")]
    view = await reporter_view(bureau)
    assert view.timeline[-1].what == "transferred" and "market" not in repr(view)
    # Now it is market regulation's: education can no longer act on it.
    assert await desk.claim(ALICE, number) == Denied(Denial.NOT_ALLOWED, number)
    assert isinstance(await desk.claim(DAN, number), Changed)


async def test_transfer_checks_the_target(bureau: Bureau, query: Query) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report("other", "")  # intake
    assert await desk.transfer(FRANK, number, "nowhere") == Denied(Denial.QUEUE_UNKNOWN, number)
    assert await desk.transfer(FRANK, number, "intake") == Denied(Denial.SAME_QUEUE, number)
    # Nobody works the police queue: the ticket would just come back to the duty desk.
    assert await desk.transfer(FRANK, number, "police") == Denied(Denial.QUEUE_UNSTAFFED, number)
    edu = await bureau.report()
    assert await desk.transfer(ALICE, edu, "police") == Transferred(
        edu, "edu-haidian", "intake", redirected=True
    )


async def test_reopen_is_for_supervisors_and_starts_fresh_deadlines(
    bureau: Bureau, query: Query
) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    await desk.claim(ALICE, number)
    await desk.resolve(ALICE, number, Disposition.UNSUBSTANTIATED, "未发现违规")
    await desk.close(ALICE, number)
    assert await desk.reopen(ALICE, number, "家长再次反映") == Denied(Denial.NOT_ALLOWED, number)
    assert await desk.reopen(CAROL, number, "") == Denied(Denial.TEXT_MISSING, number)
    later = bureau.clock.advance(days=3)
    reopened = await desk.reopen(CAROL, number, "家长再次反映，补充了照片")
    assert reopened == Changed(number, Action.REOPEN, S.CLOSED, S.NEW)
    [(status, claimed_by, disposition, outcome, resolved_at, closed_at, claim_due)] = query(
        "SELECT status, claimed_by, disposition, outcome, resolved_at, closed_at, claim_due_at"
        " FROM tickets"
    )
    assert (status, claimed_by, disposition, outcome, resolved_at, closed_at) == (
        "new",
        None,
        None,
        None,
        None,
        None,
    )
    assert claim_due == to_db_time(later + timedelta(hours=24))
    assert await desk.reopen(CAROL, number, "again") == Denied(Denial.STATUS_NOT_ALLOWED, number)


async def test_merge_keeps_the_merged_reports_as_supporting_reports(
    bureau: Bureau, query: Query
) -> None:
    desk = bureau.inspection.desk
    main = await bureau.report(institution="智慧树教育")
    second = await bureau.report(
        institution="智慧树教育科技有限公司", description="周六上午上数学课"
    )
    third = await bureau.report(
        institution="智慧树", description="收了一年学费", wants_updates=True
    )
    await desk.claim(ALICE, main)

    merged = await desk.merge(ALICE, main, [second, third, second])
    assert merged == Merged(main, (second, third))
    assert query("SELECT number, status, disposition FROM tickets ORDER BY id") == [
        (main, "claimed", None),
        (second, "duplicate", "duplicate"),
        (third, "duplicate", "duplicate"),
    ]
    details = await bureau.inspection.views.ticket_details(ALICE, main)
    assert not isinstance(details, Denied)
    assert [(s.ticket_number, s.description) for s in details.supporting] == [
        (second, "周六上午上数学课"),
        (third, "收了一年学费"),
    ]
    source = await bureau.inspection.views.ticket_details(ALICE, second)
    assert not isinstance(source, Denied) and source.merged_into == main
    # The merged report's reporter learns which ticket carries on.
    assert (await reporter_view(bureau, 2)).timeline[-1].note == main
    assert [
        m.data["status"] for m in await bureau.tickets.outbox.due(NOW) if m.kind == "status_changed"
    ] == ["duplicate"]


async def test_a_merge_that_cannot_be_done_whole_is_not_done_at_all(
    bureau: Bureau, query: Query
) -> None:
    desk = bureau.inspection.desk
    main = await bureau.report()
    fine = await bureau.report()
    foreign = await bureau.report("prepaid_fees")  # market regulation's
    before = query("SELECT status FROM tickets ORDER BY id")
    assert await desk.merge(ALICE, main, [fine, foreign]) == Denied(Denial.NOT_ALLOWED, foreign)
    assert await desk.merge(ALICE, main, [main]) == Denied(Denial.MERGE_INTO_ITSELF, main)
    assert await desk.merge(ALICE, main, []) == Denied(Denial.NOTHING_TO_MERGE, main)
    assert query("SELECT status FROM tickets ORDER BY id") == before
    assert query("SELECT COUNT(*) FROM ticket_merges") == [(0,)]
    # An admin may merge across departments.
    assert await desk.merge(ADMIN, main, [fine, foreign]) == Merged(main, (fine, foreign))


async def test_reopening_a_merged_report_detaches_it(bureau: Bureau, query: Query) -> None:
    desk = bureau.inspection.desk
    main, other = await bureau.report(), await bureau.report()
    await desk.merge(BOB, main, [other])
    assert isinstance(await desk.reopen(CAROL, other, "不是同一机构"), Changed)
    assert query("SELECT COUNT(*) FROM ticket_merges") == [(0,)]
    events = query("SELECT kind, public FROM ticket_events WHERE ticket_id = 2 ORDER BY id")
    assert events[-2:] == [("reopened", 1), ("note", 0)]


async def test_every_change_is_audited_with_who_and_what(bureau: Bureau, query: Query) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    await desk.claim(ALICE, number)
    await desk.transfer(ALICE, number, "market")
    rows = query("SELECT at, actor, action, allowed, queue, details FROM staff_audit ORDER BY id")
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        ("inspector:1001", "claim", 1, "edu-haidian"),
        ("inspector:1001", "transfer", 1, "edu-haidian"),
    ]
    assert json.loads(rows[1][5]) == {"to_queue": "market"}
    assert all(r[0].startswith("2026-03-02T01:30") for r in rows)
