"""A classifier trained on the knowledge base's phrasings, beside the similarity channels.

The chars channel scores an entry by its single closest document; this view learns from all of
them at once which spellings tell entries apart. It is kernel ridge regression: each document
(question, phrasing or keyword line) is a training example labelled with its entry, the kernel
is the character n-gram cosine of :mod:`bot.matching.chargrams`, so training is one linear solve
over the documents' cosines with each other, and scoring a question is the cosines the chars
channel computes anyway times the solved weights: a few microseconds.

Ridge (squared loss on one-hot labels) rather than logistic regression: trained in one solve
at build time (0.1 s for the shipped knowledge base), deterministic, and each entry's score is
a plain weighted sum of the question's similarity to its documents and to the others'. A
question like none of the documents scores near 0 for every entry.

The solve needs the documents' cosines with each other: documents squared, as float32, factored
in place block by block (numpy's own solve would hold three copies: 50 MB more peak memory for
the shipped knowledge base instead of 13). A knowledge base of more than ``MAX_DOCUMENTS``
documents goes without this view.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.matching.chargrams import CharIndex

Floats = npt.NDArray[np.float64]
# The regularisation: how far the fit may stay from the labels to keep the weights small
# (cosines are 0-1; a document's cosine with itself is 1).
RIDGE = 0.5
# 4 bytes per pair of documents while building: 9.5 MB at the shipped 1,540, 25 MB at 2,500.
MAX_DOCUMENTS = 2_500
# Rows of the cosines factored at a time (the temporaries are this many columns wide).
BLOCK = 64


class PhrasingClassifier:
    def __init__(self, weights: npt.NDArray[np.float32]) -> None:
        self._weights = weights

    @classmethod
    def train(
        cls, chars: CharIndex, documents: Sequence[str], entry_of: npt.NDArray[np.int64]
    ) -> PhrasingClassifier | None:
        """Trained on ``documents`` (as indexed by ``chars``), document ``i`` being an example
        of entry ``entry_of[i]``; None when there are too many documents to train on."""
        count = len(documents)
        if count == 0 or count > MAX_DOCUMENTS:
            return None
        gram = np.empty((count, count), dtype=np.float32)
        for row, text in enumerate(documents):
            gram[row] = chars.cosines(text)
        gram[np.diag_indices(count)] += RIDGE
        labels = np.zeros((count, int(entry_of.max()) + 1), dtype=np.float32)
        labels[np.arange(count), entry_of] = 1.0
        _cholesky_in_place(gram)
        weights = _solve_factored(gram, labels)
        del gram
        _return_freed_memory()
        return cls(weights)

    def scores(self, cosines: Floats) -> Floats:
        """Each entry's score (about 0-1) for a question whose cosine with each document is
        ``cosines``."""
        found = cosines.astype(np.float32) @ self._weights
        return np.asarray(found, dtype=np.float64)


def _blocks(size: int) -> list[tuple[int, int]]:
    return [(start, min(start + BLOCK, size)) for start in range(0, size, BLOCK)]


def _cholesky_in_place(matrix: npt.NDArray[np.float32]) -> None:
    """Overwrite the lower triangle of the symmetric positive definite ``matrix`` with its
    Cholesky factor L (matrix = L Lᵀ), one block column at a time; the upper triangle outside
    the diagonal blocks is left as it was and never read."""
    size = len(matrix)
    for start, end in _blocks(size):
        # Block by block: a product with all the columns before would copy them first.
        for before, until in _blocks(start):
            matrix[start:, start:end] -= (
                matrix[start:, before:until] @ matrix[start:end, before:until].T
            )
        diagonal = np.linalg.cholesky(matrix[start:end, start:end])
        matrix[start:end, start:end] = diagonal
        if end < size:
            matrix[end:, start:end] = np.linalg.solve(diagonal, matrix[end:, start:end].T).T


def _solve_factored(
    factor: npt.NDArray[np.float32], labels: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """X with L Lᵀ X = ``labels``, L the lower triangle of ``factor``: forward, then back."""
    solved = labels.copy()
    blocks = _blocks(len(factor))
    for start, end in blocks:
        if start:
            solved[start:end] -= factor[start:end, :start] @ solved[:start]
        solved[start:end] = np.linalg.solve(factor[start:end, start:end], solved[start:end])
    for start, end in reversed(blocks):
        if end < len(factor):
            solved[start:end] -= factor[end:, start:end].T @ solved[end:]
        solved[start:end] = np.linalg.solve(factor[start:end, start:end].T, solved[start:end])
    return solved


def _return_freed_memory() -> None:
    """Give the factoring's freed temporaries back to the system. glibc keeps them (freeing the
    9.5 MB of cosines raises its threshold for returning memory), which left every bot process
    10 MB larger; elsewhere this does nothing."""
    # The process's own symbols (libc's among them): ctypes.util.find_library runs ldconfig.
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)
