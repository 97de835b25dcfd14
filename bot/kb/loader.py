"""Load the knowledge base from YAML files, layering local overlays over the national base.

Each configured path is one layer (a file, or a folder read recursively in name order). A later
layer overrides entries by id, field by field, so a district can change an answer or add its
hotline without copying the whole entry. Every definition of an entry is remembered with the
fields it wrote, so ``kb check`` can tell which layer an answer and its ``checked`` date came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from bot.kb.model import Entry, KnowledgeBase
from bot.schema import bind
from bot.yamlfile import KeyPath, LocatedYaml, YamlFileError, read_yaml

FILE_KEYS = ("entries", "concepts", "stopwords", "required")


class KnowledgeError(Exception):
    def __init__(self, problems: list[YamlFileError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Place:
    """Where something was written: a file and a key path inside it."""

    source: LocatedYaml
    path: KeyPath

    def problem(self, message: str, *more: str | int) -> YamlFileError:
        return self.source.error((*self.path, *more), message)


@dataclass(frozen=True)
class Definition:
    """One layer's definition of an entry: where it stands and which fields it wrote."""

    place: Place
    fields: frozenset[str]


@dataclass
class LoadedKnowledge:
    kb: KnowledgeBase
    problems: list[YamlFileError] = field(default_factory=list)
    # entry id -> its definitions, national first, then each overlay that touched it
    definitions: dict[str, list[Definition]] = field(default_factory=dict)
    # required topic id -> where it is listed as required
    required_places: dict[str, Place] = field(default_factory=dict)

    def place(self, entry_id: str) -> Place:
        """Where the entry's current (last overriding) definition stands."""
        return self.definitions[entry_id][-1].place


def layer_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.yaml") if p.is_file())
    return [path]


def load_knowledge(paths: tuple[Path, ...] | list[Path]) -> LoadedKnowledge:
    """Read every layer; problems are collected, not raised (``kb check`` reports them all)."""
    builder = _Builder()
    for layer in paths:
        builder.read_layer(layer)
    return builder.finish()


def load_knowledge_strict(paths: tuple[Path, ...] | list[Path]) -> KnowledgeBase:
    loaded = load_knowledge(paths)
    if loaded.problems:
        raise KnowledgeError(loaded.problems)
    return loaded.kb


def _checked_section(checked: Any) -> Any:
    """``checked: 2026-12`` is short for ``checked: {date: 2026-12}``; YAML reads an unquoted
    2026-12-01 as a date, which is taken as the text it was written as."""
    if isinstance(checked, str | date):
        checked = {"date": checked}
    if isinstance(checked, dict) and isinstance(checked.get("date"), date):
        checked = {**checked, "date": checked["date"].isoformat()}
    return checked


class _Builder:
    def __init__(self) -> None:
        self.raw: dict[str, dict[str, Any]] = {}
        self.definitions: dict[str, list[Definition]] = {}
        self.concepts: dict[str, str] = {}
        self.concept_places: dict[str, Place] = {}
        self.stopwords: set[str] = set()
        self.required: dict[str, Place] = {}
        self.problems: list[YamlFileError] = []

    def read_layer(self, layer: Path) -> None:
        if not layer.exists():
            self.problems.append(YamlFileError(layer, None, "knowledge path does not exist"))
            return
        seen_in_layer: set[str] = set()
        for file in layer_files(layer):
            try:
                source = read_yaml(file)
            except YamlFileError as exc:
                self.problems.append(exc)
                continue
            self.read_file(source, seen_in_layer)

    def read_file(self, source: LocatedYaml, seen_in_layer: set[str]) -> None:
        data = source.data
        if data is None:
            return
        if not isinstance(data, dict):
            self.problems.append(source.error((), "expected keys: " + ", ".join(FILE_KEYS)))
            return
        for key in data:
            if key not in FILE_KEYS:
                known = ", ".join(FILE_KEYS)
                self.problems.append(source.error((key,), f"{key}: unknown key (known: {known})"))
        self._read_entries(source, data.get("entries") or [], seen_in_layer)
        self._read_concepts(source, data.get("concepts") or {})
        for word, _ in self._words(source, data.get("stopwords") or [], "stopwords"):
            self.stopwords.add(word.lower())
        for topic, index in self._words(source, data.get("required") or [], "required"):
            self.required[topic] = Place(source, ("required", index))

    def _read_entries(self, source: LocatedYaml, entries: Any, seen: set[str]) -> None:
        if not isinstance(entries, list):
            self.problems.append(source.error(("entries",), "entries: expected a list of entries"))
            return
        for i, raw in enumerate(entries):
            place = Place(source, ("entries", i))
            entry_id = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(entry_id, str):
                self.problems.append(place.problem(f"entries[{i}]: every entry needs an id"))
                continue
            if entry_id in seen:
                first = self.definitions[entry_id][-1].place
                where = f"{first.source.file}:{first.source.line_of(first.path)}"
                self.problems.append(place.problem(f"duplicate id '{entry_id}' (first at {where})"))
                continue
            seen.add(entry_id)
            if "checked" in raw:
                raw = {**raw, "checked": _checked_section(raw["checked"])}
            self.raw[entry_id] = {**self.raw.get(entry_id, {}), **raw}
            self.definitions.setdefault(entry_id, []).append(Definition(place, frozenset(raw)))

    def _read_concepts(self, source: LocatedYaml, concepts: Any) -> None:
        if not isinstance(concepts, dict):
            self.problems.append(source.error(("concepts",), "concepts: expected a mapping"))
            return
        for canonical, forms in concepts.items():
            place = Place(source, ("concepts", canonical))
            if not isinstance(forms, list) or not all(isinstance(f, str) for f in forms):
                self.problems.append(
                    place.problem(f"concepts.{canonical}: expected a list of words")
                )
                continue
            for form in [canonical, *forms]:
                self._add_concept_form(form.strip().lower(), canonical, place)

    def _add_concept_form(self, form: str, canonical: str, place: Place) -> None:
        owner = self.concepts.get(form)
        if owner is not None and owner != canonical:
            first = self.concept_places[form]
            where = f"{first.source.file}:{first.source.line_of(first.path)}"
            message = f"'{form}' is listed under concepts '{owner}' ({where}) and '{canonical}'"
            self.problems.append(place.problem(message))
            return
        self.concepts[form] = canonical
        self.concept_places[form] = place

    def _words(self, source: LocatedYaml, words: Any, key: str) -> list[tuple[str, int]]:
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            self.problems.append(source.error((key,), f"{key}: expected a list of words"))
            return []
        return [(word.strip(), i) for i, word in enumerate(words)]

    def finish(self) -> LoadedKnowledge:
        entries: dict[str, Entry] = {}
        for entry_id, raw in self.raw.items():
            place = self.definitions[entry_id][-1].place
            try:
                entry = bind(Entry, place.source, raw, place.path)
            except YamlFileError as exc:
                self.problems.append(exc)
                continue
            entries[entry_id] = replace(entry, origin=place.source.file)
        kb = KnowledgeBase(
            entries=entries,
            concepts=dict(self.concepts),
            stopwords=frozenset(self.stopwords),
            required=tuple(self.required),
        )
        return LoadedKnowledge(kb, self.problems, self.definitions, self.required)
