"""The services handlers reach through ``context.services``: opened in post_init, closed after.

Plain Python: nothing here knows Telegram. Using a service before it is opened is a wiring bug,
so it fails loudly instead of returning None.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from bot.config import Config
from bot.faq import FaqService
from bot.inspection.services import InspectionServices, build_inspection_services
from bot.metrics import Metrics
from bot.privacy import Sealer, keyed_hash, load_privacy_keys
from bot.questions import QuestionLog
from bot.registry import Registry
from bot.store import Store, StoreError, open_store
from bot.teaching import Teaching
from bot.tickets.outbox import OutboxDispatcher, Send, utc_now
from bot.tickets.services import TicketServices, build_ticket_services
from bot.tickets.status_checks import StatusChecks
from bot.updates.chat_state import ChatState
from bot.updates.flood import FloodGate
from bot.updates.inbox import Inbox

T = TypeVar("T")
log = logging.getLogger(__name__)

# Stale drafts, handled updates and ended counters are forgotten this often.
TIDY_EVERY = timedelta(hours=1)
# Handled updates are remembered this long, so a late redelivery is still known as a repeat.
UPDATES_KEPT = timedelta(days=2)
# Background work (a send in progress) gets this long to finish when the bot stops.
STOP_GRACE_SECONDS = 5.0


def _ready(value: T | None, name: str) -> T:
    if value is None:
        raise RuntimeError(f"{name} is not open yet: services open in post_init")
    return value


@dataclass
class Services:
    """One per Application (it is the Application's ``bot_data``)."""

    _config: Config | None = None
    _faq: FaqService | None = None
    _store: Store | None = None
    _tickets: TicketServices | None = None
    _questions: QuestionLog | None = None
    _inbox: Inbox | None = None
    _inspection: InspectionServices | None = None
    _teaching: Teaching | None = None
    _registry: Registry | None = None
    # What time it is for deadlines, digests and the outbox (tests set a clock of their own
    # before the services open).
    clock: Callable[[], datetime] = utc_now
    # Counters and durations for /metrics (the database's figures are read when scraped).
    metrics: Metrics = field(default_factory=Metrics)
    # Inspectors' names as Telegram last showed them, by user id (for cards and details).
    staff_names: dict[int, str] = field(default_factory=dict)
    _status_checks: StatusChecks | None = None
    _dispatcher: OutboxDispatcher | None = None
    _outbox_task: asyncio.Task[None] | None = None
    # Background loops that just stop at shutdown (what they queued is committed).
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # The local day whose digests are queued (the store also refuses a second one).
    _digest_day: date | None = None

    @property
    def config(self) -> Config:
        return _ready(self._config, "config")

    @property
    def faq(self) -> FaqService:
        """The FAQ as last built (with the phrasings staff taught)."""
        if self._teaching is not None:
            return self._teaching.faq
        return _ready(self._faq, "FAQ service")

    async def current_faq(self) -> FaqService:
        """The FAQ, first brought up to date with phrasings taught on any instance."""
        return await self.teaching.current()

    @property
    def teaching(self) -> Teaching:
        return _ready(self._teaching, "teaching")

    @property
    def store(self) -> Store:
        return _ready(self._store, "store")

    @property
    def tickets(self) -> TicketServices:
        return _ready(self._tickets, "ticket services")

    @property
    def questions(self) -> QuestionLog:
        return _ready(self._questions, "question log")

    @property
    def status_checks(self) -> StatusChecks:
        return _ready(self._status_checks, "status checks")

    @property
    def inbox(self) -> Inbox:
        return _ready(self._inbox, "inbox")

    @property
    def chat_state(self) -> ChatState:
        return self.inbox.chat_state

    @property
    def inspection(self) -> InspectionServices:
        return _ready(self._inspection, "inspection services")

    @property
    def registry(self) -> Registry:
        return _ready(self._registry, "registry")

    async def open(self, config: Config) -> None:
        self._config = config
        self._faq = FaqService.from_config(config)
        self._store = await open_store(config.storage, config.base_dir)
        keys = load_privacy_keys(config.keys_path)
        self._registry = Registry.of(self._store, config)
        await self._registry.refresh()
        inspection = build_inspection_services(
            self._store,
            config.inspection,
            config.tickets,
            keys,
            clock=self.clock,
            followup=config.followup,
            registry=self._registry,
        )
        self._inspection = inspection
        self._teaching = Teaching(
            self._store,
            self._faq,
            inspection.organisation,
            inspection.audit,
            self.clock,
            timedelta(seconds=config.matching.taught_refresh_seconds),
        )
        await inspection.open(config.report_form)
        # New tickets are routed to a queue with deadlines; possible duplicates are noted and
        # the person on duty pinged in the same commit, so the queue's card can show them.
        self._tickets = build_ticket_services(
            self._store,
            config.tickets,
            keys,
            place=inspection.router.place,
            on_new_ticket=inspection.on_new_ticket,
            followup=config.followup,
        )
        self._questions = QuestionLog(self._store)
        chat_state = ChatState(self._store, Sealer(keys))
        self._inbox = Inbox(
            self._store,
            Sealer(keys),
            FloodGate(config.telegram.flood_limit),
            chat_state,
            person_key=self.pseudonym,
            clock=self.clock,
            max_replays=config.tickets.max_update_replays,
        )
        self._status_checks = StatusChecks(chat_state)

    def start_background(self, send: Send) -> None:
        """The outbox dispatcher (sending through ``send``), the deadline watch and the hourly
        tidy-up."""
        self._dispatcher = OutboxDispatcher(self.tickets.outbox, send, clock=self.clock)
        self._outbox_task = asyncio.create_task(self._dispatcher.run(), name="outbox")
        self._outbox_task.add_done_callback(_log_crash)
        self.start_task(self._tidy_forever(), name="tidy-up")
        self.start_task(self._watch_forever(), name="deadline-watch")
        self.start_task(self._follow_organisation(), name="organisation")
        if self.config.monitoring.port:
            from bot.health import serve_monitoring  # aiohttp, only when asked for

            self.start_task(serve_monitoring(self), name="monitoring")

        self.start_task(self._refresh_registry_forever(), name="registry-refresh")

    def start_task(self, loop: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run a background loop until the bot stops."""
        task = asyncio.create_task(loop, name=name)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)

    def wake_outbox(self) -> None:
        """Send what is due now instead of at the next poll (after a submit, say)."""
        if self._dispatcher is not None:
            self._dispatcher.wake()

    async def stop_background(self) -> None:
        """The tidy-up and the deadline watch just stop (what they queued is committed); the
        dispatcher may finish the send in progress."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        outbox, self._outbox_task = self._outbox_task, None
        dispatcher, self._dispatcher = self._dispatcher, None
        if outbox is None or dispatcher is None:
            return
        dispatcher.stop()
        finished, _ = await asyncio.wait({outbox}, timeout=STOP_GRACE_SECONDS)
        if not finished:  # a send cut short is sent again later: delivery is at least once
            outbox.cancel()
        await asyncio.gather(outbox, return_exceptions=True)

    async def _tidy_forever(self) -> None:
        while True:
            await asyncio.sleep(TIDY_EVERY.total_seconds())
            try:
                forgotten = await self.tickets.tidy_up(utc_now())
                forgotten["updates"] = await self.inbox.purge(UPDATES_KEPT)
                forgotten["chat_state"] = await self.chat_state.purge(utc_now())
            except StoreError:
                log.warning("tidy-up skipped: the database is busy", exc_info=True)
                continue
            log.info("tidy-up: %s", forgotten)

    async def _watch_forever(self) -> None:
        while True:
            try:
                await self.watch_deadlines()
            except StoreError:
                log.warning("deadline watch skipped: the database is busy", exc_info=True)
            except Exception:
                # One bad round must not end reminders for good: log it, try next round.
                log.exception("deadline watch round failed")
            await asyncio.sleep(self.inspection.settings.watch_seconds)

    async def _refresh_registry_forever(self) -> None:
        """Notice registry changes made elsewhere (the CLI, another instance)."""
        while True:
            await asyncio.sleep(self.config.registry.refresh_seconds)
            try:
                await self.registry.refresh()
            except StoreError:
                log.warning("registry check skipped: the database is busy", exc_info=True)

    async def _follow_organisation(self) -> None:
        """Staff, groups and shifts changed on another instance reach this one within
        seconds, whether or not anyone writes to it meanwhile (cards, pings, reminders)."""
        organisation = self.inspection.organisation
        while True:
            await asyncio.sleep(organisation.config.staff.refresh_seconds)
            try:
                await organisation.refresh()
            except StoreError:
                log.warning("organisation not read again (database busy)", exc_info=True)
            except Exception:
                # One bad read must not freeze what this instance knows: log it, try again.
                log.exception("organisation not read again")

    async def watch_deadlines(self) -> tuple[int, int]:
        """Queue the reminders and escalations due now and, once the digest time has come,
        today's digests; returns how many of each. Safe to repeat: each notice and digest is
        recorded with its message, so a rerun (or a restart) neither repeats nor loses one."""
        now = self.clock()
        inspection = self.inspection
        notices = await inspection.deadlines.due_notifications(now)
        # New tickets still unclaimed: the next person on the duty rota, then the supervisors.
        pings = await inspection.duty.due_pings(now)
        # A 不满意 whose time for a comment is up reaches the supervisors without one.
        lapsed_verdicts = await inspection.followups.tell_lapsed()
        digests = 0
        today = inspection.calendar.local_date(now)
        local_time = now.astimezone(inspection.calendar.tz).time()
        if today != self._digest_day and local_time >= inspection.settings.digest_time():
            digests = len(await inspection.reports.send_daily_digests(now))
            self._digest_day = today
        if notices or digests or lapsed_verdicts or pings:
            log.info("deadline watch: %d notices, %d digests queued", len(notices), digests)
            self.wake_outbox()
        return len(notices), digests

    async def close(self) -> None:
        await self.stop_background()
        if self._inbox is not None:
            await self._inbox.close()
        if self._store is not None:
            await self._store.close()
            self._store = None

    def pseudonym(self, telegram_user_id: int) -> str:
        """A keyed hash of someone asking questions: tells repeats apart, names nobody."""
        return keyed_hash(self.tickets.keys.pepper, "asker", str(telegram_user_id))


def _log_crash(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if task.exception() is not None:
            log.error("%s stopped", task.get_name(), exc_info=task.exception())
