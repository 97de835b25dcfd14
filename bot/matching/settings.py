"""The ``matching:`` section of the config."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchingConfig:
    answer_score: float = 50.0
    suggest_score: float = 48.0
    answer_margin: float = 3.0
    # Below answer_score, a question is still answered from this score up when its top entry
    # knows several of its words, is spelled most like it and the classifier agrees (100: never).
    corroborated_score: float = 36.0
    max_suggestions: int = 3
    # Where instances share the database: how often each reads whether staff taught a phrasing
    # on another instance (a phrasing taught here is answered at once).
    taught_refresh_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not 0 <= self.suggest_score <= self.answer_score <= 100:
            raise ValueError("need 0 <= suggest_score <= answer_score <= 100")
        if not 0 <= self.corroborated_score <= 100:
            raise ValueError("corroborated_score must be between 0 and 100")
        if not 1 <= self.max_suggestions <= 5:
            raise ValueError("max_suggestions must be between 1 and 5")
        if not 0 < self.taught_refresh_seconds <= 3600:
            raise ValueError("taught_refresh_seconds must be between 0 and 3600")
