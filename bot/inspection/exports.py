"""Ticket exports for spreadsheets: CSV (UTF-8 with a BOM, so Excel reads Chinese) and XLSX.

Only what the bureau decides with: numbers, statuses, outcomes, queues, categories, districts,
institutions and times. Never the description or the further answers (a reporter may have named
themselves there), never receipt codes, notice links or anything else about the reporter.
Cells that a spreadsheet would run as a formula are quoted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from bot.inspection.figures import StatsFigures
from bot.inspection.texts import (
    CATEGORY_NAMES,
    DISPOSITION_NAMES,
    EXPORT_COLUMNS,
    STATUS_NAMES,
    Language,
)
from bot.store.base import TicketRecord

if TYPE_CHECKING:
    from openpyxl import Workbook

Cell = str | datetime | None
# Control characters a spreadsheet file may not hold (openpyxl's own rule).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# Excel, LibreOffice and Google Sheets run a cell starting with these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_rows(
    tickets: Sequence[TicketRecord], tz: tzinfo, language: Language = "zh"
) -> list[list[Cell]]:
    """One row per ticket, times in local time without a zone (spreadsheets have none)."""
    statuses, categories = STATUS_NAMES[language], CATEGORY_NAMES[language]
    dispositions = DISPOSITION_NAMES[language]

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
        ]
        for t in tickets
    ]


def safe_text(value: str | None) -> str | None:
    """Text a reporter typed, made inert: no formulas, no control characters."""
    if value is None:
        return None
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def to_csv(rows: Sequence[Sequence[Cell]], language: Language = "zh") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS[language])
    for row in rows:
        writer.writerow(["" if c is None else _csv_cell(c) for c in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(cell: str | datetime) -> str:
    return cell.strftime("%Y-%m-%d %H:%M:%S") if isinstance(cell, datetime) else cell


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
