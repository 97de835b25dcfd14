"""Ticket exports for spreadsheets: CSV (UTF-8 with a BOM, so Excel reads Chinese) and XLSX.

Only what the bureau decides with: numbers, statuses, outcomes, queues, categories, districts,
institutions and times. Never the description or the further answers (a reporter may have named
themselves there), never receipt codes, notice links or anything else about the reporter.
Cells that a spreadsheet would run as a formula are quoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from bot.inspection.figures import FIGURE_IDS, Headline, StatsFigures, TicketMarks, figure_values
from bot.inspection.texts import (
    CATEGORY_NAMES,
    DISPOSITION_NAMES,
    EXPORT_COLUMNS,
    FIGURE_NAMES,
    FOLLOWUP_NAMES,
    STATUS_NAMES,
    YES_NO,
    Language,
)
from bot.spreadsheets import safe_text
from bot.store.base import TicketRecord

if TYPE_CHECKING:
    from openpyxl import Workbook

Cell = str | int | datetime | None


def export_rows(
    tickets: Sequence[TicketRecord],
    marks: dict[str, TicketMarks],
    tz: tzinfo,
    language: Language = "zh",
) -> list[list[Cell]]:
    """One row per ticket, times in local time without a zone (spreadsheets have none), and
    how it counts in the figures (its latest 回访, reopenings, whether a repeat report)."""
    statuses, categories = STATUS_NAMES[language], CATEGORY_NAMES[language]
    dispositions = DISPOSITION_NAMES[language]
    followups, yes_no = FOLLOWUP_NAMES[language], YES_NO[language]
    unmarked = TicketMarks(None, 0, repeat=False)

    def local(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)

    return [
        [
            t.number,
            statuses.get(t.status, t.status),
            dispositions.get(t.disposition, t.disposition) if t.disposition else None,
            safe_text(t.outcome),
            t.queue,
            categories.get(t.category, t.category),
            safe_text(t.district),
            safe_text(t.institution),
            local(t.created_at),
            t.claimed_by,
            local(t.claimed_at),
            local(t.claim_due_at),
            local(t.resolved_at),
            local(t.resolve_due_at),
            local(t.closed_at),
            str(t.institution_id) if t.institution_id is not None else None,
            t.institution_status,
            *_marks(marks.get(t.number, unmarked), followups, yes_no),
        ]
        for t in tickets
    ]


def _marks(marks: TicketMarks, followups: dict[str, str], yes_no: dict[str, str]) -> list[Cell]:
    followup = followups.get(marks.followup, marks.followup) if marks.followup else None
    return [followup, marks.reopened, yes_no["yes" if marks.repeat else "no"]]


def to_csv(rows: Sequence[Sequence[Cell]], language: Language = "zh") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS[language])
    for row in rows:
        writer.writerow(["" if c is None else _csv_cell(c) for c in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(cell: str | int | datetime) -> str:
    return cell.strftime("%Y-%m-%d %H:%M:%S") if isinstance(cell, datetime) else str(cell)


def to_xlsx(
    rows: Sequence[Sequence[Cell]], figures: StatsFigures | None, language: Language = "zh"
) -> bytes:
    """A workbook with the tickets and, if given, a summary sheet of the figures."""
    # Loaded when a workbook is first made, not with the bot: most runs never export.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("tickets")
    sheet.append(list(EXPORT_COLUMNS[language]))
    for row in rows:
        sheet.append(list(row))
    if figures is not None:
        _summary_sheet(book, figures)
        _figures_sheet(book, figures, language)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary_sheet(book: Workbook, figures: StatsFigures) -> None:
    sheet = book.create_sheet("summary")
    sheet.append(["total", figures.total])
    for title, counts in (
        ("status", figures.by_status),
        ("category", figures.by_category),
        ("district", figures.by_district),
        ("queue", figures.by_queue),
    ):
        for key, value in counts.items():
            sheet.append([title, safe_text(key), value])
    for name, times in (
        ("claim_hours", figures.claim_time),
        ("resolve_hours", figures.resolution_time),
    ):
        sheet.append([name, "median", times.median_hours])
        sheet.append([name, "p90", times.p90_hours])
    for name, compliance in (
        ("claim_on_time_percent", figures.claim_deadline),
        ("resolve_on_time_percent", figures.resolve_deadline),
    ):
        sheet.append([name, compliance.percent, compliance.met, compliance.missed])


def _figures_sheet(book: Workbook, figures: StatsFigures, language: Language) -> None:
    """The headline figures overall and per department, queue and district, as numbers."""
    sheet = book.create_sheet("figures")
    names = FIGURE_NAMES[language]
    sheet.append(["scope", "id", *(names[f] for f in FIGURE_IDS)])

    def add(scope: str, key: str, values: Headline) -> None:
        shown = figure_values(values)
        sheet.append([scope, safe_text(key), *(shown[f] for f in FIGURE_IDS)])

    add("all", "", figures.headline)
    for scope, groups in (
        ("department", figures.departments),
        ("queue", figures.queues),
        ("district", figures.districts),
    ):
        for key, values in groups.items():
            add(scope, key, values)
