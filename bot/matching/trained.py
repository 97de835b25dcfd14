"""A classifier trained on the knowledge base's phrasings, beside the similarity channels.

The chars channel scores an entry by its single closest document; this view learns from all of
them at once which spellings tell entries apart. It is kernel ridge regression: each document
(question, phrasing or keyword line) is a training example labelled with its entry, the kernel
is the character n-gram cosine of :mod:`bot.matching.chargrams`, so training is one linear solve
over the documents' cosines with each other, and scoring a question is the cosines the chars
channel computes anyway times the solved weights: tens of microseconds.

Ridge (squared loss on one-hot labels) rather than logistic regression: trained in one solve
at build time (0.1 s for the shipped knowledge base), deterministic, and each entry's score is
a plain weighted sum of the question's similarity to its documents and to the others'. A
question like none of the documents scores near 0 for every entry.

The solve needs the documents' cosines with each other, documents squared: only the lower
triangle is computed, as float32, one block of columns at a time, each factored (Cholesky) as
soon as it is complete, so that building holds 4.7 MB for the shipped 1,540 documents (numpy's
own solve would hold the whole matrix three times over: 50 MB more peak memory). A knowledge
base of more than ``MAX_DOCUMENTS`` documents goes without this view.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from bot.matching.chargrams import CharIndex

Floats = npt.NDArray[np.float64]
# The regularisation: how far the fit may stay from the labels to keep the weights small
# (cosines are 0-1; a document's cosine with itself is 1).
RIDGE = 0.5
# 2 bytes per pair of documents while building: 4.7 MB at the shipped 1,540, 12.5 MB at 2,500.
MAX_DOCUMENTS = 2_500
# Columns of the cosines computed and factored at a time (the temporaries are as wide).
BLOCK = 64
# Documents whose cosines with every other are computed in one step while building.
ROWS_AT_ONCE = 4
Matrix = npt.NDArray[np.float32]


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

        def rows(first: int, last: int) -> Floats:
            # A few rows at a time: the postings they gather are as long as their grams are
            # common, 15 MB for a whole block of 64.
            cosines = np.concatenate(
                [
                    chars.document_cosines(start, min(start + ROWS_AT_ONCE, last))
                    for start in range(first, last, ROWS_AT_ONCE)
                ]
            )
            cosines[np.arange(last - first), np.arange(first, last)] += RIDGE
            return cosines

        labels = np.zeros((count, int(entry_of.max()) + 1), dtype=np.float32)
        labels[np.arange(count), entry_of] = 1.0
        weights = _solve_factored(_cholesky(rows, count), labels)
        _return_freed_memory()
        return cls(weights)

    def scores(self, cosines: Floats) -> Floats:
        """Each entry's score (about 0-1) for a question whose cosine with each document is
        ``cosines``."""
        found = cosines.astype(np.float32) @ self._weights
        return np.asarray(found, dtype=np.float64)


def _blocks(size: int) -> list[tuple[int, int]]:
    return [(start, min(start + BLOCK, size)) for start in range(0, size, BLOCK)]


def _cholesky(block_rows: Callable[[int, int], Floats], size: int) -> list[Matrix]:
    """The Cholesky factor L (matrix = L Lᵀ) of the symmetric positive definite matrix whose
    rows ``i`` to ``j`` (excluded) are ``block_rows(i, j)``, as its block columns: the
    ``j``-th holds L's rows from the block's first on (the lower triangle, nothing above it).
    Left-looking: each block column is computed from the matrix, less what the columns before
    it account for, then factored."""
    columns: list[Matrix] = []
    blocks = _blocks(size)
    for start, end in blocks:
        # The matrix is symmetric: a block of columns is a block of rows, transposed.
        column = block_rows(start, end)[:, start:].T.astype(np.float32)
        for (before, _), left in zip(blocks, columns, strict=False):
            rows = left[start - before :]
            column -= rows @ rows[: end - start].T
        diagonal = np.linalg.cholesky(column[: end - start])
        column[: end - start] = diagonal
        if end < size:
            column[end - start :] = np.linalg.solve(diagonal, column[end - start :].T).T
        columns.append(column)
    return columns


def _solve_factored(columns: list[Matrix], labels: Matrix) -> Matrix:
    """X with L Lᵀ X = ``labels``, L given by its block columns: forward, then back."""
    solved = labels.copy()
    blocks = _blocks(len(labels))
    for (start, end), column in zip(blocks, columns, strict=True):
        for (before, until), left in zip(blocks, columns, strict=False):
            if before >= start:
                break
            solved[start:end] -= left[start - before : end - before] @ solved[before:until]
        solved[start:end] = np.linalg.solve(column[: end - start], solved[start:end])
    for (start, end), column in reversed(list(zip(blocks, columns, strict=True))):
        if end < len(labels):
            solved[start:end] -= column[end - start :].T @ solved[end:]
        solved[start:end] = np.linalg.solve(column[: end - start].T, solved[start:end])
    return solved


def _return_freed_memory() -> None:
    """Give the factoring's freed temporaries back to the system. glibc keeps them (freeing the
    9.5 MB of cosines raises its threshold for returning memory), which left every bot process
    10 MB larger; elsewhere this does nothing."""
    # The process's own symbols (libc's among them): ctypes.util.find_library runs ldconfig.
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)
