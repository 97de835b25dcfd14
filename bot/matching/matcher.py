"""Score a parent's question against the knowledge base and sort it into a band.

Before scoring, slips of the keyboard are mended towards the knowledge base's own words
(:mod:`bot.matching.typos`: same sound, or a look-alike character). Every entry is several
*documents* (its question in each language, its phrasings, its keywords). A question is scored
against each entry by two channels, blended:

- **words**: the question's concept-folded terms against the entry's, itself a blend of the best
  document overlap (weighted Dice), coverage (the share of the question's weighted terms the
  entry knows anywhere) and fuzzy similarity (rapidfuzz) of the term strings;
- **chars**: character 1-3-gram TF-IDF cosine with the entry's best document
  (:mod:`bot.matching.chargrams`), which needs no segmentation.

The blend is then moved up or down by a classifier trained on all the phrasings at once
(:mod:`bot.matching.trained`), which learns which spellings tell entries apart.

A term weighs its rarity across entries (IDF) scaled by its kind (part of speech). Words the
knowledge base has never seen weigh as much as its rarest nouns, so a question that is mostly
about something else ("天气", "bitcoin") cannot score high on one shared word.

Everything that depends only on the knowledge base is computed once, at build time, into
arrays: scoring a question is a handful of vectorised sums, so it stays fast at 5,000 entries.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.kb.model import Entry, KnowledgeBase
from bot.matching.chargrams import CharIndex
from bot.matching.normalize import normalize
from bot.matching.segment import Segmenter, Term
from bot.matching.settings import MatchingConfig
from bot.matching.trained import PhrasingClassifier
from bot.matching.typos import Mend, TypoMender

Band = Literal["answer", "suggest", "none"]
Floats = npt.NDArray[np.float64]
T = TypeVar("T", float, Floats)

# Blend weights of the words channel's three signals (sum to 1), and the share of the final
# score the chars channel brings; tuned on the development sets.
DICE_WEIGHT = 0.45
COVERAGE_WEIGHT = 0.35
FUZZY_WEIGHT = 0.20
CHARS_SHARE = 0.3
CHARS_DRAG = 0.0
# The classifier trained on the phrasings (:mod:`bot.matching.trained`, 0-100) moves the score
# by this share of how far it is above TRAINED_OFFSET: up for an entry it recognises, down a
# little for one it does not (an off-topic question scores below the offset for every entry).
TRAINED_SHARE = 0.5
TRAINED_OFFSET = 20.0
# Only the best few entries by overlap get the (costlier) fuzzy comparison and a ranking.
SHORTLIST = 6
# A known word found inside an unknown one ("识字" in "识字班") counts for this share of its weight.
PART_CREDIT = 0.7
UNKNOWN_CHAR_WEIGHT = 0.5
# Known words keep at least this share of their rarity weight, by part of speech; lone characters
# at most SINGLE_CHARACTER_FACTOR.
KNOWN_BASE_FACTOR = 0.4
SINGLE_CHARACTER_FACTOR = 0.4
# Two topics in one question ("收费吗，几点结束"): the runner-up is answered too when it scores
# an answer within this much of the top, and each of the two knows words of the question the
# other does not, at least this share of the question's weight.
TWO_TOPICS_GAP = 30.0
# A question of one word ("老师", "退费") is answered only when one entry clearly owns that word.
ONE_WORD_MARGIN = 12.0
TWO_TOPICS_OWN_SHARE = 0.15
# A keyword only an outside topic knows ("健身房") declines a question told at length too when
# that topic scores within this much of the line's best entry: "健身房私教课不给退钱" shares
# 私教 and 退钱 with tutoring refunds, but it is the gym's question.
OUTSIDE_WORD_CLOSE = 10.0
# A question using more of the knowledge base's words than this is taken to be told as a
# situation: each further known word weighs its unknown words down (see _details_weighed_down).
SITUATION_KNOWN_WORDS = 3
# A long question told as a situation ("班里统一订购课外读物,每人八十块...") scores low, its
# details being words no entry knows; it is still answered when the top entry knows at least
# this many of its words, the spelling of the whole entry and the classifier agree, and it
# scores at least the settings' corroborated_score. An off-topic question rarely shares three
# words with one entry.
CORROBORATING_TERMS = 3
# A question of at least LONG_TERMS terms whose top entry leads by LONG_LEAD is answered on
# corroboration by one of the two views: its details make both spelling and classifier noisy,
# and an off-topic question that long rarely shares three words with one entry.
LONG_TERMS = 8
LONG_LEAD = 10.0
# An entry's signature words are in at least SIGNATURE_SHARE of its documents and in at most
# SIGNATURE_SPREAD of all entries, weighing more than SIGNATURE_MIN_WEIGHT (高中 for the
# high-school entry, 课外读物 for reading): a question using none of them is less likely that
# entry's, and its words channel loses SIGNATURE_MISSING of its score (in proportion, where it
# uses some): "暑假学校要组织补课, 还收资料费" shares 收费 and 补课 with teachers' paid tutoring,
# but not its 有偿.
SIGNATURE_SHARE = 0.5
SIGNATURE_SPREAD = 0.15
SIGNATURE_MIN_WEIGHT = 1.0
SIGNATURE_MISSING = 0.05
# Such a question on which both views agree is answered from this much below corroborated_score:
# a long story of a refund ("一次交了两年的钱...现在该怎么办") scores about 30.
LONG_FLOOR_DROP = 8.0
# Between the suggest and answer scores, a top entry this far ahead of the next is answered:
# "did you mean" would offer it alone.
CLEAR_LEAD = 12.0


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float
    # The channels' own scores (0-100), for the explanation; ``trained`` is None where the
    # classifier had no say (a question of one word, a knowledge base too large to train on).
    words: float = 0.0
    chars: float = 0.0
    trained: float | None = None


@dataclass(frozen=True)
class MatchResult:
    band: Band
    score: float
    candidates: tuple[Candidate, ...]
    terms: tuple[str, ...]
    # An "outside" entry that recognised the question, to say where to ask instead.
    redirect: str | None = None
    mends: tuple[Mend, ...] = ()
    # Why the band was chosen, in a few words (for ``ask --json`` and the question log).
    reason: str = ""
    # A second topic the question asks about as well (answered beside the first).
    second: Candidate | None = None
    # The entry whose texts taken together are spelled most like the question.
    spelled: str | None = None

    @property
    def entry_id(self) -> str | None:
        return self.candidates[0].id if self.band == "answer" else None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.entry_id,
            "band": self.band,
            "score": round(self.score, 1),
            "candidates": [
                {
                    "id": c.id,
                    "score": round(c.score, 1),
                    "words": round(c.words, 1),
                    "chars": round(c.chars, 1),
                    "trained": None if c.trained is None else round(c.trained, 1),
                }
                for c in self.candidates
            ],
            "explain": {
                "reason": self.reason,
                "terms": list(self.terms),
                "mended": {m.typed: m.read for m in self.mends},
                "redirect": self.redirect,
                "second": self.second.id if self.second else None,
                "spelled": self.spelled,
            },
        }


class Matcher:
    def __init__(self, kb: KnowledgeBase, settings: MatchingConfig | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatchingConfig()
        keywords = [w for e in kb.entries.values() for w in e.keywords]
        self.segmenter = Segmenter(kb.concepts, kb.stopwords, keywords)
        self.entry_ids = sorted(kb.entries)
        self.entry_index = {key: i for i, key in enumerate(self.entry_ids)}
        self.outside_ids = frozenset(k for k in self.entry_ids if kb.entries[k].scope == "outside")
        self._share: dict[str, float] = {}
        # Each entry's texts, normalised once for every index built from them.
        texts = [self._entry_texts(kb.entries[key]) for key in self.entry_ids]
        self._build([self._entry_documents(entry_texts) for entry_texts in texts])
        self._build_chars(texts)
        self.mender = TypoMender(
            self._surface_words(texts),
            self.segmenter.is_dictionary_word,
            self.segmenter.made_up_spans,
            self.segmenter.word_spans,
        )

    def _entry_texts(self, entry: Entry) -> list[str]:
        texts = [entry.question.zh, entry.question.en, *entry.phrasings, " ".join(entry.keywords)]
        return [normalize(text) for text in texts]

    def _build_chars(self, texts: list[list[str]]) -> None:
        documents: list[str] = []
        starts: list[int] = []
        for entry_texts in texts:
            starts.append(len(documents))
            documents.extend(t for t in entry_texts if t)
            if len(documents) == starts[-1]:
                documents.append("")
        self.chars = CharIndex(documents)
        self.char_starts = np.array(starts, dtype=np.int64)
        self.char_centroid_norms = self.chars.centroid_norms(self.char_starts)
        entry_of = np.repeat(np.arange(len(starts)), np.diff([*starts, len(documents)]))
        self.trained = PhrasingClassifier.train(self.chars, documents, entry_of)

    def _surface_words(self, texts: list[list[str]]) -> set[str]:
        """Every word as the knowledge base writes it, for mending slips towards them."""
        words = set(self.segmenter.concepts) | set(self.segmenter.concept_words)
        for key, entry_texts in zip(self.entry_ids, texts, strict=True):
            words.update(normalize(k) for k in self.kb.entries[key].keywords)
            for text in entry_texts:
                words.update(self.segmenter.surface_words(text, normalized=True))
        return words

    def _entry_documents(self, texts: list[str]) -> list[frozenset[str]]:
        docs: list[frozenset[str]] = []
        for text in texts:
            terms = self.segmenter.analyze(text, normalized=True) if text else []
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
        self.outside_words = self._outside_keywords()
        self._build_signatures(entry_docs, entry_terms, df)

    def _build_signatures(
        self,
        entry_docs: list[list[frozenset[str]]],
        entry_terms: list[frozenset[str]],
        df: dict[str, int],
    ) -> None:
        """Each entry's signature words (see ``SIGNATURE_SHARE``), as postings by word."""
        spread = SIGNATURE_SPREAD * len(entry_docs)
        postings: dict[str, list[int]] = defaultdict(list)
        for entry_index, docs in enumerate(entry_docs):
            in_docs = Counter(term for doc in docs for term in doc)
            for term, count in in_docs.items():
                if count < SIGNATURE_SHARE * len(docs) or df[term] > spread:
                    continue
                if self.idf[term] > SIGNATURE_MIN_WEIGHT:
                    postings[term].append(entry_index)
        self.signature_postings = {t: np.array(e, dtype=np.int32) for t, e in postings.items()}
        counts = np.zeros(len(entry_docs))
        for entries in self.signature_postings.values():
            counts[entries] += 1
        # What each signature word used takes off its entry's share missing (all missing: 1).
        self._signature_share = np.where(counts > 0, 1 / counts.clip(1), 0.0)
        self._all_missing = (counts > 0).astype(np.float64)

    def _outside_keywords(self) -> dict[str, str]:
        """Each keyword of an outside topic no entry of the line knows, with that topic."""
        inside = {self.entry_index[k] for k in self.entry_ids if k not in self.outside_ids}
        words: dict[str, str] = {}
        for key in sorted(self.outside_ids):
            for keyword in self.kb.entries[key].keywords:
                for term in self.segmenter.analyze(keyword):
                    found = self.entry_postings.get(term.text)
                    if found is not None and not inside.intersection(found.tolist()):
                        words.setdefault(term.text, key)
        return words

    def _kind_factor(self, term: str) -> float:
        share = self._share.get(term, 1.0)
        factor = KNOWN_BASE_FACTOR + (1 - KNOWN_BASE_FACTOR) * share
        if len(term) == 1 and term not in self.segmenter.concept_words:
            factor = min(factor, SINGLE_CHARACTER_FACTOR)
        return factor

    def match(self, question: str) -> MatchResult:
        text, mends = self.mender.mend(normalize(question))
        terms = self.segmenter.analyze(text, normalized=True)
        if not terms:
            return MatchResult("none", 0.0, (), (), reason="no words to match")
        weights = self._query_weights(terms)
        found, one_word = tuple(sorted(weights)), len(weights) == 1
        ranked, spelled = self._rank(weights, text, trained=not one_word)
        if not ranked:
            return MatchResult("none", 0.0, (), found, mends=mends, reason="no shared words")
        best = ranked[0]
        candidates = tuple(c for c in ranked if c.id not in self.outside_ids)
        if best.id in self.outside_ids and self._redirects(best, candidates, one_word):
            reason = f"outside topic {best.id} scored {best.score:.0f}"
            return MatchResult("none", best.score, (), found, best.id, mends, reason)
        outside = self._outside_word(weights, mends, ranked)
        if outside is not None:
            word, entry_id = outside
            reason = f"{word} is a word of {entry_id} only"
            return MatchResult("none", best.score, (), found, entry_id, mends, reason)
        result = self._band(candidates, found, mends, spelled, one_word=one_word)
        if result.band != "answer" and candidates:
            result = self._corroborated(result, candidates, weights, spelled)
        result = replace(result, spelled=spelled)
        if result.band != "none" and not one_word:
            top = candidates[0]
            for other in candidates[1 : self.settings.max_suggestions]:
                if self._other_topic(top, other, weights):
                    reason = f"two topics: {top.id} and {other.id} know different words"
                    return replace(result, band="answer", second=other, reason=reason)
        return result

    def _outside_word(
        self, weights: dict[str, float], mends: tuple[Mend, ...], ranked: list[Candidate]
    ) -> tuple[str, str] | None:
        """A keyword of an outside topic no entry of the line knows, and that topic, when the
        question is short of a situation: told at length ("孩子转学了, 课后服务费能退吗"), such a
        word is a detail, unless the topic scores as well as the line's best entry does
        (see ``OUTSIDE_WORD_CLOSE``). A word read by mending is the mender's guess, not the
        asker's."""
        known = [t for t in weights if t in self.idf and t not in self.outside_words]
        mended = {mend.read for mend in mends}
        for term in weights:
            if any(term in read for read in mended):
                continue
            entry_id = self.outside_words.get(term)
            if entry_id is None:
                continue
            lead = _lead_over(ranked, entry_id, self.outside_ids)
            if len(known) <= SITUATION_KNOWN_WORDS or lead < OUTSIDE_WORD_CLOSE:
                return term, entry_id
        return None

    def _redirects(
        self, outside: Candidate, candidates: tuple[Candidate, ...], one_word: bool
    ) -> bool:
        """Whether the top entry, an outside topic, says the question is not for this line. A
        question of one word it shares with an entry of the line ("周末": a day out, or
        weekend classes) only when it clearly owns the word."""
        if outside.score < self.settings.suggest_score:
            return False
        inside = candidates[0].score if candidates else 0.0
        return not one_word or outside.score - inside >= ONE_WORD_MARGIN

    def _corroborated(
        self,
        result: MatchResult,
        candidates: tuple[Candidate, ...],
        weights: dict[str, float],
        spelled: str,
    ) -> MatchResult:
        """``result`` answered when several of the question's words, the spelling of the
        whole entry and the classifier (where it has a say) agree on its top candidate, though
        its score is low (see ``CORROBORATING_TERMS``). A long question its top candidate leads
        by ``LONG_LEAD`` needs only one of the two views: its details blur both."""
        top, floor = candidates[0], self.settings.corroborated_score
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        lead = top.score - runner_up
        views = [name for name, agrees in self._views(candidates, spelled) if agrees]
        told_long = len(weights) >= LONG_TERMS and lead >= LONG_LEAD
        if told_long and len(views) == 2:
            floor -= LONG_FLOOR_DROP
        if top.score < floor or len(views) < (1 if told_long else 2):
            return result
        known = self.entry_terms[self.entry_index[top.id]]
        shared = sorted(t for t in weights if t in known)
        if lead < self.settings.answer_margin or len(shared) < CORROBORATING_TERMS:
            return result
        reason = (
            f"top {top.score:.0f} >= {floor:.0f}, ahead by {lead:.0f},"
            f" knows {len(shared)} of the words ({', '.join(shared)}), and {' and '.join(views)}"
        )
        shown = candidates[: self.settings.max_suggestions]
        return replace(result, band="answer", score=top.score, candidates=shown, reason=reason)

    @staticmethod
    def _views(candidates: tuple[Candidate, ...], spelled: str) -> list[tuple[str, bool]]:
        """The two views besides the score, each with whether it agrees on the top candidate."""
        return [
            ("spelled most like the question", candidates[0].id == spelled),
            ("trained on phrasings most like it", _trained_agrees(candidates)),
        ]

    def _other_topic(self, top: Candidate, other: Candidate, weights: dict[str, float]) -> bool:
        """Whether ``other`` answers a part of the question ``top`` does not. The gap is
        measured without the classifier's view: trained on phrasings of one topic each, it
        widens the gap between two topics a question asks about at once."""
        settings = self.settings
        gap = _untrained(top) - _untrained(other)
        if other.score < settings.answer_score or gap > TWO_TOPICS_GAP:
            return False
        first = self.entry_terms[self.entry_index[top.id]]
        second = self.entry_terms[self.entry_index[other.id]]
        total = sum(weights.values())
        own_first = sum(w for t, w in weights.items() if t in first and t not in second)
        own_second = sum(w for t, w in weights.items() if t in second and t not in first)
        return min(own_first, own_second) >= TWO_TOPICS_OWN_SHARE * total

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
        return self._details_weighed_down(weights)

    def _details_weighed_down(self, weights: dict[str, float]) -> dict[str, float]:
        """``weights`` with the unknown words of a question told as a situation weighed down:
        once it uses more than ``SITUATION_KNOWN_WORDS`` of the knowledge base's words, its
        unknown words are details ("十天两千块", "博雅教育"), not its subject."""
        known = sum(1 for term in weights if term in self.idf)
        if known <= SITUATION_KNOWN_WORDS:
            return weights
        scale = (SITUATION_KNOWN_WORDS / known) ** 2
        return {t: w if t in self.idf else w * scale for t, w in weights.items()}

    def _rank(
        self, weights: dict[str, float], text: str, *, trained: bool
    ) -> tuple[list[Candidate], str]:
        """The shortlisted entries, best first, with each channel's score (0-100); and the entry
        whose texts taken together are spelled most like the question (the cosine with the
        centroid of its documents' character vectors, a view of the whole entry where the
        chars channel scores its best document). ``trained``: with the classifier's view; not
        for a question of one word, where which entry owns the word is for the words to say
        (the classifier would echo how many phrasings of each entry use it)."""
        query_weight = sum(weights.values())
        overlap = np.zeros(len(self.doc_weights))
        known = np.zeros(len(self.entry_ids))
        for term, weight in weights.items():
            docs = self.doc_postings.get(term)
            if docs is not None:
                overlap[docs] += weight
                known[self.entry_postings[term]] += weight
        if not known.any():
            return [], ""
        dice = 2 * overlap / (query_weight + self.doc_weights)
        best_dice = np.maximum.reduceat(dice, self.entry_starts)
        words = 100 * (DICE_WEIGHT * best_dice + COVERAGE_WEIGHT * known / query_weight)
        words *= 1 - SIGNATURE_MISSING * self._missing_signature(weights)
        cosines = self.chars.cosines(text)
        chars = 100 * np.maximum.reduceat(cosines, self.char_starts)
        whole = np.add.reduceat(cosines, self.char_starts) / self.char_centroid_norms
        spelled = self.entry_ids[int(np.argmax(whole))]
        classifier = self.trained if trained else None
        learned = (
            100 * np.clip(classifier.scores(cosines), 0.0, 1.0)
            if classifier is not None
            else np.full(len(self.entry_ids), TRAINED_OFFSET)  # no shift
        )
        blended = _blend(words, chars, learned)
        shortlist = np.argpartition(blended, -SHORTLIST)[-SHORTLIST:]
        fuzzy = self._fuzzy(shortlist, " ".join(sorted(weights)))
        ranked = []
        for index, spelled_alike in zip((int(e) for e in shortlist), fuzzy, strict=True):
            word_score = float(words[index]) + FUZZY_WEIGHT * spelled_alike
            char_score, trained_score = float(chars[index]), float(learned[index])
            score = _blend_one(word_score, char_score, trained_score)
            shown = trained_score if classifier is not None else None
            ranked.append(Candidate(self.entry_ids[index], score, word_score, char_score, shown))
        ranked.sort(key=lambda c: (-c.score, c.id))
        return ranked, spelled

    def _missing_signature(self, weights: dict[str, float]) -> Floats:
        """Each entry's share of its signature words the question does not use (0 without)."""
        missing = self._all_missing.copy()
        for term in weights:
            entries = self.signature_postings.get(term)
            if entries is not None:
                missing[entries] -= self._signature_share[entries]
        return missing

    def _fuzzy(self, entries: npt.NDArray[np.intp], query_text: str) -> list[float]:
        """Each entry's best fuzzy similarity (0-100) of one of its documents' terms with the
        question's. Both sides are sorted term lists, so a plain ratio is rapidfuzz's token
        sort ratio without the re-sorting; one call scores every shortlisted entry."""
        documents: list[str] = []
        starts: list[int] = []
        for entry in entries:
            starts.append(len(documents))
            documents.extend(self.doc_texts[self.entry_starts[entry] : self.entry_ends[entry]])
        found = process.cdist([query_text], documents, scorer=fuzz.ratio, dtype=np.float64)[0]
        best: list[float] = np.maximum.reduceat(found, starts).tolist()
        return best

    def _band(
        self,
        candidates: tuple[Candidate, ...],
        terms: tuple[str, ...],
        mends: tuple[Mend, ...],
        spelled: str,
        *,
        one_word: bool = False,
    ) -> MatchResult:
        settings = self.settings
        margin = max(settings.answer_margin, ONE_WORD_MARGIN if one_word else 0.0)
        shown = candidates[: settings.max_suggestions]
        if not candidates:
            return MatchResult("none", 0.0, (), terms, mends=mends, reason="only outside topics")
        top = candidates[0].score
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if top >= settings.answer_score and top - runner_up >= margin:
            reason = f"top {top:.0f} >= {settings.answer_score:.0f}, ahead by {top - runner_up:.0f}"
            return MatchResult("answer", top, shown, terms, mends=mends, reason=reason)
        if one_word and top >= settings.answer_score:
            # One word of one topic ("举报"): its entries are close, as they all know the word;
            # the top one answers, its related entries linked below it.
            ahead = top - _best_of_other_topics(candidates)
            if ahead >= margin:
                topic = _topic(candidates[0].id)
                reason = f"one word of {topic}: top {top:.0f}, other topics {ahead:.0f} behind"
                return MatchResult("answer", top, shown, terms, mends=mends, reason=reason)
        if top >= settings.suggest_score and not one_word and top - runner_up >= CLEAR_LEAD:
            # Just below the answer score, with nothing else near: "did you mean" would offer
            # this one entry alone.
            reason = (
                f"top {top:.0f} >= {settings.suggest_score:.0f}, alone: ahead by"
                f" {top - runner_up:.0f}"
            )
            return MatchResult("answer", top, shown, terms, mends=mends, reason=reason)
        if top >= settings.suggest_score and not one_word and candidates[0].id == spelled:
            # A close call the spelling of the whole entry settles: two views agree on it.
            reason = (
                f"top {top:.0f} >= {settings.suggest_score:.0f}, ahead by {top - runner_up:.0f},"
                f" and spelled most like the question"
            )
            return MatchResult("answer", top, shown, terms, mends=mends, reason=reason)
        if top >= settings.suggest_score:
            suggestions = tuple(c for c in shown if c.score >= settings.suggest_score)
            reason = f"top {top:.0f}: close call or below {settings.answer_score:.0f}"
            return MatchResult("suggest", top, suggestions, terms, mends=mends, reason=reason)
        reason = f"top {top:.0f} < {settings.suggest_score:.0f}"
        return MatchResult("none", top, shown, terms, mends=mends, reason=reason)


