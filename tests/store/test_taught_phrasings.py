"""Taught phrasings (the database's overlay on the knowledge base) on both backends: stored once,
undone, versioned; refused when kb check would fail them; seen by other instances within the
refresh interval where the database is shared."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from bot.config import load_config
from bot.faq import FaqService
from bot.inspection.audit import AuditTrail
from bot.inspection.organisation import Organisation
from bot.inspection.settings import InspectionSettings, Member
from bot.questions import QuestionLog
from bot.store.base import Store
from bot.teaching import Teaching
from tests.conftest import Reopen
from tests.store.conftest import NOW, Query

SUPERVISOR = 7001
INSPECTOR = 7002
ENTRY = "homework.group_checkins"
MISSED = "班级小管家每天要交口算截图"
REFRESH = timedelta(seconds=5)


@cache
def shipped_faq() -> FaqService:
    return FaqService.from_config(load_config(None, environ={}))


def teaching(store: Store, clock: Callable[[], datetime]) -> Teaching:
    members = (Member(SUPERVISOR, "supervisor"), Member(INSPECTOR, "inspector"))
    organisation = Organisation.fixed(InspectionSettings(members=members))
    audit = AuditTrail(store, organisation, b"pepper" * 6)
    return Teaching(store, shipped_faq(), organisation, audit, clock, REFRESH)


async def missed(store: Store, question: str) -> int:
    """The question log's id for ``question`` asked and not answered."""
    log = QuestionLog(store)
    log.clock = lambda: NOW
    await log.record(question, "none", None, "asker", "zh")
    async with store.transaction(readonly=True) as tx:
        [entry] = [
            e
            for e in await tx.faq_log(NOW - timedelta(days=1), ["unanswered"])
            if e.question == question
        ]
    assert entry.id is not None
    return entry.id


async def test_a_phrasing_is_stored_once_undone_and_versioned(store: Store) -> None:
    async with store.transaction() as tx:
        first = await tx.add_taught_phrasing(ENTRY, MISSED, "staff:1", NOW)
        again = await tx.add_taught_phrasing(ENTRY, MISSED, "staff:1", NOW)
    assert first is not None and again is None
    async with store.transaction() as tx:
        assert await tx.taught_version() == 1
        undone = await tx.undo_taught_phrasing(first, "staff:1", NOW)
        assert undone is not None and (undone.entry_id, undone.phrasing) == (ENTRY, MISSED)
        assert await tx.undo_taught_phrasing(first, "staff:1", NOW) is None
    async with store.transaction(readonly=True) as tx:
        assert await tx.taught_version() == 2
        assert await tx.live_taught_phrasings() == []
    # Undone, the same text may be taught again.
    async with store.transaction() as tx:
        assert await tx.add_taught_phrasing(ENTRY, MISSED, "staff:1", NOW) is not None


async def test_a_phrasing_kb_check_would_fail_is_refused_and_nothing_is_written(
    store: Store, query: Query
) -> None:
    teacher = teaching(store, lambda: NOW)
    # Another entry's own question, taught to the wrong entry.
    claimed = shipped_faq().kb.entries["training.holidays_ban"].question.zh
    log_id = await missed(store, claimed)
    refused = await teacher.teach(SUPERVISOR, log_id, "five.sleep")
    assert refused.outcome == "refused" and "training.holidays_ban" in refused.reason
    assert (await teacher.teach(INSPECTOR, log_id, ENTRY)).outcome == "not_allowed"
    assert (await teacher.teach(SUPERVISOR, log_id, "no.such_entry")).outcome == "unknown"
    assert query("SELECT COUNT(*) FROM taught_phrasings") == [(0,)]
    assert query("SELECT version FROM taught_version") in ([], [(0,)])
    assert query("SELECT COUNT(*) FROM staff_audit WHERE action LIKE 'teach%'") == [(0,)]
    assert teacher.faq.matcher.match(claimed).entry_id == "training.holidays_ban"


async def test_another_instance_answers_a_taught_phrasing_within_the_refresh(
    store: Store, reopen: Reopen
) -> None:
    now = [NOW]
    first = teaching(store, lambda: now[0])
    other_store = await reopen() if not store.exclusive else store
    try:
        second = teaching(other_store, lambda: now[0])
        assert (await second.current()).matcher.match(MISSED).entry_id is None
        log_id = await missed(store, MISSED)
        assert (await first.teach(SUPERVISOR, log_id, ENTRY)).outcome == "taught"
        assert first.faq.matcher.match(MISSED).entry_id == ENTRY  # at once where it was taught
        now[0] += REFRESH - timedelta(seconds=1)
        assert (await second.current()).matcher.match(MISSED).entry_id is None
        now[0] += timedelta(seconds=1)
        seen = (await second.current()).matcher.match(MISSED).entry_id
        # Where this process is the only writer (SQLite), nobody else teaches: no second look.
        assert seen == (None if store.exclusive else ENTRY)
    finally:
        if other_store is not store:
            await other_store.close()
