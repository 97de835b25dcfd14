"""A ticket's card in a staff group: what it shows, and where it was posted.

The card is read at the moment it is drawn (posted, or updated after a claim), so it always
shows the ticket as it is, whatever happened while its message waited in the outbox. Drawing a
card is the system's doing, not a person's look at a ticket, so it is not audited; the card
holds nothing that names the reporter, and only the first words of the description.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import utc_now
from bot.inspection.model import Clock
from bot.inspection.settings import InspectionSettings
from bot.registry.model import RegistryNote
from bot.registry.service import registry_note
from bot.store.base import EventRecord, PostedCard, Store
from bot.tickets.model import EventKind, TicketStatus

# Enough to tell two tickets apart in a group chat; the rest is one tap away (Details).
SUMMARY_CHARS = 60


@dataclass(frozen=True)
class TicketCard:
    ticket_number: str
    status: TicketStatus
    queue: str
    queue_name: str
    category: str
    district: str
    institution: str
    received_at: datetime
    summary: str  # the description's beginning, "…" when cut
    claimed_by: str | None  # "inspector:<user id>"
    possible_duplicates: tuple[str, ...]  # ticket numbers
    merged_into: str | None
    registry: RegistryNote | None = None  # the registry's word when the ticket came in


class Cards:
    def __init__(
        self, store: Store, settings: InspectionSettings, *, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self.settings = settings
        self._clock = clock

    async def card(self, number: str) -> TicketCard | None:
        async with self._store.transaction(readonly=True) as tx:
            ticket = await tx.ticket_by_number(number)
            if ticket is None:
                return None
            events = await tx.events(ticket.id, public_only=False)
            merged_into = await tx.merge_target(ticket.id)
            registry = await registry_note(tx, ticket)
        queue = self.settings.queue(ticket.queue)
        return TicketCard(
            ticket_number=ticket.number,
            status=TicketStatus(ticket.status),
            queue=ticket.queue,
            queue_name=queue.name if queue else ticket.queue,
            category=ticket.category,
            district=ticket.district,
            institution=ticket.institution,
            received_at=ticket.created_at,
            summary=shorten(ticket.description, SUMMARY_CHARS),
            claimed_by=ticket.claimed_by,
            possible_duplicates=_flagged(events),
            merged_into=merged_into.number if merged_into else None,
            registry=registry,
        )

    async def remember(self, number: str, card: PostedCard) -> None:
        """Where the card of ``number`` was posted, so later changes can update it."""
        async with self._store.transaction() as tx:
            ticket = await tx.ticket_by_number(number)
            if ticket is not None:
                await tx.add_card(ticket.id, card, self._clock())

    async def posted(self, number: str) -> tuple[PostedCard, ...]:
        async with self._store.transaction(readonly=True) as tx:
            ticket = await tx.ticket_by_number(number)
            return () if ticket is None else tuple(await tx.cards(ticket.id))


def shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _flagged(events: list[EventRecord]) -> tuple[str, ...]:
    """The numbers in the latest possible-duplicates note, if any."""
    for event in reversed(events):
        if event.kind != EventKind.POSSIBLE_DUPLICATES:
            continue
        try:
            numbers = json.loads(event.details).get("tickets", [])
        except (ValueError, AttributeError):
            return ()
        return tuple(str(n) for n in numbers)
    return ()
