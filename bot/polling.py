"""Polling that loses nothing: a batch is recorded before Telegram is told it arrived.

python-telegram-bot's updater acknowledges a batch (by asking for the next offset) as soon as
it has queued it in memory, so a process killed with a burst queued lost every update not yet
reached. This poller fetches a batch as plain JSON, records it in the inbox in one commit
(see :mod:`bot.front_door`), and only the next getUpdates, with the offset past it, tells
Telegram it arrived. If the database cannot take the batch, the same batch is fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from bot.app import started
from bot.front_door import AnyApplication, receive
from bot.store.base import StoreError
from bot.updates.incoming import IncomingUpdate, NotAnUpdate
from bot.updates.queue import UpdateQueue

log = logging.getLogger(__name__)
T = TypeVar("T")

# Telegram holds a long poll open this long when there is nothing new.
LONG_POLL_SECONDS = 10
# How long an answer to a long poll may take beyond the poll itself.
READ_MARGIN_SECONDS = 10.0
# At most this many updates per getUpdates (Telegram's maximum).
BATCH_LIMIT = 100
# Waits after a failed poll, doubling up to the last.
BACKOFF_SECONDS = (0.5, 1, 2, 4, 8, 15, 30)


class Poller:
    def __init__(
        self, app: AnyApplication, *, long_poll_seconds: float = LONG_POLL_SECONDS
    ) -> None:
        self._app = app
        self._long_poll = long_poll_seconds
        self._offset: int | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Make sure no webhook is set (getUpdates refuses to run beside one), then poll."""
        await self._app.bot.delete_webhook()
        self._task = asyncio.create_task(self._poll_forever(), name="polling")

    async def stop(self) -> None:
        """Stop fetching; confirm to Telegram what was recorded (so it is not fetched again)."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._offset is not None:
            with contextlib.suppress(TelegramError):
                await self._fetch(long_poll=0)

    async def _poll_forever(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                if not await self._room_for_more():
                    return  # stopping
                batch = await self._next_batch()
                if batch is None:
                    return  # stopping
                if batch:
                    await receive(self._app, batch)
                    self._offset = max(u.update_id for u in batch) + 1
                failures = 0
            except InvalidToken:
                log.error("Telegram refuses the bot token; polling stops")
                raise
            except (TelegramError, StoreError) as exc:
                await self._back_off(exc, failures)
                failures += 1

    async def _room_for_more(self) -> bool:
        """Wait until the handlers have room for another batch (see UpdateQueue); False once
        stopping."""
        queue = self._app.update_queue
        if not isinstance(queue, UpdateQueue):
            return True
        return await self._until_stopping(queue.room()) is not None

    async def _next_batch(self) -> list[IncomingUpdate] | None:
        """The next batch, or None once stopping (an unfinished long poll is dropped: nothing
        of it was acknowledged)."""
        fetch = await self._until_stopping(self._fetch(long_poll=self._long_poll))
        return None if fetch is None else self._readable(fetch.result())

    async def _until_stopping(self, work: Awaitable[T]) -> asyncio.Future[T] | None:
        """``work`` done, or None (and ``work`` cancelled) if stopping came first."""
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._stopping.wait())
        done, _ = await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        if task not in done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return None
        stop.cancel()
        return task

    async def _fetch(self, *, long_poll: float) -> Any:
        # Bot.get_updates would parse the batch itself (and, failing, log it whole with its
        # senders' names at CRITICAL); do_api_request warns when asked for a known method.
        return await self._app.bot._post(
            "getUpdates",
            {
                "offset": self._offset,
                "timeout": long_poll,
                "limit": BATCH_LIMIT,
                "allowed_updates": Update.ALL_TYPES,
            },
            read_timeout=long_poll + READ_MARGIN_SECONDS,
        )

    def _readable(self, result: Any) -> list[IncomingUpdate]:
        if not isinstance(result, list):
            log.error("getUpdates returned something other than a list; ignored")
            return []
        batch = []
        for data in result:
            try:
                batch.append(IncomingUpdate.from_data(data))
            except NotAnUpdate:
                # Without an id it can be neither recorded nor acknowledged on its own; the
                # offset past its neighbours acknowledges it.
                log.error("getUpdates returned an update without an id; ignored")
        return batch

    async def _back_off(self, exc: Exception, failures: int) -> None:
        delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
        if isinstance(exc, Conflict):
            log.error(
                "another process is polling this bot (or a webhook is set); retry in %ss", delay
            )
        elif isinstance(exc, StoreError):
            log.warning(
                "a batch of updates not recorded (database busy); fetched again in %ss", delay
            )
        elif isinstance(exc, NetworkError):
            log.warning("getUpdates failed (%s); retry in %ss", type(exc).__name__, delay)
        else:
            log.warning("getUpdates refused (%s); retry in %ss", type(exc).__name__, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)


@asynccontextmanager
async def polling(
    app: AnyApplication, *, long_poll_seconds: float = LONG_POLL_SECONDS
) -> AsyncIterator[Poller]:
    """Polling an application already started, until the block ends."""
    poller = Poller(app, long_poll_seconds=long_poll_seconds)
    await poller.start()
    try:
        yield poller
    finally:
        await poller.stop()


@asynccontextmanager
async def running(
    app: AnyApplication, *, long_poll_seconds: float = 1.0
) -> AsyncIterator[AnyApplication]:
    """The bot started and polling inside an existing event loop (tests, offline mode), then a
    clean shutdown."""
    async with started(app), polling(app, long_poll_seconds=long_poll_seconds):
        yield app


async def run_polling(app: AnyApplication) -> None:
    """Serve until SIGTERM or SIGINT (systemd's stop, Ctrl+C)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with started(app), polling(app):
        await stopping.wait()
        log.info("stopping: finishing the updates in hand")
