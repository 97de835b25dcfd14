"""English words that describe or act rather than name: what a question is about is a noun.

Chinese words carry their part of speech from the segmenter's dictionary, so an unknown verb
weighs less than an unknown noun (the subject of an off-topic question). English words the
knowledge base does not know had no such help: in "the tuition center close and dont give back
money", *close* weighed as much as a rare noun and drowned the refund it asks about. The list
(``english-describing.txt.gz``: one word a line) holds every single-word lemma of WordNet 3.0
(Princeton University, WordNet licence) seen at least once in its sense-tagged texts whose
tagged senses are more often verbs, adjectives or adverbs than nouns, and the irregular forms
WordNet's exception lists give for them (*gave*, *paid*, *taught*) unless a form is more often a
noun itself: 9,298 words, 29 KB on disk.
Rebuild it from WordNet's ``index.*`` files (Debian's ``wordnet-base``: /usr/share/wordnet)
with ``python -m bot.matching.english /usr/share/wordnet``.
"""

from __future__ import annotations

import gzip
import sys
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("english-describing.txt.gz")
PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")
# Numbers spelled out are details of a question ("ten novels", "two hours"), as digits are.
NUMBER_WORDS = frozenset(
    {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"}
    | {"twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred", "hundreds"}
    | {"thousand", "thousands", "half", "once", "twice", "dozen"}
)


@cache
def describing_words() -> frozenset[str]:
    """The listed words (about 1 MB in memory, once per process)."""
    with gzip.open(WORDS_FILE, "rt", encoding="ascii") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def build_list(wordnet: Path, output: Path = WORDS_FILE) -> int:
    """Write the list from the WordNet ``index.noun`` ... ``index.adv`` files in ``wordnet``;
    returns the words kept."""
    tagged: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for part in PARTS_OF_SPEECH:
        text = (wordnet / f"index.{part}").read_text(encoding="ascii", errors="replace")
        for lemma, count in _tagged_senses(text):
            tagged[lemma][part] += count
    kept = {
        lemma
        for lemma, counts in tagged.items()
        if lemma.isascii() and lemma.isalpha() and _mostly_describing(counts)
    }
    for part in PARTS_OF_SPEECH[1:]:
        text = (wordnet / f"{part}.exc").read_text(encoding="ascii", errors="replace")
        for form, lemmas in _exceptions(text):
            noun = tagged.get(form, Counter())
            if form.isalpha() and kept.intersection(lemmas) and not noun["noun"] > noun.total() / 2:
                kept.add(form)
    with gzip.open(output, "wt", encoding="ascii", compresslevel=9) as out:
        out.writelines(f"{word}\n" for word in sorted(kept))
    return len(kept)


def _mostly_describing(counts: Counter[str]) -> bool:
    return counts.total() >= 1 and counts["noun"] < counts.total() - counts["noun"]


def _exceptions(text: str) -> list[tuple[str, list[str]]]:
    """Each irregular form of a WordNet exception file (``verb.exc``: "gave give") with the
    lemmas it is a form of."""
    return [(fields[0], fields[1:]) for fields in map(str.split, text.splitlines()) if fields]


def _tagged_senses(index: str) -> list[tuple[str, int]]:
    """Each lemma of a WordNet index file with its count of sense-tagged occurrences. A line:
    lemma, part of speech, synsets, pointer count, that many pointers, senses, tagged senses,
    synset offsets; the licence's lines begin with a space."""
    found = []
    for line in index.splitlines():
        if not line or line.startswith(" "):
            continue
        fields = line.split()
        pointers = int(fields[3])
        found.append((fields[0], int(fields[5 + pointers])))
    return found


if __name__ == "__main__":
    print(f"{build_list(Path(sys.argv[1])):,} words", file=sys.stderr)
