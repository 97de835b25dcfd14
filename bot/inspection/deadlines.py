"""Reminders before a claim or resolve deadline, escalations after it.

``due_notifications(now)`` finds what is due from the tickets themselves, records each notice
in ``deadline_notices`` (one per ticket, kind and deadline) and queues its message in the same
unit of work, so running it twice, or after a restart, neither repeats nor loses anything. A
moved deadline (transfer, reopen) is a new deadline and gets notices of its own.

Reminders go to the queue's chat; escalations to the department's supervisors' chat (or the
queue's chat if the department has none). A reminder whose deadline has already passed is
skipped: the escalation says it better.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.inspection.organisation import Organisation, OrganisationView
from bot.inspection.pacing import enqueue_paced
from bot.store.base import NewEvent, Store, TicketRecord, Transaction
from bot.tickets.model import SYSTEM, EventKind, MessageKind
from bot.tickets.outbox import staff_message


class NoticeKind(StrEnum):
    REMIND_CLAIM = "remind_claim"
    ESCALATE_CLAIM = "escalate_claim"
    REMIND_RESOLVE = "remind_resolve"
    ESCALATE_RESOLVE = "escalate_resolve"

    @property
    def deadline(self) -> str:
        return "claim" if self.endswith("_claim") else "resolve"

    @property
    def is_reminder(self) -> bool:
        return self.startswith("remind")

    def dedupe_key(self, ticket_number: str, due_at: datetime) -> str:
        verb = "remind" if self.is_reminder else "escalate"
        when = due_at.astimezone(UTC).isoformat(timespec="seconds")
        return f"{verb}:{self.deadline}:{ticket_number}:{when}"


@dataclass(frozen=True)
class DeadlineNotice:
    kind: NoticeKind
    ticket_number: str
    queue: str
    due_at: datetime
    chat_id: int | None  # None: no chat is set where it should go, so nothing was sent
    send_at: datetime | None  # when the outbox sends it (spaced per chat)


class DeadlineWatch(OrganisationView):
    def __init__(self, store: Store, organisation: Organisation, *, batch: int = 1000) -> None:
        self._store = store
        self._org = organisation
        self._batch = batch

    async def due_notifications(self, now: datetime) -> list[DeadlineNotice]:
        """Queue every reminder and escalation due at ``now`` not queued before; return them."""
        notices: list[DeadlineNotice] = []
        for kind in NoticeKind:
            async with self._store.transaction() as tx:
                candidates = await tx.tickets_near_deadline(
                    kind, self._horizon(kind, now), self._batch
                )
                for ticket in candidates:
                    notice = await self._handle(tx, kind, ticket, now)
                    if notice is not None:
                        notices.append(notice)
        return notices

    def _horizon(self, kind: NoticeKind, now: datetime) -> datetime:
        if not kind.is_reminder:
            return now
        return now + timedelta(
            hours=max(self._lead_hours(kind, q) for q in self.settings.queue_ids())
        )

    def _lead_hours(self, kind: NoticeKind, queue: str) -> int:
        deadlines = self.settings.deadlines_for(queue)
        if kind == NoticeKind.REMIND_CLAIM:
            return deadlines.remind_claim_hours_before
        return deadlines.remind_resolve_hours_before

    async def _handle(
        self, tx: Transaction, kind: NoticeKind, ticket: TicketRecord, now: datetime
    ) -> DeadlineNotice | None:
        due = ticket.claim_due_at if kind.deadline == "claim" else ticket.resolve_due_at
        assert due is not None  # the store only returns tickets with this deadline
        if kind.is_reminder:
            lead = timedelta(hours=self._lead_hours(kind, ticket.queue))
            if due - lead > now:
                return None  # not yet: this queue reminds later than the longest lead
            if due <= now:
                await tx.record_deadline_notice(ticket.id, kind, due, "skipped", now)
                return None
        chat_id = self._chat_for(kind, ticket.queue)
        outcome = "queued" if chat_id is not None else "no_chat"
        if not await tx.record_deadline_notice(ticket.id, kind, due, outcome, now):
            return None  # another run got there first
        send_at = None
        if chat_id is not None:
            send_at = await self._enqueue(tx, kind, ticket, due, chat_id, now)
        await _note_in_timeline(tx, kind, ticket, due, now)
        return DeadlineNotice(kind, ticket.number, ticket.queue, due, chat_id, send_at)

    def _chat_for(self, kind: NoticeKind, queue_id: str) -> int | None:
        queue = self.settings.queue(queue_id)
        queue_chat = queue.chat_id if queue else None
        if kind.is_reminder:
            return queue_chat
        department = self.settings.department_of(queue_id)
        supervisors = department.supervisors_chat_id if department else None
        return supervisors if supervisors is not None else queue_chat

    async def _enqueue(
        self,
        tx: Transaction,
        kind: NoticeKind,
        ticket: TicketRecord,
        due: datetime,
        chat_id: int,
        now: datetime,
    ) -> datetime:
        message_kind = (
            MessageKind.DEADLINE_REMINDER if kind.is_reminder else MessageKind.DEADLINE_ESCALATION
        )
        data: dict[str, Any] = {
            "ticket_number": ticket.number,
            "queue": ticket.queue,
            "deadline": kind.deadline,
            "due_at": due.isoformat(),
            "claimed_by": ticket.claimed_by,
        }
        message = staff_message(
            message_kind,
            chat_id,
            data,
            now,
            dedupe_key=kind.dedupe_key(ticket.number, due),
            ticket_id=ticket.id,
        )
        # This unit recorded the notice, so the message is new; "or" covers an old twin.
        queued = await enqueue_paced(tx, message, self.settings.group_messages_per_minute)
        return (queued or message).not_before


async def _note_in_timeline(
    tx: Transaction, kind: NoticeKind, ticket: TicketRecord, due: datetime, now: datetime
) -> None:
    event_kind = EventKind.DEADLINE_REMINDER if kind.is_reminder else EventKind.DEADLINE_ESCALATION
    details = json.dumps({"deadline": kind.deadline, "due_at": due.isoformat()})
    await tx.add_event(NewEvent(ticket.id, now, SYSTEM, event_kind, False, details))
