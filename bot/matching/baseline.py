"""``eval --baseline``: what an engineer would try first, trained from the loaded knowledge base.

Character 1-3-gram TF-IDF and a logistic regression (scikit-learn, default settings, no tuning),
trained on every entry's questions and phrasings, ``outside`` entries included as classes of
their own (predicting one declines, as the bot does). It answers its top class when that
class's probability reaches a threshold. Two thresholds are reported, both chosen on the
evaluated file itself, which favours the baseline (the matcher's bands are fixed in advance):

- *lowest threshold*: the highest one that still keeps every in-scope answer it can give;
- *threshold balanced*: the one where the lower of in-scope top-1 and out-of-scope rejected is
  highest.

scikit-learn is a development dependency: the bot itself never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.kb.model import KnowledgeBase
from bot.matching.evaluate import Case, percent
from bot.matching.normalize import normalize


@dataclass(frozen=True)
class BaselineScore:
    label: str
    threshold: float
    answered: int
    in_scope: int
    rejected: int
    out_of_scope: int

    @property
    def lower(self) -> float:
        shares = [self.answered / self.in_scope] if self.in_scope else []
        shares += [self.rejected / self.out_of_scope] if self.out_of_scope else []
        return min(shares, default=0.0)

    def summary(self) -> str:
        return (
            f"in-scope top-1: {percent(self.answered, self.in_scope)} "
            f"({self.answered}/{self.in_scope})  "
            f"out-of-scope rejected: {percent(self.rejected, self.out_of_scope)} "
            f"({self.rejected}/{self.out_of_scope})  [p >= {self.threshold:.3f}]"
        )


class BaselineUnavailable(Exception):
    """scikit-learn is not installed (it comes with the development dependencies)."""


def training_texts(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for entry in kb.entries.values():
        for text in (entry.question.zh, entry.question.en, *entry.phrasings):
            if normalize(text):
                texts.append(normalize(text))
                labels.append(entry.id)
    return texts, labels


def score_baseline(kb: KnowledgeBase, cases: Sequence[Case]) -> list[BaselineScore]:
    """The baseline at its lowest and at its balanced threshold on ``cases``."""
    try:
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]
            TfidfVectorizer,
        )
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    except ImportError as exc:
        raise BaselineUnavailable(
            "eval --baseline needs scikit-learn: pip install -e '.[dev]'"
        ) from exc
    texts, labels = training_texts(kb)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
    model = LogisticRegression(max_iter=1000).fit(vectorizer.fit_transform(texts), labels)
    probabilities: Any = model.predict_proba(vectorizer.transform([normalize(c.q) for c in cases]))
    top = probabilities.argmax(axis=1)
    predictions = [
        (str(model.classes_[i]), float(probabilities[row, i])) for row, i in enumerate(top)
    ]
    outside = {e.id for e in kb.entries.values() if e.scope == "outside"}
    scores = [
        _score("", t, cases, predictions, outside) for t in sorted({p for _, p in predictions})
    ]
    scores.append(_score("", 1.01, cases, predictions, outside))
    best_answered = max(s.answered for s in scores)
    lowest = max((s for s in scores if s.answered == best_answered), key=lambda s: s.threshold)
    balanced = max(scores, key=lambda s: (s.lower, s.answered + s.rejected))
    return [
        replace(lowest, label="baseline, lowest threshold"),
        replace(balanced, label="baseline, threshold balanced"),
    ]


def _score(
    label: str,
    threshold: float,
    cases: Sequence[Case],
    predictions: list[tuple[str, float]],
    outside: set[str],
) -> BaselineScore:
    answered = rejected = in_scope = 0
    for case, (entry_id, probability) in zip(cases, predictions, strict=True):
        answers = probability >= threshold and entry_id not in outside
        if case.expect is None:
            rejected += not answers
        else:
            in_scope += 1
            answered += answers and entry_id in case.accepted
    return BaselineScore(label, threshold, answered, in_scope, rejected, len(cases) - in_scope)
