from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.privacy import PrivacyKeys
from bot.store.base import Store, StoredFile
from bot.tickets.drafts import ReportDrafts
from bot.tickets.model import Reason, Refused, ReportDraft
from bot.tickets.settings import ReportLimits
from tests.conftest import Reopen

from .conftest import NOW, REPORTER_ID, Desk, Query


def photo(n: int) -> StoredFile:
    return StoredFile(f"p{n}.jpg", "image/jpeg", f"{n:064x}", True, bytes([n]) * 10)


async def test_a_restart_resumes_where_the_reporter_was(desk: Desk, reopen: Reopen) -> None:
    key = desk.reporter_key(REPORTER_ID)
    draft = await desk.drafts.start(key, NOW)
    draft = replace(
        draft,
        step="description",
        category="teacher_paid",
        answers={"when": "每周三晚上"},
        wants_updates=True,
    )
    await desk.drafts.save(key, draft, NOW)
    await desk.drafts.add_evidence(key, photo(1), NOW)
    await desk.store.close()

    reopened = await reopen()
    try:
        loaded = await ReportDrafts(reopened, ReportLimits()).load(key)
    finally:
        await reopened.close()
    assert loaded is not None
    assert (loaded.draft_id, loaded.step, loaded.category) == (
        draft.draft_id,
        "description",
        "teacher_paid",
    )
    assert loaded.answers == {"when": "每周三晚上"} and loaded.wants_updates
    assert [f.filename for f in loaded.evidence] == ["p1.jpg"]


async def test_drafts_are_per_reporter_and_can_be_dropped(desk: Desk) -> None:
    mine, theirs = desk.reporter_key(REPORTER_ID), desk.reporter_key(REPORTER_ID + 1)
    await desk.drafts.start(mine, NOW)
    assert await desk.drafts.load(theirs) is None
    await desk.drafts.delete(mine)
    assert await desk.drafts.load(mine) is None


async def test_starting_again_discards_the_old_draft_and_its_files(
    desk: Desk, query: Query
) -> None:
    key = desk.reporter_key(REPORTER_ID)
    first = await desk.drafts.start(key, NOW)
    await desk.drafts.add_evidence(key, photo(1), NOW)
    second = await desk.drafts.start(key, NOW)
    assert second.draft_id != first.draft_id
    assert query("SELECT COUNT(*) FROM draft_files") == [(0,)]


async def test_evidence_limits_on_a_draft(desk: Desk) -> None:
    key = desk.reporter_key(REPORTER_ID)
    assert await desk.drafts.add_evidence(key, photo(1), NOW) == Refused(Reason.NO_DRAFT)
    await desk.drafts.start(key, NOW)
    for n in range(desk.settings.limits.max_attachments):
        added = await desk.drafts.add_evidence(key, photo(n), NOW)
        assert isinstance(added, ReportDraft) and len(added.evidence) == n + 1
    assert await desk.drafts.add_evidence(key, photo(99), NOW) == Refused(
        Reason.TOO_MANY_ATTACHMENTS
    )


async def test_the_same_file_twice_is_kept_once(desk: Desk) -> None:
    key = desk.reporter_key(REPORTER_ID)
    await desk.drafts.start(key, NOW)
    await desk.drafts.add_evidence(key, photo(1), NOW)
    assert await desk.drafts.add_evidence(key, photo(1), NOW) == Refused(Reason.DUPLICATE_FILE)


async def test_stale_drafts_are_purged(desk: Desk, keys: PrivacyKeys) -> None:
    old, fresh = desk.reporter_key(1), desk.reporter_key(2)
    await desk.drafts.start(old, NOW - timedelta(days=8))
    await desk.drafts.start(fresh, NOW)
    assert await desk.drafts.purge_stale(NOW, older_than=timedelta(days=7)) == 1
    assert await desk.drafts.load(old) is None and await desk.drafts.load(fresh) is not None


async def test_tidying_up_forgets_stale_drafts_handled_updates_and_old_counters(
    desk: Desk, query: Query
) -> None:
    await desk.drafts.start(desk.reporter_key(1), NOW - timedelta(days=8))
    await desk.inbox.record_update(1, "{}", NOW - timedelta(days=3))
    await desk.inbox.mark_done(1, NOW - timedelta(days=3))
    await desk.report(now=NOW - timedelta(days=40))
    await desk.report(telegram_id=2)
    assert await desk.tidy_up(NOW) == {"drafts": 1, "counters": 2}
    assert await desk.inbox.purge(keep=timedelta(days=2)) == 1
    assert query("SELECT COUNT(*) FROM throttles") == [(2,)]  # today's hour and day remain


async def test_no_draft_is_remembered_by_the_only_writer_until_one_is_started(
    desk: Desk, store: Store
) -> None:
    """Most people never start a report: where this process is the database's only writer,
    "no draft" is remembered, so their messages cost no read; starting one ends that."""
    key = desk.reporter_key(1)
    assert await desk.drafts.load(key) is None
    other = ReportDrafts(store, desk.settings.limits)  # another instance, or another process
    await other.start(key, NOW)
    remembered = await desk.drafts.load(key)
    assert (remembered is None) if store.exclusive else (remembered is not None)
    started = await desk.drafts.start(key, NOW)
    loaded = await desk.drafts.load(key)
    assert loaded is not None and loaded.draft_id == started.draft_id
