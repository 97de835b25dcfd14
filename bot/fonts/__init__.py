"""The font every chart and report is drawn in: WenQuanYi Micro Hei, shipped with the code.

Staff read Chinese, and a server rarely has a CJK font; one that falls back draws boxes (tofu)
or forces English labels. So the bot carries its own (Apache-2.0, see LICENSE-wqy-microhei.txt)
as package data: ``pip install .`` and ``make`` install it with the code, nothing is looked up
on the machine and nothing is downloaded at run time. It has TrueType outlines, so matplotlib's
PDF backend embeds the glyphs a report uses (Type 42, subset) and the text stays searchable.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONT_FILE = Path(__file__).with_name("wqy-microhei-subset.ttf")
FAMILY = "WenQuanYi Micro Hei"


@cache
def chart_font_family() -> str:
    """Register the shipped font with matplotlib (once) and return its family name."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_FILE))
    name = font_manager.FontProperties(fname=str(FONT_FILE)).get_name()
    if name != FAMILY:  # a different file was put in its place
        raise RuntimeError(f"{FONT_FILE} is {name!r}, expected {FAMILY!r}")
    return name
