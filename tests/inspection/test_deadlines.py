"""Reminders and escalations with a clock the test moves, across restarts."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from bot.inspection.deadlines import DeadlineNotice, NoticeKind
from bot.privacy import PrivacyKeys
from bot.store.base import TicketRecord
from tests.conftest import Reopen

from .conftest import (
    ALICE,
    DUTY_CHAT,
    EDU_SUPERVISORS_CHAT,
    HAIDIAN_CHAT,
    MARKET_CHAT,
    NOW,
    Bureau,
    Clock,
    Query,
    build_bureau,
)

R, E = NoticeKind.REMIND_CLAIM, NoticeKind.ESCALATE_CLAIM


def kinds(notices: list[DeadlineNotice]) -> list[tuple[NoticeKind, str, int | None]]:
    return [(n.kind, n.ticket_number, n.chat_id) for n in notices]


async def due(bureau: Bureau, **after: float) -> list[DeadlineNotice]:
    return await bureau.inspection.deadlines.due_notifications(bureau.clock.advance(**after))


async def test_remind_before_the_claim_deadline_escalate_after_it(
    bureau: Bureau, query: Query
) -> None:
    number = await bureau.report()  # edu-haidian: claim within 24 h, reminder 4 h before
    assert await due(bureau, hours=19) == []
    assert kinds(await due(bureau, hours=1)) == [(R, number, HAIDIAN_CHAT)]
    assert await due(bureau, hours=1) == []  # once only
    escalated = await due(bureau, hours=4, minutes=1)
    assert kinds(escalated) == [(E, number, EDU_SUPERVISORS_CHAT)]
    assert await due(bureau, hours=12) == []
    claim_due = NOW + timedelta(hours=24)
    assert query("SELECT kind, dedupe_key FROM outbox WHERE kind LIKE 'deadline%'") == [
        ("deadline_reminder", f"remind:claim:{number}:{claim_due.isoformat(timespec='seconds')}"),
        (
            "deadline_escalation",
            f"escalate:claim:{number}:{claim_due.isoformat(timespec='seconds')}",
        ),
    ]
    assert query("SELECT kind, public, actor FROM ticket_events WHERE kind LIKE 'deadline%'") == [
        ("deadline_reminder", 0, "system"),
        ("deadline_escalation", 0, "system"),
    ]


async def test_a_claimed_ticket_gets_resolve_reminders_instead(bureau: Bureau) -> None:
    number = await bureau.report()
    await bureau.inspection.desk.claim(ALICE, number)
    assert await due(bureau, days=2) == []  # claimed in time: nothing about claiming
    [ticket] = await _tickets(bureau)
    assert ticket.resolve_due_at is not None
    bureau.clock.now = ticket.resolve_due_at - timedelta(hours=47)
    assert kinds(await bureau.inspection.deadlines.due_notifications(bureau.clock())) == [
        (NoticeKind.REMIND_RESOLVE, number, HAIDIAN_CHAT)
    ]
    assert kinds(await due(bureau, hours=48)) == [
        (NoticeKind.ESCALATE_RESOLVE, number, EDU_SUPERVISORS_CHAT)
    ]
    assert await due(bureau, days=30) == []


async def test_a_restart_neither_repeats_nor_loses_notices(
    bureau: Bureau, reopen: Reopen, keys: PrivacyKeys, query: Query
) -> None:
    first = await bureau.report()
    second = await bureau.report("prepaid_fees", "朝阳区")  # market
    assert kinds(await due(bureau, hours=21)) == [
        (R, first, HAIDIAN_CHAT),
        (R, second, MARKET_CHAT),
    ]
    await bureau.store.close()

    # Down for a day: the bot comes back long after both deadlines passed.
    clock = Clock(NOW + timedelta(hours=45))
    store = await reopen()
    try:
        restarted = build_bureau(store, keys, clock)
        after = await restarted.inspection.deadlines.due_notifications(clock())
        assert kinds(after) == [(E, first, EDU_SUPERVISORS_CHAT), (E, second, MARKET_CHAT)]
        assert await restarted.inspection.deadlines.due_notifications(clock()) == []
        # A third process start, same moment: still nothing twice.
        again = build_bureau(store, keys, clock)
        assert await again.inspection.deadlines.due_notifications(clock()) == []
    finally:
        await store.close()
    assert query("SELECT COUNT(*) FROM outbox WHERE kind LIKE 'deadline%'") == [(4,)]


async def test_a_reminder_whose_moment_was_missed_is_skipped_not_sent_late(
    bureau: Bureau, query: Query
) -> None:
    number = await bureau.report()
    assert kinds(await due(bureau, hours=30)) == [(E, number, EDU_SUPERVISORS_CHAT)]
    assert query("SELECT kind, outcome FROM deadline_notices ORDER BY kind") == [
        ("escalate_claim", "queued"),
        ("remind_claim", "skipped"),
    ]


async def test_a_moved_deadline_gets_notices_of_its_own(bureau: Bureau) -> None:
    number = await bureau.report()
    assert kinds(await due(bureau, hours=21)) == [(R, number, HAIDIAN_CHAT)]
    await bureau.inspection.desk.transfer(ALICE, number, "market")  # claim within 24 h from now
    assert await due(bureau, hours=10) == []
    assert kinds(await due(bureau, hours=10)) == [(R, number, MARKET_CHAT)]


async def test_without_a_chat_the_notice_is_recorded_and_reported_as_unsent(
    bureau: Bureau, query: Query
) -> None:
    number = await bureau.report("unlicensed")  # the joint group has no chat set
    notices = await due(bureau, hours=21)
    assert kinds(notices) == [(R, number, None)] and notices[0].send_at is None
    assert query("SELECT outcome FROM deadline_notices") == [("no_chat",)]
    assert await due(bureau, hours=1) == []


async def test_escalations_go_to_the_queue_chat_when_a_department_has_no_supervisors_chat(
    bureau: Bureau,
) -> None:
    number = await bureau.report("other")  # the duty desk
    assert kinds(await due(bureau, hours=25))[-1] == (E, number, DUTY_CHAT)


async def test_bursts_to_one_group_are_spaced_to_twenty_a_minute(bureau: Bureau) -> None:
    for _ in range(30):
        await bureau.report()
    notices = await due(bureau, hours=21)
    times = [n.send_at for n in notices if n.send_at is not None]
    assert len(times) == 30 and times[0] == bureau.clock()
    assert {(b - a).total_seconds() for a, b in itertools.pairwise(times)} == {3.0}
    # Sixty seconds hold at most twenty of them.
    assert sum(1 for t in times if t < times[0] + timedelta(seconds=60)) == 20


async def _tickets(bureau: Bureau) -> list[TicketRecord]:
    async with bureau.store.transaction() as tx:
        return await tx.queue_tickets(["edu-haidian"], 10, 0)


async def test_instances_watching_at_once_queue_each_notice_and_digest_once(
    bureau: Bureau, reopen: Reopen, keys: PrivacyKeys, query: Query
) -> None:
    """Every instance runs the deadline watch; the notices' keys make that safe without a lock."""
    numbers = [await bureau.report() for _ in range(6)]
    clock = Clock(NOW + timedelta(hours=20))
    stores = [await reopen(busy_timeout_ms=10_000) for _ in range(3)]
    try:
        instances = [build_bureau(s, keys, clock) for s in (bureau.store, *stores)]
        rounds = await asyncio.gather(
            *(i.inspection.deadlines.due_notifications(clock()) for i in instances for _ in "ab")
        )
        digests = await asyncio.gather(
            *(i.inspection.reports.send_daily_digests(clock()) for i in instances)
        )
    finally:
        for store in stores:
            await store.close()
    queued = [n.ticket_number for batch in rounds for n in batch]
    assert sorted(queued) == sorted(numbers)  # one reminder each, whoever sent it
    assert [d.department for batch in digests for d in batch] == ["education"]
    assert query("SELECT COUNT(*) FROM outbox WHERE kind = 'deadline_reminder'") == [(6,)]
    assert query("SELECT COUNT(*) FROM outbox WHERE kind = 'daily_digest'") == [(1,)]
