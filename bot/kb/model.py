"""The knowledge base's shape: what one entry holds once validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ENTRY_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
SOURCE_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


@dataclass(frozen=True)
class Localized:
    """A text in Chinese (always) and English (optional)."""

    zh: str
    en: str = ""

    def __post_init__(self) -> None:
        if not self.zh.strip():
            raise ValueError("zh must not be empty")

    def for_language(self, language: str) -> str:
        return self.en if language == "en" and self.en else self.zh


@dataclass(frozen=True)
class Source:
    document: str
    date: str
    issuer: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        if not self.document.strip():
            raise ValueError("document must not be empty")
        if not SOURCE_DATE.match(self.date):
            raise ValueError(f"date must look like 2021-07 or 2021-07-24, got {self.date!r}")


@dataclass(frozen=True)
class Checked:
    """When an entry's facts were last checked against the public text of their documents.

    Written ``checked: 2026-12`` (against the source document) or
    ``checked: {date: 2026-12, against: [《…》, 《…》]}`` when the answer draws on more documents.
    """

    date: str
    against: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not SOURCE_DATE.match(self.date) or not 1 <= self.month[1] <= 12:
            raise ValueError(f"date must look like 2026-12 or 2026-12-01, got {self.date!r}")
        if not all(document.strip() for document in self.against):
            raise ValueError("against must name documents, not empty text")

    @property
    def month(self) -> tuple[int, int]:
        year, month = self.date.split("-")[:2]
        return int(year), int(month)


@dataclass(frozen=True)
class Entry:
    id: str
    question: Localized
    answer: Localized
    source: Source
    phrasings: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    # "outside": a question the bot recognises but does not answer (高考, 学区房 ...); matching it
    # declines politely and says where to ask instead, rather than forcing a policy answer.
    scope: Literal["policy", "outside"] = "policy"
    # Optional here so the bot still starts without it; `kb check` fails an entry that lacks it.
    checked: Checked | None = None
    # Where the entry was defined (the last overlay that touched it), for error messages.
    origin: str = field(default="", compare=False, metadata={"internal": True})

    def __post_init__(self) -> None:
        if not ENTRY_ID.match(self.id):
            raise ValueError(
                f"id must look like 'training.fees' (lowercase, dotted), got {self.id!r}"
            )

    @property
    def checked_against(self) -> tuple[str, ...]:
        """The documents the facts were checked against (by default, the source document)."""
        if self.checked is not None and self.checked.against:
            return self.checked.against
        return (self.source.document,)


@dataclass(frozen=True)
class KnowledgeBase:
    entries: dict[str, Entry]
    # surface form -> canonical word, shared by queries and entries
    concepts: dict[str, str]
    stopwords: frozenset[str]
    required: tuple[str, ...] = ()

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)
