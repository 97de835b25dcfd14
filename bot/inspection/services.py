"""All inspection services over one store, built in one place for the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.inspection.access import Access
from bot.inspection.audit import AuditTrail
from bot.inspection.cards import Cards
from bot.inspection.deadlines import DeadlineWatch
from bot.inspection.desk import InspectionDesk
from bot.inspection.duplicates import DuplicateFinder
from bot.inspection.followups import Followups
from bot.inspection.model import Clock
from bot.inspection.reports import Reports
from bot.inspection.routing import Router
from bot.inspection.settings import InspectionSettings
from bot.inspection.views import QueueViews
from bot.inspection.workdays import WorkingCalendar
from bot.privacy import PrivacyKeys
from bot.registry.service import Registry
from bot.store.base import Store
from bot.tickets.lifecycle import Lifecycle
from bot.tickets.outbox import utc_now
from bot.tickets.settings import FollowupSettings, TicketSettings


@dataclass(frozen=True)
class InspectionServices:
    settings: InspectionSettings
    access: Access
    router: Router
    desk: InspectionDesk
    views: QueueViews
    deadlines: DeadlineWatch
    reports: Reports
    cards: Cards
    # 回访 answers, and the supervisors told of a 不满意.
    followups: Followups
    # For refusals no service call would record (someone with no role trying a command).
    audit: AuditTrail
    calendar: WorkingCalendar
    clock: Clock


def build_inspection_services(
    store: Store,
    settings: InspectionSettings,
    ticket_settings: TicketSettings,
    keys: PrivacyKeys,
    *,
    clock: Clock = utc_now,
    followup: FollowupSettings | None = None,
    registry: Registry | None = None,
) -> InspectionServices:
    """Pass ``services.router.place`` to :func:`bot.tickets.services.build_ticket_services`
    as ``place=`` so intake routes new tickets."""
    calendar = WorkingCalendar(ticket_settings.utc_offset_hours)
    access = Access(settings)
    router = Router(settings, calendar)
    audit = AuditTrail(store, access, keys.pepper)
    followup = followup or FollowupSettings()
    lifecycle = Lifecycle(store, ticket_settings, keys, followup)
    desk = InspectionDesk(
        store,
        access,
        router,
        lifecycle,
        audit,
        clock=clock,
        max_text_chars=ticket_settings.limits.max_text_chars,
        registry=registry,
    )
    duplicates = DuplicateFinder(settings.duplicates)
    return InspectionServices(
        settings=settings,
        access=access,
        router=router,
        desk=desk,
        views=QueueViews(store, access, audit, duplicates, clock=clock),
        deadlines=DeadlineWatch(store, settings),
        reports=Reports(store, access, audit, router, calendar, clock=clock),
        cards=Cards(store, settings, clock=clock),
        followups=Followups(store, settings, followup, keys.pepper, clock=clock),
        audit=audit,
        calendar=calendar,
        clock=clock,
    )
