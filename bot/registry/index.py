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

An index is built once from the whole registry (:meth:`RegistryIndex.building`) and then kept
current with the institutions changed since (:meth:`RegistryIndex.catching_up`): a changed
status replaces one record, a changed or new name adds its keys beside the built ones. Both are
generators of small steps, so the event loop runs them between other work
(:func:`in_slices`) and lookups keep answering meanwhile.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import sys
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np
from rapidfuzz import fuzz

from bot.matching.names import Places, folded, region_of, without_endings, without_place
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
# Keys added since the build are searched from plain lists: past this many, build afresh.
MAX_ADDED_KEYS = 5000
# How long the event loop runs an index step before other work has its turn.
SLICE_SECONDS = 0.004
# Records handled between two checks of the slice's time.
STEP_RECORDS = 16

T = TypeVar("T")
Steps = Generator[None, None, T]

# An institution is kept as the plain tuple of its fields: the garbage collector stops looking
# at a tuple of plain values, where 100,000 records would lengthen each of its full passes.
_FIELDS = tuple(f.name for f in fields(InstitutionRecord))
Row = tuple[Any, ...]
as_row: Callable[[InstitutionRecord], Row] = operator.attrgetter(*_FIELDS)
_ID, _NAME, _ALIASES, _DISTRICT, _LISTED_ON = (
    _FIELDS.index(f) for f in ("id", "name", "aliases", "district", "listed_on")
)


async def in_slices(steps: Steps[T], seconds: float = SLICE_SECONDS) -> T:
    """Run ``steps`` on the event loop, letting other work run every ``seconds``."""
    deadline = time.perf_counter() + seconds
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        if time.perf_counter() >= deadline:
            await asyncio.sleep(0)
            deadline = time.perf_counter() + seconds


@dataclass(frozen=True)
class _Query:
    key: str
    sounds: tuple[str, ...]
    district: str  # a district id, or ""


