"""What staff see: queue pages, their own tickets, a ticket's details, possible duplicates and
the audit log. Every view is audited; none shows anything that identifies a reporter."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from bot.clock import utc_now
from bot.inspection.access import Action
from bot.inspection.audit import AuditTrail
from bot.inspection.duplicates import DuplicateFinder
from bot.inspection.model import (
    Clock,
    Denial,
    Denied,
    EvidenceFile,
    PossibleDuplicate,
    QuestionItem,
    QueuePage,
    SupportingReport,
    TicketDetails,
    TicketSummary,
    TimelineItem,
    VerdictItem,
)
from bot.inspection.organisation import Organisation, OrganisationView
from bot.registry.model import InstitutionHistory
from bot.registry.service import institution_history, registry_note
from bot.store.base import (
    AuditRecord,
    EventRecord,
    NewEvent,
    Store,
    TicketRecord,
    Transaction,
)
from bot.tickets.model import OPEN_STATUSES, SYSTEM, EventKind, TicketStatus
from bot.tickets.verdicts import round_state


class QueueViews(OrganisationView):
    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        audit: AuditTrail,
        duplicates: DuplicateFinder,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._org = organisation
        self._audit = audit
        self._duplicates = duplicates
        self._clock = clock
        self._page_size = organisation.config.page_size

    async def open_tickets(
        self, user_id: int, *, queue: str | None = None, page: int = 0
    ) -> QueuePage | Denied:
        """Open tickets, oldest first, in ``queue`` or in every queue ``user_id`` may see."""
        now = self._clock()
        queues = self.access.queues(user_id, Action.VIEW)
        if queue is not None:
            queues = (queue,) if queue in queues else ()
        if not queues:
            denied = Denied(Denial.NOT_ALLOWED)
            return await self._audit.refused(user_id, "view_queue", now, denied, queue=queue)
        async with self._store.transaction() as tx:
            total = await tx.count_queue_tickets(queues)
            page = _clamp(page, total, self._page_size)
            rows = await tx.queue_tickets(queues, self._page_size, page * self._page_size)
            details = {"page": page, "queues": list(queues)}
            await self._audit.record(tx, user_id, "view_queue", now, queue=queue, details=details)
        return _page(rows, page, total, self._page_size, queues, now)

    async def my_tickets(self, user_id: int, *, page: int = 0) -> QueuePage | Denied:
        """Open tickets ``user_id`` has claimed."""
        now = self._clock()
        if not self.access.may_anywhere(user_id, Action.CLAIM):
            return await self._audit.refused(user_id, "view_mine", now, Denied(Denial.NOT_ALLOWED))
        actor = self._audit.actor(user_id)
        async with self._store.transaction() as tx:
            total = await tx.count_claimed_tickets(actor)
            page = _clamp(page, total, self._page_size)
            rows = await tx.claimed_tickets(actor, self._page_size, page * self._page_size)
            await self._audit.record(tx, user_id, "view_mine", now, details={"page": page})
        queues = tuple(dict.fromkeys(r.queue for r in rows))
        return _page(rows, page, total, self._page_size, queues, now)

    async def ticket_details(self, user_id: int, number: str) -> TicketDetails | Denied:
        now = self._clock()
        async with self._store.transaction() as tx:
            ticket = await tx.ticket_by_number(number)
            denial = self._view_refusal(user_id, ticket)
            if denial is None and ticket is not None:
                details = await _details(tx, ticket, now)
                await self._audit.record(tx, user_id, Action.VIEW, now, ticket=ticket)
                return details
        denied = Denied(denial or Denial.TICKET_UNKNOWN, number)
        return await self._audit.refused(user_id, Action.VIEW, now, denied, ticket=ticket)

    async def possible_duplicates(
        self, user_id: int, number: str
    ) -> tuple[PossibleDuplicate, ...] | Denied:
        """Open tickets about the same institution or address, for staff who may see them."""
        now = self._clock()
        async with self._store.transaction() as tx:
            ticket = await tx.ticket_by_number(number)
            denial = self._view_refusal(user_id, ticket)
            if denial is None and ticket is not None:
                found = await self._visible_duplicates(tx, user_id, ticket)
                await self._audit.record(tx, user_id, "view_duplicates", now, ticket=ticket)
                return found
        denied = Denied(denial or Denial.TICKET_UNKNOWN, number)
        return await self._audit.refused(user_id, "view_duplicates", now, denied, ticket=ticket)

    async def _visible_duplicates(
        self, tx: Transaction, user_id: int, ticket: TicketRecord
    ) -> tuple[PossibleDuplicate, ...]:
        visible = set(self.access.queues(user_id, Action.VIEW))
        candidates = [t for t in await tx.open_tickets_except(ticket.id) if t.queue in visible]
        return tuple(self._duplicates.find(ticket, candidates))

    async def flag_possible_duplicates(self, number: str) -> tuple[PossibleDuplicate, ...]:
        """Call after intake: notes similar open tickets in the new ticket's timeline (staff
        only), so whoever opens it sees them."""
        now = self._clock()
        async with self._store.transaction() as tx:
            ticket = await tx.ticket_by_number(number)
            if ticket is None:
                return ()
            return await self._flag_in(tx, ticket, now)

    async def flag_ticket(self, tx: Transaction, ticket: TicketRecord, now: datetime) -> None:
        """The same, inside the unit of work that writes the ticket (intake's hook): the
        note is then there before the ticket's card can be posted."""
        await self._flag_in(tx, ticket, now)

    async def _flag_in(
        self, tx: Transaction, ticket: TicketRecord, now: datetime
    ) -> tuple[PossibleDuplicate, ...]:
        found = tuple(self._duplicates.find(ticket, await tx.open_tickets_except(ticket.id)))
        if found:
            details = {"tickets": [d.ticket_number for d in found]}
            await tx.add_event(_internal(ticket.id, now, EventKind.POSSIBLE_DUPLICATES, details))
        return found

    async def evidence(self, user_id: int, number: str) -> tuple[EvidenceFile, ...] | Denied:
        """The evidence of the ticket and of the reports merged into it, for re-sending."""
        now = self._clock()
        async with self._store.transaction() as tx:
            ticket = await tx.ticket_by_number(number)
            denial = self._view_refusal(user_id, ticket)
            if denial is None and ticket is not None:
                files = await _evidence_of(tx, ticket)
                for merged in await tx.supporting_tickets(ticket.id):
                    files += await _evidence_of(tx, merged)
                details = {"files": len(files)}
                await self._audit.record(
                    tx, user_id, "view_evidence", now, ticket=ticket, details=details
                )
                return tuple(files)
        denied = Denied(denial or Denial.TICKET_UNKNOWN, number)
        return await self._audit.refused(user_id, "view_evidence", now, denied, ticket=ticket)

    async def institution(self, user_id: int, institution_id: int) -> InstitutionHistory | Denied:
        """A registry entry, its changes, and the tickets about it that ``user_id`` may see
        (repeat offenders); audited with the tickets it showed."""
        now = self._clock()
        queues = self.access.queues(user_id, Action.VIEW)
        if not queues:
            denied = Denied(Denial.NOT_ALLOWED)
            return await self._audit.refused(user_id, "view_institution", now, denied)
        async with self._store.transaction() as tx:
            history = await institution_history(tx, institution_id, queues)
            if history is not None:
                shown = [t.ticket_number for t in history.tickets]
                details = {"institution_id": institution_id, "tickets": shown}
                await self._audit.record(tx, user_id, "view_institution", now, details=details)
                return history
        denied = Denied(Denial.INSTITUTION_UNKNOWN)
        return await self._audit.refused(user_id, "view_institution", now, denied)

    async def audit_log(
        self, user_id: int, since: datetime, until: datetime, *, limit: int = 1000
    ) -> tuple[AuditRecord, ...] | Denied:
        """Audit entries of the queues ``user_id`` may audit (organisation-wide entries such as
        exports only for those who may audit every queue). Reading it is audited too."""
        now = self._clock()
        queues = set(self.access.queues(user_id, Action.AUDIT_LOG))
        if not queues:
            return await self._audit.refused(
                user_id, Action.AUDIT_LOG, now, Denied(Denial.NOT_ALLOWED)
            )
        everywhere = self.access.may_everywhere(user_id, Action.AUDIT_LOG)
        async with self._store.transaction() as tx:
            entries = await tx.audit_entries(since, until, limit)
            details = {"since": since.isoformat(), "until": until.isoformat()}
            await self._audit.record(tx, user_id, Action.AUDIT_LOG, now, details=details)
        return tuple(e for e in entries if e.queue in queues or (e.queue is None and everywhere))

    def _view_refusal(self, user_id: int, ticket: TicketRecord | None) -> Denial | None:
        if ticket is None:
            return Denial.TICKET_UNKNOWN
        if not self.access.may(user_id, Action.VIEW, ticket.queue):
            return Denial.NOT_ALLOWED
        return None


# Other tickets about the same institution listed in a ticket's details.
EARLIER_TICKETS_SHOWN = 10


async def _details(tx: Transaction, ticket: TicketRecord, now: datetime) -> TicketDetails:
    merged_into = await tx.merge_target(ticket.id)
    return TicketDetails(
        summary=summarise(ticket, now),
        description=ticket.description,
        answers=_answers(ticket.details),
        disposition=ticket.disposition,
        outcome=ticket.outcome,
        timeline=tuple(map(_timeline_item, await tx.events(ticket.id, public_only=False))),
        evidence=tuple(await tx.attachments(ticket.id)),
        questions=tuple(
            QuestionItem(q.asked_at, q.asked_by, q.question, q.answer, q.answered_at)
            for q in await tx.questions(ticket.id)
        ),
        supporting=await _supporting_reports(tx, ticket.id),
        merged_into=merged_into.number if merged_into else None,
        reporter_notified=await tx.notify_link(ticket.id) is not None,
        verdicts=tuple(
            VerdictItem(
                v.round,
                v.asked_at,
                v.reply_by,
                round_state(v.verdict, v.reply_by, now),
                v.answered_at,
                v.comment,
            )
            for v in await tx.verdicts(ticket.id)
        ),
        registry=await registry_note(tx, ticket, earlier=EARLIER_TICKETS_SHOWN),
    )


async def _evidence_of(tx: Transaction, ticket: TicketRecord) -> list[EvidenceFile]:
    files = []
    for info in await tx.attachments(ticket.id):
        data = await tx.attachment_data(info.id)
        if data is not None:
            files.append(EvidenceFile(ticket.number, info, data))
    return files


async def _supporting_reports(tx: Transaction, ticket_id: int) -> tuple[SupportingReport, ...]:
    reports = []
    for merged in await tx.supporting_tickets(ticket_id):
        evidence = tuple(await tx.attachments(merged.id))
        reports.append(
            SupportingReport(
                merged.number, merged.created_at, merged.institution, merged.description, evidence
            )
        )
    return tuple(reports)


def summarise(ticket: TicketRecord, now: datetime) -> TicketSummary:
    return TicketSummary(
        ticket_number=ticket.number,
        status=TicketStatus(ticket.status),
        queue=ticket.queue,
        category=ticket.category,
        district=ticket.district,
        institution=ticket.institution,
        received_at=ticket.created_at,
        claimed_by=ticket.claimed_by,
        claim_due_at=ticket.claim_due_at,
        resolve_due_at=ticket.resolve_due_at,
        overdue=is_overdue(ticket, now),
    )


def is_overdue(ticket: TicketRecord, now: datetime) -> bool:
    if ticket.status not in OPEN_STATUSES:
        return False
    claim_late = ticket.claimed_by is None and _passed(ticket.claim_due_at, now)
    return claim_late or _passed(ticket.resolve_due_at, now)


def _passed(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and deadline < now


def _answers(details: str) -> dict[str, str]:
    try:
        loaded = json.loads(details)
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): str(v) for k, v in loaded.items()}


def _timeline_item(event: EventRecord) -> TimelineItem:
    try:
        details: dict[str, Any] = json.loads(event.details)
    except ValueError:
        details = {}
    return TimelineItem(event.at, event.actor, event.kind, event.public, details)


def _internal(ticket_id: int, now: datetime, kind: EventKind, details: dict[str, Any]) -> NewEvent:
    return NewEvent(ticket_id, now, SYSTEM, kind, False, json.dumps(details, ensure_ascii=False))


def _clamp(page: int, total: int, size: int) -> int:
    last = max(0, math.ceil(total / size) - 1)
    return min(max(page, 0), last)


def _page(
    rows: list[TicketRecord],
    page: int,
    total: int,
    size: int,
    queues: tuple[str, ...],
    now: datetime,
) -> QueuePage:
    items = tuple(summarise(r, now) for r in rows)
    return QueuePage(items, page, max(1, math.ceil(total / size)), total, queues)
