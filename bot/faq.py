"""Parents' questions: match, then shape a reply the handlers (or the CLI) can render."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import Config
from bot.conversation import Context, is_follow_up, without_greeting
from bot.kb.loader import load_knowledge_strict
from bot.kb.model import Entry, KnowledgeBase
from bot.kb.placeholders import render_answer
from bot.matching.matcher import Band, Candidate, Matcher, MatchResult
from bot.store.base import TaughtPhrasing


@dataclass(frozen=True)
class TopicLink:
    """A topic offered as a button: its id and its question in the reader's language."""

    id: str
    question: str


@dataclass(frozen=True)
class FaqReply:
    band: Band
    match: MatchResult
    language: str
    question: str = ""  # the entry's own question, when answering
    answer: str = ""
    source: str = ""
    suggestions: tuple[TopicLink, ...] = ()  # "did you mean" (suggest band)
    related: tuple[TopicLink, ...] = ()  # follow-up topics (answer band)
    # A question that spans two topics: the second topic's answer too.
    also: FaqReply | None = None
    # Read together with the previous question ("那初中呢?").
    follow_up: bool = False

    @property
    def entry_id(self) -> str | None:
        return self.match.entry_id

    @property
    def short_answer(self) -> str:
        """The answer's first sentence (its verdict: "不可以。", "No."), for a two-topic reply."""
        found = _FIRST_SENTENCE.match(self.answer)
        return found.group(0).strip() if found else self.answer


_FIRST_SENTENCE = re.compile(r".+?(?:[。！？]|[.!?](?=\s|$))", re.S)


# Parents ask the same few questions again and again: the matches of the latest distinct
# questions are kept (by their exact text, as long as this FAQ is the current one; taught
# phrasings make a new one). Longer questions are rarely asked twice word for word.
RECENT_MATCHES = 2048
RECENT_MATCH_CHARS = 120


class FaqService:
    def __init__(self, kb: KnowledgeBase, matcher: Matcher, placeholders: dict[str, str]) -> None:
        self.kb = kb
        self.matcher = matcher
        self.placeholders = placeholders
        self._recent: OrderedDict[str, MatchResult] = OrderedDict()

    def match(self, question: str) -> MatchResult:
        """The matcher's result for ``question``, remembered for a question asked before."""
        found = self._recent.get(question)
        if found is not None:
            self._recent.move_to_end(question)
            return found
        found = self.matcher.match(question)
        if len(question) <= RECENT_MATCH_CHARS:
            self._recent[question] = found
            if len(self._recent) > RECENT_MATCHES:
                self._recent.popitem(last=False)
        return found

    @classmethod
    def from_config(cls, config: Config, paths: list[Path] | None = None) -> FaqService:
        kb = load_knowledge_strict(paths or list(config.knowledge_paths))
        return cls(kb, Matcher(kb, config.matching), dict(config.local))

    def ask(self, question: str, language: str, context: Context | None = None) -> FaqReply:
        """Answer ``question``; ``context`` is the previous question, when it was answered
        recently, for a follow-up that leans on it."""
        question = without_greeting(question)
        match = self.match(question)
        follow_up = False
        if context is not None and is_follow_up(question):
            together = self.match(f"{context.question} {question}")
            if together.band == "answer":
                reason = f"follow-up of {context.question!r}: {together.reason}"
                match, follow_up = replace(together, reason=reason), True
        if match.band == "answer":
            reply = self.answer(match.candidates[0].id, language, match)
            also = None
            if match.second is not None:
                also = self.answer(match.second.id, language)
            return replace(reply, also=also, follow_up=follow_up)
        suggestions = tuple(self.link(c.id, language) for c in match.candidates)
        if match.band == "suggest":
            return FaqReply("suggest", match, language, suggestions=suggestions)
        return FaqReply("none", match, language)

    def answer(self, entry_id: str, language: str, match: MatchResult | None = None) -> FaqReply:
        """The full answer for ``entry_id`` (also used when a button picks a topic)."""
        entry = self.kb.entries[entry_id]
        if match is None:  # chosen with a button: certain by definition
            match = MatchResult("answer", 100.0, (Candidate(entry_id, 100.0),), ())
        return FaqReply(
            "answer",
            match,
            language,
            question=entry.question.for_language(language),
            answer=render_answer(entry.answer.for_language(language), self.placeholders).strip(),
            source=source_line(entry),
            related=tuple(self.link(r, language) for r in entry.related if r in self.kb.entries),
        )

    def with_phrasings(self, taught: Sequence[TaughtPhrasing]) -> FaqService:
        """This FAQ with the phrasings staff taught (a new matcher; this one is unchanged)."""
        entries = dict(self.kb.entries)
        for phrasing in taught:
            entry = entries.get(phrasing.entry_id)
            if entry is not None and phrasing.phrasing not in entry.phrasings:
                entries[entry.id] = replace(entry, phrasings=(*entry.phrasings, phrasing.phrasing))
        kb = replace(self.kb, entries=entries)
        return FaqService(kb, Matcher(kb, self.matcher.settings), self.placeholders)

    def link(self, entry_id: str, language: str) -> TopicLink:
        return TopicLink(entry_id, self.kb.entries[entry_id].question.for_language(language))


def source_line(entry: Entry) -> str:
    source = entry.source
    parts = [p for p in (source.issuer, source.date) if p]
    return f"{source.document}({','.join(parts)})" if parts else source.document
