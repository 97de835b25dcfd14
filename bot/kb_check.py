"""``kb check``: everything that can be wrong with a knowledge base, as ``file:line: message``.

Problems fail the check; warnings (facts not checked for a year) are printed but do not. The
phrasings staff taught with /teach (kept in the database) are checked as the files' own are,
each named by the database and its id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from bot.kb.loader import Definition, LoadedKnowledge, Place, load_knowledge
from bot.kb.model import Entry, KnowledgeBase
from bot.kb.placeholders import PLACEHOLDER, render_answer
from bot.matching.normalize import normalize
from bot.matching.segment import Segmenter
from bot.store.base import TaughtPhrasing
from bot.yamlfile import YamlFileError

# Telegram's limit for one message (telegram.constants.MessageLimit.MAX_TEXT_LENGTH); bot/ keeps
# Telegram out of its imports, so the figure is restated here.
MAX_ANSWER_LENGTH = 4096
# An entry whose facts were last checked this many months ago (or more) is due for a new check.
RECHECK_MONTHS = 12
# What a layer that replaces an entry's answer must write itself, not inherit from the layer
# below: the new text's facts were neither sourced nor checked by whoever wrote the old one.
ANSWER_COMPANIONS = ("source", "checked")


@dataclass(frozen=True)
class KnowledgeCheck:
    problems: list[YamlFileError] = field(default_factory=list)
    warnings: list[YamlFileError] = field(default_factory=list)


def check_knowledge(
    paths: list[Path],
    placeholders: dict[str, str],
    today: date,
    taught: Sequence[TaughtPhrasing] = (),
    taught_from: str = "database",
) -> KnowledgeCheck:
    """The files' problems and warnings, and those of ``taught`` (read from ``taught_from``)."""
    loaded = load_knowledge(paths)
    problems = list(loaded.problems)
    checks = (_related, _phrasings, _answers, _required)
    for check in checks:
        problems.extend(check(loaded, placeholders))
    problems.extend(_checked_dates(loaded, today))
    problems.extend(_overridden_answers(loaded))
    problems.extend(YamlFileError(taught_from, None, p) for p in check_taught(loaded.kb, taught))
    return KnowledgeCheck(problems, list(_stale(loaded, today)))


def _related(loaded: LoadedKnowledge, _: dict[str, str]) -> Iterator[YamlFileError]:
    for entry in loaded.kb.entries.values():
        place = loaded.place(entry.id)
        for i, other in enumerate(entry.related):
            if other == entry.id:
                yield place.problem(f"{entry.id}: related lists the entry itself", "related", i)
            elif other not in loaded.kb.entries:
                yield place.problem(
                    f"{entry.id}: related id '{other}' does not exist", "related", i
                )


def _phrasings(loaded: LoadedKnowledge, _: dict[str, str]) -> Iterator[YamlFileError]:
    """The same phrasing under two entries, literally or once synonyms and filler are folded
    ("举报了会有人管吗" reads as just "举报"): the matcher could not tell those entries apart."""
    kb = loaded.kb
    segmenter = Segmenter(kb.concepts, kb.stopwords)
    owners: dict[object, tuple[str, Place, tuple[str | int, ...]]] = {}
    for entry in kb.entries.values():
        place = loaded.place(entry.id)
        for text, key in _claims(entry):
            form = normalize(text)
            if not form:
                yield place.problem(f"{entry.id}: '{text}' has no words to match", *key)
                continue
            for identity in (form, frozenset(segmenter.terms(text))):
                owner = owners.setdefault(identity, (entry.id, place, key))
                if owner[0] != entry.id:
                    yield place.problem(_claimed_twice(entry.id, text, identity, owner), *key)
                    break


def _claimed_twice(
    entry_id: str, text: str, identity: object, owner: tuple[str, Place, tuple[str | int, ...]]
) -> str:
    first = owner[1].source.line_of((*owner[1].path, *owner[2]))
    where = f"{owner[1].source.file}:{first}"
    if isinstance(identity, str):
        return f"{entry_id}: '{text}' is also claimed by {owner[0]} ({where})"
    terms = " ".join(sorted(identity)) or "(nothing)"  # type: ignore[call-overload]
    return f"{entry_id}: '{text}' reads as '{terms}', like a phrasing of {owner[0]} ({where})"


def taught_phrasing_problem(
    kb: KnowledgeBase, entry_id: str, text: str, segmenter: Segmenter | None = None
) -> str:
    """Why ``text`` cannot be taught as a phrasing of ``entry_id`` ("" if it can): the checks
    ``kb check`` makes of every phrasing, against the knowledge base as it stands."""
    if entry_id not in kb.entries:
        return f"entry '{entry_id}' does not exist"
    form = normalize(text)
    if not form:
        return f"'{text}' has no words to match"
    segmenter = segmenter or Segmenter(kb.concepts, kb.stopwords)
    terms = frozenset(segmenter.terms(text))
    for entry in kb.entries.values():
        if entry.id == entry_id:
            continue
        for claim, _ in _claims(entry):
            if normalize(claim) == form:
                return f"'{text}' is also claimed by {entry.id}"
            if frozenset(segmenter.terms(claim)) == terms:
                shown = " ".join(sorted(terms)) or "(nothing)"
                return f"'{text}' reads as '{shown}', like a phrasing of {entry.id}"
    return ""


