"""Routing (派单): which queue a new ticket goes to, and its claim and resolve deadlines."""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime
from fnmatch import fnmatchcase

from bot.inspection.access import claimers_of
from bot.inspection.organisation import Organisation
from bot.inspection.settings import DISTRICT_PLACEHOLDER, WILDCARD, InspectionSettings
from bot.inspection.workdays import WorkingCalendar
from bot.tickets.intake import TicketPlace

log = logging.getLogger(__name__)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


class Router:
    """Routes by the config's rules; who can claim and the queues' groups are the
    organisation's as it is now (``settings`` may be an :class:`Organisation`)."""

    def __init__(
        self, settings: InspectionSettings | Organisation, calendar: WorkingCalendar
    ) -> None:
        self._org = settings if isinstance(settings, Organisation) else Organisation.fixed(settings)
        self._calendar = calendar
        self._district_ids = {
            _fold(name): district.id
            for district in self._org.config.districts
            for name in (district.id, *district.names)
        }

    @property
    def settings(self) -> InspectionSettings:
        return self._org.settings

    def district_id(self, district: str) -> str:
        """The district's id for a name a reporter gave ("海淀区" → "haidian"); unknown names
        are kept as written, so a rule can still name them."""
        return self._district_ids.get(_fold(district), district.strip())

    def district_name(self, district_id: str) -> str:
        """What people call the district ("haidian" → "海淀区"), for charts and digests."""
        for district in self.settings.districts:
            if district.id == district_id and district.names:
                return district.names[0]
        return district_id

    def route(self, category: str, district: str, registry_status: str = "") -> str:
        """The first matching rule's queue; the default queue if none matches or the queue has
        nobody who can claim tickets (a ticket must never go nowhere)."""
        queue = self.rule_queue(category, district, registry_status)
        if queue is None:
            return self.settings.default_queue
        return self.staffed_or_default(queue)

    def rule_queue(self, category: str, district: str, registry_status: str = "") -> str | None:
        found = self.placing_rule(category, district, registry_status)
        return None if found is None else found[1]

    def placing_rule(
        self, category: str, district: str, registry_status: str = ""
    ) -> tuple[int, str] | None:
        """The first rule that places such a ticket (its index) and the queue it names."""
        district_id = self.district_id(district)
        known = set(self.settings.queue_ids())
        for index, rule in enumerate(self.settings.routing):
            if not _matches(category, rule.categories) or not _matches(district_id, rule.districts):
                continue
            if not _matches(registry_status, rule.registry):
                continue
            queue = rule.queue.replace(DISTRICT_PLACEHOLDER, district_id)
            if queue in known:
                return index, queue
        return None

    def staffed_or_default(self, queue: str) -> str:
        if claimers_of(self.settings, queue):
            return queue
        log.info(
            "queue %s has nobody to claim tickets; using %s", queue, self.settings.default_queue
        )
        return self.settings.default_queue

    def place(
        self, category: str, district: str, now: datetime, registry_status: str = ""
    ) -> TicketPlace:
        """What intake needs: the queue, its chat, and both deadlines counted from ``now``."""
        queue = self.route(category, district, registry_status)
        return self.place_in(queue, now)

    def place_in(self, queue: str, now: datetime) -> TicketPlace:
        deadlines = self.settings.deadlines_for(queue)
        settings = self.settings.queue(queue)
        return TicketPlace(
            queue=queue,
            claim_due_at=self._calendar.add_hours(
                now, deadlines.claim_within_hours, deadlines.claim_calendar
            ),
            resolve_due_at=self._calendar.add_hours(
                now, deadlines.resolve_within_days * 24, deadlines.resolve_calendar
            ),
            chat_id=settings.chat_id if settings else None,
        )


def _matches(value: str, patterns: tuple[str, ...]) -> bool:
    # Shell-style wildcards: "*" for anything, "edu-*" for a family of ids.
    return any(p == WILDCARD or fnmatchcase(value, p) for p in patterns)
