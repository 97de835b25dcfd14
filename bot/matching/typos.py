"""Slips of the keyboard, mended towards the knowledge base's own words before matching.

Parents type with pinyin keyboards, so the usual slip is a character that sounds the same
("巨报" for 举报, "寒加" for 寒假, "五向管理" for 五项管理); handwriting and stroke input give
look-alikes ("周未" for 周末, "睡眼" for 睡眠). A stretch of the question that is not a word the
knowledge base uses, nor a common word of the dictionary, is replaced by a knowledge-base word
of the same length that differs from it in one character, when that character sounds the same
(the per-character pinyin table) or is a known look-alike; a stretch of four characters or more
by a word of exactly its sounds, however many characters differ ("隐性编译" for 隐形变异).
Sounds are many and alike, so a same-sound mend is made only where the segmenter had to guess a
word its dictionary does not hold ("巨报"), or of three characters or more made of whole words
it knows ("小生|初"), never across two words it knows ("老公|不管" is not "公布"). Every mend is
reported, so ``ask --json`` shows what was read instead of what was typed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.matching.pinyin import syllables

# Characters often typed for one another by shape (stroke and handwriting input, quick reading).
LOOK_ALIKES = (
    "末未",
    "眠眼",
    "衔街",
    "己已",
    "考老孝",
    "体休",
    "视规观",
    "账帐",
    "辩辨",
    "贷货",
    "拔拨",
    "侯候",
    "幕暮慕墓",
    "免兔",
    "读续",
    "课棵",
    "排徘",
    "试拭式",
    "析折",
    "构钩",
    "晚挽",
    "班斑",
    "管菅",
    "辅捕",
)
_CHINESE_RUN = re.compile(r"[\u3400-\u9fff]+")
_FUZZY_START = re.compile(r"^(zh|ch|sh|n)")
_BLURRED_START = {"zh": "z", "ch": "c", "sh": "s", "n": "l"}
_FUZZY_END = re.compile(r"([iea])ng$")
LENGTHS = (4, 3, 2)
# A stretch this long that is whole words of the segmenter ("小生|初" for 小升初, "一年|纪" for
# 一年级) is read by sound even where it knew the words: a same-sound word of three characters
# is rarely a coincidence, where one of two often is. Never across a word ("补习|英文").
WHOLE_WORDS_LENGTH = 3
# A stretch this long is read as a knowledge-base word of exactly its sounds however many of its
# characters differ ("隐性编译" for 隐形变异): four syllables in a row are rarely a coincidence.
WHOLE_SOUND_LENGTH = 4
# Sounds blurred by accent (拍照收题 for 拍照搜题: shou/sou) only from this length on.
FUZZY_LENGTH = 3


@dataclass(frozen=True)
class Mend:
    typed: str
    read: str


class TypoMender:
    def __init__(
        self,
        words: Iterable[str],
        is_common_word: Callable[[str], bool],
        made_up_spans: Callable[[str], list[tuple[int, int]]],
        word_spans: Callable[[str], list[tuple[int, int]]] | None = None,
    ) -> None:
        """``words``: the knowledge base's own words; ``is_common_word``: whether the segmenter's
        dictionary holds a stretch as a word of its own (then it is left as typed);
        ``made_up_spans``: where in a run the segmenter cut words it does not know;
        ``word_spans``: where it cut every word (for same-sound mends of whole words, below)."""
        self.words = frozenset(w for w in words if _CHINESE_RUN.fullmatch(w) and len(w) > 1)
        self._is_common_word = is_common_word
        self._made_up_spans = made_up_spans
        self._word_spans = word_spans
        self._by_sound: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)
        self._by_pattern: defaultdict[str, list[str]] = defaultdict(list)
        self._by_fuzzy_sound: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)
        for word in sorted(self.words):
            if len(word) in LENGTHS:
                self._by_sound[syllables(word)].append(word)
                self._by_fuzzy_sound[_fuzzy(syllables(word))].append(word)
                for i in range(len(word)):
                    self._by_pattern[_pattern(word, i)].append(word)
        self._look_alike = {c: group for group in LOOK_ALIKES for c in group}

    def mend(self, text: str) -> tuple[str, tuple[Mend, ...]]:
        """``text`` (normalised) with its slips replaced, and the mends made."""
        mends: list[Mend] = []

        def mend_run(match: re.Match[str]) -> str:
            run, out, i = match.group(0), [], 0
            guessed = {p for start, end in self._made_up_spans(run) for p in range(start, end)}
            cuts = self._cuts(run)
            while i < len(run):
                mended = self._mend_at(run, i, guessed, cuts)
                if mended is None:
                    out.append(run[i])
                    i += 1
                    continue
                typed, read = mended
                if read == typed:
                    longer = self._longer_mend_next(run, i, len(typed), guessed, cuts)
                    if longer is not None:  # the mend the next step would make, made now
                        out.append(run[i])
                        i += 1
                        typed, read = longer
                if read != typed:
                    mends.append(Mend(typed, read))
                out.append(read)
                i += len(typed)
            return "".join(out)

        return _CHINESE_RUN.sub(mend_run, text), tuple(mends)

    def _longer_mend_next(
        self, run: str, start: int, length: int, guessed: set[int], cuts: frozenset[int]
    ) -> tuple[str, str] | None:
        """The mend from the next character on that a word read as typed at ``start`` gives
        way to, being longer ("上学课类": 学课类 is 学科类, though 上学 is a word)."""
        if length >= max(LENGTHS):
            return None
        following = self._mend_at(run, start + 1, guessed, cuts)
        if following is None or following[0] == following[1] or len(following[0]) <= length:
            return None
        return following

    def _cuts(self, run: str) -> frozenset[int]:
        """Where the segmenter's words of ``run`` begin and end (none without ``word_spans``)."""
        if self._word_spans is None:
            return frozenset()
        return frozenset(p for span in self._word_spans(run) for p in span)

    def _mend_at(
        self, run: str, start: int, guessed: set[int], cuts: frozenset[int]
    ) -> tuple[str, str] | None:
        for length in LENGTHS:
            typed = run[start : start + length]
            if len(typed) < length:
                continue
            if typed in self.words:
                return typed, typed  # a word the knowledge base knows: read as typed
            if self._is_common_word(typed):
                continue
            by_sound = any(p in guessed for p in range(start, start + length)) or (
                length >= WHOLE_WORDS_LENGTH and {start, start + length} <= cuts
            )
            read = self._candidate(typed, by_sound)
            if read is not None:
                return typed, read
        return None

    def _candidate(self, typed: str, by_sound: bool) -> str | None:
        found: set[str] = set()
        if by_sound:
            sounds = syllables(typed)
            alike = self._by_sound.get(sounds, [])
            if len(typed) >= FUZZY_LENGTH:
                alike = [*alike, *self._by_fuzzy_sound.get(_fuzzy(sounds), ())]
            most = len(typed) - 1 if len(typed) >= WHOLE_SOUND_LENGTH else 1
            found.update(word for word in alike if 1 <= _differences(word, typed) <= most)
        for i, character in enumerate(typed):
            look_alikes = self._look_alike.get(character)
            if look_alikes is None:
                continue  # most characters have no look-alike listed
            for word in self._by_pattern.get(_pattern(typed, i), ()):
                if word[i] in look_alikes:
                    found.add(word)
        # Two readings are a guess, not a mend.
        return found.pop() if len(found) == 1 else None


def _fuzzy(sounds: tuple[str, ...]) -> tuple[str, ...]:
    """Sounds as regional accents and pinyin keyboards' fuzzy setting blur them: zh/z, ch/c,
    sh/s, n/l at the start; ing/in, eng/en, ang/an at the end."""
    return tuple(_FUZZY_END.sub(r"\1n", _FUZZY_START.sub(_blur_start, s)) for s in sounds)


def _blur_start(match: re.Match[str]) -> str:
    return _BLURRED_START[match.group(0)]


def _pattern(word: str, blank: int) -> str:
    return word[:blank] + "?" + word[blank + 1 :]


def _differences(first: str, second: str) -> int:
    return sum(a != b for a, b in zip(first, second, strict=True))
