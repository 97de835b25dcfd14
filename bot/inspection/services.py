"""All inspection services over one store, built in one place for the composition root."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.clock import utc_now
from bot.inspection.access import Access
from bot.inspection.audit import AuditTrail
from bot.inspection.cards import Cards
from bot.inspection.checks import Problem, organisation_problems, tell_admins
from bot.inspection.deadlines import DeadlineWatch
from bot.inspection.desk import InspectionDesk
from bot.inspection.duplicates import DuplicateFinder
from bot.inspection.duty import DutyDesk
from bot.inspection.followups import Followups
from bot.inspection.groups import GroupDesk
from bot.inspection.model import Clock
from bot.inspection.organisation import Organisation
from bot.inspection.reports import Reports
from bot.inspection.routing import Router
from bot.inspection.settings import InspectionSettings
from bot.inspection.staff import StaffDesk
from bot.inspection.views import QueueViews
from bot.inspection.workdays import WorkingCalendar
from bot.privacy import PrivacyKeys
from bot.registry.service import Registry
from bot.store.base import Store, Transaction
from bot.tickets.form import FormSettings
from bot.tickets.lifecycle import Lifecycle
from bot.tickets.settings import FollowupSettings, TicketSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InspectionServices:
    # Staff, groups and duty changes as the database holds them now (see ``organisation``).
    organisation: Organisation
    router: Router
    desk: InspectionDesk
    views: QueueViews
    deadlines: DeadlineWatch
    reports: Reports
    cards: Cards
    # 回访 answers, and the supervisors told of a 不满意.
    followups: Followups
    # Invitations, the staff list, removals and roles.
    staff: StaffDesk
    # Which group a queue's cards go to.
    groups: GroupDesk
    # The duty rota: who is on duty, taking and handing over shifts, pings about new tickets.
    duty: DutyDesk
    # For refusals no service call would record (someone with no role trying a command).
    audit: AuditTrail
    calendar: WorkingCalendar
    clock: Clock
    _store: Store

    @property
    def settings(self) -> InspectionSettings:
        """The organisation as it is now: read it each time, never keep it."""
        return self.organisation.settings

    @property
    def access(self) -> Access:
        return self.organisation.access

    async def open(self, form: FormSettings) -> list[Problem]:
        """Read the organisation from the store (seeding it from the config where new), and
        tell the admins what would leave tickets unseen; the problems, for the log."""
        await self.organisation.open()
        now = self.clock()
        problems = organisation_problems(self.settings, form, self.calendar, now)
        for problem in problems:
            log.warning("organisation: %s", problem.text("en"))
        if problems and self.organisation.opened:
            day = self.calendar.local_date(now).isoformat()
            async with self._store.transaction() as tx:
                await tell_admins(tx, self.organisation.snapshot, problems, now, day)
        return problems

    async def on_new_ticket(self, tx: Transaction, ticket_id: int, now: datetime) -> None:
        """Intake's hook, in the unit of work that files the ticket: possible duplicates
        noted, and the person on duty pinged."""
        ticket = await tx.ticket_by_id(ticket_id)
        if ticket is not None:
            await self.views.flag_ticket(tx, ticket, now)
            await self.duty.ping_new_ticket(tx, ticket, now)


def build_inspection_services(
    store: Store,
    settings: InspectionSettings,
    ticket_settings: TicketSettings,
    keys: PrivacyKeys,
    *,
    clock: Clock = utc_now,
    followup: FollowupSettings | None = None,
    registry: Registry | None = None,
    organisation: Organisation | None = None,
) -> InspectionServices:
    """Pass ``services.router.place`` to :func:`bot.tickets.services.build_ticket_services`
    as ``place=`` (and ``services.on_new_ticket`` as ``on_new_ticket=``) so intake routes new
    tickets. The organisation reads the store once :meth:`Organisation.open` is awaited;
    until then it is the config's."""
    organisation = organisation or Organisation(store, settings, clock=clock)
    calendar = WorkingCalendar(ticket_settings.utc_offset_hours)
    router = Router(organisation, calendar)
    audit = AuditTrail(store, organisation, keys.pepper)
    followup = followup or FollowupSettings()
    lifecycle = Lifecycle(store, ticket_settings, keys, followup)
    desk = InspectionDesk(
        store,
        organisation,
        router,
        lifecycle,
        audit,
        clock=clock,
        max_text_chars=ticket_settings.limits.max_text_chars,
        registry=registry,
    )
    duplicates = DuplicateFinder(settings.duplicates)
    duty = DutyDesk(store, organisation, calendar, audit, clock=clock)
    return InspectionServices(
        organisation=organisation,
        router=router,
        desk=desk,
        views=QueueViews(store, organisation, audit, duplicates, clock=clock),
        deadlines=DeadlineWatch(store, organisation),
        reports=Reports(store, organisation, audit, router, calendar, duty, clock=clock),
        cards=Cards(store, settings, clock=clock),
        followups=Followups(store, organisation, followup, keys.pepper, clock=clock),
        staff=StaffDesk(store, organisation, lifecycle, audit, keys.pepper, clock=clock),
        groups=GroupDesk(store, organisation, audit, clock=clock),
        duty=duty,
        audit=audit,
        calendar=calendar,
        clock=clock,
        _store=store,
    )
