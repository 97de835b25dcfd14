"""The classifier trained on the phrasings: its solve, what it learns, and where it stops."""

from __future__ import annotations

import numpy as np
import pytest

from bot.matching import trained
from bot.matching.chargrams import CharIndex
from bot.matching.trained import PhrasingClassifier


def test_the_blockwise_solve_agrees_with_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small blocks, so that the test crosses several block boundaries, some of them partial.
    monkeypatch.setattr(trained, "BLOCK", 7)
    rng = np.random.default_rng(1)
    points = rng.random((40, 12)).astype(np.float32)
    matrix = points @ points.T + 0.5 * np.eye(40, dtype=np.float32)
    labels = rng.random((40, 3)).astype(np.float32)
    expected = np.linalg.solve(matrix.astype(np.float64), labels.astype(np.float64))
    factor = trained._cholesky(lambda first, last: matrix[first:last].astype(np.float64), 40)
    assert np.allclose(trained._solve_factored(factor, labels), expected, atol=1e-4)


DOCUMENTS = ["周末补课", "周末上补习班", "作业太多", "作业写不完"]
ENTRY_OF = np.array([0, 0, 1, 1], dtype=np.int64)


def test_documents_cosines_are_their_texts_cosines() -> None:
    # Training reads the documents' cosines with each other from the built vectors, a block of
    # rows at a time; they are what scoring each text as a question gives.
    documents = [*DOCUMENTS, "", "after school 课后服务"]
    chars = CharIndex(documents)
    expected = np.array([chars.cosines(text) for text in documents])
    assert np.allclose(chars.document_cosines(0, len(documents)), expected)
    assert np.allclose(chars.document_cosines(2, 5), expected[2:5])


def test_it_scores_a_question_for_the_entry_whose_phrasings_it_resembles() -> None:
    chars = CharIndex(DOCUMENTS)
    classifier = PhrasingClassifier.train(chars, DOCUMENTS, ENTRY_OF)
    assert classifier is not None
    homework, tutoring = (
        classifier.scores(chars.cosines("作业多")),
        classifier.scores(chars.cosines("周末补习")),
    )
    assert homework.argmax() == 1 and tutoring.argmax() == 0
    # Like none of the phrasings: nothing for any entry.
    assert np.allclose(classifier.scores(chars.cosines("比特币")), 0.0)


def test_a_knowledge_base_too_large_to_train_on_goes_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trained, "MAX_DOCUMENTS", 3)
    assert PhrasingClassifier.train(CharIndex(DOCUMENTS), DOCUMENTS, ENTRY_OF) is None