def check_taught(kb: KnowledgeBase, taught: Sequence[TaughtPhrasing]) -> list[str]:
    """``taught phrasing #id (entry): message`` for each taught phrasing that ``kb check`` would
    fail, checked against the knowledge base and the ones taught before it."""
    if not taught:
        return []
    segmenter = Segmenter(kb.concepts, kb.stopwords)
    problems: list[str] = []
    entries = dict(kb.entries)
    for phrasing in taught:
        current = replace(kb, entries=entries)
        problem = taught_phrasing_problem(current, phrasing.entry_id, phrasing.phrasing, segmenter)
        if problem:
            problems.append(f"taught phrasing #{phrasing.id} ({phrasing.entry_id}): {problem}")
            continue
        entry = entries[phrasing.entry_id]
        entries[entry.id] = replace(entry, phrasings=(*entry.phrasings, phrasing.phrasing))
    return problems


def _claims(entry: Entry) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    yield entry.question.zh, ("question", "zh")
    if entry.question.en:
        yield entry.question.en, ("question", "en")
    for i, phrasing in enumerate(entry.phrasings):
        yield phrasing, ("phrasings", i)


def _answers(loaded: LoadedKnowledge, placeholders: dict[str, str]) -> Iterator[YamlFileError]:
    for entry in loaded.kb.entries.values():
        place = loaded.place(entry.id)
        for language in ("zh", "en"):
            text = getattr(entry.answer, language)
            names = PLACEHOLDER.findall(text)
            unknown = sorted({n for n in names if n not in placeholders})
            if unknown:
                listed = ", ".join(unknown)
                message = (
                    f"{entry.id}: answer.{language} uses placeholders not set in config "
                    f"local: {listed}"
                )
                yield place.problem(message, "answer", language)
                continue
            rendered = render_answer(text, placeholders)
            if len(rendered) > MAX_ANSWER_LENGTH:
                message = (
                    f"{entry.id}: answer.{language} is {len(rendered)} characters, over "
                    f"Telegram's {MAX_ANSWER_LENGTH}"
                )
                yield place.problem(message, "answer", language)


def _required(loaded: LoadedKnowledge, _: dict[str, str]) -> Iterator[YamlFileError]:
    for topic, place in loaded.required_places.items():
        if topic not in loaded.kb.entries:
            yield place.problem(f"required topic '{topic}' has no entry")


def _checked_dates(loaded: LoadedKnowledge, today: date) -> Iterator[YamlFileError]:
    for entry in loaded.kb.entries.values():
        if entry.checked is None:
            first = loaded.definitions[entry.id][0].place
            yield first.problem(
                f"{entry.id}: no checked date: say when its facts were last checked against "
                f"{entry.source.document} (checked: {today:%Y-%m})"
            )
        elif entry.checked.month > (today.year, today.month):
            place = _where_written(loaded.definitions[entry.id], "checked")
            yield place.problem(
                f"{entry.id}: checked {entry.checked.date} is later than today ({today:%Y-%m})",
                "checked",
            )


def _stale(loaded: LoadedKnowledge, today: date) -> Iterator[YamlFileError]:
    for entry in loaded.kb.entries.values():
        if entry.checked is None:
            continue
        year, month = entry.checked.month
        age = (today.year - year) * 12 + today.month - month
        if age >= RECHECK_MONTHS:
            place = _where_written(loaded.definitions[entry.id], "checked")
            documents = "; ".join(entry.checked_against)
            yield place.problem(
                f"{entry.id}: facts last checked {entry.checked.date}, {age} months "
                f"ago: check them against {documents} again and update checked",
                "checked",
            )


def _overridden_answers(loaded: LoadedKnowledge) -> Iterator[YamlFileError]:
    """An overlay that replaces an answer must carry its own source and checked date."""
    for entry_id, definitions in loaded.definitions.items():
        last = max((i for i, d in enumerate(definitions) if "answer" in d.fields), default=0)
        if last == 0:
            continue  # the answer is the first definition's, which must be complete anyway
        written = frozenset().union(*(d.fields for d in definitions[last:]))
        missing = [name for name in ANSWER_COMPANIONS if name not in written]
        if missing:
            yield definitions[last].place.problem(
                f"{entry_id}: replaces the answer but not its {' and '.join(missing)}: an answer "
                f"written here needs its own source and checked date"
            )


def _where_written(definitions: list[Definition], name: str) -> Place:
    """The place of the last definition that wrote the field ``name``."""
    return next(d.place for d in reversed(definitions) if name in d.fields)


def warning_line(warning: YamlFileError) -> str:
    """``file:line: warning: message``, as ``kb check`` prints a warning."""
    return str(YamlFileError(warning.file, warning.line, f"warning: {warning.message}"))
