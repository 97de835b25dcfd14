"""Text normalisation, applied identically to questions and to the knowledge base.

NFKC folds full-width letters and digits; OpenCC folds traditional characters to simplified;
everything that is not a letter, digit or CJK character (punctuation, emoji, zero-width and
direction marks) becomes a space. ``+`` survives between digits for "5+2".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
_DIGIT_PLUS = re.compile(r"(?<=\d)\s*\+\s*(?=\d)")
_LONE_PLUS = re.compile(r"(?<!\d)\+|\+(?!\d)")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    category = unicodedata.category(char)
    if category[0] in ("L", "N") or char == "+":
        return char
    # Zero-width joiners and direction marks vanish; punctuation, symbols and emoji split words.
    return "" if category == "Cf" else " "


def normalize(text: str) -> str:
    """Return the comparable form of ``text``: simplified, lowercase, words and digits only."""
    text = unicodedata.normalize("NFKC", text)
    text = _T2S.convert(text).lower()
    text = "".join(_fold_char(c) for c in text)
    text = _LONE_PLUS.sub(" ", _DIGIT_PLUS.sub("+", text))
    return _SPACES.sub(" ", text).strip()


def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"
