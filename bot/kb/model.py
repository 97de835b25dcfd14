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
    # Where the entry was defined (the last overlay that touched it), for error messages.
    origin: str = field(default="", compare=False, metadata={"internal": True})

    def __post_init__(self) -> None:
        if not ENTRY_ID.match(self.id):
            raise ValueError(
                f"id must look like 'training.fees' (lowercase, dotted), got {self.id!r}"
            )


@dataclass(frozen=True)
class KnowledgeBase:
    entries: dict[str, Entry]
    # surface form -> canonical word, shared by queries and entries
    concepts: dict[str, str]
    stopwords: frozenset[str]
    required: tuple[str, ...] = ()

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)
