from __future__ import annotations

import asyncio
from pathlib import Path

from bot.tickets.lifecycle import StatusChanged
from bot.tickets.model import Reason, Refused, TicketStatus, can_change, inspector

from .conftest import NOW, REPORTER_ID, Desk, Query, file_bytes

ALICE, BOB = inspector("alice"), inspector("bob")


async def test_only_one_inspector_can_claim_a_ticket(desk: Desk, query: Query) -> None:
    number = (await desk.report()).ticket_number
    results = await asyncio.gather(
        desk.lifecycle.claim_ticket(number, ALICE, NOW),
        desk.lifecycle.claim_ticket(number, BOB, NOW),
    )
    assert sorted(type(r).__name__ for r in results) == ["Refused", "StatusChanged"]
    assert Refused(Reason.ALREADY_CLAIMED) in results
    [(claimed_by, status)] = query("SELECT claimed_by, status FROM tickets")
    assert status == "claimed" and claimed_by in (ALICE, BOB)


async def test_status_changes_follow_the_lifecycle(desk: Desk) -> None:
    number = (await desk.report()).ticket_number
    change = desk.lifecycle.change_status
    assert await change(number, TicketStatus.CLOSED, ALICE, NOW) == Refused(
        Reason.STATUS_NOT_ALLOWED
    )
    assert await change(number, TicketStatus.INVESTIGATING, ALICE, NOW) == Refused(
        Reason.STATUS_NOT_ALLOWED
    )
    await desk.lifecycle.claim_ticket(number, ALICE, NOW)
    stale = await change(number, TicketStatus.INVESTIGATING, BOB, NOW, expected=TicketStatus.NEW)
    assert stale == Refused(Reason.STATUS_CHANGED_MEANWHILE)
    assert await change(number, TicketStatus.INVESTIGATING, ALICE, NOW) == StatusChanged(
        number, TicketStatus.CLAIMED, TicketStatus.INVESTIGATING
    )
    assert isinstance(await change(number, TicketStatus.RESOLVED, ALICE, NOW), StatusChanged)
    assert isinstance(await change(number, TicketStatus.CLOSED, ALICE, NOW), StatusChanged)
    assert await change("SJ-2026-999999", TicketStatus.CLOSED, ALICE, NOW) == Refused(
        Reason.TICKET_UNKNOWN
    )


async def test_a_released_ticket_can_be_claimed_again(desk: Desk, query: Query) -> None:
    number = (await desk.report()).ticket_number
    await desk.lifecycle.claim_ticket(number, ALICE, NOW)
    released = await desk.lifecycle.change_status(number, TicketStatus.NEW, ALICE, NOW)
    assert isinstance(released, StatusChanged)
    assert isinstance(await desk.lifecycle.claim_ticket(number, BOB, NOW), StatusChanged)
    assert query("SELECT claimed_by FROM tickets") == [(BOB,)]


def test_closed_is_final_and_outcomes_lead_to_closed() -> None:
    assert not any(can_change(TicketStatus.CLOSED, s) for s in TicketStatus)
    for outcome in ("resolved", "rejected", "duplicate", "transferred"):
        assert can_change(TicketStatus(outcome), TicketStatus.CLOSED)


async def test_opted_in_reporters_get_notices_until_the_ticket_closes(
    desk: Desk, query: Query
) -> None:
    accepted = await desk.report(wants_updates=True)
    number = accepted.ticket_number
    [(sealed_chat,)] = query("SELECT sealed_chat FROM notify_links")
    assert str(REPORTER_ID) not in sealed_chat

    await desk.lifecycle.claim_ticket(number, ALICE, NOW)
    await desk.lifecycle.change_status(number, TicketStatus.RESOLVED, ALICE, NOW)
    # The decision's notice asks for the reporter's verdict (回访) in the same message.
    kinds = ("status_changed", "verdict_asked")
    notices = [m for m in await desk.outbox.due(NOW) if m.kind in kinds]
    assert [(m.chat_id, m.kind, m.data["status"]) for m in notices] == [
        (REPORTER_ID, "status_changed", "claimed"),
        (REPORTER_ID, "verdict_asked", "resolved"),
    ]
    assert all(m.data["ticket_number"] == number for m in notices)

    await desk.lifecycle.change_status(number, TicketStatus.CLOSED, ALICE, NOW)
    assert query("SELECT COUNT(*) FROM notify_links") == [(0,)]
    closing = [m for m in await desk.outbox.due(NOW) if m.data.get("status") == "closed"]
    assert [m.chat_id for m in closing] == [REPORTER_ID]


async def test_without_opt_in_nothing_links_the_ticket_to_a_chat(desk: Desk, query: Query) -> None:
    accepted = await desk.report(wants_updates=False)
    await desk.outbox.mark_delivered(accepted.receipt_message_key, NOW)
    await desk.lifecycle.claim_ticket(accepted.ticket_number, ALICE, NOW)
    assert query("SELECT COUNT(*) FROM notify_links") == [(0,)]
    assert await desk.outbox.due(NOW) == []


async def test_notices_can_be_switched_on_and_off_with_the_code(desk: Desk, query: Query) -> None:
    accepted = await desk.report()
    me = desk.reporter_key(REPORTER_ID)
    on = await desk.reporters.notify_me(accepted.receipt_code, me, REPORTER_ID, NOW)
    assert not isinstance(on, Refused)
    assert query("SELECT COUNT(*) FROM notify_links") == [(1,)]
    off = await desk.reporters.stop_notifications(accepted.receipt_code, me, NOW)
    assert not isinstance(off, Refused) and off.added
    assert query("SELECT COUNT(*) FROM notify_links") == [(0,)]
    assert query("SELECT kind, public FROM ticket_events WHERE kind LIKE 'notify%'") == [
        ("notify_on", 0),
        ("notify_off", 0),
    ]


async def test_the_chat_id_is_encrypted_on_disk(desk: Desk, db_path: Path) -> None:
    await desk.report(wants_updates=True)
    wal = db_path.with_name(db_path.name + "-wal")
    assert str(REPORTER_ID).encode() not in file_bytes(db_path, wal)
