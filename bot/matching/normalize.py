"""Text normalisation, applied identically to questions and to the knowledge base.

NFKC folds full-width letters and digits; OpenCC folds traditional characters to simplified;
everything that is not a letter, digit or CJK character (punctuation, emoji, zero-width and
direction marks) becomes a space. ``+`` survives between digits for "5+2".
"""

from __future__ import annotations

import re
import unicodedata

import opencc

_T2S = opencc.OpenCC("t2s")
# Format characters (zero-width spaces and joiners, direction marks, soft hyphen, BOM) vanish;
# anything else that is not a letter, digit or "+" (punctuation, symbols, emoji) splits words.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_NOT_WORD = re.compile(r"[^\w+]|_")
_DIGIT_PLUS = re.compile(r"(?<=\d)\s*\+\s*(?=\d)")
_LONE_PLUS = re.compile(r"(?<!\d)\+|\+(?!\d)")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Return the comparable form of ``text``: simplified, lowercase, words and digits only."""
    text = unicodedata.normalize("NFKC", text)
    text = _T2S.convert(text).lower()
    text = _NOT_WORD.sub(" ", _INVISIBLE.sub("", text))
    text = _LONE_PLUS.sub(" ", _DIGIT_PLUS.sub("+", text))
    return _SPACES.sub(" ", text).strip()
