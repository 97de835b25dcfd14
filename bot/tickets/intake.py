"""Intake: a confirmed draft becomes a ticket, in one transaction with everything around it.

One transaction writes the ticket, its evidence, the receipt code's hash, the "received" audit
event, the receipt message and the duty chat's notice. Either all of it is saved or none.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from bot.privacy import PrivacyKeys, Sealer
from bot.registry.service import ticket_registry
from bot.store.base import (
    NewEvent,
    NewMessage,
    NewTicket,
    Store,
    TicketInstitution,
    TicketRecord,
    Transaction,
)
from bot.store.throttle import Blocked, Taking, blocked
from bot.tickets.limits import check_draft, quota_refusal, report_slots
from bot.tickets.model import (
    REPORTER,
    EventKind,
    MessageKind,
    Refused,
    ReportAccepted,
    ReportDraft,
    ReportRepeated,
    SubmitResult,
)
from bot.tickets.outbox import reporter_message, staff_message
from bot.tickets.receipts import IssuedCode, ReceiptCodes
from bot.tickets.settings import TicketSettings


class _AlreadySubmitted(Exception):
    """The idempotency key has a ticket: undo this attempt and report the repeat."""


class _OverLimit(Exception):
    """The reporter is over a report limit: undo this attempt and refuse it."""

    def __init__(self, full: Blocked) -> None:
        self.full = full


@dataclass(frozen=True)
class TicketPlace:
    """Where a new ticket goes: its queue and deadlines, and the queue's chat to tell."""

    queue: str
    claim_due_at: datetime | None
    resolve_due_at: datetime | None = None
    chat_id: int | None = None


class PlaceTicket(Protocol):
    """Routing: e.g. :meth:`bot.inspection.routing.Router.place`."""

    def __call__(
        self, category: str, district: str, now: datetime, registry_status: str = ""
    ) -> TicketPlace: ...


class NewTicketHook(Protocol):
    """Work that belongs to a new ticket, in the unit of work that writes it: e.g.
    :meth:`bot.inspection.services.InspectionServices.on_new_ticket` notes possible
    duplicates and pings the person on duty."""

    async def __call__(self, tx: Transaction, ticket_id: int, now: datetime) -> None: ...


def receipt_dedupe_key(ticket_id: int) -> str:
    return f"receipt:{ticket_id}"


def idempotency_digest(idempotency_key: str) -> str:
    """Stored instead of the key itself, which may be built from Telegram ids."""
    return hashlib.sha256(f"submit:{idempotency_key}".encode()).hexdigest()


