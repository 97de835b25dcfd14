"""What every spreadsheet the bot writes (ticket exports, the registry) does to text people
typed: cells made inert, so opening an export never runs a formula."""

from __future__ import annotations

import re

# Control characters a spreadsheet file may not hold (openpyxl's own rule).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# Excel, LibreOffice and Google Sheets run a cell starting with these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str | None:
    """Text a reporter typed, made inert: no formulas, no control characters."""
    if value is None:
        return None
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
