"""Score a parent's question against the knowledge base and sort it into a band.

Every entry is several *documents* (its question in each language, its phrasings, its keywords).
A question is scored against each entry by three signals, blended:

- best document overlap: weighted Dice between the question's terms and one document;
- coverage: the share of the question's (weighted) terms the entry knows anywhere;
- fuzzy similarity (rapidfuzz) of the term strings, which tolerates small slips.

A term weighs its rarity across entries (IDF) scaled by its kind (part of speech). Words the
knowledge base has never seen weigh as much as its rarest nouns, so a question that is mostly
about something else ("天气", "bitcoin") cannot score high on one shared word.

Everything that depends only on the knowledge base is computed once, at build time, into
arrays: scoring a question is a handful of vectorised sums, so it stays fast at 5,000 entries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from bot.config import MatchingConfig
from bot.kb.model import Entry, KnowledgeBase
from bot.matching.segment import Segmenter, Term

Band = Literal["answer", "suggest", "none"]

# Blend weights of the three signals (sum to 1); tuned on the development set.
DICE_WEIGHT = 0.45
COVERAGE_WEIGHT = 0.35
FUZZY_WEIGHT = 0.20
# Only the best few entries by overlap get the (costlier) fuzzy comparison and a ranking.
SHORTLIST = 12
# A known word found inside an unknown one ("识字" in "识字班") counts for this share of its weight.
PART_CREDIT = 0.7
UNKNOWN_CHAR_WEIGHT = 0.5
# Known words keep at least this share of their rarity weight, by part of speech; lone characters
# at most SINGLE_CHARACTER_FACTOR.
KNOWN_BASE_FACTOR = 0.4
SINGLE_CHARACTER_FACTOR = 0.4


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    band: Band
    score: float
    candidates: tuple[Candidate, ...]
    terms: tuple[str, ...]
    # An "outside" entry that recognised the question, to say where to ask instead.
    redirect: str | None = None

    @property
    def entry_id(self) -> str | None:
        return self.candidates[0].id if self.band == "answer" else None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.entry_id,
            "band": self.band,
            "score": round(self.score, 1),
            "candidates": [{"id": c.id, "score": round(c.score, 1)} for c in self.candidates],
        }


class Matcher:
    def __init__(self, kb: KnowledgeBase, settings: MatchingConfig | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatchingConfig()
        keywords = [w for e in kb.entries.values() for w in e.keywords]
        self.segmenter = Segmenter(kb.concepts, kb.stopwords, keywords)
        self.entry_ids = sorted(kb.entries)
        self.outside = frozenset(
            i for i, key in enumerate(self.entry_ids) if kb.entries[key].scope == "outside"
        )
        self._share: dict[str, float] = {}
        self._build([self._entry_documents(kb.entries[key]) for key in self.entry_ids])

    def _entry_documents(self, entry: Entry) -> list[frozenset[str]]:
        texts = [entry.question.zh, entry.question.en, *entry.phrasings, " ".join(entry.keywords)]
        docs: list[frozenset[str]] = []
        for text in texts:
            terms = self.segmenter.analyze(text) if text else []
            for term in terms:
                self._share[term.text] = max(self._share.get(term.text, 0.0), term.unknown_share)
            if terms:
                docs.append(frozenset(term.text for term in terms))
        # Every entry needs one document, even if all its words are stopwords.
        return docs or [frozenset()]

    def _build(self, entry_docs: list[list[frozenset[str]]]) -> None:
        entry_terms = [frozenset().union(*docs) for docs in entry_docs]
        df: dict[str, int] = defaultdict(int)
        for terms in entry_terms:
            for term in terms:
                df[term] += 1
        n = max(len(entry_terms), 1)
        # Rarity (IDF) scaled by what kind of word it is: a rare adverb or a lone character
        # ("完", "十点") must not outweigh the topic words of a question.
        self.idf = {t: math.log(1 + n / count) * self._kind_factor(t) for t, count in df.items()}
        self.unknown_weight = math.log(1 + n / 0.5)
        self.entry_terms = entry_terms
        self.doc_texts: list[str] = []
        doc_postings: dict[str, list[int]] = defaultdict(list)
        entry_postings: dict[str, list[int]] = defaultdict(list)
        doc_weights: list[float] = []
        starts: list[int] = []
        for entry_index, docs in enumerate(entry_docs):
            starts.append(len(doc_weights))
            for doc in docs:
                for term in doc:
                    doc_postings[term].append(len(doc_weights))
                doc_weights.append(sum(self.idf[t] for t in doc))
                self.doc_texts.append(" ".join(sorted(doc)))
            for term in entry_terms[entry_index]:
                entry_postings[term].append(entry_index)
        self.doc_postings = {t: np.array(d, dtype=np.int32) for t, d in doc_postings.items()}
        self.entry_postings = {t: np.array(e, dtype=np.int32) for t, e in entry_postings.items()}
        self.doc_weights = np.array(doc_weights, dtype=np.float64)
        self.entry_starts = np.array(starts, dtype=np.int64)
        self.entry_ends = [*starts[1:], len(doc_weights)]

    def _kind_factor(self, term: str) -> float:
        share = self._share.get(term, 1.0)
        factor = KNOWN_BASE_FACTOR + (1 - KNOWN_BASE_FACTOR) * share
        if len(term) == 1 and term not in self.segmenter.concept_words:
            factor = min(factor, SINGLE_CHARACTER_FACTOR)
        return factor

    def match(self, question: str) -> MatchResult:
        terms = self.segmenter.analyze(question)
        if not terms:
            return MatchResult("none", 0.0, (), ())
        weights = self._query_weights(terms)
        found = tuple(sorted(weights))
        ranked = self._rank(weights)
        if not ranked:
            return MatchResult("none", 0.0, (), found)
        best_entry, best_score = ranked[0]
        if best_entry in self.outside and best_score >= self.settings.suggest_score:
            return MatchResult("none", best_score, (), found, self.entry_ids[best_entry])
        candidates = tuple(
            Candidate(self.entry_ids[i], score) for i, score in ranked if i not in self.outside
        )
        return self._band(candidates, found)

    def _query_weights(self, terms: list[Term]) -> dict[str, float]:
        """Each distinct term's weight; unknown words fall back to the known words inside them."""
        weights: dict[str, float] = {}
        for term in terms:
            if term.text in self.idf:
                weights[term.text] = self.idf[term.text]
                continue
            parts = self.segmenter.known_parts(term.text, self.idf)
            for part in parts:
                weights.setdefault(part, self.idf[part] * PART_CREDIT)
            if not parts:
                # An unknown noun is usually the real subject of an off-topic question ("护照"),
                # an unknown adverb or single character usually filler ("根本", "完").
                weight = self.unknown_weight * term.unknown_share
                if len(term.text) == 1:
                    weight = min(weight, UNKNOWN_CHAR_WEIGHT)
                weights[term.text] = weight
        return weights

    def _rank(self, weights: dict[str, float]) -> list[tuple[int, float]]:
        """The shortlisted entries, best first, as (entry index, score 0-100)."""
        query_weight = sum(weights.values())
        overlap = np.zeros(len(self.doc_weights))
        known = np.zeros(len(self.entry_ids))
        for term, weight in weights.items():
            docs = self.doc_postings.get(term)
            if docs is not None:
                overlap[docs] += weight
                known[self.entry_postings[term]] += weight
        dice = 2 * overlap / (query_weight + self.doc_weights)
        best_dice = np.maximum.reduceat(dice, self.entry_starts)
        scores = 100 * (DICE_WEIGHT * best_dice + COVERAGE_WEIGHT * known / query_weight)
        touched = np.flatnonzero(known)
        if touched.size == 0:
            return []
        if touched.size > SHORTLIST:
            top = np.argpartition(scores[touched], -SHORTLIST)[-SHORTLIST:]
            touched = touched[top]
        query_text = " ".join(sorted(weights))
        ranked = [(int(e), float(scores[e]) + self._fuzzy(int(e), query_text)) for e in touched]
        ranked.sort(key=lambda item: (-item[1], self.entry_ids[item[0]]))
        return ranked

    def _fuzzy(self, entry: int, query_text: str) -> float:
        start, end = int(self.entry_starts[entry]), self.entry_ends[entry]
        best = process.extractOne(
            query_text, self.doc_texts[start:end], scorer=fuzz.token_sort_ratio
        )
        return FUZZY_WEIGHT * best[1] if best else 0.0

    def _band(self, candidates: tuple[Candidate, ...], terms: tuple[str, ...]) -> MatchResult:
        settings = self.settings
        shown = candidates[: settings.max_suggestions]
        if not candidates:
            return MatchResult("none", 0.0, (), terms)
        top = candidates[0].score
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if top >= settings.answer_score and top - runner_up >= settings.answer_margin:
            return MatchResult("answer", top, shown, terms)
        if top >= settings.suggest_score:
            suggestions = tuple(c for c in shown if c.score >= settings.suggest_score)
            return MatchResult("suggest", top, suggestions, terms)
        return MatchResult("none", top, shown, terms)
