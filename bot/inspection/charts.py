"""The statistics chart: one PNG with counts by status, category and district, and the times.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global figure
state, safe in a server). Chinese labels need a CJK font installed on the machine (Debian:
``fonts-noto-cjk`` or ``fonts-wqy-microhei``); without one the chart uses English labels rather
than boxes. Fonts are never downloaded at run time.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Literal

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from bot.inspection.figures import Compliance, Durations, StatsFigures
from bot.inspection.texts import CATEGORY_NAMES, CHART, STATUS_NAMES, Language

# Families that cover simplified Chinese, best first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK JP",
    "AR PL UMing CN",
)
# Where Debian's packages put them, for when matplotlib's font cache predates the install.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
MAX_BARS = 12  # more categories or districts than this are summed as "..."


@cache
def cjk_font() -> str | None:
    """The first installed font family that can draw Chinese, if any."""
    found = _known_cjk_family()
    if found is None:
        for file in CJK_FONT_FILES:
            if Path(file).is_file():
                font_manager.fontManager.addfont(file)
        found = _known_cjk_family()
    return found


def _known_cjk_family() -> str | None:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def chart_language(language: Literal["auto", "zh", "en"] = "auto") -> Language:
    if language == "auto":
        return "zh" if cjk_font() else "en"
    if language == "zh" and cjk_font() is None:
        return "en"  # asked for Chinese, but it would come out as boxes
    return language


def render_stats_png(
    figures: StatsFigures,
    *,
    language: Literal["auto", "zh", "en"] = "auto",
    district_names: Callable[[str], str] = lambda d: d,
) -> bytes:
    """A PNG of ``figures``; ``district_names`` turns district ids into what readers know."""
    lang = chart_language(language)
    text = CHART[lang]
    fig = Figure(figsize=(12, 8), dpi=100, layout="constrained")
    family = cjk_font() if lang == "zh" else None
    font = FontProperties(family=family) if family else None
    axes = fig.subplots(2, 2)
    _bars(axes[0][0], text["by_status"], _label(figures.by_status, STATUS_NAMES[lang]), font)
    _bars(axes[0][1], text["by_category"], _label(figures.by_category, CATEGORY_NAMES[lang]), font)
    districts = {_readable(district_names(k), lang): v for k, v in figures.by_district.items()}
    _bars(axes[1][0], text["by_district"], districts, font)
    _times(axes[1][1], figures, text, font)
    period = figures.period
    fig.suptitle(
        text["title"].format(
            start=period.start.date().isoformat(),
            end=period.end.date().isoformat(),
            total=figures.total,
        ),
        fontsize=14,
        fontproperties=font,
    )
    FigureCanvasAgg(fig)  # draws on Agg whatever matplotlib's default backend is
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _label(counts: dict[str, int], names: dict[str, str]) -> dict[str, int]:
    return {names.get(key, key): value for key, value in counts.items()}


def _readable(label: str, lang: Language) -> str:
    # Without a CJK font a Chinese district name would draw as boxes (and warn).
    if lang == "en" and not label.isascii():
        return "(other)"
    return label


def _bars(ax: Axes, title: str, counts: dict[str, int], font: FontProperties | None) -> None:
    items = list(counts.items())
    if len(items) > MAX_BARS:
        rest = sum(v for _, v in items[MAX_BARS - 1 :])
        items = [*items[: MAX_BARS - 1], ("...", rest)]
    labels = [k for k, _ in items][::-1]  # largest on top
    values = [v for _, v in items][::-1]
    ax.set_title(title, fontproperties=font)
    if not items:
        ax.set_axis_off()
        return
    bars = ax.barh(range(len(values)), values, color="#3b6ea5")
    ax.set_yticks(range(len(values)), labels, fontproperties=font)
    ax.bar_label(bars, padding=3)
    ax.set_xlim(0, max(values) * 1.15 + 1)
    ax.spines[["top", "right"]].set_visible(False)


def _times(
    ax: Axes, figures: StatsFigures, text: dict[str, str], font: FontProperties | None
) -> None:
    ax.set_title(text["times"], fontproperties=font)
    ax.set_axis_off()
    lines = [
        (text["claim_median"], _hours(figures.claim_time, "median", text)),
        (text["claim_p90"], _hours(figures.claim_time, "p90", text)),
        (text["resolve_median"], _hours(figures.resolution_time, "median", text)),
        (text["resolve_p90"], _hours(figures.resolution_time, "p90", text)),
        (text["claim_compliance"], _percent(figures.claim_deadline, text)),
        (text["resolve_compliance"], _percent(figures.resolve_deadline, text)),
    ]
    for row, (label, value) in enumerate(lines):
        y = 0.9 - row * 0.15
        ax.text(0.02, y, label, fontsize=12, transform=ax.transAxes, fontproperties=font)
        ax.text(
            0.98, y, value, fontsize=12, ha="right", transform=ax.transAxes, fontproperties=font
        )


def _hours(values: Durations, which: str, text: dict[str, str]) -> str:
    hours = values.median_hours if which == "median" else values.p90_hours
    return text["none"] if hours is None else f"{hours:.1f} {text['hours']}"


def _percent(compliance: Compliance, text: dict[str, str]) -> str:
    percent = compliance.percent
    if percent is None:
        return text["none"]
    return f"{percent:.1f}% ({compliance.met}/{compliance.met + compliance.missed})"
