from __future__ import annotations

import asyncio
import re
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import pytest

from bot.privacy import PrivacyKeys
from bot.store.base import NotSaved, StoreBusy, StoredFile
from bot.store.sql import SqlTransaction
from bot.tickets.model import (
    Reason,
    Refused,
    ReportAccepted,
    ReportDraft,
    ReportRepeated,
)
from bot.tickets.settings import ReportLimits, TicketSettings
from tests.conftest import Reopen, WriteLock, sqlite_only

from .conftest import NOW, REPORTER_ID, Desk, Query, build_desk

PHOTO = StoredFile("photo.jpg", "image/jpeg", "11" * 32, True, b"\xff\xd8\xff cleaned photo")


async def confirmed_draft(desk: Desk, telegram_id: int = REPORTER_ID) -> ReportDraft:
    key = desk.reporter_key(telegram_id)
    started = await desk.drafts.start(key, NOW)
    draft = replace(started, category="disguised", description="周末以研学名义上数学课")
    await desk.drafts.save(key, draft, NOW)
    loaded = await desk.drafts.add_evidence(key, PHOTO, NOW)
    assert isinstance(loaded, ReportDraft)
    return loaded


async def submit(desk: Desk, draft: ReportDraft, idempotency_key: str = "draft:1") -> Any:
    key = desk.reporter_key(REPORTER_ID)
    return await desk.intake.submit_report(
        draft, key, idempotency_key, NOW, reply_chat_id=REPORTER_ID
    )


async def test_a_report_becomes_one_ticket_with_everything_around_it(
    desk: Desk, query: Query
) -> None:
    result = await submit(desk, await confirmed_draft(desk))

    assert isinstance(result, ReportAccepted)
    assert result.ticket_number == "SJ-2026-000001"
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", result.receipt_code)
    assert query("SELECT number, status, category FROM tickets") == [
        ("SJ-2026-000001", "new", "disguised")
    ]
    assert query("SELECT kind, actor, public FROM ticket_events") == [("received", "reporter", 1)]
    assert query("SELECT filename, mime FROM attachments") == [("photo.jpg", "image/jpeg")]
    assert query("SELECT kind, sealed FROM outbox") == [("receipt", 1)]
    assert query("SELECT COUNT(*) FROM drafts") == [(0,)]
    assert query("SELECT COUNT(*) FROM draft_files") == [(0,)]


async def test_the_receipt_code_is_stored_only_as_a_slow_hash(desk: Desk, query: Query) -> None:
    result = await submit(desk, await confirmed_draft(desk))
    assert isinstance(result, ReportAccepted)
    digits = result.receipt_code.replace(" ", "")
    [(lookup, code_hash)] = query("SELECT lookup, code_hash FROM receipt_codes")
    assert code_hash.startswith("scrypt$") and digits not in code_hash
    assert len(lookup) == desk.settings.receipts.lookup_chars and lookup not in digits
    dump = "\n".join(str(row) for row in query("SELECT * FROM outbox"))
    assert digits not in dump and result.receipt_code not in dump


async def test_the_same_submission_twice_gives_one_ticket(desk: Desk, query: Query) -> None:
    draft = await confirmed_draft(desk)
    first = await submit(desk, draft)
    again = await submit(desk, draft)

    assert isinstance(first, ReportAccepted)
    assert again == ReportRepeated(first.ticket_number, receipt_pending=True)
    assert query("SELECT COUNT(*) FROM tickets") == [(1,)]
    assert query("SELECT COUNT(*) FROM receipt_codes") == [(1,)]
    # The lost reply is made good by the outbox, right away instead of after the grace period.
    [(not_before,)] = query("SELECT not_before FROM outbox WHERE kind = 'receipt'")
    assert datetime.fromisoformat(not_before) == NOW


async def test_a_repeat_after_delivery_says_so(desk: Desk) -> None:
    draft = await confirmed_draft(desk)
    first = await submit(desk, draft)
    assert isinstance(first, ReportAccepted)
    assert await desk.outbox.mark_delivered(first.receipt_message_key, NOW)
    assert await submit(desk, draft) == ReportRepeated(first.ticket_number, receipt_pending=False)


async def test_a_double_press_at_the_same_moment_gives_one_ticket(desk: Desk, query: Query) -> None:
    draft = await confirmed_draft(desk)
    results = await asyncio.gather(submit(desk, draft), submit(desk, draft))
    assert sorted(type(r).__name__ for r in results) == ["ReportAccepted", "ReportRepeated"]
    assert query("SELECT COUNT(*) FROM tickets") == [(1,)]


async def test_two_processes_submitting_together_give_one_ticket(
    desk: Desk, reopen: Reopen, keys: PrivacyKeys, settings: TicketSettings, query: Query
) -> None:
    second_store = await reopen(busy_timeout_ms=5000)
    try:
        other = build_desk(second_store, keys, settings)
        draft = await confirmed_draft(desk)
        results = await asyncio.gather(submit(desk, draft), submit(other, draft))
    finally:
        await second_store.close()
    assert sorted(type(r).__name__ for r in results) == ["ReportAccepted", "ReportRepeated"]
    assert query("SELECT COUNT(*) FROM tickets") == [(1,)]


