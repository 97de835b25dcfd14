"""The outbox: messages written in the same transaction as the change they announce, then sent
by a dispatcher that retries with exponential backoff until Telegram accepts them.

Delivery is at least once: a crash between sending and recording the send repeats a message.
Messages to a reporter are sealed (chat id and text encrypted) and erased once sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import utc_now as utc_now  # where the services import the clock from
from bot.privacy import Sealer, SealError
from bot.store.base import NewMessage, OutboxRecord, Store, StoreError
from bot.tickets.settings import OutboxSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    """What the send function gets: a plain chat id and the data to render for ``kind``."""

    message_id: int
    kind: str
    chat_id: int
    data: dict[str, Any]
    attempts: int


class RetryLater(Exception):
    """Raise from ``send`` when Telegram says how long to wait (429 retry_after)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:g} s")
        self.seconds = seconds


class Undeliverable(Exception):
    """Raise from ``send`` when retrying cannot help (the user blocked the bot, chat gone)."""


Send = Callable[[OutgoingMessage], Awaitable[None]]
SEALED_TARGET = "sealed"


def staff_message(
    kind: str,
    chat_id: int,
    data: dict[str, Any],
    now: datetime,
    *,
    dedupe_key: str | None = None,
    ticket_id: int | None = None,
) -> NewMessage:
    """A message to a staff chat: nothing in it identifies the reporter, so it is not sealed."""
    return NewMessage(
        kind=kind,
        target=str(chat_id),
        payload=_json(data),
        sealed=False,
        dedupe_key=dedupe_key,
        not_before=now,
        created_at=now,
        ticket_id=ticket_id,
    )


def reporter_message(
    kind: str,
    chat_id: int,
    data: dict[str, Any],
    now: datetime,
    sealer: Sealer,
    *,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    ticket_id: int | None = None,
) -> NewMessage:
    """A message to a reporter: chat id and data are sealed together, the target left blank."""
    return NewMessage(
        kind=kind,
        target=SEALED_TARGET,
        payload=sealer.seal(_json({"chat_id": chat_id, "data": data})),
        sealed=True,
        dedupe_key=dedupe_key,
        not_before=not_before or now,
        created_at=now,
        ticket_id=ticket_id,
    )


