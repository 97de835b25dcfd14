"""Possible duplicates: open tickets about the same institution or the same address.

Names are folded the way the FAQ matcher folds questions (NFKC, traditional → simplified,
lowercase, no punctuation), then spaces and company-form endings ("有限公司", "培训学校" ...)
are dropped, since reporters write the same institution with and without them. Chinese names
have no spaces, so the comparison is per character (``ratio``); a name inside a longer one
("新东方" in "北京新东方学校") counts through ``partial_ratio``, slightly discounted, and only
for names long enough to mean something.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.inspection.model import PossibleDuplicate
from bot.inspection.settings import DuplicateSettings
from bot.matching.names import institution_key
from bot.matching.normalize import normalize
from bot.store.base import TicketRecord

# A name found inside a longer one is a weaker sign than two names that read the same.
_CONTAINED_DISCOUNT = 0.95
ADDRESS_KEYS = ("address", "地址")


def address_key(ticket: TicketRecord) -> str:
    try:
        answers = json.loads(ticket.details)
    except ValueError:
        return ""
    if not isinstance(answers, dict):
        return ""
    for key in ADDRESS_KEYS:
        value = answers.get(key)
        if isinstance(value, str) and value.strip():
            return normalize(value).replace(" ", "")
    return ""


@dataclass(frozen=True)
class _Keys:
    number: str
    institution: str
    address: str


class DuplicateFinder:
    def __init__(self, settings: DuplicateSettings) -> None:
        self.settings = settings

    def find(
        self, ticket: TicketRecord, candidates: Sequence[TicketRecord]
    ) -> list[PossibleDuplicate]:
        """The best matches among ``candidates`` (open tickets), highest score first."""
        others = [
            _Keys(c.number, institution_key(c.institution), address_key(c))
            for c in candidates
            if c.id != ticket.id
        ]
        best: dict[str, PossibleDuplicate] = {}
        searches = (
            ("institution", institution_key(ticket.institution), self.settings.institution_score),
            ("address", address_key(ticket), self.settings.address_score),
        )
        for field, key, cutoff in searches:
            choices = [getattr(o, field) for o in others]
            for index, score in self._scores(key, choices, cutoff).items():
                number = others[index].number
                if number not in best or best[number].score < score:
                    best[number] = PossibleDuplicate(number, round(score, 1), field)
        ranked = sorted(best.values(), key=lambda d: (-d.score, d.ticket_number))
        return ranked[: self.settings.max_results]

    def _scores(self, key: str, choices: list[str], cutoff: float) -> dict[int, float]:
        """Index in ``choices`` → score, for those at or above ``cutoff``."""
        if len(key) < self.settings.min_chars:
            return {}
        scores: dict[int, float] = {}
        for _, score, index in process.extract(
            key, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            scores[index] = score
        for _, score, index in process.extract(
            key, choices, scorer=fuzz.partial_ratio, score_cutoff=cutoff, limit=None
        ):
            # "学而" inside anything: a contained name must be long enough to name one body.
            if min(len(key), len(choices[index])) <= self.settings.min_chars:
                continue
            contained = score * _CONTAINED_DISCOUNT
            if contained >= cutoff:
                scores[index] = max(scores.get(index, 0.0), contained)
        return scores