class Intake:
    def __init__(
        self,
        store: Store,
        settings: TicketSettings,
        keys: PrivacyKeys,
        *,
        place: PlaceTicket | None = None,
        on_new_ticket: NewTicketHook | None = None,
    ) -> None:
        self._store = store
        self.settings = settings
        self._codes = ReceiptCodes(keys.pepper, settings.receipts)
        self._sealer = Sealer(keys)
        self._place = place or self._default_place
        self._on_new_ticket = on_new_ticket

    def _default_place(
        self, category: str, district: str, now: datetime, registry_status: str = ""
    ) -> TicketPlace:
        """Without routing every ticket waits in the default queue."""
        due = now + timedelta(hours=self.settings.claim_within_hours)
        return TicketPlace(self.settings.default_queue, due)

    async def can_report(self, reporter_key: str, now: datetime) -> Refused | None:
        """Ask before the conversation starts, so nobody writes a report that cannot be sent."""
        async with self._store.transaction(readonly=True) as tx:
            full = await blocked(tx, report_slots(reporter_key, self.settings.limits, now), now)
        return None if full is None else quota_refusal(full)

    async def submit_report(
        self,
        draft: ReportDraft,
        reporter_key: str,
        idempotency_key: str,
        now: datetime,
        *,
        reply_chat_id: int,
    ) -> SubmitResult:
        """Turn ``draft`` (and the evidence kept with the reporter's draft) into a ticket.

        ``idempotency_key`` names this submission (e.g. ``draft:<draft_id>``): a repeat returns
        :class:`ReportRepeated` with the same ticket and no new code. Raises
        :class:`bot.store.NotSaved` when the database did not take it.
        """
        problem = check_draft(draft, self.settings.limits)
        if problem is not None:
            return Refused(problem)
        issued = await self._codes.issue(owner=reporter_key)
        digest = idempotency_digest(idempotency_key)
        slots = report_slots(reporter_key, self.settings.limits, now)
        try:
            async with self._store.transaction() as tx:
                # Counted with the ticket's own insert (no trip of its own); over the limit
                # undoes it all.
                taking = Taking(tx, slots, now)
                accepted = await self._write_ticket(
                    tx, draft, reporter_key, digest, issued, reply_chat_id, now
                )
                full = taking.over()
                if full is not None:
                    raise _OverLimit(full)
        except _AlreadySubmitted:
            return await self._repeat_of(digest, now)
        except _OverLimit as over:
            return quota_refusal(over.full)
        return accepted

    def ticket_year(self, now: datetime) -> int:
        return now.astimezone(timezone(timedelta(hours=self.settings.utc_offset_hours))).year

    async def _write_ticket(
        self,
        tx: Transaction,
        draft: ReportDraft,
        reporter_key: str,
        digest: str,
        issued: IssuedCode,
        reply_chat_id: int,
        now: datetime,
    ) -> ReportAccepted:
        # What the registry says of the institution now, read in this unit of work.
        registry = await ticket_registry(tx, draft.registry)
        status = registry.status if registry else ""
        place = self._place(draft.category, draft.district, now, status)
        ticket_id, number = await self._insert_ticket(tx, draft, digest, place, now, registry)
        await tx.add_receipt_code(
            ticket_id, issued.lookup, issued.code_hash, now, owner_tag=issued.owner_tag
        )
        await tx.move_draft_files(reporter_key, ticket_id, REPORTER)
        await tx.delete_draft(reporter_key)
        await tx.add_event(_received_event(ticket_id, draft, now))
        receipt = self._receipt_message(ticket_id, number, issued, reply_chat_id, now)
        await tx.enqueue(receipt)
        if draft.wants_updates:
            await tx.set_notify_link(ticket_id, self._sealer.seal_chat(reply_chat_id), now)
        await self._tell_duty_chat(tx, ticket_id, number, draft, now)
        await self._tell_queue_chat(tx, ticket_id, number, draft, place, now)
        if self._on_new_ticket is not None:
            await self._on_new_ticket(tx, ticket_id, now)
        return ReportAccepted(number, issued.readable, receipt_dedupe_key(ticket_id))

    async def _insert_ticket(
        self,
        tx: Transaction,
        draft: ReportDraft,
        digest: str,
        place: TicketPlace,
        now: datetime,
        registry: TicketInstitution | None,
    ) -> tuple[int, str]:
        ticket = NewTicket(
            number_prefix=self.settings.number_prefix,
            year=self.ticket_year(now),
            idempotency_key=digest,
            queue=place.queue,
            category=draft.category,
            district=draft.district,
            institution=draft.institution,
            description=draft.description,
            details=json.dumps(draft.answers, ensure_ascii=False),
            claim_due_at=place.claim_due_at,
            created_at=now,
            resolve_due_at=place.resolve_due_at,
            registry=registry,
        )
        added = await tx.add_ticket(ticket)
        if added is None:
            raise _AlreadySubmitted  # rolls back the number taken for it
        return added

    def _receipt_message(
        self, ticket_id: int, number: str, issued: IssuedCode, chat_id: int, now: datetime
    ) -> NewMessage:
        grace = timedelta(seconds=self.settings.receipts.delivery_grace_seconds)
        return reporter_message(
            MessageKind.RECEIPT,
            chat_id,
            {"ticket_number": number, "receipt_code": issued.readable},
            now,
            self._sealer,
            dedupe_key=receipt_dedupe_key(ticket_id),
            not_before=now + grace,
            ticket_id=ticket_id,
        )

    async def _tell_duty_chat(
        self, tx: Transaction, ticket_id: int, number: str, draft: ReportDraft, now: datetime
    ) -> None:
        if self.settings.duty_chat_id is None:
            return
        data = {"ticket_number": number, "category": draft.category, "district": draft.district}
        await tx.enqueue(
            staff_message(
                MessageKind.NEW_TICKET,
                self.settings.duty_chat_id,
                data,
                now,
                dedupe_key=f"new_ticket:{ticket_id}",
                ticket_id=ticket_id,
            )
        )

    async def _tell_queue_chat(
        self,
        tx: Transaction,
        ticket_id: int,
        number: str,
        draft: ReportDraft,
        place: TicketPlace,
        now: datetime,
    ) -> None:
        if place.chat_id is None or place.chat_id == self.settings.duty_chat_id:
            return
        data = {
            "ticket_number": number,
            "category": draft.category,
            "district": draft.district,
            "queue": place.queue,
        }
        await tx.enqueue(
            staff_message(
                MessageKind.NEW_TICKET,
                place.chat_id,
                data,
                now,
                dedupe_key=f"new_ticket:{ticket_id}:queue",
                ticket_id=ticket_id,
            )
        )

    async def find_submitted(self, idempotency_key: str, now: datetime) -> ReportRepeated | None:
        """The ticket an earlier submission under this key made, if any: a second press of
        "confirm" arrives after the draft is gone, so it cannot be submitted again."""
        digest = idempotency_digest(idempotency_key)
        async with self._store.transaction() as tx:
            existing = await tx.ticket_by_idempotency_key(digest)
            return None if existing is None else await self._repeated(tx, existing, now)

    async def _repeat_of(self, digest: str, now: datetime) -> ReportRepeated:
        async with self._store.transaction() as tx:
            existing = await tx.ticket_by_idempotency_key(digest)
            assert existing is not None
            return await self._repeated(tx, existing, now)

    async def _repeated(
        self, tx: Transaction, ticket: TicketRecord, now: datetime
    ) -> ReportRepeated:
        message = await tx.message_by_dedupe_key(receipt_dedupe_key(ticket.id))
        pending = message is not None and message.sent_at is None and message.given_up_at is None
        if message is not None and pending:
            await tx.hurry_message(message.id, now)  # the reply with the code may have been lost
        return ReportRepeated(ticket.number, receipt_pending=pending)


def _received_event(ticket_id: int, draft: ReportDraft, now: datetime) -> NewEvent:
    details = json.dumps({"attachments": len(draft.evidence)})
    return NewEvent(ticket_id, now, REPORTER, EventKind.RECEIVED, public=True, details=details)
