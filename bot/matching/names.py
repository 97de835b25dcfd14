"""Institution names folded so that the ways people write one name compare equal.

Normalised as questions are (NFKC, traditional → simplified, lowercase, no punctuation), then
spaces and company-form endings ("有限公司", "培训学校", "教育科技" ...) are dropped, since the
same institution is written with and without them; the registry also drops a leading place
("北京市", "海淀区").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.matching.normalize import normalize

# Endings that say what kind of body it is, not which one; longest first.
_ENDINGS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "分公司",
    "公司",
    "教育科技",
    "教育咨询",
    "文化传播",
    "培训学校",
    "培训中心",
    "培训机构",
    "培训班",
    "辅导班",
    "补习班",
    "工作室",
    "学校",
    "中心",
    "机构",
    "教育",
    "培训",
    "补习",
    "辅导",
    "科技",
    "文化",
    # what is taught, after the name: "启明星艺术" and "启明星美术" are one brand
    "艺术",
    "美术",
    "音乐",
    "舞蹈",
    "体育",
    "编程",
)
# A province or city in front ("北京市", "河北省"): two or three characters and the level.
_REGION = re.compile(r"^[\u4e00-\u9fff]{2,3}(?:省|市)")
# What must be left of a name after a province or city (3) or a district (2) is dropped, or
# the place is kept: "北京市" alone is no name, "朝阳区启航" is 启航's.
_MIN_REST = 3
_MIN_REST_AFTER_PLACE = 2


_ENDING = re.compile("(?:" + "|".join(map(re.escape, _ENDINGS)) + ")$")


def folded(name: str) -> str:
    """``name`` normalised, without spaces: what the functions below take."""
    return normalize(name).replace(" ", "")


def institution_key(name: str) -> str:
    return without_endings(folded(name))


def without_endings(key: str) -> str:
    """A folded name without its company-form endings (never all of it)."""
    while (ending := _ENDING.search(key)) is not None and ending.start() > 0:
        key = key[: ending.start()]
    return key


def region_of(name: str) -> str:
    """The province or city a folded name begins with ("北京市"), or ""."""
    region = _REGION.match(name)
    return region[0] if region else ""


class Places:
    """Folded place names a name may begin with (districts, and cities written without
    "市"), found longest first with one set lookup per length."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(n for n in names if n)
        self._lengths = sorted({len(n) for n in self.names}, reverse=True)

    def leading(self, name: str) -> str:
        """The longest place ``name`` begins with that leaves a name after it, or ""."""
        for length in self._lengths:
            if len(name) - length >= _MIN_REST_AFTER_PLACE and name[:length] in self.names:
                return name[:length]
        return ""


def without_place(name: str, places: Places) -> tuple[str, str]:
    """A folded ``name`` without a leading province or city and without one of ``places``,
    and the place dropped last, if any."""
    region = _REGION.match(name)
    if region and len(name) - region.end() >= _MIN_REST:
        name = name[region.end() :]
    place = places.leading(name)
    return name[len(place) :], place
