"""The /stats chart: one PNG of the period's figures, laid out to be read on a phone.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global figure
state, safe in a server), in the font the bot ships (:mod:`bot.fonts`), so Chinese labels are
glyphs on any machine. Every label is the catalog's word in the reader's language (a status,
a category, a district as the report form names it), never a code; counts sit on whole-number
axes. The bar and figure helpers here draw the /brief report's charts too.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.fonts import chart_font_family
from bot.inspection.figures import Headline, StatsFigures
from bot.inspection.settings import InspectionSettings
from bot.inspection.texts import (
    CATEGORY_NAMES,
    CHART,
    FIGURE_NAMES,
    STATUS_NAMES,
    Language,
    headline_values,
)

MAX_BARS = 12  # more categories or districts than this are summed as "…"
BAR_COLOUR = "#3b6ea5"
# A phone shows a photo about 360-400 points wide: 1080 pixels across, 15-point labels and up.
PHONE_WIDTH_INCHES = 7.2
PHONE_DPI = 150
LABEL_SIZE = 15
TITLE_SIZE = 19
# The figures shown as tiles at the top of the chart, two to a row.
TILE_FIGURES = (
    "claim_on_time",
    "resolve_on_time",
    "reached",
    "satisfied",
    "reopened",
    "repeats",
    "claim_mean",
    "resolve_mean",
)


@dataclass(frozen=True)
class ChartNames:
    """What readers call things, in their language."""

    language: Language
    district: Callable[[str], str]
    queue: Callable[[str], str]
    department: Callable[[str], str]
    department_of: Callable[[str], str]  # a queue's department (id)

    def status(self, status: str) -> str:
        return STATUS_NAMES[self.language].get(status, status)

    def category(self, category: str) -> str:
        names = CATEGORY_NAMES[self.language]
        return names.get(category, names["other"])


def chart_names(
    settings: InspectionSettings,
    language: Language,
    district_label: Callable[[str, str], str | None] = lambda district, language: None,
) -> ChartNames:
    """Names from the organisation; ``district_label(id, language)`` gives a district's name
    as the report form shows it (None: the organisation's own name for it, else the id)."""

    def district(district_id: str) -> str:
        label = district_label(district_id, language)
        if label:
            return label
        known = next((d for d in settings.districts if d.id == district_id), None)
        return known.names[0] if known and known.names else district_id

    def queue(queue_id: str) -> str:
        found = settings.queue(queue_id)
        return found.name if found else queue_id

    def department(department_id: str) -> str:
        found = settings.department(department_id)
        return found.name if found else department_id

    def department_of(queue_id: str) -> str:
        found = settings.department_of(queue_id)
        return found.id if found else queue_id

    return ChartNames(language, district, queue, department, department_of)


def new_figure(
    width: float, height: float, dpi: int = PHONE_DPI, *, laid_out: bool = True
) -> Figure:
    """A figure drawn on Agg whatever matplotlib's default backend is; ``laid_out``: its axes
    placed by matplotlib (constrained layout), else where the caller puts them."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained" if laid_out else None)
    FigureCanvasAgg(fig)
    return fig


def drawing() -> AbstractContextManager[None]:
    """The matplotlib settings every chart and report is drawn with."""
    return rc_context(
        {
            "font.family": chart_font_family(),
            "pdf.fonttype": 42,  # embed TrueType glyphs (a subset), not Type 3 bitmaps
            "axes.unicode_minus": False,  # the font's hyphen, not a minus sign it may lack
        }
    )


def render_stats_png(figures: StatsFigures, names: ChartNames) -> bytes:
    text = CHART[names.language]
    with drawing():
        fig = new_figure(PHONE_WIDTH_INCHES, 13.5)
        parts: Any = fig.subfigures(4, 1, height_ratios=[3.2, 2.4, 3.4, 3.0])
        tiles, statuses, categories, districts = parts
        figure_tiles(tiles, figures.headline, names.language, text["figures"])
        bars(
            statuses.subplots(),
            text["by_status"],
            {names.status(k): v for k, v in figures.by_status.items()},
        )
        bars(
            categories.subplots(),
            text["by_category"],
            _summed({names.category(k): v for k, v in figures.by_category.items()}),
        )
        bars(
            districts.subplots(),
            text["by_district"],
            _summed({names.district(k): v for k, v in figures.by_district.items()}),
        )
        fig.suptitle(_title(figures, text), fontsize=TITLE_SIZE, wrap=True)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _title(figures: StatsFigures, text: dict[str, str]) -> str:
    start, end = figures.period.local_days(figures.tz)
    return text["title"].format(start=start, end=end, total=figures.total)


def figure_tiles(fig: Any, values: Headline, language: Language, title: str) -> None:
    """The headline figures as large numbers with their names, two to a row."""
    shown, labels = headline_values(values), FIGURE_NAMES[language]
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_title(title, fontsize=LABEL_SIZE + 1, loc="left")
    rows = (len(TILE_FIGURES) + 1) // 2
    for index, figure in enumerate(TILE_FIGURES):
        column, row = index % 2, index // 2
        x, y = 0.02 + column * 0.5, 1 - (row + 0.8) / rows
        ax.text(x, y, shown[figure], fontsize=TITLE_SIZE + 3, transform=ax.transAxes)
        ax.text(x, y - 0.42 / rows, labels[figure], fontsize=LABEL_SIZE - 2, transform=ax.transAxes)


def bars(ax: Axes, title: str, counts: dict[str, int], *, size: float = LABEL_SIZE) -> None:
    """Horizontal bars, largest on top, each with its count; a whole-number axis."""
    labels = list(counts)[::-1]
    values = [counts[k] for k in labels]
    ax.set_title(title, fontsize=size + 1, loc="left")
    if not counts:
        ax.set_axis_off()
        return
    drawn = ax.barh(range(len(values)), values, color=BAR_COLOUR)
    ax.set_yticks(range(len(values)), labels, fontsize=size)
    ax.bar_label(drawn, padding=3, fontsize=size)
    whole_numbers(ax.xaxis, size)
    ax.set_xlim(0, max(values) * 1.18 + 1)
    ax.spines[["top", "right"]].set_visible(False)


def whole_numbers(axis: Any, size: float = LABEL_SIZE) -> None:
    """Counts have no halves: ticks on whole numbers only."""
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_tick_params(labelsize=size - 2)


def _summed(counts: dict[str, int]) -> dict[str, int]:
    """At most ``MAX_BARS`` bars: the smallest are added up as "…"."""
    items = list(counts.items())
    if len(items) <= MAX_BARS:
        return counts
    rest = sum(v for _, v in items[MAX_BARS - 1 :])
    return dict([*items[: MAX_BARS - 1], ("…", rest)])


def percent_bars(
    ax: Axes,
    title: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | int | None]],
    *,
    size: float = LABEL_SIZE,
    colours: Sequence[str] = ("#3b6ea5", "#7aa6d6", "#e0a030"),
) -> None:
    """Grouped horizontal bars of percentages (one group per row, one bar per series)."""
    ax.set_title(title, fontsize=size + 1, loc="left")
    if not groups:
        ax.set_axis_off()
        return
    height = 0.8 / max(1, len(series))
    rows = range(len(groups))
    for n, (label, values) in enumerate(series.items()):
        offsets = [r + (n - (len(series) - 1) / 2) * height for r in rows][::-1]
        shown = [0.0 if v is None else v for v in values]
        drawn = ax.barh(offsets, shown, height=height, label=label, color=colours[n % 3])
        ax.bar_label(
            drawn, labels=["-" if v is None else f"{v:.0f}%" for v in values], fontsize=size - 3
        )
    ax.set_yticks(list(rows)[::-1], list(groups), fontsize=size - 1)
    ax.set_xlim(0, 115)
    ax.xaxis.set_tick_params(labelsize=size - 3)
    ax.legend(fontsize=size - 3, loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