class RegistryIndex:
    """The registry at one version, for lookups. Changed only by :meth:`catching_up`, whose
    every step leaves each institution either as it was or as it is now."""

    def __init__(self, version: int, districts: Mapping[str, str]) -> None:
        """An empty index; ``districts``: every name a district goes by → its id."""
        self.version = version
        self.listed_on: str | None = None  # the newest list date in the registry
        self._district_names = dict(districts)
        self._districts = {folded(name): d for name, d in districts.items()}  # folded -> id
        self._places = Places(())
        self._rows: list[Row] = []  # institutions' fields, by position
        self._owner_of: dict[int, int] = {}  # registry id -> position in _rows
        self._district_of: list[str] = []  # by position: the district id
        # Numbers in arrays (which the garbage collector never walks through).
        self._first_key = array("i")  # by position: its first key (its keys follow it) ...
        self._key_count = array("h")  # ... and how many it has
        self._key_text: list[str] = []
        self._key_owner = array("i")  # by key: position in _rows
        self._key_alias = array("h")  # by key: which of the names it came from (0: the name)
        self._key_sounds: list[tuple[str, ...]] = []
        # Tuples, not lists: the garbage collector stops looking at a tuple of numbers, so
        # hundreds of thousands of them do not lengthen its pauses.
        self._exact: dict[str, tuple[int, ...]] = {}
        self._by_sound: dict[tuple[str, ...], tuple[int, ...]] = {}
        self._postings: dict[str, np.ndarray] = {}  # character -> keys holding it (built)
        self._added: defaultdict[str, list[int]] = defaultdict(list)  # ... added since
        self._added_keys = 0
        self._dead: set[int] = set()  # keys of names an institution no longer has

    # --- building and keeping current ---

    @classmethod
    def building(
        cls, rows: Sequence[Row], version: int, districts: Mapping[str, str]
    ) -> Steps[RegistryIndex]:
        """The steps that build an index of ``rows`` (:func:`as_row`); the last returns it."""
        index = cls(version, districts)
        places = set(index._districts)
        for n, row in enumerate(rows):
            places.update(index._places_of(row))
            if n % STEP_RECORDS == 0:
                yield
        index._places = Places(places)
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for n, row in enumerate(rows):
            index._add(row, postings)
            if n % STEP_RECORDS == 0:
                yield
        for character, keys in postings.items():
            index._postings[character] = np.asarray(keys, dtype=np.int32)
            yield  # a common character's list holds tens of thousands
        return index

    def catching_up(self, changed: Sequence[Row], version: int) -> Steps[RegistryIndex | None]:
        """The steps that bring this index to ``version`` with the institutions ``changed``
        since its own; the last returns it, or None (nothing changed yet) when a change needs
        a fresh build: a place no name began with, or too many new names."""
        renamed = 0
        for n, row in enumerate(changed):
            owner = self._owner_of.get(row[_ID])
            if owner is None or _names(self._rows[owner]) != _names(row):
                if not self._places_of(row) <= self._places.names:
                    return None
                renamed += 1
            if n % STEP_RECORDS == 0:
                yield
        if self._added_keys + 2 * renamed > MAX_ADDED_KEYS:
            return None
        for n, row in enumerate(changed):
            self._replace(row)
            if n % STEP_RECORDS == 0:
                yield
        self.version = version
        return self

    def rebuilding(self, changed: Sequence[Row], version: int) -> Steps[RegistryIndex]:
        """The steps that build a fresh index of this one's institutions, the ``changed``
        ones as they are now; the last returns it."""
        rows: dict[int, Row] = {}
        for n, row in enumerate(itertools.chain(self._rows, changed)):
            rows[row[_ID]] = row  # by id: a changed one replaces the one held
            if n % (STEP_RECORDS * 64) == 0:
                yield
        return (
            yield from RegistryIndex.building(list(rows.values()), version, self._district_names)
        )

    def _places_of(self, row: Row) -> set[str]:
        """The places an institution brings: its district, and the city its name begins with."""
        found = set()
        district = folded(row[_DISTRICT])
        if district:
            self._districts.setdefault(district, district)
            found.add(district)
        region = region_of(folded(row[_NAME]))
        if len(region) > 2:
            found.add(region[:-1])  # "北京学而思" is "北京市学而思"
        return found

    def _add(self, row: Row, postings: defaultdict[str, list[int]]) -> None:
        owner = len(self._rows)
        self._rows.append(row)
        self._owner_of[row[_ID]] = owner
        self._district_of.append(self.district_id(row[_DISTRICT]))
        self._first_key.append(len(self._key_text))
        self._key_count.append(self._add_keys(owner, row, postings))
        self._note_list_date(row)

    def _add_keys(self, owner: int, row: Row, postings: defaultdict[str, list[int]]) -> int:
        """Append the keys of the institution's names (one after the other); how many."""
        first = len(self._key_text)
        for alias, name in enumerate(_names(row)[:-1]):
            key = self.key(name)
            if not key or key in self._key_text[first:]:
                continue
            index = len(self._key_text)
            sounds = syllables(key)
            self._key_text.append(sys.intern(key))
            self._key_owner.append(owner)
            self._key_alias.append(alias)
            self._key_sounds.append(sounds)
            self._exact[key] = (*self._exact.get(key, ()), index)
            self._by_sound[sounds] = (*self._by_sound.get(sounds, ()), index)
            for character in set(key):
                postings[character].append(index)
        return len(self._key_text) - first

    def _replace(self, row: Row) -> None:
        owner = self._owner_of.get(row[_ID])
        if owner is None:
            self._add(row, self._added)
            self._added_keys += self._key_count[-1]
            return
        before, self._rows[owner] = self._rows[owner], row
        if before[_DISTRICT] != row[_DISTRICT]:
            self._district_of[owner] = self.district_id(row[_DISTRICT])
        if _names(before) != _names(row):
            first = self._first_key[owner]
            self._dead.update(range(first, first + self._key_count[owner]))
            self._first_key[owner] = len(self._key_text)
            self._key_count[owner] = self._add_keys(owner, row, self._added)
            self._added_keys += self._key_count[owner]
        self._note_list_date(row)

    def _note_list_date(self, row: Row) -> None:
        listed_on = row[_LISTED_ON]
        if listed_on and (self.listed_on is None or listed_on > self.listed_on):
            self.listed_on = listed_on

    # --- reading ---

    def __len__(self) -> int:
        return len(self._rows)

    def _record(self, owner: int) -> InstitutionRecord:
        return InstitutionRecord(*self._rows[owner])

    def by_id(self, institution_id: int) -> InstitutionRecord | None:
        owner = self._owner_of.get(institution_id)
        return None if owner is None else self._record(owner)

    def district_id(self, district: str) -> str:
        name = folded(district)
        return self._districts.get(name, name)

    def key(self, name: str) -> str:
        rest, _ = without_place(folded(name), self._places)
        return without_endings(rest)

    def lookup(self, name: str, district: str = "") -> LookupResult:
        """The registry's entries for ``name``; ``district`` (an id or a name) breaks ties."""
        rest, place = without_place(folded(name), self._places)
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
        return LookupResult(name, sure, candidates, len(self._rows), self.listed_on)

    def _ranked(self, query: _Query) -> list[Match]:
        """The best matches, best first (as many as a lookup shows)."""
        best: dict[int, tuple[float, int]] = {}  # owner -> (score, key index)
        for index in self._candidate_keys(query):
            score = round(self._score(query, index), 1)
            owner = self._key_owner[index]
            if owner not in best or best[owner][0] < score:
                best[owner] = (score, index)
        rows = self._rows
        ranked = sorted(best.items(), key=lambda b: (-b[1][0], rows[b[0]][_NAME], rows[b[0]][_ID]))[
            : max(MAX_CANDIDATES, 2)
        ]
        return [
            Match(self._record(owner), score, self._key_name(index))
            for owner, (score, index) in ranked
        ]

    def _key_name(self, index: int) -> str:
        """The name or alias key ``index`` came from."""
        row = self._rows[self._key_owner[index]]
        alias = self._key_alias[index]
        return str(row[_NAME] if alias == 0 else row[_ALIASES][alias - 1])

    def _candidate_keys(self, query: _Query) -> Iterable[int]:
        found = set(self._exact.get(query.key, ()))
        found.update(self._by_sound.get(query.sounds, ()))
        if len(query.key) > EXACT_ONLY_CHARS:
            found.update(self._sharing_most(query.key))
        return found - self._dead if self._dead else found

    def _sharing_most(self, key: str) -> list[int]:
        """The keys sharing the most characters with ``key``, and those one character behind
        them (a typo): usually few, so only they are ranked (ranking all keys took 2 ms)."""
        characters = set(key)
        lists = [self._postings[c] for c in characters if c in self._postings]
        lists += [np.asarray(self._added[c], np.int32) for c in characters if c in self._added]
        if not lists:
            return []
        counts = np.bincount(np.concatenate(lists))
        most = int(counts.max())
        near = np.flatnonzero(counts >= max(1, most - 1))
        if len(near) > OVERLAP_CANDIDATES:
            near = near[np.argpartition(counts[near], -OVERLAP_CANDIDATES)]
            near = near[-OVERLAP_CANDIDATES:]
        return near.tolist()

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


def _names(row: Row) -> tuple[str, ...]:
    """What an institution's keys are made of: its names, then its district (last)."""
    return (row[_NAME], *row[_ALIASES], row[_DISTRICT])


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
