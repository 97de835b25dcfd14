"""What handlers reach through ``context.services``: one frozen container, built once by
:func:`open_services` when the bot starts and closed when it stops.

Plain Python: nothing here knows Telegram. The background loops live in
:mod:`bot.background`; what instances must share lives in the store, not here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from bot.clock import Clock, utc_now
from bot.config import Config
from bot.faq import FaqService
from bot.inspection.services import InspectionServices, build_inspection_services
from bot.metrics import Metrics
from bot.privacy import Sealer, asker_key, load_privacy_keys
from bot.questions import QuestionLog
from bot.registry.service import Registry
from bot.store.base import Store
from bot.store.opening import open_store
from bot.teaching import Teaching
from bot.tickets.services import TicketServices, build_ticket_services
from bot.tickets.status_checks import StatusChecks
from bot.updates.chat_state import ChatState
from bot.updates.flood import FloodGate
from bot.updates.inbox import Inbox


@dataclass(frozen=True)
class Services:
    """The bot's parts, all open: one per running Application."""

    config: Config
    # What time it is, for everything: deadlines, drafts, flood windows, the inbox, handlers.
    clock: Clock
    # Counters and durations for /metrics (the database's figures are read when scraped).
    metrics: Metrics
    store: Store
    teaching: Teaching
    tickets: TicketServices
    questions: QuestionLog
    inbox: Inbox
    inspection: InspectionServices
    registry: Registry
    status_checks: StatusChecks
    # Set when messages were queued, so the outbox sends them now instead of at its next poll.
    outbox_due: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def faq(self) -> FaqService:
        """The FAQ as last built (with the phrasings staff taught)."""
        return self.teaching.faq

    async def current_faq(self) -> FaqService:
        """The FAQ, first brought up to date with phrasings taught on any instance."""
        return await self.teaching.current()

    @property
    def chat_state(self) -> ChatState:
        return self.inbox.chat_state

    def wake_outbox(self) -> None:
        """Send what is due now instead of at the next poll (after a submit, say)."""
        self.outbox_due.set()

    def pseudonym(self, telegram_user_id: int) -> str:
        """A keyed hash of someone asking questions: tells repeats apart, names nobody."""
        return asker_key(self.tickets.keys.pepper, telegram_user_id)

    async def close(self) -> None:
        await self.inbox.close()
        await self.store.close()


async def open_services(
    config: Config, *, clock: Clock = utc_now, metrics: Metrics | None = None
) -> Services:
    """Open the store (migrating it) and build every part on it."""
    store = await open_store(config.storage, config.base_dir)
    keys = load_privacy_keys(config.keys_path)
    registry = Registry.of(store, config)
    await registry.refresh()
    inspection = build_inspection_services(
        store,
        config.inspection,
        config.tickets,
        keys,
        clock=clock,
        followup=config.followup,
        registry=registry,
    )
    teaching = Teaching(
        store,
        FaqService.from_config(config),
        inspection.organisation,
        inspection.audit,
        clock,
        timedelta(seconds=config.matching.taught_refresh_seconds),
    )
    await inspection.open(config.report_form)
    # New tickets are routed to a queue with deadlines; possible duplicates are noted and
    # the person on duty pinged in the same commit, so the queue's card can show them.
    tickets = build_ticket_services(
        store,
        config.tickets,
        keys,
        place=inspection.router.place,
        on_new_ticket=inspection.on_new_ticket,
        followup=config.followup,
    )
    sealer = Sealer(keys)
    inbox = Inbox(
        store,
        sealer,
        FloodGate(config.telegram.flood_limit),
        ChatState(store, sealer),
        person_key=lambda user_id: asker_key(keys.pepper, user_id),
        clock=clock,
        max_replays=config.tickets.max_update_replays,
    )
    return Services(
        config=config,
        clock=clock,
        metrics=metrics or Metrics(),
        store=store,
        teaching=teaching,
        tickets=tickets,
        questions=QuestionLog(store, clock),
        inbox=inbox,
        inspection=inspection,
        registry=registry,
        status_checks=StatusChecks(),
    )
