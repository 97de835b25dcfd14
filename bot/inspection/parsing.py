"""What staff type after a command: ticket numbers, dispositions and report periods.

Lenient where a person would be: full-width characters from a Chinese keyboard, any case,
stray spaces, a sequence number without its leading zeros. Strict about meaning: a number must
name the year and the sequence, so a typo never reaches someone else's ticket by accident.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from datetime import datetime, timedelta, tzinfo

from bot.inspection.figures import Period
from bot.inspection.model import Disposition
from bot.inspection.organisation import Scope
from bot.inspection.settings import InspectionSettings, Role

DEFAULT_PERIOD_DAYS = 30
# Reports look back at most this far (a year and a bit, for year-on-year comparisons).
MAX_PERIOD_DAYS = 400
SEQUENCE_DIGITS = 6

_NUMBER = re.compile(r"^([A-Z]{1,8})-?(\d{4})-?(\d{1,6})$")
_DAYS = re.compile(r"^(\d{1,3})\s*(?:D|DAYS?|天)$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")

_DISPOSITION_WORDS: dict[str, Disposition] = {
    "查实": Disposition.SUBSTANTIATED,
    "属实": Disposition.SUBSTANTIATED,
    "不属实": Disposition.UNSUBSTANTIATED,
    "移交": Disposition.REFERRED,
    "重复": Disposition.DUPLICATE,
    "不予受理": Disposition.NOT_IN_SCOPE,
}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


def parse_ticket_number(text: str, prefix: str) -> str | None:
    """``"sj-2026-123 "`` → ``"SJ-2026-000123"``; None unless it is a number with ``prefix``."""
    match = _NUMBER.match(_fold(text).replace(" ", ""))
    if match is None or match[1] != prefix.upper():
        return None
    return f"{match[1]}-{match[2]}-{int(match[3]):0{SEQUENCE_DIGITS}d}"


def parse_disposition(word: str) -> Disposition | None:
    """English ids (``not_in_scope``, ``not-in-scope``) or the bureau's Chinese words."""
    folded = unicodedata.normalize("NFKC", word).strip()
    if folded in _DISPOSITION_WORDS:
        return _DISPOSITION_WORDS[folded]
    key = folded.lower().replace("-", "_")
    try:
        return Disposition(key)
    except ValueError:
        return None


def parse_period(text: str, now: datetime, tz: tzinfo) -> Period | None:
    """``""`` (the last 30 days), ``"7d"``, ``"90天"`` or a month ``"2026-11"`` (local time);
    None for anything else, or for a month that has not begun."""
    folded = _fold(text)
    if not folded:
        return Period.last_days(DEFAULT_PERIOD_DAYS, now)
    days = _DAYS.match(folded)
    if days is not None:
        count = int(days[1])
        return Period.last_days(count, now) if 1 <= count <= MAX_PERIOD_DAYS else None
    month = _MONTH.match(folded)
    if month is not None:
        return _month(int(month[1]), int(month[2]), now, tz)
    return None


def last_month(now: datetime, tz: tzinfo) -> Period:
    """The last whole calendar month before ``now`` (local time): what a report is about
    unless asked otherwise."""
    local = now.astimezone(tz)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    before = first - timedelta(days=1)
    return Period(datetime(before.year, before.month, 1, tzinfo=tz), first)


def _month(year: int, month: int, now: datetime, tz: tzinfo) -> Period | None:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    start = datetime(year, month, 1, tzinfo=tz)
    end = start + timedelta(days=monthrange(year, month)[1])
    if start >= now:
        return None
    return Period(start, min(end, now))


def parse_queue(text: str, settings: InspectionSettings) -> str:
    """A queue's id from its id in any case or its name ("海淀区教育局"); anything else is
    returned as typed, for the desk to refuse as unknown."""
    folded = unicodedata.normalize("NFKC", text).strip()
    for department in settings.departments:
        for queue in department.queues:
            if folded.casefold() == queue.id.casefold() or folded == queue.name:
                return queue.id
    return folded


# What staff call the roles, besides their ids.
_ROLE_WORDS: dict[str, Role] = {
    "核查员": "inspector",
    "检查员": "inspector",
    "督导": "supervisor",
    "主管": "supervisor",
    "管理员": "admin",
    "审计员": "auditor",
}
_ROLES: tuple[Role, ...] = ("inspector", "supervisor", "admin", "auditor")
# The whole organisation, as a place to hold a role in.
_EVERYWHERE = frozenset({"all", "org", "organisation", "organization", "全部", "全局", "全体"})
_USER_ID = re.compile(r"^#?(\d{5,15})$")


def parse_role(word: str) -> Role | None:
    folded = unicodedata.normalize("NFKC", word).strip()
    if folded in _ROLE_WORDS:
        return _ROLE_WORDS[folded]
    lowered = folded.lower()
    return next((r for r in _ROLES if r == lowered), None)


def parse_scope(text: str, settings: InspectionSettings) -> Scope | None:
    """A queue or department by its id (any case) or name, or the whole organisation
    (``all``, ``全部``); None for anything else."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if folded.casefold() in _EVERYWHERE:
        return Scope.organisation()
    queue = parse_queue(folded, settings)
    if settings.queue(queue) is not None:
        return Scope("queue", queue)
    for department in settings.departments:
        if folded.casefold() == department.id.casefold() or folded == department.name:
            return Scope("department", department.id)
    return None


def parse_user_id(text: str) -> int | None:
    """A Telegram user id as /staff shows it (``#123456789``) or as typed."""
    match = _USER_ID.match(unicodedata.normalize("NFKC", text).strip())
    return int(match[1]) if match else None
