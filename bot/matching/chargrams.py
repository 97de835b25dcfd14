"""Character n-grams beside words: how much of a question's spelling an entry's texts share.

Each document (an entry's question, phrasing or keyword line, normalised) is a TF-IDF vector of
its character 1-3-grams, L2-normalised, as scikit-learn's ``TfidfVectorizer(analyzer="char")``
builds them; a question is scored by cosine against every document, each entry by its best
document. It needs no segmentation, so it still sees a question the segmenter cut badly, a
word the concepts do not list, or a phrase that differs from a phrasing by a character.

The vectors are kept as postings (gram -> documents, weights) in numpy arrays: one question
touches only the documents sharing one of its grams, and a taught phrasing is one more document.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
NGRAMS = (1, 2, 3)


def char_grams(text: str) -> Counter[str]:
    """The 1-3-grams of ``text`` (normalised), spaces included as sklearn does."""
    padded = f" {text} "
    grams = Counter([padded[i : i + n] for n in NGRAMS for i in range(len(padded) - n + 1)])
    grams.pop(" ", None)
    grams.pop("  ", None)
    return grams


class CharIndex:
    def __init__(self, documents: Sequence[str]) -> None:
        # Every (document, gram, count) once, grams numbered as first seen; the rest is array
        # arithmetic, so 5,000 entries build in seconds.
        self._number: dict[str, int] = {}
        number = self._number
        docs: list[int] = []
        numbers: list[int] = []
        counts: list[int] = []
        for doc, text in enumerate(documents):
            grams = char_grams(text)
            numbers.extend([number.setdefault(gram, len(number)) for gram in grams])
            counts.extend(grams.values())
            docs.extend([doc] * len(grams))
        n = len(documents)
        doc_of = np.array(docs, dtype=np.int64)
        gram_of = np.array(numbers, dtype=np.int64)
        # sklearn's smoothed IDF: ln((1 + n) / (1 + df)) + 1.
        df = np.bincount(gram_of, minlength=len(self._number))
        self._idf: Floats = np.log((1 + n) / (1 + df)) + 1
        self._unseen_idf = math.log(1 + n) + 1
        weights = np.array(counts, dtype=np.float64) * self._idf[gram_of]
        norms = np.sqrt(np.bincount(doc_of, weights * weights, minlength=n))
        values = weights / np.where(norms > 0, norms, 1.0)[doc_of]
        # Postings: one flat array, each gram's documents a slice of it (from starts[number] to
        # starts[number + 1]), so a question gathers all its grams' postings in a few
        # vectorised steps instead of one step per gram.
        order = np.argsort(gram_of, kind="stable")
        # Each document's own grams and weights, in document order, for document_cosines.
        self._own_grams = gram_of
        self._own_values: Floats = values
        self._own_starts = np.concatenate(([0], np.cumsum(np.bincount(doc_of, minlength=n))))
        self._docs = doc_of[order]
        self._values: Floats = values[order]
        self._starts = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        self.size = n

    def centroid_norms(self, starts: npt.NDArray[np.int64]) -> Floats:
        """The length of each group's summed document vectors, the groups being the documents
        from ``starts[i]`` to ``starts[i + 1]`` (1 for a group with no grams), so that a
        group's summed cosines divided by it is the cosine with the group's centroid."""
        groups = len(starts)
        group_of = np.searchsorted(starts, self._docs, side="right") - 1
        gram_of = np.repeat(np.arange(len(self._starts) - 1), np.diff(self._starts))
        keys, inverse = np.unique(gram_of * groups + group_of, return_inverse=True)
        sums = np.bincount(inverse, self._values)
        squares = np.bincount(keys % groups, sums * sums, minlength=groups)
        norms: Floats = np.sqrt(squares)
        norms[norms == 0] = 1.0
        return norms

    def document_cosines(self, first: int, last: int) -> Floats:
        """The cosines of documents ``first`` to ``last`` (excluded) with every document, one
        row each: :meth:`cosines` of their texts, from the vectors already built."""
        low, high = self._own_starts[first], self._own_starts[last]
        numbers = self._own_grams[low:high]
        row_of = np.repeat(np.arange(last - first), np.diff(self._own_starts[first : last + 1]))
        positions, lengths = self._postings(numbers)
        scale = np.repeat(self._own_values[low:high], lengths)
        keys = np.repeat(row_of, lengths) * self.size + self._docs[positions]
        rows = last - first
        weights = self._values[positions] * scale
        found: Floats = np.bincount(keys, weights, minlength=rows * self.size).astype(np.float64)
        return found.reshape(rows, self.size)

    def _postings(
        self, numbers: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Every posting position of the grams ``numbers``, and how many each gram has."""
        starts = self._starts[numbers]
        lengths = self._starts[numbers + 1] - starts
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        return offsets + np.arange(int(lengths.sum())), lengths

    def cosines(self, text: str) -> Floats:
        """Cosine similarity (0-1) of ``text`` with every document."""
        known: list[int] = []
        counts: list[int] = []
        unseen = 0  # the sum of squared counts of grams no document has
        number_of = self._number.get
        for gram, count in char_grams(text).items():
            number = number_of(gram)
            if number is None:
                unseen += count * count
            else:
                known.append(number)
                counts.append(count)
        if not known:
            return np.zeros(self.size)
        numbers = np.array(known, dtype=np.int64)
        query: Floats = np.array(counts, dtype=np.float64) * self._idf[numbers]
        query /= math.sqrt(float(query @ query) + unseen * self._unseen_idf**2)
        # Every posting position of the question's grams, and the query weight it is scaled by.
        positions, lengths = self._postings(numbers)
        scale = np.repeat(query, lengths)
        found: Floats = np.bincount(
            self._docs[positions], self._values[positions] * scale, minlength=self.size
        ).astype(np.float64)
        return found
