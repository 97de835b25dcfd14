"""Characters by sound: each Chinese character's toneless pinyin, to catch homophone typos.

Parents type names with a pinyin keyboard, so the typical slip is a character that sounds the
same ("学尔思" for "学而思"). Comparing the sounds finds those where comparing the characters
cannot. The table (``pinyin.txt.gz``: one line per syllable, then the characters read that way)
holds the first reading of every character in pypinyin 0.55.0's ``pinyin_dict.json`` (MIT,
from the pinyin-data project), for U+3400 to U+9FFF: 61 KB on disk, where importing pypinyin
itself costs about 55 MB with its phrase dictionary. Rebuild it with
``python -m bot.matching.pinyin PATH/TO/pypinyin/pinyin_dict.json``.
"""

from __future__ import annotations

import gzip
import json
import sys
import unicodedata
from collections import defaultdict
from functools import cache
from pathlib import Path

TABLE_FILE = Path(__file__).with_name("pinyin.txt.gz")
_FIRST, _LAST = 0x3400, 0x9FFF


@cache
def _readings() -> dict[str, str]:
    readings: dict[str, str] = {}
    with gzip.open(TABLE_FILE, "rt", encoding="utf-8") as lines:
        for line in lines:
            syllable, _, characters = line.rstrip("\n").partition(" ")
            for character in characters:
                readings[character] = syllable
    return readings


def syllables(text: str) -> tuple[str, ...]:
    """The sound of each character of ``text`` (a character without a reading stands for
    itself): ``"学尔思"`` → ``("xue", "er", "si")``."""
    return tuple(map(_readings().get, text, text))


def _toneless(reading: str) -> str:
    # "ü" (with or without a tone mark) is typed "v" on pinyin keyboards.
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def build_table(pinyin_dict: Path, output: Path = TABLE_FILE) -> int:
    """Write the table from pypinyin's ``pinyin_dict.json``; returns the characters kept."""
    data: dict[str, str] = json.loads(pinyin_dict.read_text(encoding="utf-8"))
    by_syllable: defaultdict[str, list[str]] = defaultdict(list)
    for code, readings in sorted(data.items(), key=lambda item: int(item[0])):
        if _FIRST <= int(code) <= _LAST:
            by_syllable[_toneless(readings.split(",")[0])].append(chr(int(code)))
    with gzip.open(output, "wt", encoding="utf-8", compresslevel=9) as out:
        for syllable in sorted(by_syllable):
            out.write(f"{syllable} {''.join(by_syllable[syllable])}\n")
    return sum(len(chars) for chars in by_syllable.values())


if __name__ == "__main__":
    print(f"{build_table(Path(sys.argv[1])):,} characters", file=sys.stderr)
