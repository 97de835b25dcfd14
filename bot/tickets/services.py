"""All tip-off services over one store, built in one place for the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.privacy import PrivacyKeys, Sealer, reporter_key
from bot.store.base import Store
from bot.tickets.drafts import ReportDrafts
from bot.tickets.evidence import EvidenceCleaner
from bot.tickets.followup import ReporterDesk
from bot.tickets.intake import Intake, NewTicketHook, PlaceTicket
from bot.tickets.lifecycle import Lifecycle
from bot.tickets.outbox import Outbox
from bot.tickets.settings import FollowupSettings, TicketSettings


@dataclass(frozen=True)
class TicketServices:
    store: Store
    settings: TicketSettings
    keys: PrivacyKeys
    drafts: ReportDrafts
    intake: Intake
    reporters: ReporterDesk
    lifecycle: Lifecycle
    outbox: Outbox
    evidence: EvidenceCleaner

    def reporter_key(self, telegram_user_id: int) -> str:
        return reporter_key(self.keys.pepper, telegram_user_id)

    async def tidy_up(
        self,
        now: datetime,
        *,
        drafts_after: timedelta = timedelta(days=7),
    ) -> dict[str, int]:
        """Forget what is no longer needed: stale drafts and ended counters."""
        oldest_window = int((now - timedelta(days=32)).timestamp())  # longer than any window
        async with self.store.transaction() as tx:
            counters = await tx.purge_throttles(oldest_window)
        return {
            "drafts": await self.drafts.purge_stale(now, drafts_after),
            "counters": counters,
        }


def build_ticket_services(
    store: Store,
    settings: TicketSettings,
    keys: PrivacyKeys,
    *,
    place: PlaceTicket | None = None,
    on_new_ticket: NewTicketHook | None = None,
    followup: FollowupSettings | None = None,
) -> TicketServices:
    """``place`` routes new tickets (see :mod:`bot.inspection.routing`); without it they all
    wait in ``settings.default_queue``. ``on_new_ticket`` runs in the unit of work that writes
    each new ticket."""
    sealer = Sealer(keys)
    return TicketServices(
        store=store,
        settings=settings,
        keys=keys,
        drafts=ReportDrafts(store, settings.limits),
        intake=Intake(store, settings, keys, place=place, on_new_ticket=on_new_ticket),
        reporters=ReporterDesk(store, settings, keys),
        lifecycle=Lifecycle(store, settings, keys, followup),
        outbox=Outbox(store, sealer, settings.outbox),
        evidence=EvidenceCleaner(settings.evidence),
    )
