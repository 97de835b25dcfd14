"""Questions the knowledge base missed: logged as parents ask them, summarised for staff.

``kb gaps`` groups the log by meaning (the matcher's concept-folded terms), so "周六补课" and
"星期六补习班" count as one gap, most asked first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from bot.clock import utc_now
from bot.matching.segment import Segmenter
from bot.store.base import FaqLogEntry, Store

# Two questions whose sorted term strings are at least this similar are the same gap.
SAME_GAP_SIMILARITY = 75
GAP_KINDS = ("unanswered", "unsure", "disliked", "for_staff")


@dataclass
class Gap:
    example: str
    terms: str
    count: int = 0
    askers: set[str] = field(default_factory=set)
    kinds: dict[str, int] = field(default_factory=dict)
    last_asked: datetime | None = None


class QuestionLog:
    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock

    async def record(
        self, question: str, band: str, entry_id: str | None, asker_key: str, language: str
    ) -> None:
        """A question answered with suggestions ("unsure") or not at all ("unanswered")."""
        kind = "unsure" if band == "suggest" else "unanswered"
        await self._log(FaqLogEntry(self.clock(), kind, question, language, asker_key, entry_id))

    async def record_dislike(
        self, question: str, entry_id: str, reason: str, asker_key: str, language: str
    ) -> None:
        entry = FaqLogEntry(
            self.clock(), "disliked", question, language, asker_key, entry_id, reason
        )
        await self._log(entry)

    async def record_for_staff(self, question: str, asker_key: str, language: str) -> None:
        await self._log(FaqLogEntry(self.clock(), "for_staff", question, language, asker_key))

    async def _log(self, entry: FaqLogEntry) -> None:
        async with self.store.transaction() as tx:
            await tx.log_faq_question(entry)

    async def gaps(self, segmenter: Segmenter, *, days: int = 30, limit: int = 20) -> list[Gap]:
        since = self.clock() - timedelta(days=days)
        async with self.store.transaction(readonly=True) as tx:
            entries = await tx.faq_log(since, GAP_KINDS)
        return group_questions(entries, segmenter)[:limit]


def group_questions(entries: list[FaqLogEntry], segmenter: Segmenter) -> list[Gap]:
    gaps: list[Gap] = []
    for entry in entries:
        if not entry.question.strip():
            continue
        terms = " ".join(sorted(set(segmenter.terms(entry.question)))) or entry.question
        gap = next((g for g in gaps if _similar(g.terms, terms)), None)
        if gap is None:
            gap = Gap(example=entry.question, terms=terms)
            gaps.append(gap)
        gap.count += 1
        gap.askers.add(entry.asker_key)
        gap.kinds[entry.kind] = gap.kinds.get(entry.kind, 0) + 1
        gap.last_asked = entry.asked_at
    gaps.sort(key=lambda g: (-len(g.askers), -g.count, g.example))
    return gaps


def _similar(first: str, second: str) -> bool:
    return fuzz.token_sort_ratio(first, second) >= SAME_GAP_SIMILARITY
