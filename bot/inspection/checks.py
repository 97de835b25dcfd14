"""What would leave tickets unseen: queues without a group or anyone to claim, routing rules
that never place a ticket, nobody to run the organisation, gaps in a duty rota.

Checked by ``python -m bot config check`` (in English) and, at every start, sent to the
organisation's admins (in their language), from the organisation as the database holds it.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.i18n import text
from bot.inspection.access import claimers_of
from bot.inspection.model import StaffNotice
from bot.inspection.organisation import Snapshot
from bot.inspection.rota import RotaClock
from bot.inspection.routing import Router
from bot.inspection.settings import InspectionSettings
from bot.inspection.shifts import Rota
from bot.inspection.workdays import WorkingCalendar
from bot.registry.model import TICKET_REGISTRY_WORDS
from bot.store.base import Transaction
from bot.tickets.form import FormSettings
from bot.tickets.outbox import staff_message

# Rotas are checked this far ahead: every holiday of the coming year has its shifts.
ROTA_CHECK_DAYS = 366
Values = dict[str, str | int]


@dataclass(frozen=True)
class Problem:
    """One warning: its catalog text (``orgcheck.<key>``) and what it names."""

    key: str
    values: Values = field(default_factory=dict)

    def text(self, language: str, escape: bool = False) -> str:
        shown = {k: html.escape(str(v)) if escape else v for k, v in self.values.items()}
        return text(language, f"orgcheck.{self.key}", **shown)


def organisation_problems(
    settings: InspectionSettings,
    form: FormSettings,
    calendar: WorkingCalendar,
    now: datetime,
) -> list[Problem]:
    problems = _queue_problems(settings)
    problems += _unused_rules(settings, form, calendar)
    if not any(m.role == "admin" for m in settings.members):
        problems.append(Problem("no_admin"))
    clock = RotaClock(settings.duty, calendar)
    for rota in settings.duty.rotas:
        problems += _rota_problems(settings, clock, rota, now, calendar)
    return problems


def _queue_problems(settings: InspectionSettings) -> list[Problem]:
    problems = []
    default = settings.default_queue
    for department in settings.departments:
        for queue in department.queues:
            if queue.id == default:
                continue
            named: Values = {"queue": queue.id, "name": queue.name}
            if queue.chat_id is None:
                problems.append(Problem("queue_no_chat", named))
            if not claimers_of(settings, queue.id):
                problems.append(Problem("queue_nobody", {**named, "default": default}))
    default_queue = settings.queue(default)
    if default_queue is not None:
        lacks = []
        if default_queue.chat_id is None:
            lacks.append("lack_chat")
        if not claimers_of(settings, default):
            lacks.append("lack_claimer")
        if lacks:
            values: Values = {"queue": default, "name": default_queue.name}
            problems.append(Problem(f"default_{'_and_'.join(lacks)}", values))
    return problems


def _unused_rules(
    settings: InspectionSettings, form: FormSettings, calendar: WorkingCalendar
) -> list[Problem]:
    router = Router(settings, calendar)
    used = {
        found[0]
        for category in form.categories
        for district in form.districts
        for registry in ("", *TICKET_REGISTRY_WORDS)
        if (found := router.placing_rule(category.id, district.id, registry)) is not None
    }
    return [
        Problem(
            "unused_rule",
            {
                "number": index + 1,
                "queue": rule.queue,
                "categories": ", ".join(rule.categories),
                "districts": ", ".join(rule.districts),
            },
        )
        for index, rule in enumerate(settings.routing)
        if index not in used
    ]


def _rota_problems(
    settings: InspectionSettings,
    clock: RotaClock,
    rota: Rota,
    now: datetime,
    calendar: WorkingCalendar,
) -> list[Problem]:
    name = _rota_name(settings, rota)
    problems = []
    gaps = clock.gaps(rota, now, now + timedelta(days=ROTA_CHECK_DAYS))
    if gaps:
        start, end = gaps[0]
        problems.append(
            Problem(
                "rota_gap",
                {
                    "rota": name,
                    "start": _local(start, calendar),
                    "end": _local(end, calendar),
                    "more": len(gaps) - 1,
                    "days": ROTA_CHECK_DAYS,
                },
            )
        )
    claimers: set[int] = set()
    for queue in settings.queues_of_rota(rota):
        claimers |= claimers_of(settings, queue)
    for shift in rota.shifts:
        if not claimers.intersection(shift.people):
            problems.append(Problem("rota_nobody", {"rota": name, "shift": shift.name}))
    return problems


def _rota_name(settings: InspectionSettings, rota: Rota) -> str:
    if rota.queue:
        queue = settings.queue(rota.queue)
        return f"{rota.queue} ({queue.name})" if queue else rota.queue
    department = settings.department(rota.department)
    return f"{rota.department} ({department.name})" if department else rota.department


def _local(moment: datetime, calendar: WorkingCalendar) -> str:
    return moment.astimezone(calendar.tz).strftime("%Y-%m-%d %H:%M")


async def tell_admins(
    tx: Transaction, snapshot: Snapshot, problems: list[Problem], now: datetime, day: str
) -> int:
    """Queue the problems for each admin of the organisation, once a day per set of problems
    (however many instances start); how many admins were told."""
    if not problems:
        return 0
    listed = [{"key": p.key, "values": p.values} for p in problems]
    digest = hashlib.sha256(json.dumps(listed, sort_keys=True).encode()).hexdigest()[:16]
    admins = {
        m.user_id
        for m in snapshot.memberships
        if m.role == "admin" and m.scope.level == "organisation"
    }
    for admin in sorted(admins):
        key = f"orgcheck:{admin}:{day}:{digest}"
        data = {"problems": listed}
        await tx.enqueue(
            staff_message(StaffNotice.ORGANISATION_WARNINGS, admin, data, now, dedupe_key=key)
        )
    return len(admins)
