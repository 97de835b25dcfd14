"""Statistics, exports and the daily digest, each for the queues the asker may see.

Every statistic and export is audited (who, when, which period, how many tickets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.inspection.access import Access, Action
from bot.inspection.audit import AuditTrail
from bot.inspection.exports import export_rows, to_csv, to_xlsx
from bot.inspection.figures import Period, StatsFigures, compute_stats
from bot.inspection.model import Clock, Denial, Denied
from bot.inspection.pacing import enqueue_paced
from bot.inspection.routing import Router
from bot.inspection.settings import Department
from bot.inspection.texts import DIGEST, Language
from bot.inspection.workdays import WorkingCalendar
from bot.store.base import QueueCounts, Store, TicketRecord, TicketTiming
from bot.tickets.model import MessageKind
from bot.tickets.outbox import staff_message, utc_now

DIGEST_OVERDUE_SHOWN = 10
# The audit log's name for someone exporting at the server's console.
LOCAL_OPERATOR = "cli"
ExportFormat = Literal["csv", "xlsx"]


@dataclass(frozen=True)
class DigestQueued:
    department: str
    chat_id: int
    text: str


class Reports:
    def __init__(
        self,
        store: Store,
        access: Access,
        audit: AuditTrail,
        router: Router,
        calendar: WorkingCalendar,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self.access = access
        self.settings = access.settings
        self._audit = audit
        self._router = router
        self._calendar = calendar
        self._clock = clock

    async def stats(self, user_id: int, period: Period) -> StatsFigures | Denied:
        """Figures for tickets received in ``period`` in the queues ``user_id`` may report on."""
        now = self._clock()
        queues = self.access.queues(user_id, Action.STATS)
        if not queues:
            denied = Denied(Denial.NOT_ALLOWED)
            return await self._audit.refused(user_id, Action.STATS, now, denied)
        visible = set(queues)
        async with self._store.transaction() as tx:
            rows = [
                r for r in await tx.ticket_timings(period.start, period.end) if r.queue in visible
            ]
            details = _period_details(period, len(rows))
            await self._audit.record(tx, user_id, Action.STATS, now, details=details)
        return compute_stats(rows, period, now, self._router.district_id)

    async def export_csv(
        self, user_id: int, period: Period, language: Language = "zh"
    ) -> bytes | Denied:
        tickets = await self._exported(user_id, period, "csv")
        if isinstance(tickets, Denied):
            return tickets
        return self._file(tickets, period, "csv", language)

    async def export_xlsx(
        self, user_id: int, period: Period, language: Language = "zh"
    ) -> bytes | Denied:
        """Tickets and a summary sheet."""
        tickets = await self._exported(user_id, period, "xlsx")
        if isinstance(tickets, Denied):
            return tickets
        return self._file(tickets, period, "xlsx", language)

    async def operator_export(
        self,
        period: Period,
        file_format: ExportFormat,
        language: Language = "zh",
        *,
        actor: str = LOCAL_OPERATOR,
    ) -> bytes:
        """Every queue's tickets, for an operator at the server (``python -m bot export``):
        whoever can run that can read the database anyway, but the export is audited all the
        same, under ``actor``."""
        now = self._clock()
        async with self._store.transaction() as tx:
            tickets = await tx.tickets_created_between(period.start, period.end)
            details = {**_period_details(period, len(tickets)), "format": file_format}
            await self._audit.record_operator(tx, actor, Action.EXPORT, now, details=details)
        return self._file(tickets, period, file_format, language)

    def _file(
        self,
        tickets: list[TicketRecord],
        period: Period,
        file_format: ExportFormat,
        language: Language,
    ) -> bytes:
        rows = export_rows(tickets, self._calendar.tz, language)
        if file_format == "csv":
            return to_csv(rows, language)
        timings = [_timing(t) for t in tickets]
        figures = compute_stats(timings, period, self._clock(), self._router.district_id)
        return to_xlsx(rows, figures, language)

    async def _exported(
        self, user_id: int, period: Period, file_format: str
    ) -> list[TicketRecord] | Denied:
        now = self._clock()
        queues = set(self.access.queues(user_id, Action.EXPORT))
        if not queues:
            return await self._audit.refused(
                user_id, Action.EXPORT, now, Denied(Denial.NOT_ALLOWED)
            )
        async with self._store.transaction() as tx:
            tickets = [
                t
                for t in await tx.tickets_created_between(period.start, period.end)
                if t.queue in queues
            ]
            details = {**_period_details(period, len(tickets)), "format": file_format}
            await self._audit.record(tx, user_id, Action.EXPORT, now, details=details)
        return tickets

    # --- the daily digest ---

    async def daily_digest(
        self, department_id: str, now: datetime, language: Language = "zh"
    ) -> str:
        """The department's day: open, unclaimed and overdue tickets per queue, and the
        oldest overdue ones by number."""
        department = self.settings.department(department_id)
        if department is None:
            raise ValueError(f"unknown department {department_id!r}")
        queues = [q.id for q in department.queues]
        async with self._store.transaction(readonly=True) as tx:
            counts = await tx.queue_counts(queues, now, now - timedelta(hours=24))
            overdue = await tx.overdue_tickets(queues, now, DIGEST_OVERDUE_SHOWN + 1)
        return self._digest_text(department, counts, overdue, now, language)

    def _digest_text(
        self,
        department: Department,
        counts: Sequence[QueueCounts],
        overdue: Sequence[TicketRecord],
        now: datetime,
        language: Language,
    ) -> str:
        text = DIGEST[language]
        day = self._calendar.local_date(now).isoformat()
        lines = [text["title"].format(department=department.name, date=day)]
        names = {q.id: q.name for q in department.queues}
        for row in counts:
            lines.append(text["queue"].format(name=names.get(row.queue, row.queue), **_counts(row)))
        if not any(row.open for row in counts):
            lines.append(text["nothing"])
        if overdue:
            shown = ", ".join(t.number for t in overdue[:DIGEST_OVERDUE_SHOWN])
            if len(overdue) > DIGEST_OVERDUE_SHOWN:
                shown += " " + text["more"].format(count=DIGEST_OVERDUE_SHOWN)
            lines.append(text["overdue"].format(tickets=shown))
        return "\n".join(lines)

    async def send_daily_digests(self, now: datetime) -> list[DigestQueued]:
        """Queue each department's digest for its supervisors' chat, once per local day."""
        queued = []
        for department in self.settings.departments:
            chat_id = department.supervisors_chat_id
            if chat_id is None:
                continue
            text = await self.daily_digest(department.id, now)
            key = f"digest:{department.id}:{self._calendar.local_date(now).isoformat()}"
            data = {"department": department.id, "text": text}
            message = staff_message(MessageKind.DAILY_DIGEST, chat_id, data, now, dedupe_key=key)
            async with self._store.transaction() as tx:
                if await tx.message_by_dedupe_key(key) is not None:
                    continue  # cheaper than pacing it only to find it queued already
                added = await enqueue_paced(tx, message, self.settings.group_messages_per_minute)
            if added is not None:  # another instance may have queued it a moment ago
                queued.append(DigestQueued(department.id, chat_id, text))
        return queued


def _counts(row: QueueCounts) -> dict[str, int]:
    return {
        "open": row.open,
        "unclaimed": row.unclaimed,
        "claim_overdue": row.claim_overdue,
        "resolve_overdue": row.resolve_overdue,
        "received": row.received,
        "resolved": row.resolved,
    }


def _period_details(period: Period, tickets: int) -> dict[str, str | int]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "tickets": tickets}


def _timing(ticket: TicketRecord) -> TicketTiming:
    return TicketTiming(
        ticket.status,
        ticket.queue,
        ticket.category,
        ticket.district,
        ticket.created_at,
        ticket.claimed_at,
        ticket.claim_due_at,
        ticket.resolved_at,
        ticket.resolve_due_at,
    )
