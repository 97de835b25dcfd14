"""Turn normalised text into comparable terms: segment, fold synonyms to concepts, drop filler.

Chinese runs are cut by rjieba (with every concept form and keyword added to its dictionary, so
domain words stay whole); Latin runs are split on spaces and lightly stemmed. Multi-word English
concept forms ("after school") are folded before splitting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import rjieba

from bot.matching.normalize import normalize

_LATIN_RUN = re.compile(r"[a-z0-9+]+")
_LATIN_SPLIT = re.compile(r"([a-z0-9+]+)")


class Segmenter:
    def __init__(
        self, concepts: dict[str, str], stopwords: Iterable[str], extra_words: Iterable[str] = ()
    ) -> None:
        self.concepts = {normalize(form): canonical for form, canonical in concepts.items()}
        self.stopwords = frozenset(normalize(w) for w in stopwords)
        phrases = [form for form in self.concepts if " " in form]
        phrases.sort(key=len, reverse=True)
        self._phrases = (
            re.compile(r"\b(" + "|".join(re.escape(p) for p in phrases) + r")\b") if phrases else None
        )
        for word in [*self.concepts, *self.concepts.values(), *extra_words]:
            word = normalize(word)
            if word and " " not in word and not word.isascii():
                rjieba.add_word(word, None, None)

    def terms(self, text: str) -> list[str]:
        """The ordered concept-folded terms of ``text`` without stopwords."""
        return self.terms_of_normalized(normalize(text))

    def terms_of_normalized(self, text: str) -> list[str]:
        if self._phrases is not None:
            text = self._phrases.sub(lambda m: f" {self.concepts[m.group(0)]} ", text)
        out: list[str] = []
        for chunk in text.split():
            for word in self._words(chunk):
                term = self._fold(word.strip())
                if term:
                    out.append(term)
        return out

    def _words(self, chunk: str) -> list[str]:
        if chunk.isascii():
            return [chunk]
        words: list[str] = []
        for part in _LATIN_SPLIT.split(chunk):
            if part:
                words.extend([part] if part.isascii() else rjieba.cut(part))
        return words

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


def _stem(word: str) -> str:
    """Plural and simple verb endings, enough for "classes"/"class", "teachers"/"teacher"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