def _lead_over(ranked: list[Candidate], outside_id: str, outside_ids: frozenset[str]) -> float:
    """How far the best entry of the line scores above the outside topic ``outside_id``."""
    inside = max((c.score for c in ranked if c.id not in outside_ids), default=0.0)
    outside = max((c.score for c in ranked if c.id == outside_id), default=0.0)
    return inside - outside


def _topic(entry_id: str) -> str:
    """The topic an entry belongs to: its id's first part ("report" of "report.how_to")."""
    return entry_id.partition(".")[0]


def _best_of_other_topics(candidates: tuple[Candidate, ...]) -> float:
    """The best score of a candidate outside the top candidate's topic (0 if none)."""
    topic = _topic(candidates[0].id)
    return max((c.score for c in candidates[1:] if _topic(c.id) != topic), default=0.0)


def _trained_agrees(candidates: tuple[Candidate, ...]) -> bool:
    """Whether the classifier scores the top candidate highest (or had no say)."""
    top = candidates[0].trained
    return top is None or all(top >= (c.trained or 0.0) for c in candidates[1:])


def _untrained(candidate: Candidate) -> float:
    """A candidate's score from its words and chars channels alone."""
    return _blend_one(candidate.words, candidate.chars, TRAINED_OFFSET)


def _blend(words: T, chars: T, trained: T) -> T:
    """The final score (of every entry, or of one): the words channel, lifted by the chars
    channel where the spelling is closer than the words say (a slip, a badly cut word) and never
    pulled down by it (the concepts know better than the spelling what a question is about),
    then moved by the classifier trained on the phrasings; kept within 0-100."""
    blended = words + CHARS_SHARE * np.maximum(chars - words, 0.0) - CHARS_DRAG * words
    lifted: T = np.clip(blended + TRAINED_SHARE * (trained - TRAINED_OFFSET), 0.0, 100.0)
    return lifted


def _blend_one(words: float, chars: float, trained: float) -> float:
    """:func:`_blend` of one entry's scores, in plain floats (the same arithmetic, without
    numpy's cost per call: it runs for every shortlisted entry of every question)."""
    blended = words + CHARS_SHARE * max(chars - words, 0.0) - CHARS_DRAG * words
    return min(max(blended + TRAINED_SHARE * (trained - TRAINED_OFFSET), 0.0), 100.0)
