"""Reading a bureau's list (CSV or XLSX, Chinese column names) and planning what it changes.

Columns are found by the names bureaus publish (``COLUMNS``: 机构名称, 统一社会信用代码,
办学许可证号, 类别, 状态, 地址 ...), in any order, under a title row or two. An empty cell
changes nothing in an institution already listed. A row finds its institution by credit code,
else by licence number, else (for a listed institution with neither, 无证无照) by district and
name. Any problem in any row refuses the whole file: the plan is only made from a clean one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from bot.matching.names import institution_key
from bot.matching.normalize import normalize
from bot.registry.model import (
    FORM_WORDS,
    KIND_WORDS,
    STATUS_WORDS,
    InstitutionForm,
    InstitutionKind,
    InstitutionStatus,
)
from bot.store.base import InstitutionChange, InstitutionRecord

E = TypeVar("E", bound=StrEnum)


class Column(StrEnum):
    NAME = "name"
    ALIASES = "aliases"
    CREDIT_CODE = "credit_code"
    LICENCE_NUMBER = "licence_number"
    LICENCE_ISSUER = "licence_issuer"
    KIND = "kind"
    FORM = "form"
    DISTRICT = "district"
    ADDRESS = "address"
    STATUS = "status"
    STATUS_SINCE = "status_since"
    STATUS_REASON = "status_reason"
    SUPERVISED_FEES = "supervised_fees"
    SOURCE = "source"
    LISTED_ON = "listed_on"


# The names each column goes by; the first is what exports write. English ids work too.
COLUMNS: dict[Column, tuple[str, ...]] = {
    Column.NAME: ("机构名称", "培训机构名称", "名称", "机构"),
    Column.ALIASES: ("别名", "品牌名称", "品牌", "简称", "曾用名"),
    Column.CREDIT_CODE: ("统一社会信用代码", "社会信用代码", "信用代码"),
    Column.LICENCE_NUMBER: ("办学许可证号", "办学许可证编号", "许可证号", "办学许可证"),
    Column.LICENCE_ISSUER: ("发证机关", "审批机关", "许可证发证机关"),
    Column.KIND: ("类别", "培训类别", "机构类别", "类型"),
    Column.FORM: ("性质", "办学性质", "机构性质", "法人类型"),
    Column.DISTRICT: ("所属区", "所在区", "区县", "行政区", "区"),
    Column.ADDRESS: ("地址", "办学地址", "培训地址", "注册地址"),
    Column.STATUS: ("状态", "名单类型", "办学状态"),
    Column.STATUS_SINCE: ("状态日期", "列入日期", "变更日期", "日期"),
    Column.STATUS_REASON: ("原因", "列入原因", "处理原因", "事由"),
    Column.SUPERVISED_FEES: ("资金监管", "预收费资金监管", "是否纳入资金监管", "预收费监管"),
    Column.SOURCE: ("来源", "名单来源", "发布单位"),
    Column.LISTED_ON: ("公布日期", "名单日期", "发布日期"),
}
# Brand names and former names in one cell.
_ALIAS_SPLIT = re.compile(r"[、,,;;/|]+")
# GB 32100-2015: 18 characters, the last a check character.
_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YES = frozenset({"是", "已纳入", "纳入", "已监管", "有", "y", "yes", "true", "1"})
_NO = frozenset({"否", "未纳入", "未监管", "无", "没有", "n", "no", "false", "0"})
# Rows a header may sit under (title lines above the table).
HEADER_SEARCH_ROWS = 10
MAX_TEXT_CHARS = 500
SUPPORTED_SUFFIXES = (".csv", ".xlsx")


class ImportRefused(Exception):
    """The file cannot be imported; ``problems`` are ``line: message`` texts."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems[:3]))
        self.problems = list(problems)


@dataclass(frozen=True)
class ListDefaults:
    """What rows that leave a column empty take (command-line options)."""

    status: InstitutionStatus | None = None
    source: str = ""
    listed_on: str | None = None  # YYYY-MM-DD


@dataclass(frozen=True)
class ImportRow:
    """One row as read; None means "not given" (an existing institution keeps its value)."""

    line: int
    values: dict[Column, Any]

    def get(self, column: Column) -> Any:
        return self.values.get(column)


