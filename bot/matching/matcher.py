"""Score a parent's question against the knowledge base and sort it into a band.

Every entry is several *documents* (its question in each language, its phrasings, its keywords).
A question is scored against each entry by three signals, blended:

- best document overlap: IDF-weighted Dice between the question's terms and one document;
- coverage: the share of the question's (weighted) terms the entry knows anywhere;
- fuzzy similarity (rapidfuzz) of the term strings, which tolerates small slips.

Words the knowledge base has never seen weigh as much as its rarest words, so a question that is
mostly about something else ("天气", "bitcoin") cannot score high on one shared word.
Everything that depends only on the knowledge base is computed once, at build time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from bot.config import MatchingConfig
from bot.kb.model import Entry, KnowledgeBase
from bot.matching.segment import Segmenter, Term

Band = Literal["answer", "suggest", "none"]

# Blend weights of the three signals (sum to 1); tuned on the development set.
DICE_WEIGHT = 0.45
COVERAGE_WEIGHT = 0.35
FUZZY_WEIGHT = 0.20
# Only the best few entries by overlap get the (costlier) fuzzy comparison.
FUZZY_SHORTLIST = 12
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


@dataclass(frozen=True)
class _Document:
    entry: int
    terms: frozenset[str]
    weight: float
    text: str


class Matcher:
    def __init__(self, kb: KnowledgeBase, settings: MatchingConfig | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatchingConfig()
        extra = [w for e in kb.entries.values() for w in e.keywords]
        self._share: dict[str, float] = {}
        self.segmenter = Segmenter(kb.concepts, kb.stopwords, extra)
        self.entry_ids = sorted(kb.entries)
        self.anchors = [
            frozenset(self.segmenter.terms(" ".join(kb.entries[i].keywords)))
            for i in self.entry_ids
        ]
        self.outside = frozenset(
            i
            for i, entry_id in enumerate(self.entry_ids)
            if kb.entries[entry_id].scope == "outside"
        )
        term_lists = [self._entry_texts(kb.entries[i]) for i in self.entry_ids]
        self._build(term_lists)

    def _entry_texts(self, entry: Entry) -> list[list[str]]:
        texts = [entry.question.zh, entry.question.en, *entry.phrasings, " ".join(entry.keywords)]
        docs: list[list[str]] = []
        for text in texts:
            terms = self.segmenter.analyze(text) if text else []
            for term in terms:
                self._share[term.text] = max(self._share.get(term.text, 0.0), term.unknown_share)
            if terms:
                docs.append([term.text for term in terms])
        return docs

    def _build(self, term_lists: list[list[list[str]]]) -> None:
        entry_terms = [frozenset(t for doc in docs for t in doc) for docs in term_lists]
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
        self.documents: list[_Document] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for entry_index, docs in enumerate(term_lists):
            for doc_terms in docs:
                terms = frozenset(doc_terms)
                doc = _Document(entry_index, terms, self._weight(terms), " ".join(sorted(terms)))
                for term in terms:
                    self.postings[term].append(len(self.documents))
                self.documents.append(doc)
        self.entry_docs: list[list[int]] = [[] for _ in entry_terms]
        for index, doc in enumerate(self.documents):
            self.entry_docs[doc.entry].append(index)

    def _kind_factor(self, term: str) -> float:
        share = self._share.get(term, 1.0)
        factor = KNOWN_BASE_FACTOR + (1 - KNOWN_BASE_FACTOR) * share
        if len(term) == 1 and term not in self.segmenter.concept_words:
            factor = min(factor, SINGLE_CHARACTER_FACTOR)
        return factor

    def _weight(self, terms: frozenset[str]) -> float:
        return sum(self.idf.get(t, self.unknown_weight) for t in terms)

    def match(self, question: str) -> MatchResult:
        terms = self.segmenter.analyze(question)
        if not terms:
            return MatchResult("none", 0.0, (), ())
        weights = self._query_weights(terms)
        scores = self._score_entries(weights)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        found = tuple(sorted(weights))
        if ranked and ranked[0][0] in self.outside and ranked[0][1] >= self.settings.suggest_score:
            redirect = self.entry_ids[ranked[0][0]]
            return MatchResult("none", ranked[0][1], (), found, redirect)
        candidates = tuple(
            Candidate(self.entry_ids[i], s) for i, s in ranked if i not in self.outside
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

    def _score_entries(self, weights: dict[str, float]) -> dict[int, float]:
        terms = frozenset(weights)
        query_weight = sum(weights.values())
        overlap: dict[int, float] = defaultdict(float)
        for term in terms:
            if term in self.idf:
                weight = weights[term]
                for doc in self.postings[term]:
                    overlap[doc] += weight
        best_dice: dict[int, float] = {}
        for doc_index, shared in overlap.items():
            doc = self.documents[doc_index]
            dice = 2 * shared / (query_weight + doc.weight)
            if dice > best_dice.get(doc.entry, 0.0):
                best_dice[doc.entry] = dice
        scores: dict[int, float] = {}
        for entry, dice in best_dice.items():
            known = sum(weights[t] for t in terms & self.entry_terms[entry])
            coverage = known / query_weight
            scores[entry] = 100 * (DICE_WEIGHT * dice + COVERAGE_WEIGHT * coverage)
        shortlist = sorted(scores, key=lambda e: -scores[e])[:FUZZY_SHORTLIST]
        query_text = " ".join(sorted(terms))
        for entry in shortlist:
            similarity = max(
                fuzz.token_sort_ratio(query_text, self.documents[d].text)
                for d in self.entry_docs[entry]
            )
            scores[entry] += FUZZY_WEIGHT * similarity
        return scores

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