def retry_delay(failures: int, settings: OutboxSettings) -> float:
    """Seconds before the next try after ``failures`` failed ones: 5, 10, 20 ... capped."""
    exponent = min(failures, 32)
    return float(min(settings.retry_first_seconds * 2**exponent, settings.retry_max_seconds))


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class Outbox:
    def __init__(self, store: Store, sealer: Sealer, settings: OutboxSettings) -> None:
        self._store = store
        self._sealer = sealer
        self.settings = settings

    async def enqueue(
        self,
        kind: str,
        chat_id: int,
        data: dict[str, Any],
        now: datetime,
        *,
        dedupe_key: str | None = None,
        to_reporter: bool = False,
    ) -> None:
        """Queue a message; a second one with the same ``dedupe_key`` is skipped."""
        if to_reporter:
            message = reporter_message(
                kind, chat_id, data, now, self._sealer, dedupe_key=dedupe_key
            )
        else:
            message = staff_message(kind, chat_id, data, now, dedupe_key=dedupe_key)
        async with self._store.transaction() as tx:
            await tx.enqueue(message)

    async def due(self, now: datetime, limit: int | None = None) -> list[OutgoingMessage]:
        """The messages due now, left where they are (to look at them)."""
        async with self._store.transaction(readonly=True) as tx:
            rows = await tx.due_messages(now, limit or self.settings.batch_size)
        return await self._opened(rows, now)

    async def take_due(self, now: datetime, limit: int | None = None) -> list[OutgoingMessage]:
        """The messages due now, held for this sender for ``lease_seconds``: instances sharing
        the database never send the same one at once."""
        lease_until = now + timedelta(seconds=self.settings.lease_seconds)
        async with self._store.transaction() as tx:
            rows = await tx.take_due_messages(now, limit or self.settings.batch_size, lease_until)
        return await self._opened(rows, now)

    async def _opened(self, rows: list[OutboxRecord], now: datetime) -> list[OutgoingMessage]:
        messages = []
        for row in rows:
            try:
                messages.append(self._open(row))
            except (SealError, ValueError, KeyError, TypeError):
                log.error("outbox message %d cannot be opened with the current keys", row.id)
                await self.give_up(row.id, "cannot open sealed message", now)
        return messages

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        async with self._store.transaction() as tx:
            await tx.mark_sent(message_id, now)

    async def mark_delivered(self, dedupe_key: str, now: datetime) -> bool:
        """Another path delivered this message (e.g. the reply that showed a receipt code):
        do not send it, and erase it. False if it was already sent or never queued."""
        async with self._store.transaction() as tx:
            message = await tx.message_by_dedupe_key(dedupe_key)
            if message is None or message.sent_at is not None:
                return False
            await tx.mark_sent(message.id, now)
            return True

    async def send_now(self, dedupe_key: str, now: datetime) -> None:
        """Move a message that waits for a grace period up to now (the reply it stood in for
        failed)."""
        async with self._store.transaction() as tx:
            message = await tx.message_by_dedupe_key(dedupe_key)
            if message is not None:
                await tx.hurry_message(message.id, now)

    async def mark_failed(
        self, message_id: int, error: str, now: datetime, *, retry_after: float | None = None
    ) -> datetime:
        """Schedule the next try (``retry_after`` seconds if Telegram said so) and return it."""
        async with self._store.transaction() as tx:
            row = await tx.outbox_message(message_id)
            failures = row.attempts if row else 0
            delay = retry_after if retry_after is not None else retry_delay(failures, self.settings)
            retry_at = now + timedelta(seconds=delay)
            await tx.mark_failed(message_id, error[:500], retry_at)
        return retry_at

    async def give_up(self, message_id: int, error: str, now: datetime) -> None:
        async with self._store.transaction() as tx:
            await tx.mark_given_up(message_id, error[:500], now)

    def _open(self, row: OutboxRecord) -> OutgoingMessage:
        if row.sealed:
            sealed = json.loads(self._sealer.open(row.payload))
            chat_id, data = int(sealed["chat_id"]), dict(sealed["data"])
        else:
            chat_id, data = int(row.target), json.loads(row.payload)
        return OutgoingMessage(row.id, row.kind, chat_id, data, row.attempts)


class OutboxDispatcher:
    """Sends due messages through ``send`` until it accepts them; set ``wake`` (or call
    ``wake()``) after enqueueing, to send now instead of at the next poll."""

    def __init__(
        self,
        outbox: Outbox,
        send: Send,
        *,
        clock: Callable[[], datetime] = utc_now,
        wake: asyncio.Event | None = None,
    ) -> None:
        self._outbox = outbox
        self._send = send
        self._clock = clock
        self._wake = wake or asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> int:
        """Try every message due now; return how many were accepted."""
        sent = 0
        for message in await self._outbox.take_due(self._clock()):
            if await self._deliver(message):
                sent += 1
        return sent

    async def run(self) -> None:
        settings = self._outbox.settings
        while not self._stopping:
            try:
                sent = await self.run_once()
            except StoreError:
                log.warning("outbox: database busy, will try again", exc_info=True)
                sent = 0
            if sent < settings.batch_size:
                await self._sleep(settings.poll_seconds)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _deliver(self, message: OutgoingMessage) -> bool:
        try:
            await self._send(message)
        except RetryLater as exc:
            await self._outbox.mark_failed(
                message.message_id, str(exc), self._clock(), retry_after=exc.seconds
            )
            return False
        except Undeliverable as exc:
            log.warning("outbox message %d (%s) undeliverable", message.message_id, message.kind)
            await self._outbox.give_up(message.message_id, _describe(exc), self._clock())
            return False
        except Exception as exc:
            retry_at = await self._outbox.mark_failed(
                message.message_id, _describe(exc), self._clock()
            )
            log.warning(
                "outbox message %d (%s) failed, next try %s",
                message.message_id,
                message.kind,
                retry_at.isoformat(timespec="seconds"),
            )
            return False
        await self._outbox.mark_sent(message.message_id, self._clock())
        return True


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