# --- reading the file ---------------------------------------------------------------------------


def read_rows(path: Path, defaults: ListDefaults) -> list[ImportRow]:
    """Every data row of a CSV or XLSX list, checked; raises :class:`ImportRefused`."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ImportRefused([f"{path.name}: a .csv or .xlsx file is needed, not {suffix!r}"])
    try:
        raw = list(_xlsx_lines(path) if suffix == ".xlsx" else _csv_lines(path))
    except ImportRefused:
        raise
    except Exception as exc:  # a damaged or mislabelled file: say so, never a traceback
        raise ImportRefused([f"{path.name}: cannot be read as {suffix} ({exc})"]) from exc
    header_at, columns = _find_header(raw, path.name)
    rows: list[ImportRow] = []
    problems: list[str] = []
    for offset, cells in enumerate(raw[header_at + 1 :], start=header_at + 2):
        if not any(_text(c) for c in cells):
            continue  # blank lines between blocks
        row, row_problems = _parse_row(offset, cells, columns, defaults)
        problems += [f"{path.name}:{offset}: {p}" for p in row_problems]
        if row is not None:
            rows.append(row)
    if not rows and not problems:
        problems.append(f"{path.name}: no institutions below the header row")
    if problems:
        raise ImportRefused(problems)
    return rows


def _csv_lines(path: Path) -> Iterator[list[Any]]:
    data = path.read_bytes()
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("gb18030")  # Excel on a Chinese Windows saves CSV this way
    yield from csv.reader(io.StringIO(content, newline=""))


def _xlsx_lines(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # loaded only when a workbook is read

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def _header_names() -> dict[str, Column]:
    names = {_fold_header(column.value): column for column in Column}
    for column, words in COLUMNS.items():
        names.update({_fold_header(word): column for word in words})
    return names


def _fold_header(text: str) -> str:
    return re.sub(r"[\s*::()()]", "", unicodedata.normalize("NFKC", text)).lower()


def _find_header(raw: list[list[Any]], file_name: str) -> tuple[int, dict[int, Column]]:
    names = _header_names()
    for at, cells in enumerate(raw[:HEADER_SEARCH_ROWS]):
        columns = {
            i: names[_fold_header(_text(c))]
            for i, c in enumerate(cells)
            if _fold_header(_text(c)) in names
        }
        if Column.NAME in columns.values():
            repeated = [c for c in set(columns.values()) if list(columns.values()).count(c) > 1]
            if repeated:
                listed = ", ".join(sorted(COLUMNS[c][0] for c in repeated))
                raise ImportRefused([f"{file_name}:{at + 1}: a column appears twice: {listed}"])
            return at, columns
    wanted = "、".join(COLUMNS[Column.NAME])
    raise ImportRefused([f"{file_name}: no header row with a name column ({wanted})"])


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a licence number typed as a number
    return unicodedata.normalize("NFKC", str(cell)).strip()


def _parse_row(
    line: int, cells: list[Any], columns: dict[int, Column], defaults: ListDefaults
) -> tuple[ImportRow | None, list[str]]:
    values: dict[Column, Any] = {}
    problems: list[str] = []
    for index, column in columns.items():
        cell = cells[index] if index < len(cells) else None
        text = _text(cell)
        if not text:
            continue
        try:
            if len(text) > MAX_TEXT_CHARS:
                raise ValueError(f"longer than {MAX_TEXT_CHARS} characters")
            parse = _PARSERS.get(column)
            values[column] = text if parse is None else parse(text, cell)
        except ValueError as exc:
            problems.append(f"{COLUMNS[column][0]} {text!r}: {exc}")
    if not values.get(Column.NAME):
        problems.append(f"{COLUMNS[Column.NAME][0]} is empty")
    if Column.STATUS not in values and defaults.status is not None:
        values[Column.STATUS] = defaults.status
    if Column.SOURCE not in values and defaults.source:
        values[Column.SOURCE] = defaults.source
    if Column.LISTED_ON not in values and defaults.listed_on:
        values[Column.LISTED_ON] = defaults.listed_on
    return (None if problems else ImportRow(line, values)), problems


def credit_code(text: str) -> str:
    """A unified social credit code, upper case, with its check character verified."""
    code = text.replace(" ", "").upper()
    if len(code) != 18 or any(c not in _CODE_CHARACTERS for c in code):
        raise ValueError("a credit code has 18 characters: digits and capital letters")
    check = check_character(code[:17])
    if code[-1] != check:
        raise ValueError(f"the check character does not fit (expected {check})")
    return code


def check_character(first_17: str) -> str:
    """The 18th character of a credit code whose first 17 are given."""
    total = sum(_CODE_CHARACTERS.index(c) * w for c, w in zip(first_17, _CODE_WEIGHTS, strict=True))
    return _CODE_CHARACTERS[(31 - total % 31) % 31]


def _word(text: str, words: Mapping[E, tuple[str, ...]], what: str) -> E:
    folded = text.strip().lower().replace("-", "_")
    for value, names in words.items():
        if folded in names:
            return value
    known = "、".join(names[0] for names in words.values())
    raise ValueError(f"unknown {what} (known: {known})")


def list_date(cell: Any) -> str:
    """``2026-03-01``, ``2026/3/1``, ``2026年3月1日``, ``2026.03``, ``20260301`` or a
    spreadsheet date → ``"2026-03-01"`` (a month alone is its first day)."""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    text = _text(cell)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        raise ValueError("a date like 2026-03-01 is expected")
    year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError("no such date") from None


def _yes_no(text: str) -> bool:
    folded = text.strip().lower()
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise ValueError("是 or 否 is expected")


# How each column's text becomes a value (text, and the cell as the file held it); columns
# not listed keep their text.
_PARSERS: dict[Column, Callable[[str, Any], Any]] = {
    Column.ALIASES: lambda text, _: tuple(a.strip() for a in _ALIAS_SPLIT.split(text) if a.strip()),
    Column.CREDIT_CODE: lambda text, _: credit_code(text),
    Column.STATUS: lambda text, _: _word(text, STATUS_WORDS, "status"),
    Column.KIND: lambda text, _: _word(text, KIND_WORDS, "kind"),
    Column.FORM: lambda text, _: _word(text, FORM_WORDS, "form"),
    Column.STATUS_SINCE: lambda _, cell: list_date(cell),
    Column.LISTED_ON: lambda _, cell: list_date(cell),
    Column.SUPERVISED_FEES: lambda text, _: _yes_no(text),
}


# --- planning the changes -----------------------------------------------------------------------

# Fields an import compares and sets, in the order a change report lists them.
_FIELDS = tuple(c for c in Column if c != Column.NAME)


@dataclass
class ImportPlan:
    """What a clean file changes; nothing is written until the plan is applied."""

    added: list[InstitutionRecord] = field(default_factory=list)
    updated: list[tuple[InstitutionRecord, InstitutionRecord]] = field(default_factory=list)
    unchanged: int = 0
    repeated_rows: int = 0  # rows that said again exactly what an earlier row said
    changes: list[InstitutionChange] = field(default_factory=list)

    @property
    def status_changes(self) -> int:
        return sum(1 for c in self.changes if c.change == "status")


def plan_import(
    rows: Sequence[ImportRow],
    existing: Iterable[InstitutionRecord],
    *,
    actor: str,
    now: datetime,
    district_id: Any = None,
    today: str | None = None,
) -> ImportPlan:
    """Compare ``rows`` with the registry; raises :class:`ImportRefused` on conflicts (two rows
    naming one institution differently, one row naming two institutions, a new institution
    without a status)."""
    today = today or now.date().isoformat()  # the local date a status takes effect
    fold_district = district_id or (lambda name: normalize(name).replace(" ", ""))
    known = _KnownInstitutions(existing, fold_district)
    distinct = _without_repeats(rows, fold_district)
    plan = ImportPlan(repeated_rows=distinct.repeated)
    problems: list[str] = []
    for row in distinct.kept:
        try:
            current = known.find(row)
        except ValueError as exc:
            problems.append(f"{row.line}: {exc}")
            continue
        if current is None:
            added = _new_institution(row, now, today, fold_district, problems)
            if added is not None:
                plan.added.append(added)
                plan.changes.append(change_entry(added, "added", actor, now))
                known.remember(added)
            continue
        after = _updated(current, row, now, today)
        if after == current:
            plan.unchanged += 1
            continue
        plan.updated.append((current, after))
        plan.changes.append(_change_of(current, after, actor, now))
        known.remember(after)
    if problems:
        raise ImportRefused(problems)
    return plan


@dataclass
class _Rows:
    kept: list[ImportRow]
    repeated: int


def _identity(row: ImportRow, fold_district: Any) -> list[str]:
    code, licence = row.get(Column.CREDIT_CODE), row.get(Column.LICENCE_NUMBER)
    found = []
    if code:
        found.append(f"code:{code}")
    if licence:
        found.append(f"licence:{licence}")
    if not found:
        found.append(
            name_match_key(row.get(Column.NAME), row.get(Column.DISTRICT) or "", fold_district)
        )
    return found


def name_match_key(name: str, district: str, fold_district: Any) -> str:
    return f"name:{fold_district(district)}:{institution_key(name)}"


def _without_repeats(rows: Sequence[ImportRow], fold_district: Any) -> _Rows:
    """Rows naming an institution a second time are dropped when they say the same, refused
    when they say something else."""
    first_by_identity: dict[str, ImportRow] = {}
    kept: list[ImportRow] = []
    repeated = 0
    problems: list[str] = []
    for row in rows:
        earlier = next(
            (first_by_identity[i] for i in _identity(row, fold_district) if i in first_by_identity),
            None,
        )
        if earlier is None:
            kept.append(row)
            for identity in _identity(row, fold_district):
                first_by_identity[identity] = row
        elif earlier.values == row.values:
            repeated += 1
        else:
            differing = sorted(
                COLUMNS[c][0]
                for c in set(earlier.values) | set(row.values)
                if earlier.get(c) != row.get(c)
            )
            problems.append(
                f"{row.line}: names the same institution as line {earlier.line} but differs in "
                + "、".join(differing)
            )
    if problems:
        raise ImportRefused(problems)
    return _Rows(kept, repeated)


class _KnownInstitutions:
    def __init__(self, existing: Iterable[InstitutionRecord], fold_district: Any) -> None:
        self._fold = fold_district
        self._by_code: dict[str, InstitutionRecord] = {}
        self._by_licence: dict[str, InstitutionRecord] = {}
        self._by_key: dict[str, InstitutionRecord] = {}
        for record in existing:
            self.remember(record)

    def remember(self, record: InstitutionRecord) -> None:
        if record.credit_code:
            self._by_code[record.credit_code] = record
        if record.licence_number:
            self._by_licence[record.licence_number] = record
        self._by_key[record.match_key] = record
        if not record.credit_code and not record.licence_number:
            self._by_key[name_match_key(record.name, record.district, self._fold)] = record

    def find(self, row: ImportRow) -> InstitutionRecord | None:
        code, licence = row.get(Column.CREDIT_CODE), row.get(Column.LICENCE_NUMBER)
        by_code = self._by_code.get(code) if code else None
        by_licence = self._by_licence.get(licence) if licence else None
        if by_code and by_licence and by_code.match_key != by_licence.match_key:
            raise ValueError(
                f"the credit code is {by_code.name}'s (#{by_code.id}) but the licence number "
                f"is {by_licence.name}'s (#{by_licence.id})"
            )
        found = by_code or by_licence
        if found is None and not code and not licence:
            key = name_match_key(row.get(Column.NAME), row.get(Column.DISTRICT) or "", self._fold)
            found = self._by_key.get(key)
        return found


def _new_institution(
    row: ImportRow, now: datetime, today: str, fold_district: Any, problems: list[str]
) -> InstitutionRecord | None:
    status = row.get(Column.STATUS)
    if status is None:
        problems.append(
            f"{row.line}: {row.get(Column.NAME)} is new and has no {COLUMNS[Column.STATUS][0]}"
            " (give the column, or --status for the whole list)"
        )
        return None
    code, licence = row.get(Column.CREDIT_CODE), row.get(Column.LICENCE_NUMBER)
    if code:
        match_key = f"code:{code}"
    elif licence:
        match_key = f"licence:{licence}"
    else:
        match_key = name_match_key(
            row.get(Column.NAME), row.get(Column.DISTRICT) or "", fold_district
        )
    listed_on = row.get(Column.LISTED_ON)
    return InstitutionRecord(
        id=0,
        match_key=match_key,
        name=row.get(Column.NAME),
        aliases=row.get(Column.ALIASES) or (),
        credit_code=code,
        licence_number=licence,
        licence_issuer=row.get(Column.LICENCE_ISSUER) or "",
        kind=row.get(Column.KIND) or InstitutionKind.UNKNOWN,
        form=row.get(Column.FORM) or InstitutionForm.UNKNOWN,
        district=row.get(Column.DISTRICT) or "",
        address=row.get(Column.ADDRESS) or "",
        status=status,
        status_since=row.get(Column.STATUS_SINCE) or listed_on or today,
        status_reason=row.get(Column.STATUS_REASON) or "",
        supervised_fees=row.get(Column.SUPERVISED_FEES),
        source=row.get(Column.SOURCE) or "",
        listed_on=listed_on,
        updated_at=now,
    )


def _updated(
    current: InstitutionRecord, row: ImportRow, now: datetime, today: str
) -> InstitutionRecord:
    given = {c.value: row.get(c) for c in Column if row.get(c) is not None}
    after = replace(current, **given)
    if after.status != current.status and row.get(Column.STATUS_SINCE) is None:
        since = row.get(Column.LISTED_ON) or today
        after = replace(after, status_since=since)
    if after.status != current.status and row.get(Column.STATUS_REASON) is None:
        after = replace(after, status_reason="")
    if _differences(current, after):
        return replace(after, updated_at=now)
    return current


def _differences(before: InstitutionRecord, after: InstitutionRecord) -> dict[str, list[Any]]:
    fields = (Column.NAME, *_FIELDS)
    return {
        f.value: [_plain(getattr(before, f.value)), _plain(getattr(after, f.value))]
        for f in fields
        if getattr(before, f.value) != getattr(after, f.value)
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def change_entry(
    record: InstitutionRecord,
    change: str,
    actor: str,
    now: datetime,
    details: Mapping[str, Any] | None = None,
    *,
    ticket_id: int | None = None,
) -> InstitutionChange:
    """The audit trail's entry for a change that leaves ``record`` as it is; ``details``:
    field -> [before, after]."""
    return InstitutionChange(
        match_key=record.match_key,
        at=now,
        actor=actor,
        change=change,
        status=record.status,
        reason=record.status_reason,
        ticket_id=ticket_id,
        details=json.dumps(details or {}, ensure_ascii=False),
    )


def _change_of(
    before: InstitutionRecord, after: InstitutionRecord, actor: str, now: datetime
) -> InstitutionChange:
    kind = "status" if before.status != after.status else "updated"
    return change_entry(after, kind, actor, now, _differences(before, after))


def describe_plan(plan: ImportPlan, limit: int = 20) -> list[str]:
    """What the import changes, one line each (the first ``limit`` of each kind)."""
    lines = [
        f"added {len(plan.added)}, updated {len(plan.updated)} "
        f"(status changed {plan.status_changes}), unchanged {plan.unchanged}, "
        f"repeated rows skipped {plan.repeated_rows}"
    ]
    for record in plan.added[:limit]:
        lines.append(f"  + {record.name} [{record.status}]")
    if len(plan.added) > limit:
        lines.append(f"  + … {len(plan.added) - limit} more")
    for before, after in plan.updated[:limit]:
        fields = ", ".join(_differences(before, after))
        status = f" {before.status} → {after.status}" if before.status != after.status else ""
        lines.append(f"  ~ #{before.id} {after.name}:{status} ({fields})")
    if len(plan.updated) > limit:
        lines.append(f"  ~ … {len(plan.updated) - limit} more")
    return lines
