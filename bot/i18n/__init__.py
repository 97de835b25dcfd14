"""Message catalogs: every user-facing string, in Chinese (default) and English.

``text(language, key, **values)`` picks the catalog; values are inserted with ``str.format``.
Callers escape user-supplied values for HTML before passing them in.
"""

from __future__ import annotations

from typing import Literal

from bot.i18n import en, zh_cn

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
DEFAULT_LANGUAGE: Language = "zh"

CATALOGS: dict[Language, dict[str, str]] = {"zh": zh_cn.MESSAGES, "en": en.MESSAGES}


def text(language: str, key: str, **values: object) -> str:
    catalog = CATALOGS.get(language, CATALOGS[DEFAULT_LANGUAGE])  # type: ignore[call-overload]
    template = catalog.get(key) or CATALOGS[DEFAULT_LANGUAGE][key]
    return template.format(**values) if values else template


def language_from_code(code: str | None) -> Language:
    """Telegram's ``language_code`` ("zh-hans", "en-US", None) -> a catalog we have."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def guess_language(question: str) -> Language:
    """A question with Latin letters and no Chinese is answered in English."""
    has_cjk = any("\u3400" <= c <= "\u9fff" for c in question)
    has_latin = any(c.isascii() and c.isalpha() for c in question)
    return "en" if has_latin and not has_cjk else DEFAULT_LANGUAGE
