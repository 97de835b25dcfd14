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


def institution_key(name: str) -> str:
    return without_endings(normalize(name).replace(" ", ""))


def without_endings(key: str) -> str:
    """A normalised name without its company-form endings (never all of it)."""
    while (ending := _ENDING.search(key)) is not None and ending.start() > 0:
        key = key[: ending.start()]
    return key


def region_of(name: str) -> str:
    """The province or city a name begins with ("北京市"), or ""."""
    region = _REGION.match(normalize(name).replace(" ", ""))
    return region[0] if region else ""


def without_place(name: str, places: Iterable[str]) -> tuple[str, str]:
    """``name`` (normalised, no spaces) without a leading province or city and without one of
    ``places`` (normalised place names, longest first: districts, and cities written without
    "市"), and the last place dropped, if any."""
    rest = normalize(name).replace(" ", "")
    region = _REGION.match(rest)
    if region and len(rest) - region.end() >= _MIN_REST:
        rest = rest[region.end() :]
    for place in places:
        if rest.startswith(place) and len(rest) - len(place) >= _MIN_REST_AFTER_PLACE:
            return rest[len(place) :], place
    return rest, ""
