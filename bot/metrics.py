"""The figures ``/metrics`` shows, in Prometheus's format: counts and durations only, never a
message, a ticket's content or who anyone is.

Counted as they happen (one call each from the update path): updates handled by kind, handler
errors, how long an update took from the start of its handling to the end of its handlers
(replies sent). Read from the database when scraped, so every instance shows the shared truth:
unfinished inbox updates, due outbox messages and the oldest one's wait, tickets by status,
deadlines passed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.store.base import OperationsFigures, Store
from bot.tickets.model import TicketStatus

log = logging.getLogger(__name__)

# Telegram's update kinds, as the Update object names them; anything else counts as "other".
UPDATE_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "message_reaction",
)
# Seconds: a reply from the knowledge base takes milliseconds, one held up by Telegram's 429s
# or a busy database seconds.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def update_kind(update: object) -> str:
    return next((k for k in UPDATE_KINDS if getattr(update, k, None) is not None), "other")


class Metrics:
    """One per running bot (its own registry, so two bots in one process count apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._updates = Counter(
            "hotline_updates_handled",
            "Updates that went through every handler group, by kind",
            ["kind"],
            registry=self.registry,
        )
        self._errors = Counter(
            "hotline_handler_errors", "Updates a handler failed on", registry=self.registry
        )
        self._latency = Histogram(
            "hotline_update_handling_seconds",
            "From the start of an update's handling to the end of its handlers (replies sent)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Each kind's counter, looked up once rather than on every update.
        self._by_kind: dict[str, Counter] = {}
        self._stored = StoredFigures()
        self.registry.register(self._stored)

    def update_handled(self, update: object, seconds: float) -> None:
        kind = update_kind(update)
        counter = self._by_kind.get(kind)
        if counter is None:
            counter = self._by_kind[kind] = self._updates.labels(kind=kind)
        counter.inc()
        self._latency.observe(seconds)

    def handler_failed(self) -> None:
        self._errors.inc()

    async def refresh(self, store: Store, now: datetime) -> OperationsFigures | None:
        """Read the database's figures for the next exposition; None if it cannot be read."""
        try:
            async with store.transaction(readonly=True) as tx:
                figures = await tx.operations_figures(now)
        except Exception as exc:
            log.warning("monitoring could not read the database (%s)", type(exc).__name__)
            self._stored.latest = None
            return None
        self._stored.latest = (figures, now)
        return figures

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class StoredFigures(Collector):
    """The database's figures as of the last :meth:`Metrics.refresh`."""

    def __init__(self) -> None:
        self.latest: tuple[OperationsFigures, datetime] | None = None

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "hotline_database_up",
            "1 if the database answered the last scrape, else 0",
            value=0 if self.latest is None else 1,
        )
        if self.latest is None:
            return
        figures, now = self.latest
        yield GaugeMetricFamily(
            "hotline_inbox_unfinished",
            "Updates recorded but not yet handled to the end",
            value=figures.inbox_unfinished,
        )
        yield GaugeMetricFamily(
            "hotline_outbox_due",
            "Messages due to be sent and not sent yet",
            value=figures.outbox_due,
        )
        oldest = figures.outbox_oldest_due_at
        yield GaugeMetricFamily(
            "hotline_outbox_oldest_due_seconds",
            "How long the longest-waiting due message has been due (0: none)",
            value=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
        )
        tickets = GaugeMetricFamily("hotline_tickets", "Tickets by status", labels=["status"])
        for status in TicketStatus:
            tickets.add_metric([status.value], figures.tickets_by_status.get(status.value, 0))
        yield tickets
        breaches = GaugeMetricFamily(
            "hotline_deadline_breaches", "Open tickets past a deadline", labels=["deadline"]
        )
        breaches.add_metric(["claim"], figures.claim_overdue)
        breaches.add_metric(["resolve"], figures.resolve_overdue)
        yield breaches
