"""A ticket's life: claim, investigate, ask the reporter, decide, close.

Every change is compare-and-set (``UPDATE ... WHERE status = <what the inspector saw>``), so two
inspectors pressing buttons at once cannot both win. Reporters who opted in get a notice through
the outbox; closing a ticket deletes their sealed chat link in the same transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.privacy import PrivacyKeys, Sealer, SealError
from bot.store.base import NewEvent, Store, TicketRecord, Transaction
from bot.tickets.model import (
    OPEN_STATUSES,
    REOPENABLE,
    SYSTEM,
    EventKind,
    MessageKind,
    Reason,
    Refused,
    TicketStatus,
    can_change,
)
from bot.tickets.outbox import reporter_message
from bot.tickets.settings import FollowupSettings, TicketSettings
from bot.tickets.verdicts import ASKED_AFTER, ask_in

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusChanged:
    ticket_number: str
    old: TicketStatus
    new: TicketStatus


@dataclass(frozen=True)
class QuestionAsked:
    ticket_number: str
    question_id: int


class Lifecycle:
    """Each step exists twice: ``claim_ticket(number, ...)`` runs in a unit of work of its own,
    ``claim_in(tx, ticket, ...)`` inside the caller's, so permission checks and audit records
    commit together with the change."""

    def __init__(
        self,
        store: Store,
        settings: TicketSettings,
        keys: PrivacyKeys,
        followup: FollowupSettings | None = None,
    ) -> None:
        self._store = store
        self.settings = settings
        self._sealer = Sealer(keys)
        self._pepper = keys.pepper
        self.followup = followup or FollowupSettings()

    async def claim_ticket(self, number: str, actor: str, now: datetime) -> StatusChanged | Refused:
        async with self._store.transaction() as tx:
            ticket = await tx.ticket_by_number(number)
            if ticket is None:
                return Refused(Reason.TICKET_UNKNOWN)
            return await self.claim_in(tx, ticket, actor, now)

    async def claim_in(
        self, tx: Transaction, ticket: TicketRecord, actor: str, now: datetime
    ) -> StatusChanged | Refused:
        if not await tx.claim_ticket(ticket.id, actor, now):
            return Refused(Reason.ALREADY_CLAIMED)
        new = TicketStatus.CLAIMED
        await _event(tx, ticket.id, actor, EventKind.CLAIMED, now, {"status": new})
        await self._notify(tx, ticket, MessageKind.STATUS_CHANGED, {"status": new}, now)
        return StatusChanged(ticket.number, TicketStatus(ticket.status), new)

    async def change_status(
        self,
        number: str,
        new: TicketStatus,
        actor: str,
        now: datetime,
        *,
        expected: TicketStatus | None = None,
        public_note: str | None = None,
        internal_note: str | None = None,
        disposition: str | None = None,
    ) -> StatusChanged | Refused:
        """Move the ticket to ``new``; ``expected`` is the status the inspector was looking at."""
        async with self._store.transaction() as tx:
            ticket = await tx.ticket_by_number(number)
            if ticket is None:
                return Refused(Reason.TICKET_UNKNOWN)
            return await self.change_status_in(
                tx,
                ticket,
                new,
                actor,
                now,
                expected=expected,
                public_note=public_note,
                internal_note=internal_note,
                disposition=disposition,
            )

    async def change_status_in(
        self,
        tx: Transaction,
        ticket: TicketRecord,
        new: TicketStatus,
        actor: str,
        now: datetime,
        *,
        expected: TicketStatus | None = None,
        public_note: str | None = None,
        internal_note: str | None = None,
        disposition: str | None = None,
    ) -> StatusChanged | Refused:
        old = TicketStatus(ticket.status)
        if expected is not None and expected != old:
            return Refused(Reason.STATUS_CHANGED_MEANWHILE)
        if not can_change(old, new):
            return Refused(Reason.STATUS_NOT_ALLOWED)
        if not await tx.change_status(ticket.id, old, new, now, disposition):
            return Refused(Reason.STATUS_CHANGED_MEANWHILE)
        details: dict[str, Any] = {"status": new, "from": old}
        if public_note:
            details["public_note"] = public_note
        await _event(tx, ticket.id, actor, EventKind.STATUS_CHANGED, now, details)
        if internal_note:
            note = {"note": internal_note}
            await _event(tx, ticket.id, actor, EventKind.NOTE, now, note, public=False)
        if new in ASKED_AFTER:
            await self._ask_for_verdict(tx, ticket, new, now)
        else:
            await self._notify(tx, ticket, MessageKind.STATUS_CHANGED, {"status": new}, now)
        if new == TicketStatus.CLOSED:
            await tx.delete_notify_link(ticket.id)  # nothing more to tell the reporter
        return StatusChanged(ticket.number, old, new)

    async def _ask_for_verdict(
        self, tx: Transaction, ticket: TicketRecord, new: TicketStatus, now: datetime
    ) -> None:
        """回访: the decision's notice asks whether the reporter is satisfied (one message)."""
        question = await ask_in(tx, ticket, now, self.followup, self._pepper)
        # Internal: the reporter sees the question itself at /status, not an entry about it.
        asked = {"round": question.round}
        await _event(tx, ticket.id, SYSTEM, EventKind.VERDICT_ASKED, now, asked, public=False)
        data = {
            "status": new,
            "ticket_id": ticket.id,
            "round": question.round,
            "token": question.token,
            "reply_days": self.followup.reply_days,
        }
        await self._notify(tx, ticket, MessageKind.VERDICT_ASKED, data, now)

    async def ask_reporter(
        self, number: str, question: str, actor: str, now: datetime
    ) -> QuestionAsked | Refused:
        """Relay a question; the reporter sees it with their receipt code (and gets a notice
        if they opted in)."""
        async with self._store.transaction() as tx:
            ticket = await tx.ticket_by_number(number)
            if ticket is None:
                return Refused(Reason.TICKET_UNKNOWN)
            return await self.ask_reporter_in(tx, ticket, question, actor, now)

    async def ask_reporter_in(
        self, tx: Transaction, ticket: TicketRecord, question: str, actor: str, now: datetime
    ) -> QuestionAsked | Refused:
        if ticket.status not in OPEN_STATUSES:
            return Refused(Reason.TICKET_CLOSED)
        question_id = await tx.add_question(ticket.id, question, actor, now)
        asked = {"question_id": question_id}
        await _event(tx, ticket.id, actor, EventKind.QUESTION_ASKED, now, asked)
        await self._await_reporter(tx, ticket, actor, now)
        await self._notify(tx, ticket, MessageKind.QUESTION, {}, now)
        return QuestionAsked(ticket.number, question_id)

    async def note_in(
        self, tx: Transaction, ticket: TicketRecord, text: str, actor: str, now: datetime
    ) -> None:
        """An internal note: staff only, never shown to the reporter."""
        await _event(tx, ticket.id, actor, EventKind.NOTE, now, {"note": text}, public=False)

    async def release_in(
        self, tx: Transaction, ticket: TicketRecord, actor: str, now: datetime
    ) -> StatusChanged | Refused:
        """Give the claim back (the holder's, or a supervisor taking it back for them)."""
        holder = ticket.claimed_by
        if holder is None or not await tx.release_claim(ticket.id, holder, now):
            return Refused(Reason.STATUS_CHANGED_MEANWHILE)
        details = {"status": TicketStatus.NEW, "from": ticket.status, "holder": holder}
        await _event(tx, ticket.id, actor, EventKind.RELEASED, now, details, public=False)
        return StatusChanged(ticket.number, TicketStatus(ticket.status), TicketStatus.NEW)

    async def transfer_in(
        self,
        tx: Transaction,
        ticket: TicketRecord,
        to_queue: str,
        claim_due_at: datetime | None,
        actor: str,
        now: datetime,
        *,
        reason: str | None = None,
    ) -> StatusChanged | Refused:
        """Move an open ticket to another queue, unclaimed, with that queue's claim deadline.
        The reporter is told it was transferred, not where to."""
        if not await tx.move_ticket(ticket.id, ticket.queue, to_queue, claim_due_at, now):
            return Refused(Reason.STATUS_CHANGED_MEANWHILE)
        new = TicketStatus.NEW
        await _event(tx, ticket.id, actor, EventKind.TRANSFERRED, now, {"status": new})
        moved: dict[str, Any] = {"from_queue": ticket.queue, "to_queue": to_queue}
        if reason:
            moved["note"] = reason
        await _event(tx, ticket.id, actor, EventKind.NOTE, now, moved, public=False)
        await self._notify(tx, ticket, MessageKind.STATUS_CHANGED, {"status": new}, now)
        return StatusChanged(ticket.number, TicketStatus(ticket.status), new)

    async def reopen_in(
        self,
        tx: Transaction,
        ticket: TicketRecord,
        due: tuple[datetime | None, datetime | None],
        actor: str,
        now: datetime,
        *,
        reason: str | None = None,
    ) -> StatusChanged | Refused:
        """Back to 'new' in the same queue with fresh ``due`` (claim, resolve) deadlines; a
        merged report stops being a supporting report."""
        old = TicketStatus(ticket.status)
        if old not in REOPENABLE:
            return Refused(Reason.STATUS_NOT_ALLOWED)
        if not await tx.reopen_ticket(ticket.id, old, due[0], due[1], now):
            return Refused(Reason.STATUS_CHANGED_MEANWHILE)
        await tx.remove_merge(ticket.id)
        new = TicketStatus.NEW
        await _event(tx, ticket.id, actor, EventKind.REOPENED, now, {"status": new, "from": old})
        if reason:
            await _event(tx, ticket.id, actor, EventKind.NOTE, now, {"note": reason}, public=False)
        await self._notify(tx, ticket, MessageKind.STATUS_CHANGED, {"status": new}, now)
        return StatusChanged(ticket.number, old, new)

    async def merge_in(
        self,
        tx: Transaction,
        source: TicketRecord,
        target: TicketRecord,
        actor: str,
        now: datetime,
    ) -> StatusChanged | Refused:
        """Keep ``source`` whole as a supporting report of ``target`` and mark it a duplicate;
        its reporter is told which ticket carries on."""
        old = TicketStatus(source.status)
        if old not in OPEN_STATUSES:
            return Refused(Reason.TICKET_CLOSED)
        new = TicketStatus.DUPLICATE
        if not await tx.change_status(source.id, old, new, now, "duplicate"):
            return Refused(Reason.STATUS_CHANGED_MEANWHILE)
        await tx.set_outcome(source.id, target.number)
        await tx.add_merge(source.id, target.id, actor, now)
        merged = {"status": new, "from": old, "public_note": target.number}
        await _event(tx, source.id, actor, EventKind.MERGED, now, merged)
        kept = {"ticket_number": source.number}
        await _event(tx, target.id, actor, EventKind.REPORT_MERGED_IN, now, kept, public=False)
        await self._notify(tx, source, MessageKind.STATUS_CHANGED, {"status": new}, now)
        return StatusChanged(source.number, old, new)

    async def _await_reporter(
        self, tx: Transaction, ticket: TicketRecord, actor: str, now: datetime
    ) -> None:
        waiting = TicketStatus.AWAITING_REPORTER
        if ticket.status not in (TicketStatus.CLAIMED, TicketStatus.INVESTIGATING):
            return
        if await tx.change_status(ticket.id, ticket.status, waiting, now, None):
            details = {"status": waiting, "from": ticket.status}
            await _event(tx, ticket.id, actor, EventKind.STATUS_CHANGED, now, details)

    async def _notify(
        self,
        tx: Transaction,
        ticket: TicketRecord,
        kind: MessageKind,
        data: dict[str, Any],
        now: datetime,
    ) -> None:
        sealed_chat = await tx.notify_link(ticket.id)
        if sealed_chat is None:
            return  # the reporter did not ask for notices
        data = {"ticket_number": ticket.number, **data}
        try:
            chat_id = self._sealer.open_chat(sealed_chat)
        except (SealError, ValueError):
            log.error(
                "ticket %s: notice link cannot be opened with the current keys", ticket.number
            )
            return
        message = reporter_message(kind, chat_id, data, now, self._sealer, ticket_id=ticket.id)
        await tx.enqueue(message)


async def _event(
    tx: Transaction,
    ticket_id: int,
    actor: str,
    kind: EventKind,
    now: datetime,
    details: dict[str, Any],
    *,
    public: bool = True,
) -> None:
    payload = json.dumps(details, ensure_ascii=False)
    await tx.add_event(NewEvent(ticket_id, now, actor, kind, public, payload))
