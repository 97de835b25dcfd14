from __future__ import annotations

from datetime import timedelta

from bot.inspection.model import Denied, Disposition, QueuePage, TicketDetails
from bot.privacy import reporter_key

from .conftest import ALICE, AUDITOR, BOB, CAROL, DAN, NOW, REPORTER_ID, Bureau, Query, photo


async def test_queue_pages_show_open_tickets_oldest_first(bureau: Bureau) -> None:
    numbers = []
    for _ in range(23):
        numbers.append(await bureau.report())
        bureau.clock.advance(minutes=1)
    await bureau.inspection.desk.resolve(
        ALICE, numbers[0], Disposition.NOT_IN_SCOPE, "不属于本部门"
    )
    views = bureau.inspection.views

    first = await views.open_tickets(ALICE)
    assert isinstance(first, QueuePage)
    assert (first.total, first.pages, first.page, first.queues) == (22, 3, 0, ("edu-haidian",))
    assert [i.ticket_number for i in first.items] == numbers[1:11]
    last = await views.open_tickets(ALICE, page=99)  # past the end: the last page
    assert isinstance(last, QueuePage) and last.page == 2
    assert [i.ticket_number for i in last.items] == numbers[21:]
    # A supervisor sees every queue of the department; an empty queue is an empty page.
    assert isinstance(page := await views.open_tickets(CAROL, queue="edu-city"), QueuePage)
    assert (page.total, page.items) == (0, ())


async def test_my_tickets_lists_what_i_hold(bureau: Bureau) -> None:
    desk = bureau.inspection.desk
    mine, theirs, _ = [await bureau.report() for _ in range(3)]
    await desk.claim(ALICE, mine)
    await desk.claim(BOB, theirs)
    page = await bureau.inspection.views.my_tickets(ALICE)
    assert isinstance(page, QueuePage)
    assert [i.ticket_number for i in page.items] == [mine]
    assert page.items[0].claimed_by == "inspector:1001"


async def test_overdue_tickets_are_marked(bureau: Bureau) -> None:
    number = await bureau.report()
    bureau.clock.advance(hours=25)
    page = await bureau.inspection.views.open_tickets(ALICE)
    assert isinstance(page, QueuePage)
    assert [(i.ticket_number, i.overdue) for i in page.items] == [(number, True)]


async def test_details_show_everything_staff_need_and_nothing_about_the_reporter(
    bureau: Bureau, query: Query
) -> None:
    number = await bureau.report(
        answers={"address": "中关村大街1号", "when": "每周六上午"},
        wants_updates=True,
        evidence=(photo(1), photo(2)),
    )
    desk = bureau.inspection.desk
    await desk.claim(ALICE, number)
    await desk.ask_reporter(ALICE, number, "老师姓什么？")
    await desk.add_note(ALICE, number, "明天去现场")

    details = await bureau.inspection.views.ticket_details(AUDITOR, number)
    assert isinstance(details, TicketDetails)
    assert details.summary.queue == "edu-haidian" and details.summary.status == "awaiting_reporter"
    assert details.answers == {"address": "中关村大街1号", "when": "每周六上午"}
    assert [(t.kind, t.public) for t in details.timeline] == [
        ("received", True),
        ("claimed", True),
        ("question_asked", True),
        ("status_changed", True),
        ("note", False),
    ]
    assert details.timeline[0].actor == "reporter"
    assert [q.question for q in details.questions] == ["老师姓什么？"]
    assert details.reporter_notified is True
    assert [(f.filename, f.size) for f in details.evidence] == [("p1.jpg", 10), ("p2.jpg", 10)]
    shown = repr(details)
    assert str(REPORTER_ID) not in shown
    assert reporter_key(bureau.keys.pepper, REPORTER_ID) not in shown
    # Looking is audited: who looked at which ticket, when.
    assert query("SELECT actor, action, ticket_id FROM staff_audit WHERE action = 'view'") == [
        ("inspector:9002", "view", 1)
    ]


async def test_the_audit_log_is_readable_by_auditors_and_reading_it_is_audited(
    bureau: Bureau,
) -> None:
    number = await bureau.report()
    await bureau.inspection.desk.claim(ALICE, number)
    await bureau.inspection.desk.claim(DAN, number)  # refused
    log = await bureau.inspection.views.audit_log(AUDITOR, NOW, NOW + timedelta(seconds=1))
    assert not isinstance(log, Denied)
    assert [(e.actor, e.action, e.allowed) for e in log] == [
        ("inspector:1001", "claim", True),
        ("inspector:2001", "claim", False),
    ]
    again = await bureau.inspection.views.audit_log(AUDITOR, NOW, NOW + timedelta(seconds=1))
    assert not isinstance(again, Denied)
    assert again[-1].action == "audit_log" and again[-1].actor == "inspector:9002"
