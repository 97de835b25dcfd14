"""Turn normalised text into comparable terms: segment, fold synonyms to concepts, drop filler.

Chinese runs are cut by rjieba (with every concept form, keyword and filler phrase added to its
dictionary, so domain words stay whole); Latin runs are split on spaces and lightly stemmed.
Multi-word English concept forms ("after school") are folded before splitting.

Each term also carries how much it would matter *if the knowledge base did not know it*, from its
part of speech: an unknown noun is likely the real subject of an off-topic question ("护照"),
an unknown adverb or pronoun is filler ("根本", "这种").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.matching.dictionary import segmenter_dictionary
from bot.matching.english import NUMBER_WORDS, describing_words
from bot.matching.normalize import normalize

_LATIN_RUN = re.compile(r"[a-z0-9+]+")
_LATIN_SPLIT = re.compile(r"([a-z0-9+]+)")

# Part-of-speech tags (jieba's set, by first letter) of words that carry little topic.
_FILLER_TAGS = frozenset("rdpcuyeomqftxwl")
_VERB_LIKE_TAGS = frozenset("vabzsh")
FILLER = 0.15
COMPOUND = "+"
VERB_LIKE = 0.5
CONTENT = 1.0


@dataclass(frozen=True)
class Term:
    text: str
    # The share of full weight this term deserves when the knowledge base has never seen it.
    unknown_share: float


class Segmenter:
    def __init__(
        self, concepts: Mapping[str, str], stopwords: Iterable[str], extra_words: Iterable[str] = ()
    ) -> None:
        self.concepts = {normalize(form): canonical for form, canonical in concepts.items()}
        self.stopwords = frozenset(normalize(w) for w in stopwords)
        # A compound form stands for two concepts at once ("培训费": 培训班+收费).
        self._parts = {c: tuple(c.split(COMPOUND)) for c in set(self.concepts.values())}
        self.concept_words = frozenset(p for parts in self._parts.values() for p in parts)
        phrases = sorted((f for f in self.concepts if " " in f), key=len, reverse=True)
        self._phrases = (
            # Bounded by what is not a Latin letter or digit: "double reduction是个啥" has the
            # phrase too (\b would see no boundary between a letter and a Chinese character).
            re.compile(
                r"(?<![0-9a-z])(" + "|".join(re.escape(p) for p in phrases) + r")(?![0-9a-z])"
            )
            if phrases
            else None
        )
        self._jieba = segmenter_dictionary()
        for word in [*self.concepts, *self.concept_words, *extra_words]:
            word = normalize(word)
            if _is_chinese_word(word):
                self._jieba.add_word(word, None, None)
        # A filler phrase must come out whole to be dropped ("晚上好" cut would leave the concept
        # "晚上"); one the dictionary already knows keeps its frequency.
        for word in self.stopwords:
            if _is_chinese_word(word) and len(word) > 1 and not self._jieba.has_word(word):
                self._jieba.add_word(word, None, None)

    def terms(self, text: str) -> list[str]:
        """The ordered concept-folded terms of ``text`` without stopwords."""
        return [term.text for term in self.analyze(text)]

    def analyze(self, text: str, *, normalized: bool = False) -> list[Term]:
        """The terms of ``text`` (``normalized``: it has been through ``normalize`` already)."""
        text = text if normalized else normalize(text)
        if self._phrases is not None:
            text = self._phrases.sub(lambda m: f" {' '.join(self._parts_of(m.group(0)))} ", text)
        out: list[Term] = []
        for chunk in text.split():
            for word, share in self._words(chunk):
                for folded in self._folded(word.strip()):
                    # A domain concept matters whatever its part of speech ("周末" is a time word).
                    is_concept = folded in self.concept_words
                    out.append(Term(folded, CONTENT if is_concept else share))
        return out

    def _folded(self, word: str) -> tuple[str, ...]:
        """The terms ``word`` stands for: none (a stopword), its concept, or a compound's two."""
        folded = self._fold(word)
        return self._parts.get(folded, (folded,)) if folded else ()

    def _parts_of(self, form: str) -> tuple[str, ...]:
        """The concepts an English phrase form stands for (two for a compound)."""
        return self._parts[self.concepts[form]]

    def surface_words(self, text: str, *, normalized: bool = False) -> list[str]:
        """The topic words of ``text`` as written (cut, not folded): no fillers, pronouns or
        particles."""
        return [
            word
            for chunk in (text if normalized else normalize(text)).split()
            for word, share in self._words(chunk)
            if word not in self.stopwords and (share > FILLER or word in self.concepts)
        ]

    def made_up_spans(self, run: str) -> list[tuple[int, int]]:
        """Where in a run of Chinese characters jieba cut words its dictionary does not hold
        (its HMM's guesses): the places a slip of the keyboard is likely to be."""
        return [
            (start, end)
            for start, end in self.word_spans(run)
            if end - start > 1 and not self._jieba.has_word(run[start:end])
        ]

    def word_spans(self, run: str) -> list[tuple[int, int]]:
        """Where each word jieba cuts a run of Chinese characters into begins and ends."""
        spans: list[tuple[int, int]] = []
        start = 0
        for word in self._jieba.cut(run):
            spans.append((start, start + len(word)))
            start += len(word)
        return spans

    def is_dictionary_word(self, word: str) -> bool:
        return bool(self._jieba.has_word(word))

    def known_parts(self, word: str, known: Mapping[str, float]) -> list[str]:
        """Known words of two or more characters inside an unknown Chinese word, longest first.

        "识字班" -> ["识字"]; "延时服务费" -> ["延时", "服务费"] (when those are known). A word
        of the dictionary is a thing of its own, not a compound of the knowledge base's words:
        "身份证" is not about 身份, "洗衣机" not about 洗衣.
        """
        if word.isascii() or len(word) < 3 or self._jieba.has_word(word):
            return []
        parts: list[str] = []
        terms: list[str] = []
        for part in sorted(set(self._jieba.cut_all(word)), key=len, reverse=True):
            term = self._fold(part)
            if len(part) < 2 or part == word or term not in known:
                continue
            if not any(part in longer for longer in parts):
                parts.append(part)
                terms.append(term)
        return terms

    def _words(self, chunk: str) -> list[tuple[str, float]]:
        if chunk.isascii():
            return [(chunk, _latin_share(chunk))]
        words: list[tuple[str, float]] = []
        for part in _LATIN_SPLIT.split(chunk):
            if not part:
                continue
            if part.isascii():
                words.append((part, _latin_share(part)))
            else:
                for word, tag in self._jieba.tag(part):
                    words.extend((piece, _tag_share(tag)) for piece in self._unglue(word))
        return words

    def _unglue(self, word: str) -> list[str]:
        """A word jieba's HMM made up (not in its dictionary) from a filler or a one-character
        concept and its neighbour ("娃报", "课娃", "说会") comes apart again."""
        if len(word) < 2 or self._jieba.has_word(word):
            return [word]
        head, tail = word[0], word[-1]
        if self._loose(head):
            return [head, *self._unglue(word[1:])]
        if self._loose(tail):
            return [*self._unglue(word[:-1]), tail]
        return [word]

    def _loose(self, character: str) -> bool:
        return character in self.stopwords or character in self.concepts

    def _fold(self, word: str) -> str:
        if not word or word in self.stopwords:
            return ""
        if word.isascii():
            if _LATIN_RUN.fullmatch(word) is None or (len(word) == 1 and not word.isdigit()):
                return ""
            word = self.concepts.get(word) or self.concepts.get(_stem(word)) or _stem(word)
            return "" if word in self.stopwords else word
        term = self.concepts.get(word, word)
        return "" if term in self.stopwords else term


def _is_chinese_word(word: str) -> bool:
    return bool(word) and " " not in word and not word.isascii()


def _tag_share(tag: str) -> float:
    if tag.startswith("vn") or tag.startswith("n"):
        return CONTENT
    first = tag[:1]
    if first in _FILLER_TAGS:
        return FILLER
    return VERB_LIKE if first in _VERB_LIKE_TAGS else CONTENT


def _latin_share(word: str) -> float:
    if word.isdigit() or word in NUMBER_WORDS:
        return FILLER
    if word.endswith(("ed", "ing", "ly")) or word in describing_words():
        return VERB_LIKE
    return CONTENT


def _stem(word: str) -> str:
    """Plural and simple verb endings, enough for "classes"/"class", "teachers"/"teacher"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
