"""Report drafts: saved after every step, so a restart resumes where the reporter was.

Most people who write to the bot have no draft (they ask the FAQ). Where this process is the
database's only writer, it remembers who has none, so their messages cost no read; every draft
is created here, so a draft started here ends that at once.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot.store.base import DraftRecord, FileInfo, Store, StoredFile
from bot.tickets.model import Reason, Refused, ReportDraft
from bot.tickets.settings import ReportLimits


def draft_body(draft: ReportDraft) -> str:
    return json.dumps(
        {
            "category": draft.category,
            "district": draft.district,
            "institution": draft.institution,
            "description": draft.description,
            "answers": draft.answers,
            "wants_updates": draft.wants_updates,
            "applied": list(draft.applied),
            "registry": draft.registry,
        },
        ensure_ascii=False,
    )


def draft_from_record(record: DraftRecord, evidence: list[FileInfo]) -> ReportDraft:
    body: dict[str, Any] = json.loads(record.body)
    return ReportDraft(
        draft_id=record.draft_id,
        step=record.step,
        category=str(body.get("category", "")),
        district=str(body.get("district", "")),
        institution=str(body.get("institution", "")),
        description=str(body.get("description", "")),
        answers={str(k): str(v) for k, v in dict(body.get("answers", {})).items()},
        wants_updates=bool(body.get("wants_updates", False)),
        registry=str(body.get("registry", "")),
        evidence=tuple(evidence),
        applied=tuple(int(i) for i in body.get("applied", ())),
        updated_at=record.updated_at,
    )


# People remembered as having no draft (only where this process is the only writer).
REMEMBERED_WITHOUT_DRAFT = 50_000


class ReportDrafts:
    def __init__(self, store: Store, limits: ReportLimits) -> None:
        self._store = store
        self._limits = limits
        self._without_draft: set[str] | None = set() if store.exclusive else None
        self._drafts_written = 0

    async def start(
        self, reporter_key: str, now: datetime, *, step: str = "start", update_id: int | None = None
    ) -> ReportDraft:
        """A fresh draft; any earlier one (and its evidence) is discarded. ``update_id``: the
        update that asked for it (see :attr:`ReportDraft.applied`)."""
        draft = ReportDraft(draft_id=secrets.token_hex(16), step=step)
        if update_id is not None:
            draft = draft.applying(update_id)
        self._has_draft(reporter_key)
        async with self._store.transaction() as tx:
            await tx.delete_draft(reporter_key)
            await tx.save_draft(_record(reporter_key, draft, now))
        return draft

    async def save(self, reporter_key: str, draft: ReportDraft, now: datetime) -> None:
        self._has_draft(reporter_key)
        async with self._store.transaction() as tx:
            await tx.save_draft(_record(reporter_key, draft, now))

    async def load(self, reporter_key: str) -> ReportDraft | None:
        if self._without_draft is not None and reporter_key in self._without_draft:
            return None
        drafts_written = self._drafts_written
        async with self._store.transaction(readonly=True) as tx:
            record = await tx.load_draft(reporter_key)
            if record is None:
                if drafts_written == self._drafts_written:  # no draft was started meanwhile
                    self._has_none(reporter_key)
                return None
            return draft_from_record(record, await tx.draft_files(reporter_key))

    def _has_none(self, reporter_key: str) -> None:
        if self._without_draft is None:
            return
        if len(self._without_draft) >= REMEMBERED_WITHOUT_DRAFT:
            self._without_draft.clear()
        self._without_draft.add(reporter_key)

    def _has_draft(self, reporter_key: str) -> None:
        """Before writing a draft: forget that this person had none (before, not after: a
        load racing the write then reads the database rather than trusting the memory)."""
        self._drafts_written += 1
        if self._without_draft is not None:
            self._without_draft.discard(reporter_key)

    async def delete(self, reporter_key: str) -> None:
        async with self._store.transaction() as tx:
            await tx.delete_draft(reporter_key)

    async def add_evidence(
        self, reporter_key: str, file: StoredFile, now: datetime, *, update_id: int | None = None
    ) -> ReportDraft | Refused:
        """Keep a cleaned file with the draft (see :mod:`bot.tickets.evidence`); ``update_id``:
        the update that brought it."""
        async with self._store.transaction() as tx:
            record = await tx.load_draft(reporter_key)
            if record is None:
                return Refused(Reason.NO_DRAFT)
            files = await tx.draft_files(reporter_key)
            if len(files) >= self._limits.max_attachments:
                return Refused(Reason.TOO_MANY_ATTACHMENTS)
            if not await tx.add_draft_file(reporter_key, file, now):
                return Refused(Reason.DUPLICATE_FILE)
            files = await tx.draft_files(reporter_key)
            draft = draft_from_record(record, files)
            if update_id is not None:
                draft = draft.applying(update_id)
            # Any activity keeps the draft from being purged as stale.
            await tx.save_draft(_record(reporter_key, draft, now))
            return draft

    async def purge_stale(self, now: datetime, older_than: timedelta) -> int:
        """Drop drafts nobody touched for ``older_than``: they hold a reporter's unsent words."""
        async with self._store.transaction() as tx:
            return await tx.purge_drafts(now - older_than)


def _record(reporter_key: str, draft: ReportDraft, now: datetime) -> DraftRecord:
    return DraftRecord(
        reporter_key=reporter_key,
        draft_id=draft.draft_id,
        step=draft.step,
        body=draft_body(draft),
        updated_at=now,
    )
