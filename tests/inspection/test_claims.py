from __future__ import annotations

import asyncio

import pytest

from bot.inspection.access import Action
from bot.inspection.model import Changed, Denial, Denied, Disposition
from bot.inspection.settings import Department, InspectionSettings, Member, QueueSettings
from bot.tickets.model import TicketStatus
from tests.conftest import Reopen

from .conftest import ALICE, BOB, CAROL, Bureau, Clock, Query, build_bureau, organisation


def fifty_inspectors() -> InspectionSettings:
    """The education department with 50 more inspectors."""
    base = organisation()
    many = tuple(Member(10_000 + i) for i in range(50))
    departments = tuple(
        Department(d.id, d.name, d.queues, d.members + many, d.supervisors_chat_id)
        if d.id == "education"
        else d
        for d in base.departments
    )
    return InspectionSettings(departments=departments, members=base.members)


async def test_fifty_concurrent_claims_have_exactly_one_winner(
    bureau: Bureau, query: Query, clock: Clock
) -> None:
    inspectors = build_bureau(bureau.store, bureau.keys, clock, fifty_inspectors())
    number = await bureau.report()
    claimers = [10_000 + i for i in range(50)]

    results = await asyncio.gather(*(inspectors.inspection.desk.claim(u, number) for u in claimers))

    winners = [(u, r) for u, r in zip(claimers, results, strict=True) if isinstance(r, Changed)]
    assert len(winners) == 1
    winner, won = winners[0]
    assert won == Changed(number, Action.CLAIM, TicketStatus.NEW, TicketStatus.CLAIMED)
    holder = f"inspector:{winner}"
    losers = [r for r in results if not isinstance(r, Changed)]
    assert losers == [Denied(Denial.ALREADY_CLAIMED, number, holder)] * 49
    assert query("SELECT claimed_by, status FROM tickets") == [(holder, "claimed")]
    assert query("SELECT COUNT(*) FROM ticket_events WHERE kind = 'claimed'") == [(1,)]
    assert query("SELECT allowed, COUNT(*) FROM staff_audit GROUP BY allowed ORDER BY 1") == [
        (0, 49),
        (1, 1),
    ]


async def test_several_processes_claiming_at_once_still_have_one_winner(
    bureau: Bureau, reopen: Reopen, clock: Clock, query: Query
) -> None:
    """Five bot processes (five connections to the file), ten inspectors pressing in each."""
    number = await bureau.report()
    stores = [await reopen(busy_timeout_ms=10_000) for _ in range(5)]
    try:
        desks = [
            build_bureau(s, bureau.keys, clock, fifty_inspectors()).inspection.desk for s in stores
        ]
        results = await asyncio.gather(*(desks[i % 5].claim(10_000 + i, number) for i in range(50)))
    finally:
        for opened in stores:
            await opened.close()
    assert sum(isinstance(r, Changed) for r in results) == 1
    [(holder,)] = query("SELECT claimed_by FROM tickets")
    assert [r for r in results if isinstance(r, Denied)] == [
        Denied(Denial.ALREADY_CLAIMED, number, holder)
    ] * 49


async def test_the_compare_and_set_decides_even_when_the_check_read_a_stale_ticket(
    bureau: Bureau, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    await desk.claim(ALICE, number)
    # As if BOB's permission check had read the ticket before ALICE's claim landed.
    monkeypatch.setattr(desk.access, "refusal", lambda *_: None)
    assert await desk.claim(BOB, number) == Denied(Denial.ALREADY_CLAIMED, number, "inspector:1001")
    assert query("SELECT claimed_by FROM tickets") == [("inspector:1001",)]
    assert query("SELECT COUNT(*) FROM ticket_events WHERE kind = 'claimed'") == [(1,)]


async def test_release_gives_the_ticket_back_to_the_queue(bureau: Bureau, query: Query) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    await desk.claim(ALICE, number)
    await desk.investigate(ALICE, number)
    assert await desk.release(BOB, number) == Denied(Denial.NOT_YOURS, number, "inspector:1001")
    released = await desk.release(ALICE, number)
    assert released == Changed(number, Action.RELEASE, TicketStatus.INVESTIGATING, TicketStatus.NEW)
    assert query("SELECT claimed_by, claimed_at, status FROM tickets") == [(None, None, "new")]
    assert await desk.release(ALICE, number) == Denied(Denial.NOT_CLAIMED, number)
    assert isinstance(await desk.claim(BOB, number), Changed)


async def test_only_the_holder_works_a_claimed_ticket_unless_a_supervisor_steps_in(
    bureau: Bureau,
) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    await desk.claim(ALICE, number)
    not_yours = Denied(Denial.NOT_YOURS, number, "inspector:1001")
    assert await desk.investigate(BOB, number) == not_yours
    assert await desk.ask_reporter(BOB, number, "地址？") == not_yours
    # Anyone in the queue may leave an internal note.
    assert not isinstance(await desk.add_note(BOB, number, "我认识这家机构"), Denied)
    # The supervisor may take it back, e.g. when the holder is away.
    assert isinstance(await desk.release(CAROL, number), Changed)


async def test_claiming_needs_a_new_ticket(bureau: Bureau) -> None:
    desk = bureau.inspection.desk
    number = await bureau.report()
    assert await desk.investigate(ALICE, number) == Denied(Denial.NOT_CLAIMED, number)
    await desk.resolve(ALICE, number, Disposition.NOT_IN_SCOPE, "不属于校外培训")
    assert await desk.claim(BOB, number) == Denied(Denial.STATUS_NOT_ALLOWED, number)
    assert await desk.claim(ALICE, "SJ-2026-999999") == Denied(
        Denial.TICKET_UNKNOWN, "SJ-2026-999999"
    )


def test_queue_members_are_plain_members() -> None:
    # Listing a member in a queue makes them staff of that queue only.
    queue = QueueSettings("edu-haidian", "海淀区教育局", members=(Member(ALICE),))
    assert queue.members[0].role == "inspector"
