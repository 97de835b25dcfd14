"""The registry back out as CSV (UTF-8 with a BOM) or XLSX, under the column names imports read,
with the registry id first: an export imports again unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.registry.importing import COLUMNS, Column
from bot.registry.model import FORM_WORDS, KIND_WORDS, STATUS_WORDS
from bot.spreadsheets import safe_text
from bot.store.base import InstitutionRecord

REGISTRY_ID = "登记编号"
_WORDS = {
    Column.STATUS: {k.value: v[0] for k, v in STATUS_WORDS.items()},
    Column.KIND: {k.value: v[0] for k, v in KIND_WORDS.items()},
    Column.FORM: {k.value: v[0] for k, v in FORM_WORDS.items()},
}


def header() -> list[str]:
    return [REGISTRY_ID, *(COLUMNS[c][0] for c in Column)]


def export_rows(records: Sequence[InstitutionRecord]) -> list[list[str]]:
    return [[str(r.id), *(_cell(r, c) for c in Column)] for r in records]


def _cell(record: InstitutionRecord, column: Column) -> str:
    value = getattr(record, column.value)
    if column in _WORDS:
        return str(_WORDS[column].get(value, value))
    if column == Column.ALIASES:
        return "、".join(value)
    if column == Column.SUPERVISED_FEES:
        return "" if value is None else ("是" if value else "否")
    return safe_text(value) or ""


def to_csv(records: Sequence[InstitutionRecord]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header())
    writer.writerows(export_rows(records))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(records: Sequence[InstitutionRecord]) -> bytes:
    from openpyxl import Workbook  # loaded only when a workbook is made

    book = Workbook(write_only=True)
    sheet = book.create_sheet("registry")
    sheet.append(header())
    for row in export_rows(records):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
