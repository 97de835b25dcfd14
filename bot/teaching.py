"""Staff teach the bot: a parent's question it missed becomes a phrasing of the right entry.

``/teach`` lists recent questions the question log holds as unanswered, unsure or 👎, each with
the entries the matcher thinks likely. A supervisor or admin picks one: the question is stored
as a taught phrasing (the database's local overlay on the knowledge base), audited in the staff
audit, and undoable. Each teach and undo bumps a version row. The instance that taught rebuilds
its matcher at once; where instances share the database, each one reads the version at most
once every ``matching.taught_refresh_seconds`` (a question does not cost a query) and rebuilds
off the event loop when it moved, so a phrasing taught on one instance is answered by all within
those seconds. Where this process is the database's only writer (SQLite), nobody else can teach,
so the version is read once, at start.

A phrasing is refused when ``kb check`` would fail it (the same text, or the same concepts,
already claimed by another entry): what staff teach never breaks the knowledge base.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.faq import FaqService
from bot.inspection.audit import AuditTrail
from bot.inspection.model import Action
from bot.inspection.organisation import Organisation
from bot.kb_check import taught_phrasing_problem
from bot.matching.normalize import normalize
from bot.store.base import FaqLogEntry, Store, TaughtPhrasing

log = logging.getLogger(__name__)

# The questions /teach offers: the log's misses of this many days, newest first.
TEACH_LOOKBACK = timedelta(days=30)
TEACH_KINDS = ("unanswered", "unsure", "disliked")
LIKELY_ENTRIES = 3


@dataclass(frozen=True)
class TeachItem:
    """A missed question and the entries it likely belongs to."""

    log_id: int
    question: str
    kind: str
    likely: tuple[str, ...]


@dataclass(frozen=True)
class Taught:
    """What a press on /teach's button did: ``taught`` (with the row's id), or why not."""

    outcome: str  # taught, undone, already, not_allowed, unknown, refused
    question: str = ""
    entry_id: str = ""
    taught_id: int | None = None
    reason: str = ""


class Teaching:
    def __init__(
        self,
        store: Store,
        base: FaqService,
        organisation: Organisation,
        audit: AuditTrail,
        clock: Callable[[], datetime],
        refresh: timedelta,
    ) -> None:
        self._store = store
        self._base = base
        self._organisation = organisation  # who may teach, as staff changes say now
        self._audit = audit
        self._clock = clock
        self._faq = base
        self._version = 0
        self._rebuilding = asyncio.Lock()
        self._refresh = refresh
        # When the version was last read; None: never (the first question reads it).
        self._checked: datetime | None = None

    @property
    def faq(self) -> FaqService:
        """The FAQ as last built: the knowledge base with every taught phrasing."""
        return self._faq

    def may_teach(self, user_id: int) -> bool:
        return self._organisation.access.may_anywhere(user_id, Action.TEACH)

    async def current(self) -> FaqService:
        """The FAQ, rebuilt first if another instance taught or undid a phrasing since the
        version was last read (read again only when it is ``refresh`` old)."""
        now = self._clock()
        due = self._checked is None or (
            not self._store.exclusive and now - self._checked >= self._refresh
        )
        if due:
            self._checked = now
            await self._rebuild()
        return self._faq

    async def _rebuild(self) -> None:
        async with self._rebuilding:
            async with self._store.transaction(readonly=True) as tx:
                version = await tx.taught_version()
                if version == self._version:
                    return
                taught = await tx.live_taught_phrasings()
            known = [t for t in taught if t.entry_id in self._base.kb.entries]
            self._faq = await asyncio.to_thread(self._base.with_phrasings, known)
            self._version = version
        log.info("taught phrasings: %d (version %d)", len(known), version)

    async def pending(self, limit: int) -> list[TeachItem]:
        """Recent missed questions not taught yet, newest first, one per distinct text."""
        faq = await self.current()
        since = self._clock() - TEACH_LOOKBACK
        async with self._store.transaction(readonly=True) as tx:
            missed = await tx.faq_log(since, TEACH_KINDS)
            taught = {normalize(t.phrasing) for t in await tx.live_taught_phrasings()}
        items: list[TeachItem] = []
        seen = set(taught)
        for entry in reversed(missed):
            text = normalize(entry.question)
            if not text or text in seen or entry.id is None:
                continue
            seen.add(text)
            items.append(TeachItem(entry.id, entry.question, entry.kind, self._likely(faq, entry)))
            if len(items) == limit:
                break
        return items

    def _likely(self, faq: FaqService, entry: FaqLogEntry) -> tuple[str, ...]:
        match = faq.matcher.match(entry.question)
        likely = [c.id for c in match.candidates]
        if entry.entry_id and entry.entry_id not in likely:
            likely.insert(0, entry.entry_id)  # the entry a 👎 was given to
        policy = [i for i in likely if i in faq.kb.entries and faq.kb.entries[i].scope == "policy"]
        return tuple(policy[:LIKELY_ENTRIES])

    async def teach(self, user_id: int, log_id: int, entry_id: str) -> Taught:
        if not self.may_teach(user_id):
            return Taught("not_allowed")
        faq = await self.current()
        entry = faq.kb.get(entry_id)
        now = self._clock()
        async with self._store.transaction() as tx:
            asked = await tx.faq_question(log_id)
            if asked is None or entry is None or entry.scope != "policy":
                return Taught("unknown")
            question = asked.question.strip()
            problem = taught_phrasing_problem(faq.kb, entry_id, question)
            if problem:
                return Taught("refused", question, entry_id, reason=problem)
            actor = self._audit.actor(user_id)
            taught_id = await tx.add_taught_phrasing(entry_id, question, actor, now)
            if taught_id is None:
                return Taught("already", question, entry_id)
            details = {"entry_id": entry_id, "phrasing": question, "taught_id": taught_id}
            await self._audit.record(tx, user_id, "teach", now, details=details)
        await self._rebuild()
        return Taught("taught", question, entry_id, taught_id)

    async def undo(self, user_id: int, taught_id: int) -> Taught:
        if not self.may_teach(user_id):
            return Taught("not_allowed")
        now = self._clock()
        async with self._store.transaction() as tx:
            undone: TaughtPhrasing | None = await tx.undo_taught_phrasing(
                taught_id, self._audit.actor(user_id), now
            )
            if undone is None:
                return Taught("already")
            details = {
                "entry_id": undone.entry_id,
                "phrasing": undone.phrasing,
                "taught_id": taught_id,
            }
            await self._audit.record(tx, user_id, "teach_undo", now, details=details)
        await self._rebuild()
        return Taught("undone", undone.phrasing, undone.entry_id, taught_id)
