"""Statistics, exports, the /brief report and the daily digest, each for the queues the asker
may see, all from the one set of figures in :mod:`bot.inspection.figures`.

Every statistic, export and report is audited (who, when, which period, how many tickets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.clock import utc_now
from bot.inspection.access import Action
from bot.inspection.audit import AuditTrail
from bot.inspection.duty import DutyDesk
from bot.inspection.exports import export_rows, to_csv, to_xlsx
from bot.inspection.figures import (
    REPEAT_WINDOW,
    Period,
    StatsFigures,
    TicketMarks,
    compute_stats,
    previous_period,
    ticket_marks,
)
from bot.inspection.model import Clock, Denial, Denied
from bot.inspection.organisation import Organisation, OrganisationView
from bot.inspection.pacing import enqueue_paced
from bot.inspection.routing import Router
from bot.inspection.settings import Department
from bot.inspection.texts import DIGEST, Language, headline_values, shift_lines
from bot.inspection.workdays import WorkingCalendar
from bot.store.base import (
    DissatisfiedVerdict,
    QueueCounts,
    Store,
    TicketRecord,
    TicketTiming,
    Transaction,
)
from bot.tickets.model import MessageKind
from bot.tickets.outbox import staff_message

DIGEST_OVERDUE_SHOWN = 10
DIGEST_FIGURES_DAYS = 30  # the digest's figures: tickets received in the last 30 days
DIGEST_COMMENT_CHARS = 60  # a 不满意's comment in the digest, cut after this many characters
# The /brief report lists at most this many unresolved overdue tickets.
BRIEF_OVERDUE_LISTED = 200
# The audit log's name for someone exporting at the server's console.
LOCAL_OPERATOR = "cli"
ExportFormat = Literal["csv", "xlsx"]


@dataclass(frozen=True)
class BriefData:
    """What the /brief report shows: this period and the one before, and what is overdue."""

    figures: StatsFigures
    previous: StatsFigures
    overdue: tuple[TicketRecord, ...]
    more_overdue: bool  # more than the report lists


@dataclass(frozen=True)
class Exported:
    tickets: list[TicketRecord]
    figures: StatsFigures
    marks: dict[str, TicketMarks]


@dataclass(frozen=True)
class DigestQueued:
    department: str
    chat_id: int
    text: str


class Reports(OrganisationView):
    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        audit: AuditTrail,
        router: Router,
        calendar: WorkingCalendar,
        duty: DutyDesk,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._org = organisation
        self._audit = audit
        self._router = router
        self._calendar = calendar
        self._duty = duty
        self._clock = clock

    async def stats(self, user_id: int, period: Period) -> StatsFigures | Denied:
        """Figures for tickets received in ``period`` in the queues ``user_id`` may report on."""
        now = self._clock()
        queues = self.access.queues(user_id, Action.STATS)
        if not queues:
            denied = Denied(Denial.NOT_ALLOWED)
            return await self._audit.refused(user_id, Action.STATS, now, denied)
        async with self._store.transaction() as tx:
            figures = await self._figures_in(tx, period, set(queues), now)
            details = _period_details(period, figures.total)
            await self._audit.record(tx, user_id, Action.STATS, now, details=details)
        return figures

    async def brief(self, user_id: int, period: Period) -> BriefData | Denied:
        """The leadership report's figures, for supervisors and admins."""
        now = self._clock()
        queues = self.access.queues(user_id, Action.BRIEF)
        if not queues:
            denied = Denied(Denial.NOT_ALLOWED)
            return await self._audit.refused(user_id, Action.BRIEF, now, denied)
        async with self._store.transaction() as tx:
            data = await self._brief_in(tx, period, queues, now)
            details = _period_details(period, data.figures.total)
            await self._audit.record(tx, user_id, Action.BRIEF, now, details=details)
        return data

    async def operator_brief(self, period: Period, *, actor: str = LOCAL_OPERATOR) -> BriefData:
        """Every queue's report, for an operator at the server (``python -m bot brief``)."""
        now = self._clock()
        async with self._store.transaction() as tx:
            data = await self._brief_in(tx, period, self.settings.queue_ids(), now)
            details = _period_details(period, data.figures.total)
            await self._audit.record_operator(tx, actor, Action.BRIEF, now, details=details)
        return data

    async def _brief_in(
        self, tx: Transaction, period: Period, queues: Sequence[str], now: datetime
    ) -> BriefData:
        visible = set(queues)
        figures = await self._figures_in(tx, period, visible, now)
        before = previous_period(period, self._calendar.tz)
        previous = await self._figures_in(tx, before, visible, now)
        overdue = await tx.overdue_tickets(queues, now, BRIEF_OVERDUE_LISTED + 1)
        listed = tuple(overdue[:BRIEF_OVERDUE_LISTED])
        return BriefData(figures, previous, listed, len(overdue) > BRIEF_OVERDUE_LISTED)

    async def _figures_in(
        self, tx: Transaction, period: Period, queues: set[str] | None, now: datetime
    ) -> StatsFigures:
        """The period's figures for ``queues`` (None: every queue)."""
        rows, history = await self._rows_in(tx, period, queues)
        return self._compute(rows, history, period, now)

    def _compute(
        self,
        rows: list[TicketTiming],
        history: list[TicketTiming],
        period: Period,
        now: datetime,
    ) -> StatsFigures:
        return compute_stats(
            rows,
            period,
            now,
            self._router.district_id,
            department_of=self._department_of,
            history=history,
            tz=self._calendar.tz,
            shift_of=self._duty.shift_label,
            ack=self._duty.ack,
        )

    async def _rows_in(
        self, tx: Transaction, period: Period, queues: set[str] | None
    ) -> tuple[list[TicketTiming], list[TicketTiming]]:
        """The period's tickets in ``queues``, and every queue's from ``REPEAT_WINDOW`` before
        it (an institution reported anywhere was reported)."""
        history = await tx.ticket_timings(period.start - REPEAT_WINDOW, period.end)
        rows = [
            r
            for r in history
            if r.created_at >= period.start and (queues is None or r.queue in queues)
        ]
        return rows, history

    def _department_of(self, queue_id: str) -> str:
        department = self.settings.department_of(queue_id)
        return department.id if department else queue_id

    async def export_csv(
        self, user_id: int, period: Period, language: Language = "zh"
    ) -> bytes | Denied:
        exported = await self._exported(user_id, period, "csv")
        if isinstance(exported, Denied):
            return exported
        return self._file(exported, "csv", language)

    async def export_xlsx(
        self, user_id: int, period: Period, language: Language = "zh"
    ) -> bytes | Denied:
        """Tickets and a summary sheet."""
        exported = await self._exported(user_id, period, "xlsx")
        if isinstance(exported, Denied):
            return exported
        return self._file(exported, "xlsx", language)

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
            exported = await self._export_in(tx, tickets, period, None, now)
            details = {**_period_details(period, len(tickets)), "format": file_format}
            await self._audit.record_operator(tx, actor, Action.EXPORT, now, details=details)
        return self._file(exported, file_format, language)

    async def _export_in(
        self,
        tx: Transaction,
        tickets: list[TicketRecord],
        period: Period,
        queues: set[str] | None,
        now: datetime,
    ) -> Exported:
        rows, history = await self._rows_in(tx, period, queues)
        figures = self._compute(rows, history, period, now)
        return Exported(tickets, figures, ticket_marks(rows, history, now))

    def _file(self, exported: Exported, file_format: ExportFormat, language: Language) -> bytes:
        rows = export_rows(exported.tickets, exported.marks, self._calendar.tz, language)
        if file_format == "csv":
            return to_csv(rows, language)
        return to_xlsx(rows, exported.figures, language)

    async def _exported(self, user_id: int, period: Period, file_format: str) -> Exported | Denied:
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
            exported = await self._export_in(tx, tickets, period, queues, now)
            details = {**_period_details(period, len(tickets)), "format": file_format}
            await self._audit.record(tx, user_id, Action.EXPORT, now, details=details)
        return exported

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
        day_before = now - timedelta(hours=24)
        async with self._store.transaction(readonly=True) as tx:
            counts = await tx.queue_counts(queues, now, day_before)
            overdue = await tx.overdue_tickets(queues, now, DIGEST_OVERDUE_SHOWN + 1)
            verdicts = await tx.dissatisfied_verdicts(day_before, now, untold_only=False)
            month = Period.last_days(DIGEST_FIGURES_DAYS, now)
            recent = await self._figures_in(tx, month, set(queues), now)
        dissatisfied = [v for v in verdicts if v.ticket.queue in queues]
        text = self._digest_text(department, counts, overdue, now, language)
        figures = DIGEST[language]["figures"].format(
            days=DIGEST_FIGURES_DAYS, **headline_values(recent.headline)
        )
        shifts = self._shift_lines(recent, language)
        return "\n".join([text, figures, *shifts, *_dissatisfied_lines(dissatisfied, language)])

    def _shift_lines(self, recent: StatsFigures, language: Language) -> list[str]:
        if not recent.shifts:
            return []
        text = DIGEST[language]
        minutes = int(self._duty.ack.total_seconds() // 60)
        title = text["shifts"].format(days=DIGEST_FIGURES_DAYS, minutes=minutes)
        return [title, *shift_lines(recent.shifts, text["shift"], text["gap"])]

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


def _dissatisfied_lines(found: Sequence[DissatisfiedVerdict], language: Language) -> list[str]:
    """The day's 不满意: ticket numbers with the start of each comment."""
    if not found:
        return []
    text = DIGEST[language]
    lines = [text["dissatisfied"].format(count=len(found))]
    for item in found:
        comment = (item.verdict.comment or "").replace("\n", " ")
        if len(comment) > DIGEST_COMMENT_CHARS:
            comment = comment[:DIGEST_COMMENT_CHARS] + "…"
        shown = comment or text["no_comment"]
        lines.append(text["dissatisfied_item"].format(ticket=item.ticket.number, comment=shown))
    return lines


def _period_details(period: Period, tickets: int) -> dict[str, str | int]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "tickets": tickets}
