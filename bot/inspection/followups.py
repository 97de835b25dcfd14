"""回访 answers: the reporter's verdict and comment, and the supervisors told of a 不满意.

Asking happens in the ticket's life (:mod:`bot.tickets.verdicts`); this is what comes back. A
press or a comment is authorised by the token its buttons carry, checked here, never trusted
from the client. A 不满意 reaches the department's supervisors (their chat, else the queue's)
with the ticket number and the comment: as soon as the reporter comments or declines to, or
once ``comment_minutes`` have passed (the deadline watch calls :meth:`Followups.tell_lapsed`).
Supervisors read what was said, never who said it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.clock import utc_now
from bot.inspection.model import Clock
from bot.inspection.organisation import Organisation, OrganisationView
from bot.inspection.pacing import enqueue_paced
from bot.store.base import NewEvent, Store, TicketRecord, Transaction, VerdictRecord
from bot.tickets.form import AnswerProblem, Problem
from bot.tickets.model import REPORTER, EventKind, MessageKind, Reason, Refused
from bot.tickets.outbox import staff_message
from bot.tickets.settings import FollowupSettings
from bot.tickets.verdicts import Verdict, open_question, token_matches

# Lapsed comments are looked for this far back (a bot stopped for longer tells them late).
LOOK_BACK = timedelta(days=60)


@dataclass(frozen=True)
class VerdictRef:
    """What a verdict button or comment names: the ticket, the round and the token."""

    ticket_id: int
    round: int
    token: str


@dataclass(frozen=True)
class VerdictSaved:
    ticket_number: str
    verdict: Verdict
    # True when the supervisors were told just now (a 不满意, with or without a comment).
    supervisors_told: bool = False


def check_comment(text: str, limit: int) -> AnswerProblem | None:
    """The report form's rule for a short answer: not empty, not longer than ``limit``."""
    comment = text.strip()
    if not comment:
        return AnswerProblem(Problem.EMPTY)
    if len(comment) > limit:
        return AnswerProblem(Problem.TOO_LONG, limit=limit, length=len(comment))
    return None


class Followups(OrganisationView):
    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        followup: FollowupSettings,
        pepper: bytes,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._org = organisation
        self.followup = followup
        self._pepper = pepper
        self._clock = clock

    async def give(self, ref: VerdictRef, verdict: Verdict) -> VerdictSaved | Refused:
        """The reporter's answer, once per round, while its days last."""
        now = self._clock()
        async with self._round(ref) as found:
            if isinstance(found, Refused):
                return found
            tx, ticket, record = found
            if record.verdict is not None:
                return Refused(Reason.VERDICT_GIVEN)
            question = open_question(ticket, await tx.verdicts(ticket.id), now, self._pepper)
            if question is None or question.round != record.round:
                return Refused(Reason.VERDICT_CLOSED)
            if not await tx.give_verdict(ticket.id, record.round, verdict, now):
                return Refused(Reason.VERDICT_GIVEN)  # another press won the race
            details = {"verdict": str(verdict), "round": record.round}
            await _event(tx, ticket.id, EventKind.VERDICT_GIVEN, now, details, public=True)
            return VerdictSaved(ticket.number, verdict)

    async def comment(self, ref: VerdictRef, text: str) -> VerdictSaved | AnswerProblem | Refused:
        """A short comment after the verdict, within ``comment_minutes`` of it."""
        problem = check_comment(text, self.followup.comment_chars)
        if problem is not None:
            return problem
        comment = text.strip()
        now = self._clock()
        async with self._round(ref) as found:
            if isinstance(found, Refused):
                return found
            tx, ticket, record = found
            since = now - timedelta(minutes=self.followup.comment_minutes)
            if not await tx.add_verdict_comment(ticket.id, record.round, comment, since):
                return Refused(Reason.COMMENT_CLOSED)
            await _event(tx, ticket.id, EventKind.VERDICT_COMMENTED, now, {"round": record.round})
            told = await self._tell_if_dissatisfied(
                tx, ticket, replace(record, comment=comment), now
            )
            return VerdictSaved(ticket.number, Verdict(record.verdict or ""), told)

    async def no_comment(self, ref: VerdictRef) -> VerdictSaved | Refused:
        """The reporter has nothing to add: a 不满意 goes to the supervisors now."""
        now = self._clock()
        async with self._round(ref) as found:
            if isinstance(found, Refused):
                return found
            tx, ticket, record = found
            if record.verdict is None:
                return Refused(Reason.VERDICT_CLOSED)
            told = await self._tell_if_dissatisfied(tx, ticket, record, now)
            return VerdictSaved(ticket.number, Verdict(record.verdict), told)

    async def tell_lapsed(self) -> int:
        """Tell the supervisors of every 不满意 whose time for a comment is up; safe to repeat."""
        now = self._clock()
        before = now - timedelta(minutes=self.followup.comment_minutes)
        told = 0
        async with self._store.transaction() as tx:
            for found in await tx.dissatisfied_verdicts(now - LOOK_BACK, before, untold_only=True):
                told += await self._tell_in(tx, found.ticket, found.verdict, now)
        return told

    @asynccontextmanager
    async def _round(
        self, ref: VerdictRef
    ) -> AsyncIterator[tuple[Transaction, TicketRecord, VerdictRecord] | Refused]:
        """A unit of work on the round ``ref`` names, or the refusal of a forged one."""
        if not token_matches(self._pepper, ref.ticket_id, ref.round, ref.token):
            yield Refused(Reason.VERDICT_UNKNOWN)
            return
        async with self._store.transaction() as tx:
            record = await tx.verdict_round(ref.ticket_id, ref.round)
            ticket = await tx.ticket_by_id(ref.ticket_id)
            if record is None or ticket is None:
                yield Refused(Reason.VERDICT_UNKNOWN)
            else:
                yield tx, ticket, record

    async def _tell_if_dissatisfied(
        self, tx: Transaction, ticket: TicketRecord, record: VerdictRecord, now: datetime
    ) -> bool:
        if record.verdict != Verdict.DISSATISFIED:
            return False
        return await self._tell_in(tx, ticket, record, now)

    async def _tell_in(
        self, tx: Transaction, ticket: TicketRecord, record: VerdictRecord, now: datetime
    ) -> bool:
        if not await tx.mark_supervisors_told(ticket.id, record.round, now):
            return False  # told already (by another instance, or a press a moment ago)
        chat = self._supervisors_chat(ticket.queue)
        if chat is None:
            return True  # nowhere to send it; the digest still lists it
        data = {"ticket_number": ticket.number, "queue": ticket.queue, "comment": record.comment}
        message = staff_message(
            MessageKind.VERDICT_DISSATISFIED,
            chat,
            data,
            now,
            dedupe_key=f"verdict:{ticket.id}:{record.round}",
            ticket_id=ticket.id,
        )
        await enqueue_paced(tx, message, self.settings.group_messages_per_minute)
        return True

    def _supervisors_chat(self, queue_id: str) -> int | None:
        department = self.settings.department_of(queue_id)
        if department is not None and department.supervisors_chat_id is not None:
            return department.supervisors_chat_id
        queue = self.settings.queue(queue_id)
        return queue.chat_id if queue else None


async def _event(
    tx: Transaction,
    ticket_id: int,
    kind: EventKind,
    now: datetime,
    details: dict[str, object],
    *,
    public: bool = False,
) -> None:
    payload = json.dumps(details, ensure_ascii=False)
    await tx.add_event(NewEvent(ticket_id, now, REPORTER, kind, public, payload))
