"""Name lookups over the whole registry, in memory, in a few milliseconds at 100,000 entries.

Every name and alias is folded to a key (:mod:`bot.matching.names`: no company-form ending, no
leading place, simplified characters) and to its sounds (:mod:`bot.matching.pinyin`). A query
gathers candidates three ways: the same key, the same sounds (a homophone typo), and the keys
sharing most characters with it (counted with numpy over per-character postings, so one wrong
character still finds the name). Only those few are scored with rapidfuzz.

A score is the best of: the characters' similarity; the sounds' similarity, a little discounted;
and, for names of three characters or more, one name inside the other, kept below the "sure"
line (a brand inside a longer name may be another business: "新东方" and "新东方烹饪学校").
The district, when known, breaks ties between branches of one brand.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from bot.matching.names import region_of, without_endings, without_place
from bot.matching.normalize import normalize
from bot.matching.pinyin import syllables
from bot.registry.model import LookupResult, Match
from bot.store.base import InstitutionRecord

# A match is "sure" at or above this score, and this far ahead of the next institution.
SURE_SCORE = 90.0
SURE_MARGIN = 5.0
# Close enough to offer ("did you mean").
CANDIDATE_SCORE = 70.0
MAX_CANDIDATES = 5
# Keys sharing the most characters with the query that are scored.
OVERLAP_CANDIDATES = 64
# Same sounds, different characters: nearly as good as the same characters.
SOUND_DISCOUNT = 0.95
# One name inside another: at most this (never "sure" by itself) ...
CONTAINED_TOP = 88.0
CONTAINED_BASE = 80.0
# ... and only when the shorter of the two has at least this many characters.
CONTAINED_MIN_CHARS = 3
# Keys this short must match exactly ("数学" says too little to be near anything).
EXACT_ONLY_CHARS = 2
# Same district as asked: a little up; another district: a little down.
SAME_DISTRICT_BONUS = 3.0
OTHER_DISTRICT_MALUS = 5.0


@dataclass(frozen=True)
class _Query:
    key: str
    sounds: tuple[str, ...]
    district: str  # a district id, or ""


class RegistryIndex:
    """Built once per registry version; read-only afterwards (safe to share)."""

    def __init__(
        self,
        records: Sequence[InstitutionRecord],
        version: int,
        districts: Mapping[str, str],
    ) -> None:
        self.version = version
        self.records = tuple(records)
        self._by_id = {r.id: r for r in self.records}
        self._districts = {normalize(name).replace(" ", ""): d for name, d in districts.items()}
        # The registry's own district names are places too, and so are the cities its names
        # begin with, written without "市" ("北京学而思" is "北京市学而思").
        places = set(self._districts)
        for record in self.records:
            name = normalize(record.district).replace(" ", "")
            if name and name not in self._districts:
                self._districts[name] = name
                places.add(name)
            region = region_of(record.name)
            if len(region) > 2:
                places.add(region[:-1])
        self._places = sorted(places, key=len, reverse=True)
        self.listed_on = max((r.listed_on for r in self.records if r.listed_on), default=None)
        self._build_keys()

    def _build_keys(self) -> None:
        self._key_text: list[str] = []
        self._key_owner: list[int] = []  # index into self.records
        self._key_name: list[str] = []  # the name or alias the key came from
        self._key_sounds: list[tuple[str, ...]] = []
        self._exact: defaultdict[str, list[int]] = defaultdict(list)
        self._by_sound: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for owner, record in enumerate(self.records):
            seen: set[str] = set()
            for name in (record.name, *record.aliases):
                key = self.key(name)
                if not key or key in seen:
                    continue
                seen.add(key)
                index = len(self._key_text)
                sounds = syllables(key)
                self._key_text.append(sys.intern(key))
                self._key_owner.append(owner)
                self._key_name.append(name)
                self._key_sounds.append(sounds)
                self._exact[key].append(index)
                self._by_sound[sounds].append(index)
                for character in set(key):
                    postings[character].append(index)
        self._postings = {c: np.asarray(keys, dtype=np.int32) for c, keys in postings.items()}
        ids = {d: self.district_id(d) for d in {r.district for r in self.records}}
        self._district_of = [ids[r.district] for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def by_id(self, institution_id: int) -> InstitutionRecord | None:
        return self._by_id.get(institution_id)

    def district_id(self, district: str) -> str:
        name = normalize(district).replace(" ", "")
        return self._districts.get(name, name)

    def key(self, name: str) -> str:
        rest, _ = without_place(name, self._places)
        return without_endings(rest)

    def lookup(self, name: str, district: str = "") -> LookupResult:
        """The registry's entries for ``name``; ``district`` (an id or a name) breaks ties."""
        rest, place = without_place(name, self._places)
        key = without_endings(rest)
        query = _Query(
            key=key,
            sounds=syllables(key),
            # A city is no district: only a district's name says which branch is meant.
            district=self.district_id(district or (place if place in self._districts else "")),
        )
        matches = self._ranked(query) if query.key else []
        sure = _sure(matches, query)
        candidates = tuple(m for m in matches if m.score >= CANDIDATE_SCORE)[:MAX_CANDIDATES]
        return LookupResult(name, sure, candidates, len(self.records), self.listed_on)

    def _ranked(self, query: _Query) -> list[Match]:
        best: dict[int, tuple[float, int]] = {}  # owner -> (score, key index)
        for index in self._candidate_keys(query):
            score = self._score(query, index)
            owner = self._key_owner[index]
            if owner not in best or best[owner][0] < score:
                best[owner] = (score, index)
        matches = [
            Match(self.records[owner], round(score, 1), self._key_name[index])
            for owner, (score, index) in best.items()
        ]
        matches.sort(key=lambda m: (-m.score, m.institution.name, m.institution.id))
        return matches

    def _candidate_keys(self, query: _Query) -> Iterable[int]:
        found = set(self._exact.get(query.key, ()))
        found.update(self._by_sound.get(query.sounds, ()))
        if len(query.key) <= EXACT_ONLY_CHARS:
            return found
        lists = [self._postings[c] for c in set(query.key) if c in self._postings]
        if lists:
            counts = np.bincount(np.concatenate(lists))
            # The keys sharing the most characters, and those one character behind them (a
            # typo): usually few, so only they are ranked (ranking all keys took 2 ms).
            most = int(counts.max())
            near = np.flatnonzero(counts >= max(1, most - 1))
            if len(near) > OVERLAP_CANDIDATES:
                near = near[np.argpartition(counts[near], -OVERLAP_CANDIDATES)]
                near = near[-OVERLAP_CANDIDATES:]
            found.update(near.tolist())
        return found

    def _score(self, query: _Query, index: int) -> float:
        key = self._key_text[index]
        if len(query.key) <= EXACT_ONLY_CHARS or len(key) <= EXACT_ONLY_CHARS:
            score = 100.0 if key == query.key else 0.0
            if query.sounds == self._key_sounds[index]:
                score = max(score, 100.0 * SOUND_DISCOUNT)
        else:
            score = max(
                fuzz.ratio(query.key, key),
                fuzz.ratio(query.sounds, self._key_sounds[index]) * SOUND_DISCOUNT,
                _contained(query.key, key),
            )
        district = self._district_of[self._key_owner[index]]
        if query.district and district:
            nudged = score + (
                SAME_DISTRICT_BONUS if district == query.district else -OTHER_DISTRICT_MALUS
            )
            # A tie-breaker, never what makes a match sure.
            score = nudged if score >= SURE_SCORE else min(nudged, SURE_SCORE - 1)
        return float(min(100.0, max(0.0, score)))


def _contained(query: str, key: str) -> float:
    shorter, longer = sorted((query, key), key=len)
    if len(shorter) < CONTAINED_MIN_CHARS or shorter == longer or shorter not in longer:
        return 0.0
    return CONTAINED_BASE + (CONTAINED_TOP - CONTAINED_BASE) * len(shorter) / len(longer)


def _sure(matches: list[Match], query: _Query) -> Match | None:
    if not matches or matches[0].score < SURE_SCORE:
        return None
    if len(matches) > 1 and matches[1].score > matches[0].score - SURE_MARGIN:
        return None
    return matches[0]