async def test_a_crash_midway_leaves_no_trace(
    desk: Desk, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = await confirmed_draft(desk)

    async def crash(self: SqlTransaction, *args: object) -> None:
        raise RuntimeError("power cut between the writes")

    monkeypatch.setattr(SqlTransaction, "enqueue", crash)
    with pytest.raises(RuntimeError):
        await submit(desk, draft)
    for table in ("tickets", "receipt_codes", "ticket_events", "attachments", "outbox"):
        assert query(f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert query("SELECT COUNT(*) FROM ticket_counters") == [(0,)]
    assert query("SELECT COUNT(*) FROM throttles") == [(0,)]
    assert query("SELECT COUNT(*) FROM draft_files") == [(1,)]  # the draft is still there

    monkeypatch.undo()
    result = await submit(desk, draft)
    assert isinstance(result, ReportAccepted) and result.ticket_number == "SJ-2026-000001"


async def test_a_database_locked_by_another_writer_means_not_saved(
    desk: Desk, query: Query, write_lock: WriteLock
) -> None:
    draft = await confirmed_draft(desk)
    async with write_lock():
        with pytest.raises(StoreBusy) as caught:
            await submit(desk, draft)
    assert isinstance(caught.value, NotSaved)  # the handler can say "NOT saved, try again"
    assert query("SELECT COUNT(*) FROM tickets") == [(0,)]
    retry = await submit(desk, draft)
    assert isinstance(retry, ReportAccepted)  # the first attempt left nothing to repeat


@sqlite_only
async def test_a_locked_database_at_commit_means_not_saved(
    desk: Desk, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = await confirmed_draft(desk)
    real = aiosqlite.Connection.execute_fetchall

    def locked(self: aiosqlite.Connection, sql: str, params: Any = None) -> Any:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database is locked")
        return real(self, sql, params)

    monkeypatch.setattr(aiosqlite.Connection, "execute_fetchall", locked)
    with pytest.raises(StoreBusy) as caught:
        await submit(desk, draft)
    assert isinstance(caught.value, NotSaved)  # the handler can say "NOT saved, try again"
    monkeypatch.undo()

    assert query("SELECT COUNT(*) FROM tickets") == [(0,)]
    retry = await submit(desk, draft)
    assert isinstance(retry, ReportAccepted)  # the first attempt left nothing to repeat


async def test_reports_per_hour_are_limited(desk: Desk, settings: TicketSettings) -> None:
    limited = replace(settings, limits=ReportLimits(reports_per_hour=2, reports_per_day=5))
    desk = build_desk(desk.store, desk.keys, limited)
    key = desk.reporter_key(REPORTER_ID)
    draft = ReportDraft(draft_id="x", description="同一机构再次违规")
    for i in range(2):
        result = await desk.intake.submit_report(
            draft, key, f"k{i}", NOW, reply_chat_id=REPORTER_ID
        )
        assert isinstance(result, ReportAccepted)
    third = await desk.intake.submit_report(draft, key, "k2", NOW, reply_chat_id=REPORTER_ID)
    assert third == Refused(Reason.TOO_MANY_REPORTS_HOUR, retry_after_minutes=30)
    assert await desk.intake.can_report(key, NOW) == third
    # A repeat of an accepted submission is still recognised while the limit is full.
    repeat = await desk.intake.submit_report(draft, key, "k1", NOW, reply_chat_id=REPORTER_ID)
    assert isinstance(repeat, ReportRepeated)
    # Someone else is not affected; and the hour passes.
    other = desk.reporter_key(REPORTER_ID + 1)
    assert await desk.intake.can_report(other, NOW) is None
    assert await desk.intake.can_report(key, NOW + timedelta(minutes=31)) is None


async def test_an_empty_or_overlong_report_is_refused(desk: Desk) -> None:
    key = desk.reporter_key(REPORTER_ID)
    empty = ReportDraft(draft_id="e", description="   ")
    long = ReportDraft(draft_id="l", description="长" * 5000)
    result = await desk.intake.submit_report(empty, key, "e", NOW, reply_chat_id=1)
    assert result == Refused(Reason.DESCRIPTION_MISSING)
    result = await desk.intake.submit_report(long, key, "l", NOW, reply_chat_id=1)
    assert result == Refused(Reason.TEXT_TOO_LONG)


async def test_the_duty_chat_hears_of_new_tickets_without_the_reporter(
    desk: Desk, settings: TicketSettings
) -> None:
    desk = build_desk(desk.store, desk.keys, replace(settings, duty_chat_id=-100123))
    accepted = await desk.report()
    [notice] = [m for m in await desk.outbox.due(NOW) if m.kind == "new_ticket"]
    assert notice.chat_id == -100123
    assert notice.data == {
        "ticket_number": accepted.ticket_number,
        "category": "disguised",
        "district": "海淀区",
    }


async def test_ticket_years_follow_beijing_time(desk: Desk) -> None:
    new_year_eve_utc = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 Jan in Beijing
    accepted = await desk.report(now=new_year_eve_utc)
    assert accepted.ticket_number == "SJ-2027-000001"
