"""The /brief report: a PDF leadership reads, from the same figures as /stats and the export.

A4 pages through matplotlib's PdfPages: a cover with the period's headline figures beside the
previous period's and the change; charts (tickets by week and type, by district, deadline
compliance and satisfaction by department, the institutions most reported); a table per
department; the unresolved overdue tickets. The shipped CJK font is embedded (Type 42 subset),
so the text renders, and can be searched, on any reader. Nothing in it names a reporter or
quotes what anyone wrote: no descriptions, outcomes, answers or comments.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from bot.i18n import text
from bot.inspection.charts import (
    LABEL_SIZE,
    ChartNames,
    bars,
    drawing,
    new_figure,
    percent_bars,
    whole_numbers,
)
from bot.inspection.figures import FIGURE_IDS, FIGURE_KINDS, Headline, figure_values
from bot.inspection.reports import BriefData
from bot.inspection.texts import CHART, FIGURE_NAMES, Language, figure_text, headline_values
from bot.store.base import TicketRecord

A4 = (8.27, 11.69)
TITLE_COLOUR = "#1f3b5c"  # the font has one weight: headings stand out by size and colour
PDF_DPI = 100
TABLE_SIZE = 9
ROWS_PER_PAGE = 34  # table rows (the header included) on one page
# A department's table: these figures, one column each.
DEPARTMENT_COLUMNS = (
    "received",
    "claim_on_time",
    "resolve_on_time",
    "resolve_mean",
    "reached",
    "satisfied",
    "reopened",
    "repeats",
)
# The figures whose definitions the cover spells out (the counts and times explain themselves).
DEFINED = ("claim_on_time", "resolve_on_time", "reached", "satisfied", "reopened", "repeats")
WEEK_COLOURS = (
    "#3b6ea5",
    "#e0a030",
    "#5aa469",
    "#c44e52",
    "#8172b2",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#64b5cd",
    "#ccb974",
)


@dataclass(frozen=True)
class BriefPages:
    """How many pages of each kind the report has (tests and the caption use it)."""

    cover: int
    charts: int
    departments: int
    overdue: int

    @property
    def total(self) -> int:
        return self.cover + self.charts + self.departments + self.overdue


def render_brief_pdf(
    data: BriefData, names: ChartNames, tz: tzinfo, generated_at: datetime
) -> tuple[bytes, BriefPages]:
    language = names.language
    buffer = io.BytesIO()
    with drawing(), PdfPages(buffer, metadata=_metadata(language)) as pdf:
        _save_all(pdf, [_cover(data, names, tz, generated_at)])
        _save_all(pdf, [_volume_charts(data, names), _department_charts(data, names)])
        department_pages = _save_all(pdf, _department_tables(data, names))
        overdue_pages = _save_all(pdf, _overdue_tables(data, names, tz, generated_at))
    pages = BriefPages(1, 2, department_pages, overdue_pages)
    return buffer.getvalue(), pages


def _metadata(language: Language) -> dict[str, Any]:
    return {"Title": text(language, "brief.title"), "Creator": "shuangjian-hotline-bot"}


def _save_all(pdf: PdfPages, figures: Sequence[Figure]) -> int:
    for figure in figures:
        pdf.savefig(figure)  # type: ignore[no-untyped-call]
    return len(figures)


def _page(*, laid_out: bool = False) -> Figure:
    return new_figure(*A4, dpi=PDF_DPI, laid_out=laid_out)


def _dates(data: BriefData, tz: tzinfo, previous: bool = False) -> dict[str, str]:
    period = data.previous.period if previous else data.figures.period
    start, end = period.local_days(tz)
    return {"start": start, "end": end}


# --- the cover ----------------------------------------------------------------------------------


def _cover(data: BriefData, names: ChartNames, tz: tzinfo, generated_at: datetime) -> Figure:
    language = names.language
    fig = _page()
    fig.text(0.08, 0.93, text(language, "brief.title"), fontsize=24, color=TITLE_COLOUR)
    fig.text(0.08, 0.895, text(language, "brief.period", **_dates(data, tz)), fontsize=13)
    compared = text(language, "brief.compared", **_dates(data, tz, previous=True))
    fig.text(0.08, 0.87, compared, fontsize=10, color="#555555")
    departments = "、".join(names.department(d) for d in data.figures.departments) or "-"
    fig.text(0.08, 0.845, text(language, "brief.scope", departments=departments), fontsize=10)
    ax = fig.add_axes((0.08, 0.42, 0.84, 0.40))
    ax.set_axis_off()
    header = [text(language, f"brief.column.{c}") for c in ("figure", "now", "before", "change")]
    rows = _headline_rows(data.figures.headline, data.previous.headline, language)
    _table(ax, header, rows, size=12, widths=[0.36, 0.2, 0.2, 0.24])
    _definitions(fig, language)
    when = generated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    fig.text(0.08, 0.03, text(language, "brief.footer", generated=when), fontsize=8, color="#555")
    return fig


def _headline_rows(now: Headline, before: Headline, language: Language) -> list[list[str]]:
    current, previous = figure_values(now), figure_values(before)
    labels = FIGURE_NAMES[language]
    rows = []
    for figure in FIGURE_IDS:
        rows.append(
            [
                labels[figure],
                figure_text(figure, current[figure]),
                figure_text(figure, previous[figure]),
                change_text(figure, current[figure], previous[figure], language),
            ]
        )
    return rows


def change_text(figure: str, now: float | None, before: float | None, language: Language) -> str:
    """+3 (件), +2.5 个百分点, −1.2 小时; "-" when either side has no value."""
    if now is None or before is None:
        return "-"
    kind = FIGURE_KINDS[figure]
    delta = now - before
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    amount = f"{abs(delta):.0f}" if kind == "count" else f"{abs(delta):.1f}"
    return text(language, f"brief.change.{kind}", sign=sign, amount=amount)


def _definitions(fig: Figure, language: Language) -> None:
    fig.text(0.08, 0.385, text(language, "brief.definitions"), fontsize=12, color=TITLE_COLOUR)
    for n, figure in enumerate(DEFINED):
        line = f"{FIGURE_NAMES[language][figure]}:{text(language, f'brief.define.{figure}')}"
        fig.text(0.08, 0.355 - n * 0.032, line, fontsize=9, wrap=True)


# --- charts -------------------------------------------------------------------------------------


def _volume_charts(data: BriefData, names: ChartNames) -> Figure:
    """Tickets by week and type; tickets by district."""
    chart = CHART[names.language]
    fig = _page(laid_out=True)
    weeks_ax, districts_ax = fig.subplots(2, 1, height_ratios=[1.1, 1])
    _weekly(weeks_ax, data.figures.by_week, names, chart["by_week"])
    districts = {names.district(k): v for k, v in data.figures.by_district.items()}
    bars(districts_ax, chart["by_district"], districts, size=11)
    return fig


def _weekly(ax: Any, weeks: dict[str, dict[str, int]], names: ChartNames, title: str) -> None:
    ax.set_title(title, fontsize=LABEL_SIZE - 2, loc="left")
    if not weeks:
        ax.set_axis_off()
        return
    categories = sorted({c for counts in weeks.values() for c in counts})
    labels = [week[5:] for week in weeks]  # MM-DD of each week's Monday
    bottom = [0] * len(weeks)
    for n, category in enumerate(categories):
        values = [counts.get(category, 0) for counts in weeks.values()]
        colour = WEEK_COLOURS[n % len(WEEK_COLOURS)]
        ax.bar(labels, values, bottom=bottom, label=names.category(category), color=colour)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    whole_numbers(ax.yaxis, 11)
    ax.tick_params(axis="x", labelsize=9, rotation=45 if len(weeks) > 8 else 0)
    ax.set_xlabel(text(names.language, "brief.week_of"), fontsize=9)
    ax.legend(fontsize=8, ncols=2, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)


def _department_charts(data: BriefData, names: ChartNames) -> Figure:
    """Deadline compliance and satisfaction by department; the most reported institutions."""
    language, chart = names.language, CHART[names.language]
    labels = FIGURE_NAMES[language]
    fig = _page(laid_out=True)
    compliance_ax, institutions_ax = fig.subplots(2, 1, height_ratios=[1.2, 1])
    departments = data.figures.departments
    series = {
        labels[f]: [figure_values(h)[f] for h in departments.values()]
        for f in ("claim_on_time", "resolve_on_time", "satisfied")
    }
    groups = [names.department(d) for d in departments]
    percent_bars(compliance_ax, chart["by_department"], groups, series, size=11)
    top = dict(data.figures.top_institutions)
    bars(institutions_ax, chart["top_institutions"], top, size=10)
    return fig


# --- tables -------------------------------------------------------------------------------------


def _department_tables(data: BriefData, names: ChartNames) -> list[Figure]:
    """One table per department: its queues, then the department as a whole."""
    language = names.language
    header = [text(language, "brief.column.queue")]
    header += [wrapped(FIGURE_NAMES[language][c]) for c in DEPARTMENT_COLUMNS]
    blocks: list[tuple[str, list[list[str]]]] = []
    for department, overall in data.figures.departments.items():
        rows = [
            [names.queue(queue), *_columns(figures)]
            for queue, figures in data.figures.queues.items()
            if names.department_of(queue) == department
        ]
        rows.append([text(language, "brief.department_total"), *_columns(overall)])
        blocks.append((names.department(department), rows))
    if not blocks:
        blocks.append((text(language, "brief.no_tickets"), []))
    return _paged_blocks(text(language, "brief.by_department"), header, blocks)


def _columns(figures: Headline) -> list[str]:
    shown = headline_values(figures)
    return [shown[c] for c in DEPARTMENT_COLUMNS]


def _overdue_tables(data: BriefData, names: ChartNames, tz: tzinfo, now: datetime) -> list[Figure]:
    language = names.language
    header = [
        text(language, f"brief.overdue.{c}")
        for c in ("number", "queue", "category", "district", "received", "due", "days")
    ]
    rows = [_overdue_row(t, names, tz, now) for t in data.overdue]
    title = text(language, "brief.overdue_title", count=len(rows))
    if data.more_overdue:
        title += text(language, "brief.overdue_more", count=len(rows))
    blocks = [("", rows)] if rows else [(text(language, "brief.overdue_none"), [])]
    return _paged_blocks(title, header, blocks)


def _overdue_row(ticket: TicketRecord, names: ChartNames, tz: tzinfo, now: datetime) -> list[str]:
    claim_late = ticket.status == "new" and ticket.claim_due_at is not None
    claim_late = claim_late and ticket.claim_due_at is not None and ticket.claim_due_at < now
    due = ticket.claim_due_at if claim_late else ticket.resolve_due_at
    days = "-" if due is None else f"{(now - due).total_seconds() / 86400:.1f}"
    deadline = text(names.language, "deadline.claim" if claim_late else "deadline.resolve")
    return [
        ticket.number,
        names.queue(ticket.queue),
        names.category(ticket.category),
        names.district(ticket.district),
        ticket.created_at.astimezone(tz).strftime("%Y-%m-%d"),
        "-" if due is None else f"{deadline} {due.astimezone(tz).strftime('%Y-%m-%d')}",
        days,
    ]


def _paged_blocks(
    title: str, header: list[str], blocks: list[tuple[str, list[list[str]]]]
) -> list[Figure]:
    """Tables with a heading each, as many to a page as fit, long ones split across pages."""
    pages: list[list[tuple[str, list[list[str]]]]] = [[]]
    used = 0
    for heading, rows in blocks:
        remaining = rows
        while True:
            room = ROWS_PER_PAGE - used - 2  # the heading and the header row
            if room < min(3, len(remaining) + 1) and used:
                pages.append([])
                used, room = 0, ROWS_PER_PAGE - 2
            part, remaining = remaining[:room], remaining[room:]
            pages[-1].append((heading, part))
            used += len(part) + 2
            if not remaining:
                break
    return [_table_page(title, header, page) for page in pages]


def _table_page(title: str, header: list[str], blocks: list[tuple[str, list[list[str]]]]) -> Figure:
    fig = _page()
    fig.text(0.06, 0.95, title, fontsize=16, color=TITLE_COLOUR)
    row_height = 0.86 / ROWS_PER_PAGE
    top = 0.92
    for heading, rows in blocks:
        if heading:
            fig.text(0.06, top - row_height * 0.8, heading, fontsize=12, color=TITLE_COLOUR)
        height = row_height * (len(rows) + 1)
        if rows:
            ax = fig.add_axes((0.06, top - row_height - height, 0.88, height))
            ax.set_axis_off()
            widths = [2.0, *([1.0] * (len(header) - 1))]
            _table(ax, header, rows, size=TABLE_SIZE, widths=[w / sum(widths) for w in widths])
        top -= height + row_height * 1.2
    return fig


def wrapped(label: str, width: int = 6) -> str:
    """A column heading on two lines when long: at its bracket, a space, or after ``width``
    characters (Chinese has no spaces to break at)."""
    if len(label) <= width:
        return label
    for mark in ("(", "(", " "):
        cut = label.find(mark, 1)
        if cut > 0:
            return f"{label[:cut]}\n{label[cut:].strip()}"
    return f"{label[:width]}\n{label[width:]}"


def _table(
    ax: Any,
    header: list[str],
    rows: list[list[str]],
    *,
    size: float,
    widths: Sequence[float] | None = None,
) -> None:
    table = ax.table(
        cellText=rows,
        colLabels=header,
        loc="upper center",
        cellLoc="center",
        colWidths=widths,
        bbox=(0, 0, 1, 1),
    )
    table.auto_set_font_size(False)
    table.set_fontsize(size)
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if row == 0:
            cell.set_facecolor("#e8eef6")
