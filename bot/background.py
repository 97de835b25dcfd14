"""The bot's background loops: the outbox dispatcher, the hourly tidy-up, the deadline watch
(reminders, escalations, duty pings, digests), following the organisation and the registry
as other instances change them, and the monitoring server when one is configured.

Each loop survives a busy database or one bad round; what a loop queued is committed, so
stopping one midway loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, timedelta
from typing import Any

from bot.services import Services
from bot.store.base import StoreError
from bot.tickets.outbox import OutboxDispatcher, Send

log = logging.getLogger(__name__)

# Stale drafts, handled updates and ended counters are forgotten this often.
TIDY_EVERY = timedelta(hours=1)
# Handled updates are remembered this long, so a late redelivery is still known as a repeat.
UPDATES_KEPT = timedelta(days=2)
# A send in progress gets this long to finish when the bot stops.
STOP_GRACE_SECONDS = 5.0

Loop = Coroutine[Any, Any, None]


class Background:
    """Runs the loops on ``services`` while the bot runs, sending through ``send``."""

    def __init__(self, services: Services, send: Send) -> None:
        self._services = services
        self._dispatcher = OutboxDispatcher(
            services.tickets.outbox, send, clock=services.clock, wake=services.outbox_due
        )
        self._outbox: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        # The local day whose digests are queued (the store also refuses a second one).
        self._digest_day: date | None = None

    def start(self, *more: tuple[str, Loop]) -> None:
        """Start every loop, and ``more`` (name, loop) pairs beside them."""
        self._outbox = _started("outbox", self._dispatcher.run())
        services = self._services
        organisation = services.inspection.organisation
        rounds: dict[str, tuple[Callable[[], Awaitable[object]], float, bool]] = {
            # name: (work, every so many seconds, first round at once)
            "tidy-up": (self._tidy_up_and_log, TIDY_EVERY.total_seconds(), False),
            # Reminders, escalations, duty pings and digests, from the moment the bot starts.
            "deadline-watch": (
                self.watch_deadlines,
                services.inspection.settings.watch_seconds,
                True,
            ),
            # Staff, groups and shifts changed on another instance reach this one within
            # seconds, whether or not anyone writes to it meanwhile (cards, pings, reminders).
            "organisation": (
                organisation.refresh,
                organisation.config.staff.refresh_seconds,
                False,
            ),
            # Registry changes made elsewhere (the CLI, another instance).
            "registry-refresh": (
                services.registry.refresh,
                services.config.registry.refresh_seconds,
                False,
            ),
        }
        loops = [
            (name, _rounds(name, work, seconds, at_once=at_once))
            for name, (work, seconds, at_once) in rounds.items()
        ]
        loops += more
        if self._services.config.monitoring.port:
            from bot.health import serve_monitoring  # aiohttp, only when asked for

            loops.append(("monitoring", serve_monitoring(self._services)))
        self._tasks = [_started(name, loop) for name, loop in loops]

    async def stop(self) -> None:
        """The loops just stop (what they queued is committed); the dispatcher may finish the
        send in progress."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        outbox, self._outbox = self._outbox, None
        if outbox is None:
            return
        self._dispatcher.stop()
        finished, _ = await asyncio.wait({outbox}, timeout=STOP_GRACE_SECONDS)
        if not finished:  # a send cut short is sent again later: delivery is at least once
            outbox.cancel()
        await asyncio.gather(outbox, return_exceptions=True)

    async def watch_deadlines(self) -> tuple[int, int]:
        """Queue the reminders and escalations due now and, once the digest time has come,
        today's digests; returns how many of each. Safe to repeat: each notice and digest is
        recorded with its message, so a rerun (or a restart) neither repeats nor loses one."""
        services = self._services
        now = services.clock()
        inspection = services.inspection
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
            services.wake_outbox()
        return len(notices), digests

    async def tidy_up(self) -> dict[str, int]:
        """Forget stale drafts, handled updates and expired chat state; returns the counts."""
        services = self._services
        now = services.clock()
        forgotten = await services.tickets.tidy_up(now)
        forgotten["updates"] = await services.inbox.purge(UPDATES_KEPT)
        forgotten["chat_state"] = await services.chat_state.purge(now)
        return forgotten

    async def _tidy_up_and_log(self) -> None:
        log.info("tidy-up: %s", await self.tidy_up())


async def _rounds(
    what: str, work: Callable[[], Awaitable[object]], seconds: float, *, at_once: bool = False
) -> None:
    """``work`` every ``seconds`` (the first at once, or after a wait) until the bot stops. A
    busy database or one bad round is logged: the next round is tried all the same."""
    if not at_once:
        await asyncio.sleep(seconds)
    while True:
        try:
            await work()
        except StoreError:
            log.warning("%s skipped: the database is busy", what, exc_info=True)
        except Exception:
            log.exception("%s failed", what)
        await asyncio.sleep(seconds)


def _started(name: str, loop: Loop) -> asyncio.Task[None]:
    task = asyncio.create_task(loop, name=name)
    task.add_done_callback(_log_crash)
    return task


def _log_crash(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if task.exception() is not None:
            log.error("%s stopped", task.get_name(), exc_info=task.exception())
