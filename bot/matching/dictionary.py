"""The segmenter's dictionary: the most frequent part of jieba's, without loading the rest.

``import rjieba`` builds jieba's whole dictionary (349,046 words) as a module global and keeps it
for the life of the process: about 33 MB, a quarter of the bot's memory. The bot loads rjieba's
extension module alone instead, and fills an empty ``Jieba`` from ``jieba-words.txt.gz``: the
50,000 most frequent words that normalised text can hold, plus every single character (about
6 MB). ``Segmenter`` adds the knowledge base's own words on top.

Each kept word keeps its frequency and part of speech, and one entry that no normalised text can
contain carries the frequency of the words left out, so the dictionary's total is the full one's:
a sentence whose dictionary words were all kept is cut and tagged exactly as with the full
dictionary. A rarer word is cut into kept words or found by jieba's HMM, in the knowledge base and
in questions alike.

The file is jieba's ``dict.txt`` format (word, frequency, part of speech) behind a header line
with the full dictionary's total. Rebuild it from jieba 0.42.1's ``dict.txt`` (the list rjieba
embeds) with ``python -m bot.matching.dictionary PATH/TO/dict.txt``.
"""

from __future__ import annotations

import gzip
import importlib.machinery
import importlib.util
import re
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.matching.normalize import normalize

if TYPE_CHECKING:
    from rjieba import Jieba

WORDS_FILE = Path(__file__).with_name("jieba-words.txt.gz")
KEPT_WORDS = 50_000
# A private-use character: normalisation turns it into a space, so no text ever contains it.
_LEFT_OUT = "\ue000"
_HEADER = re.compile(r"^# .*\btotal=(\d+)\b")


@cache
def segmenter_dictionary() -> Jieba:
    """The one dictionary every ``Segmenter`` of the process cuts with and adds words to."""
    return load_dictionary()


def load_dictionary(path: Path = WORDS_FILE) -> Jieba:
    jieba: Jieba = _jieba_class().empty()
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        header = _HEADER.match(next(lines, ""))
        if header is None:
            raise ValueError(f"{path}: the first line must be '# ... total=N'")
        kept = 0
        for line in lines:
            word, freq, tag = line.split()
            jieba.add_word(word, int(freq), tag)
            kept += int(freq)
    jieba.add_word(_LEFT_OUT, int(header[1]) - kept, "x")
    return jieba


def _jieba_class() -> Any:
    """rjieba's ``Jieba`` class, without running ``rjieba/__init__.py`` (which builds the full
    dictionary). A later ``import rjieba`` still works: it finds this module already loaded."""
    name = "rjieba.rjieba"
    module = sys.modules.get(name)
    if module is None:
        package = importlib.util.find_spec("rjieba")
        locations = package.submodule_search_locations if package else None
        spec = importlib.machinery.PathFinder.find_spec(name, locations) if locations else None
        if spec is None or spec.loader is None:
            raise ImportError("rjieba's extension module was not found", name=name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module.Jieba


def write_words_file(source: Path, destination: Path = WORDS_FILE, size: int = KEPT_WORDS) -> int:
    """Write the ``size`` most frequent usable words of jieba's ``dict.txt`` at ``source`` (and
    every single character) to ``destination``; returns how many words were written."""
    rows: list[tuple[str, int, str]] = []
    total = 0
    for line in source.read_text(encoding="utf-8").splitlines():
        word, freq, tag = line.split()
        total += int(freq)
        # The segmenter only ever sees normalised text, with Latin letters and digits split off.
        if normalize(word) == word and not any(ch.isascii() for ch in word):
            rows.append((word, int(freq), tag))
    rows.sort(key=lambda row: -row[1])  # stable: ties keep the source's order
    kept = rows[:size] + [row for row in rows[size:] if len(row[0]) == 1]
    kept.sort()  # by word: neighbours share prefixes, which compresses better
    text = f"# jieba dict.txt: {len(kept)} of its words; total={total}\n"
    text += "".join(f"{word} {freq} {tag}\n" for word, freq, tag in kept)
    destination.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    return len(kept)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bot.matching.dictionary PATH/TO/jieba/dict.txt", file=sys.stderr)
        return 2
    count = write_words_file(Path(argv[0]))
    print(f"{WORDS_FILE}: {count} words")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
