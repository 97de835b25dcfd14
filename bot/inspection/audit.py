"""The staff audit log: who did (or tried to do) what, when, to which ticket or queue.

Staff are named by their Telegram id (``inspector:<id>``): the bureau must know who acted.
Anyone else who tries a staff action (a forged button press) is named by a keyed hash only,
since they may well be a reporter, and reporters are never identified.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.inspection.access import Action
from bot.inspection.model import Denied
from bot.privacy import keyed_hash
from bot.store.base import NewAuditEntry, Store, TicketRecord, Transaction
from bot.tickets.model import inspector

if TYPE_CHECKING:
    from bot.inspection.organisation import Organisation


class AuditTrail:
    def __init__(self, store: Store, organisation: Organisation, pepper: bytes) -> None:
        self._store = store
        self._org = organisation
        self._pepper = pepper

    def actor(self, user_id: int) -> str:
        if self._org.access.is_staff(user_id):
            return inspector(str(user_id))
        return f"outsider:{keyed_hash(self._pepper, 'outsider', str(user_id))[:16]}"

    async def record(
        self,
        tx: Transaction,
        user_id: int,
        action: Action | str,
        now: datetime,
        *,
        ticket: TicketRecord | None = None,
        queue: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """An action that was allowed, in the caller's unit of work (so it commits with it)."""
        await tx.add_audit(self._entry(user_id, action, now, True, ticket, queue, details))

    async def record_operator(
        self,
        tx: Transaction,
        actor: str,
        action: Action | str,
        now: datetime,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        """An action by someone at the server itself (``actor`` "cli"): no Telegram id, every
        queue."""
        await tx.add_audit(allowed_entry(actor, action, now, details))

    async def refused(
        self,
        user_id: int,
        action: Action | str,
        now: datetime,
        denied: Denied,
        *,
        ticket: TicketRecord | None = None,
        queue: str | None = None,
    ) -> Denied:
        """Record a refusal in a unit of its own: whatever the attempt wrote was rolled back."""
        details: dict[str, Any] = {"reason": denied.reason}
        if denied.ticket_number:
            details["ticket_number"] = denied.ticket_number
        entry = self._entry(user_id, action, now, False, ticket, queue, details)
        async with self._store.transaction() as tx:
            await tx.add_audit(entry)
        return denied

    def _entry(
        self,
        user_id: int,
        action: Action | str,
        now: datetime,
        allowed: bool,
        ticket: TicketRecord | None,
        queue: str | None,
        details: dict[str, Any] | None,
    ) -> NewAuditEntry:
        return NewAuditEntry(
            at=now,
            actor=self.actor(user_id),
            action=str(action),
            allowed=allowed,
            ticket_id=ticket.id if ticket else None,
            queue=queue if queue is not None else (ticket.queue if ticket else None),
            details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
        )


def allowed_entry(
    actor: str,
    action: Action | str,
    now: datetime,
    details: dict[str, Any] | None = None,
    *,
    queue: str | None = None,
) -> NewAuditEntry:
    """An allowed action under a name given here: someone at the command line, the config
    file, the system, or a person who is staff only from this very change (they joined)."""
    return NewAuditEntry(
        at=now,
        actor=actor,
        action=str(action),
        allowed=True,
        queue=queue,
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
    )
