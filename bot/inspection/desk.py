"""The inspector's desk: claim, investigate, ask, transfer, resolve, reopen, merge.

Every action is one unit of work: the permission check, the change, its audit record and the
messages it sends commit together. A refused action raises inside the unit, so anything it had
written is rolled back, and its refusal is then audited in a unit of its own: a refusal changes
nothing but the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from bot.clock import utc_now
from bot.inspection.access import Action
from bot.inspection.audit import AuditTrail
from bot.inspection.model import (
    DISPOSITION_STATUS,
    Changed,
    Clock,
    Denial,
    Denied,
    Disposition,
    Merged,
    NoteAdded,
    QuestionSent,
    Transferred,
)
from bot.inspection.organisation import Organisation, OrganisationView
from bot.inspection.pacing import enqueue_paced
from bot.inspection.routing import Router
from bot.registry.model import InstitutionStatus
from bot.registry.service import Registry
from bot.store.base import Store, TicketRecord, Transaction
from bot.tickets.lifecycle import Lifecycle, StatusChanged
from bot.tickets.model import OPEN_STATUSES, MessageKind, Reason, Refused, TicketStatus
from bot.tickets.outbox import staff_message

R = TypeVar("R")
# The key of a command applied at most once (its update's), or None.
Once = str | None
Step = Callable[[Transaction, TicketRecord, datetime], Awaitable[R]]

_DENIALS = {
    Reason.TICKET_UNKNOWN: Denial.TICKET_UNKNOWN,
    Reason.ALREADY_CLAIMED: Denial.ALREADY_CLAIMED,
    Reason.STATUS_NOT_ALLOWED: Denial.STATUS_NOT_ALLOWED,
    Reason.STATUS_CHANGED_MEANWHILE: Denial.STATUS_CHANGED_MEANWHILE,
    Reason.TICKET_CLOSED: Denial.TICKET_CLOSED,
}


class Refusal(Exception):
    """Raised inside a unit of work to roll it back and refuse the action."""

    def __init__(self, denied: Denied, ticket: TicketRecord | None = None) -> None:
        super().__init__(denied.reason)
        self.denied = denied
        self.ticket = ticket


class InspectionDesk(OrganisationView):
    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        router: Router,
        lifecycle: Lifecycle,
        audit: AuditTrail,
        *,
        clock: Clock = utc_now,
        max_text_chars: int = 3000,
        registry: Registry | None = None,
    ) -> None:
        self._store = store
        self._org = organisation
        self._router = router
        self._lifecycle = lifecycle
        self._audit = audit
        self._clock = clock
        self._max_text_chars = max_text_chars
        self._registry = registry

    # --- claims ---

    async def claim(self, user_id: int, number: str, *, once: Once = None) -> Changed | Denied:
        """Compare-and-set: of many inspectors pressing at once exactly one wins; the others
        are told who has it."""

        async def step(tx: Transaction, ticket: TicketRecord, now: datetime) -> Changed:
            actor = self._audit.actor(user_id)
            result = await self._lifecycle.claim_in(tx, ticket, actor, now)
            if isinstance(result, Refused):
                current = await tx.ticket_by_id(ticket.id)
                holder = current.claimed_by if current else None
                raise Refusal(Denied(Denial.ALREADY_CLAIMED, ticket.number, holder), ticket)
            return _changed(result, Action.CLAIM)

        return await self._act(user_id, Action.CLAIM, number, step, once=once)

    async def release(self, user_id: int, number: str, *, once: Once = None) -> Changed | Denied:
        async def step(tx: Transaction, ticket: TicketRecord, now: datetime) -> Changed:
            result = await self._lifecycle.release_in(tx, ticket, self._audit.actor(user_id), now)
            return _changed(_or_refuse(result, ticket), Action.RELEASE)

        return await self._act(user_id, Action.RELEASE, number, step, once=once)

    async def investigate(
        self, user_id: int, number: str, *, once: Once = None
    ) -> Changed | Denied:
        investigating = TicketStatus.INVESTIGATING
        return await self._change(user_id, Action.INVESTIGATE, number, investigating, once)

    # --- working a ticket ---

    async def add_note(
        self, user_id: int, number: str, text: str, *, once: Once = None
    ) -> NoteAdded | Denied:
        """An internal note: staff only."""

        async def step(tx: Transaction, ticket: TicketRecord, now: datetime) -> NoteAdded:
            note = self._text(text, ticket)
            await self._lifecycle.note_in(tx, ticket, note, self._audit.actor(user_id), now)
            return NoteAdded(ticket.number)

        return await self._act(user_id, Action.NOTE, number, step, once=once)

    async def ask_reporter(
        self, user_id: int, number: str, question: str, *, once: Once = None
    ) -> QuestionSent | Denied:
        """Relayed through the reporter's /status; pushed to them only if they opted in."""

        async def step(tx: Transaction, ticket: TicketRecord, now: datetime) -> QuestionSent:
            text = self._text(question, ticket)
            actor = self._audit.actor(user_id)
            asked = await self._lifecycle.ask_reporter_in(tx, ticket, text, actor, now)
            asked = _or_refuse(asked, ticket)
            notified = await tx.notify_link(ticket.id) is not None
            return QuestionSent(ticket.number, asked.question_id, notified)

        return await self._act(user_id, Action.ASK_REPORTER, number, step, once=once)

    async def transfer(
        self,
        user_id: int,
        number: str,
        to_queue: str,
        reason: str | None = None,
        *,
        once: Once = None,
    ) -> Transferred | Denied:
        """To another queue (转办), unclaimed, with that queue's claim deadline; a queue with
        nobody to claim tickets hands it to the default queue instead."""

        async def step(tx: Transaction, ticket: TicketRecord, now: datetime) -> Transferred:
            target = self._transfer_target(ticket, to_queue)
            note = self._text(reason, ticket) if reason else None
            due = self._router.place_in(target, now).claim_due_at
            actor = self._audit.actor(user_id)
            moved = await self._lifecycle.transfer_in(
                tx, ticket, target, due, actor, now, reason=note
            )
            _or_refuse(moved, ticket)
            await self._tell_queue(tx, ticket, ticket.queue, target, now)
            return Transferred(ticket.number, ticket.queue, target, target != to_queue)

        details = {"to_queue": to_queue}
        return await self._act(user_id, Action.TRANSFER, number, step, details=details, once=once)

    def _transfer_target(self, ticket: TicketRecord, to_queue: str) -> str:
        if self.settings.queue(to_queue) is None:
            raise Refusal(Denied(Denial.QUEUE_UNKNOWN, ticket.number), ticket)
        if to_queue == ticket.queue:
            raise Refusal(Denied(Denial.SAME_QUEUE, ticket.number), ticket)
        target = self._router.staffed_or_default(to_queue)
        if target == ticket.queue:
            raise Refusal(Denied(Denial.QUEUE_UNSTAFFED, ticket.number), ticket)
        return target

    async def _tell_queue(
        self, tx: Transaction, ticket: TicketRecord, from_queue: str, to_queue: str, now: datetime
    ) -> None:
        queue = self.settings.queue(to_queue)
        if queue is None or queue.chat_id is None:
            return
        data = {"ticket_number": ticket.number, "from_queue": from_queue, "to_queue": to_queue}
        message = staff_message(
            MessageKind.TICKET_TRANSFERRED, queue.chat_id, data, now, ticket_id=ticket.id
        )
        await enqueue_paced(tx, message, self.settings.group_messages_per_minute)

    async def resolve(
        self,
        user_id: int,
        number: str,
        disposition: Disposition,
        outcome: str,
        internal_note: str | None = None,
        *,
        institution_status: InstitutionStatus | None = None,
        once: Once = None,
    ) -> Changed | Denied:
        """Decide the ticket; ``outcome`` is what the reporter is told. A substantiated
        outcome may also change the registry status of the institution the ticket is about
        (closed down: blacklisted), in the same commit; parents see it from then on."""

        async def step(tx: Transaction, ticket: TicketRecord, now: datetime) -> Changed:
            text = self._text(outcome, ticket)
            if institution_status is not None:
                await self._change_institution(
                    tx, user_id, ticket, disposition, institution_status, text, now
                )
            note = self._text(internal_note, ticket) if internal_note else None
            result = await self._lifecycle.change_status_in(
                tx,
                ticket,
                DISPOSITION_STATUS[disposition],
                self._audit.actor(user_id),
                now,
                public_note=text,
                internal_note=note,
                disposition=disposition,
            )
            changed = _changed(_or_refuse(result, ticket), Action.RESOLVE)
            await tx.set_outcome(ticket.id, text)
            return changed

        details = {"disposition": str(disposition)}
        if institution_status is not None:
            details["institution_status"] = str(institution_status)
        return await self._act(user_id, Action.RESOLVE, number, step, details=details, once=once)

    async def _change_institution(
        self,
        tx: Transaction,
        user_id: int,
        ticket: TicketRecord,
        disposition: Disposition,
        status: InstitutionStatus,
        reason: str,
        now: datetime,
    ) -> None:
        if disposition != Disposition.SUBSTANTIATED:
            raise Refusal(Denied(Denial.REGISTRY_NEEDS_SUBSTANTIATED, ticket.number), ticket)
        if self._registry is None or not (ticket.institution_id or ticket.institution.strip()):
            raise Refusal(Denied(Denial.REGISTRY_NO_INSTITUTION, ticket.number), ticket)
        actor = self._audit.actor(user_id)
        await self._registry.set_status_in(tx, ticket, status, reason, actor, now)

    async def close(self, user_id: int, number: str, *, once: Once = None) -> Changed | Denied:
        return await self._change(user_id, Action.CLOSE, number, TicketStatus.CLOSED, once)

    async def reopen(
        self, user_id: int, number: str, reason: str, *, once: Once = None
    ) -> Changed | Denied:
        """Supervisors only: a decided or closed ticket goes back to its queue, unclaimed, with
        fresh deadlines counted from now."""

        async def step(tx: Transaction, ticket: TicketRecord, now: datetime) -> Changed:
            note = self._text(reason, ticket)
            place = self._router.place_in(ticket.queue, now)
            due = (place.claim_due_at, place.resolve_due_at)
            actor = self._audit.actor(user_id)
            result = await self._lifecycle.reopen_in(tx, ticket, due, actor, now, reason=note)
            return _changed(_or_refuse(result, ticket), Action.REOPEN)

        return await self._act(user_id, Action.REOPEN, number, step, once=once)

    async def merge(
        self, user_id: int, into_number: str, numbers: Sequence[str], *, once: Once = None
    ) -> Merged | Denied:
        """Merge the reports ``numbers`` into ``into_number``: each is kept whole as a
        supporting report and marked a duplicate. All or nothing."""
        now = self._clock()
        try:
            async with self._store.transaction() as tx:
                if not await _first_time(tx, once, now):
                    return Denied(Denial.ALREADY_DONE, into_number)
                target = await self._checked(tx, user_id, Action.MERGE, into_number)
                if target.status not in OPEN_STATUSES:
                    raise Refusal(Denied(Denial.TICKET_CLOSED, into_number), target)
                merged = await self._merge_each(tx, user_id, target, numbers, now)
                details = {"merged": list(merged)}
                await self._audit.record(
                    tx, user_id, Action.MERGE, now, ticket=target, details=details
                )
                return Merged(target.number, merged)
        except Refusal as refusal:
            return await self._refused(user_id, Action.MERGE, now, refusal)

    async def _merge_each(
        self,
        tx: Transaction,
        user_id: int,
        target: TicketRecord,
        numbers: Sequence[str],
        now: datetime,
    ) -> tuple[str, ...]:
        wanted = list(dict.fromkeys(numbers))  # once each, in the order given
        if not wanted:
            raise Refusal(Denied(Denial.NOTHING_TO_MERGE, target.number), target)
        actor = self._audit.actor(user_id)
        for number in wanted:
            if number == target.number:
                raise Refusal(Denied(Denial.MERGE_INTO_ITSELF, number), target)
            source = await self._checked(tx, user_id, Action.MERGE, number)
            _or_refuse(await self._lifecycle.merge_in(tx, source, target, actor, now), source)
            into = {"into": target.number}
            await self._audit.record(tx, user_id, Action.MERGE, now, ticket=source, details=into)
        return tuple(wanted)

    # --- the machinery every action shares ---

    async def _change(
        self, user_id: int, action: Action, number: str, new: TicketStatus, once: Once
    ) -> Changed | Denied:
        async def step(tx: Transaction, ticket: TicketRecord, now: datetime) -> Changed:
            actor = self._audit.actor(user_id)
            result = await self._lifecycle.change_status_in(tx, ticket, new, actor, now)
            return _changed(_or_refuse(result, ticket), action)

        return await self._act(user_id, action, number, step, once=once)

    async def _act(
        self,
        user_id: int,
        action: Action,
        number: str,
        step: Step[R],
        *,
        details: dict[str, Any] | None = None,
        once: Once = None,
    ) -> R | Denied:
        """``once`` names the command (its update): applied at most once, however often it is
        handled; a repeat changes nothing and says so (unaudited: it is no refusal). A refused
        command records no key, so it is judged afresh if it comes again."""
        now = self._clock()
        try:
            async with self._store.transaction() as tx:
                if not await _first_time(tx, once, now):
                    return Denied(Denial.ALREADY_DONE, number)
                ticket = await self._checked(tx, user_id, action, number)
                result = await step(tx, ticket, now)
                await self._audit.record(tx, user_id, action, now, ticket=ticket, details=details)
                return result
        except Refusal as refusal:
            return await self._refused(user_id, action, now, refusal)

    async def _refused(
        self, user_id: int, action: Action, now: datetime, refusal: Refusal
    ) -> Denied:
        return await self._audit.refused(
            user_id, action, now, refusal.denied, ticket=refusal.ticket
        )

    async def _checked(
        self, tx: Transaction, user_id: int, action: Action, number: str
    ) -> TicketRecord:
        """The ticket, if ``user_id`` may do ``action`` on it now; raises :class:`Refusal`."""
        ticket = await tx.ticket_by_number(number)
        if ticket is None:
            raise Refusal(Denied(Denial.TICKET_UNKNOWN, number))
        denial = self.access.refusal(user_id, action, ticket)
        if denial is not None:
            raise Refusal(Denied(denial, number, _holder(denial, ticket)), ticket)
        return ticket

    def _text(self, text: str | None, ticket: TicketRecord) -> str:
        cleaned = (text or "").strip()
        if not cleaned:
            raise Refusal(Denied(Denial.TEXT_MISSING, ticket.number), ticket)
        if len(cleaned) > self._max_text_chars:
            raise Refusal(Denied(Denial.TEXT_TOO_LONG, ticket.number), ticket)
        return cleaned


async def _first_time(tx: Transaction, once: Once, now: datetime) -> bool:
    return once is None or await tx.first_application(once, now)


def _holder(denial: Denial, ticket: TicketRecord) -> str | None:
    if denial in (Denial.ALREADY_CLAIMED, Denial.NOT_YOURS):
        return ticket.claimed_by
    return None


def _or_refuse(result: R | Refused, ticket: TicketRecord) -> R:
    if isinstance(result, Refused):
        reason = _DENIALS.get(result.reason, Denial.STATUS_NOT_ALLOWED)
        raise Refusal(Denied(reason, ticket.number), ticket)
    return result


def _changed(result: StatusChanged, action: Action) -> Changed:
    return Changed(result.ticket_number, action, result.old, result.new)
