"""What a reporter can do with a receipt code: see the status, answer questions, add evidence,
and turn status notices on or off.

Every wrong code counts against the reporter and against everyone together (brute force from
many accounts). An attempt is counted *before* the slow hash is checked and given back if the
code was right, so parallel guesses cannot slip past the limit. While everyone's limit is full,
a right code still opens its ticket when typed from the account that filed it (its owner tag,
see :mod:`bot.tickets.receipts`); for every other attempt the lock-out stands, so guessing is
no cheaper than before.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.privacy import PrivacyKeys, Sealer
from bot.store.base import (
    EventRecord,
    NewEvent,
    ReceiptRecord,
    Store,
    StoredFile,
    TicketRecord,
    Transaction,
)
from bot.store.throttle import Blocked, LimitedSlot, blocked, count, slots_for
from bot.tickets.limits import check_text
from bot.tickets.model import (
    OPEN_STATUSES,
    REPORTER,
    SYSTEM,
    EventKind,
    FollowupSaved,
    MessageKind,
    OpenQuestion,
    Reason,
    Refused,
    StatusResult,
    TicketStatus,
    TicketView,
    TimelineEntry,
)
from bot.tickets.outbox import staff_message
from bot.tickets.receipts import ReceiptCodes
from bot.tickets.settings import TicketSettings
from bot.tickets.verdicts import latest_answer, open_question

EVERYONE = "wrong_codes:*"


@dataclass(frozen=True)
class _Verified:
    ticket_id: int
    slots: list[LimitedSlot]


class ReporterDesk:
    def __init__(self, store: Store, settings: TicketSettings, keys: PrivacyKeys) -> None:
        self._store = store
        self.settings = settings
        self._codes = ReceiptCodes(keys.pepper, settings.receipts)
        self._sealer = Sealer(keys)
        self._pepper = keys.pepper

    async def check_status(self, code: str, requester_key: str, now: datetime) -> StatusResult:
        found = await self._verify(code, requester_key, now)
        if isinstance(found, Refused):
            return found
        async with self._opened(found) as (tx, ticket):
            return await self._view(tx, ticket, now)

    async def answer_question(
        self,
        code: str,
        requester_key: str,
        question_id: int,
        answer: str,
        now: datetime,
        *,
        once: str | None = None,
    ) -> FollowupSaved | Refused:
        """``once`` names the effect (see ``Transaction.first_application``): a repeat of it
        saves nothing and reports it saved."""
        too_long = check_text(answer, self.settings.limits)
        if too_long is not None:
            return Refused(too_long)
        found = await self._verify(code, requester_key, now)
        if isinstance(found, Refused):
            return found
        async with self._opened(found) as (tx, ticket):
            if not await _first_time(tx, once, now):
                return FollowupSaved(ticket.number)
            if ticket.status not in OPEN_STATUSES:
                return Refused(Reason.TICKET_CLOSED)
            if not await tx.answer_question(question_id, ticket.id, answer, now):
                return Refused(Reason.QUESTION_NOT_OPEN)
            details = {"question_id": question_id}
            await _event(tx, ticket.id, EventKind.QUESTION_ANSWERED, now, details)
            await self._resume_if_answered(tx, ticket.id, ticket.status, now)
            await self._tell_duty_chat(tx, MessageKind.REPORTER_ANSWERED, ticket.number, now)
            return FollowupSaved(ticket.number)

    async def add_evidence(
        self,
        code: str,
        requester_key: str,
        file: StoredFile,
        now: datetime,
        *,
        once: str | None = None,
    ) -> FollowupSaved | Refused:
        """Attach a file already cleaned by :mod:`bot.tickets.evidence`; ``once`` as for
        :meth:`answer_question`."""
        found = await self._verify(code, requester_key, now)
        if isinstance(found, Refused):
            return found
        async with self._opened(found) as (tx, ticket):
            if not await _first_time(tx, once, now):
                return FollowupSaved(ticket.number)
            if ticket.status not in OPEN_STATUSES:
                return Refused(Reason.TICKET_CLOSED)
            if len(await tx.attachments(ticket.id)) >= self.settings.limits.max_ticket_attachments:
                return Refused(Reason.TOO_MANY_ATTACHMENTS)
            if not await tx.add_attachment(ticket.id, file, REPORTER, now):
                return FollowupSaved(ticket.number, added=False)
            details = {"mime": file.mime, "size": file.size}
            await _event(tx, ticket.id, EventKind.EVIDENCE_ADDED, now, details)
            await self._tell_duty_chat(tx, MessageKind.REPORTER_EVIDENCE, ticket.number, now)
            return FollowupSaved(ticket.number)

    async def notify_me(
        self, code: str, requester_key: str, chat_id: int, now: datetime
    ) -> FollowupSaved | Refused:
        """Opt in to status notices; the chat id is kept sealed and dropped when the ticket
        closes."""
        found = await self._verify(code, requester_key, now)
        if isinstance(found, Refused):
            return found
        async with self._opened(found) as (tx, ticket):
            if ticket.status == TicketStatus.CLOSED:
                return Refused(Reason.TICKET_CLOSED)
            await tx.set_notify_link(ticket.id, self._sealer.seal_chat(chat_id), now)
            await _event(tx, ticket.id, EventKind.NOTIFY_ON, now, public=False)
            return FollowupSaved(ticket.number)

    async def stop_notifications(
        self, code: str, requester_key: str, now: datetime
    ) -> FollowupSaved | Refused:
        found = await self._verify(code, requester_key, now)
        if isinstance(found, Refused):
            return found
        async with self._opened(found) as (tx, ticket):
            had_link = await tx.notify_link(ticket.id) is not None
            await tx.delete_notify_link(ticket.id)
            if had_link:
                await _event(tx, ticket.id, EventKind.NOTIFY_OFF, now, public=False)
            return FollowupSaved(ticket.number, added=had_link)

    # --- the receipt code ---

    def _guess_slots(
        self, requester_key: str, now: datetime
    ) -> tuple[list[LimitedSlot], list[LimitedSlot]]:
        """The requester's own wrong-code counters, and everyone's."""
        receipts = self.settings.receipts
        return (
            slots_for(f"wrong_codes:{requester_key}", receipts.wrong_codes_per_reporter, now),
            slots_for(EVERYONE, receipts.wrong_codes_overall, now),
        )

    async def _verify(self, text: str, requester_key: str, now: datetime) -> _Verified | Refused:
        code = self._codes.normalize(text)
        if code is None:
            return Refused(Reason.CODE_MALFORMED)  # a typo in the format is not a guess
        own, everyone = self._guess_slots(requester_key, now)
        async with self._store.transaction() as tx:
            tx.commit_without_waiting()  # it writes only the counts of guesses
            own_full = await blocked(tx, own, now)
            if own_full is not None:
                return Refused(Reason.TOO_MANY_ATTEMPTS, retry_after_minutes=own_full.minutes)
            everyone_full = await blocked(tx, everyone, now)
            candidates = await tx.receipt_candidates(self._codes.lookup(code))
            counted = own if everyone_full else [*own, *everyone]
            # A guess until proven right; counted last, so that everyone's counter (one row
            # every status check updates) stays locked only for the unit's final trip.
            await count(tx, counted)
        if everyone_full is not None:
            # Everyone's wrong codes are over the limit (someone is guessing from many
            # accounts): only a code typed from the account that filed its report opens the
            # ticket now. Any other attempt gets the same refusal as before, right or wrong.
            return await self._owner_only(code, requester_key, candidates, counted, everyone_full)
        for candidate in candidates:
            if await self._codes.matches(code, candidate.code_hash):
                return _Verified(candidate.ticket_id, counted)
        return Refused(Reason.CODE_UNKNOWN)

    async def _owner_only(
        self,
        code: str,
        requester_key: str,
        candidates: Sequence[ReceiptRecord],
        own: list[LimitedSlot],
        full: Blocked,
    ) -> _Verified | Refused:
        for candidate in candidates:
            tag = candidate.owner_tag
            if await self._codes.matches_owned(code, candidate.code_hash, requester_key, tag):
                return _Verified(candidate.ticket_id, own)
        return Refused(Reason.TOO_MANY_ATTEMPTS, retry_after_minutes=full.minutes)

    @asynccontextmanager
    async def _opened(self, found: _Verified) -> AsyncIterator[tuple[Transaction, TicketRecord]]:
        """A unit of work on the ticket the code opened; the attempt was not a guess after all."""
        async with self._store.transaction() as tx:
            await count(tx, found.slots, -1)
            ticket = await tx.ticket_by_id(found.ticket_id)
            assert ticket is not None
            yield tx, ticket

    # --- what the reporter sees ---

    async def _view(self, tx: Transaction, ticket: TicketRecord, now: datetime) -> TicketView:
        ticket_id = ticket.id
        events = await tx.events(ticket_id, public_only=True)
        questions = await tx.open_questions(ticket_id)
        rounds = await tx.verdicts(ticket_id)
        return TicketView(
            ticket_number=ticket.number,
            status=TicketStatus(ticket.status),
            timeline=timeline(events),
            open_questions=tuple(OpenQuestion(q.id, q.asked_at, q.question) for q in questions),
            notifications_on=await tx.notify_link(ticket_id) is not None,
            verdict_question=open_question(ticket, rounds, now, self._pepper),
            verdict=latest_answer(rounds),
        )

    async def _resume_if_answered(
        self, tx: Transaction, ticket_id: int, status: str, now: datetime
    ) -> None:
        if status != TicketStatus.AWAITING_REPORTER or await tx.open_questions(ticket_id):
            return
        resumed = TicketStatus.INVESTIGATING
        if await tx.change_status(ticket_id, status, resumed, now, None):
            details = {"status": resumed, "from": status}
            await _event(tx, ticket_id, EventKind.STATUS_CHANGED, now, details, actor=SYSTEM)

    async def _tell_duty_chat(
        self, tx: Transaction, kind: MessageKind, number: str, now: datetime
    ) -> None:
        if self.settings.duty_chat_id is not None:
            chat = self.settings.duty_chat_id
            await tx.enqueue(staff_message(kind, chat, {"ticket_number": number}, now))


def timeline(events: Sequence[EventRecord]) -> tuple[TimelineEntry, ...]:
    """Public events only; internal notes never reach this point."""
    entries = []
    for event in events:
        details: dict[str, Any] = json.loads(event.details)
        status = details.get("status")
        note = details.get("public_note")
        entries.append(TimelineEntry(event.at, event.kind, status, note))
    return tuple(entries)


async def _first_time(tx: Transaction, once: str | None, now: datetime) -> bool:
    return once is None or await tx.first_application(once, now)


async def _event(
    tx: Transaction,
    ticket_id: int,
    kind: EventKind,
    now: datetime,
    details: dict[str, Any] | None = None,
    *,
    public: bool = True,
    actor: str = REPORTER,
) -> None:
    payload = json.dumps(details or {}, ensure_ascii=False)
    await tx.add_event(NewEvent(ticket_id, now, actor, kind, public, payload))
