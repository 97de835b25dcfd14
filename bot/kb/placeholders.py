"""The ``{name}`` placeholders answers use, filled from the config's ``local:`` facts."""

from __future__ import annotations

import re

from bot.kb.model import KnowledgeBase

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def render_answer(text: str, placeholders: dict[str, str]) -> str:
    """Fill ``{name}`` placeholders from config; unknown names stay visible rather than vanish."""
    return PLACEHOLDER.sub(lambda m: placeholders.get(m.group(1), m.group(0)), text)


def placeholder_names(kb: KnowledgeBase) -> frozenset[str]:
    """Every ``{name}`` the answers use: the local facts the config must set."""
    return frozenset(
        name
        for entry in kb.entries.values()
        for language in ("zh", "en")
        for name in PLACEHOLDER.findall(getattr(entry.answer, language))
    )
