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
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
NGRAMS = (1, 2, 3)


def char_grams(text: str) -> Counter[str]:
    """The 1-3-grams of ``text`` (normalised), spaces included as sklearn does."""
    padded = f" {text} "
    grams: Counter[str] = Counter()
    for n in NGRAMS:
        grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    grams.pop(" ", None)
    grams.pop("  ", None)
    return grams


class CharIndex:
    def __init__(self, documents: Sequence[str]) -> None:
        counts = [char_grams(doc) for doc in documents]
        df: Counter[str] = Counter()
        for grams in counts:
            df.update(grams.keys())
        n = len(documents)
        # sklearn's smoothed IDF: ln((1 + n) / (1 + df)) + 1.
        self.idf = {g: math.log((1 + n) / (1 + d)) + 1 for g, d in df.items()}
        self._unseen_idf = math.log(1 + n) + 1
        postings: defaultdict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for doc, grams in enumerate(counts):
            weights = {g: c * self.idf[g] for g, c in grams.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for gram, weight in weights.items():
                docs, values = postings[gram]
                docs.append(doc)
                values.append(weight / norm)
        self._postings = {
            g: (np.array(d, dtype=np.int32), np.array(v, dtype=np.float64))
            for g, (d, v) in postings.items()
        }
        self.size = n

    def cosines(self, text: str) -> Floats:
        """Cosine similarity (0-1) of ``text`` with every document."""
        grams = char_grams(text)
        weights = {g: c * self.idf.get(g, self._unseen_idf) for g, c in grams.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        docs: list[npt.NDArray[np.int32]] = []
        values: list[Floats] = []
        for gram, weight in weights.items():
            posting = self._postings.get(gram)
            if posting is not None:
                docs.append(posting[0])
                values.append(posting[1] * (weight / norm))
        if not docs:
            return np.zeros(self.size)
        found: Floats = np.bincount(
            np.concatenate(docs), np.concatenate(values), minlength=self.size
        ).astype(np.float64)
        return found
