"""The update queue: long polling with getUpdates offsets, or delivery to a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import aiohttp

from bot.emulator.params import ApiError
from bot.emulator.state import JsonDict, now
from bot.emulator.waiting import KeyedSignal

logger = logging.getLogger(__name__)

# Update types Telegram sends when allowed_updates is empty or was never set.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
FIRST_UPDATE_ID = 100_000_001
_WEBHOOK_BACKOFF_START = 0.05
_WEBHOOK_BACKOFF_MAX = 1.0
_WEBHOOK_POST_TIMEOUT = 10.0

# KeyedSignal keys.
_UPDATES_ARRIVED = "updates-arrived"
_UPDATES_CONFIRMED = "updates-confirmed"

CONFLICT_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


def update_type(update: JsonDict) -> str:
    return next((key for key in update if key != "update_id"), "")


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Delivery:
    """Webhook bookkeeping: which queued updates are being posted or already accepted."""

    in_flight: set[int] = field(default_factory=set)
    accepted: set[int] = field(default_factory=set)
    attempts: dict[int, int] = field(default_factory=dict)


class UpdateQueue:
    """Updates waiting for the bot, kept until confirmed exactly as Telegram keeps them."""

    def __init__(self, first_update_id: int = FIRST_UPDATE_ID) -> None:
        self._pending: deque[JsonDict] = deque()
        self._last_update_id = first_update_id - 1
        self._allowed: frozenset[str] | None = None  # None: every type but the opt-in ones
        self._signal = KeyedSignal()
        self._poll_generation = 0
        self._closing = False
        self.webhook: Webhook | None = None
        self._delivery = _Delivery()
        self._workers: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    # -- queueing ------------------------------------------------------------------------

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def is_allowed(self, kind: str) -> bool:
        if self._allowed is None:
            return kind not in _OPT_IN_UPDATE_TYPES
        return kind in self._allowed

    def set_allowed(self, types: Iterable[str] | None) -> None:
        """Apply allowed_updates: None keeps the previous choice, [] restores the default."""
        if types is None:
            return
        chosen = frozenset(types)
        self._allowed = chosen or None

    def enqueue(self, update: JsonDict) -> bool:
        """Give the update an id and queue it; False if the bot did not ask for its type."""
        if not self.is_allowed(update_type(update)):
            return False
        self._last_update_id += 1
        update["update_id"] = self._last_update_id
        self._pending.append(update)
        self._signal.notify(_UPDATES_ARRIVED)
        return True

    def drop_pending(self) -> None:
        self._pending.clear()
        self._delivery = _Delivery()
        self._signal.notify(_UPDATES_CONFIRMED)

    async def wait_until_delivered(self, seconds: float) -> None:
        delivered = await self._signal.wait_until(
            _UPDATES_CONFIRMED, lambda: not self._pending, seconds
        )
        if not delivered:
            ids = [update["update_id"] for update in self._pending]
            raise AssertionError(
                f"{len(ids)} update(s) not confirmed by the bot after {seconds} s: {ids[:20]}"
            )

    # -- getUpdates ----------------------------------------------------------------------

    async def get_updates(
        self, offset: int, limit: int, poll_seconds: float, allowed: list[str] | None
    ) -> list[JsonDict]:
        if self.webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK_ACTIVE)
        self.set_allowed(allowed)
        self._confirm(offset)
        # A newer request ends any request still waiting, as on the real server.
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal.notify(_UPDATES_ARRIVED)
        if not self._pending and poll_seconds > 0:
            await self._signal.wait_until(
                _UPDATES_ARRIVED,
                lambda: bool(self._pending) or generation != self._poll_generation or self._closing,
                poll_seconds,
            )
        if generation != self._poll_generation:
            raise ApiError(409, CONFLICT_OTHER_POLL)
        return list(islice(self._pending, max(1, min(limit, 100))))

    def _confirm(self, offset: int) -> None:
        """Forget updates before ``offset``; a negative offset keeps only the last -offset."""
        if offset == 0:
            return
        if offset < 0:
            while len(self._pending) > -offset:
                self._pending.popleft()
        else:
            while self._pending and self._pending[0]["update_id"] < offset:
                self._pending.popleft()
        self._signal.notify(_UPDATES_CONFIRMED)

    # -- webhook -------------------------------------------------------------------------

    def set_webhook(self, webhook: Webhook) -> None:
        self._stop_workers()
        self.webhook = webhook
        self._delivery = _Delivery()
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=_WEBHOOK_POST_TIMEOUT)
            )
        for n in range(webhook.max_connections):
            worker = asyncio.create_task(self._deliver_forever(webhook), name=f"webhook-{n}")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    def delete_webhook(self) -> None:
        self._stop_workers()
        self.webhook = None
        self._delivery = _Delivery()

    def _stop_workers(self) -> None:
        # Cancelled workers leave the set by themselves once they have finished.
        for worker in self._workers:
            worker.cancel()

    async def _deliver_forever(self, webhook: Webhook) -> None:
        while not self._closing:
            await self._signal.wait_until(
                _UPDATES_ARRIVED,
                lambda: self._next_to_deliver() is not None or self._closing,
                None,
            )
            update = self._next_to_deliver()
            if update is None:
                continue
            update_id = update["update_id"]
            self._delivery.in_flight.add(update_id)
            try:
                accepted = await self._post(webhook, update)
            finally:
                self._delivery.in_flight.discard(update_id)
            if accepted:
                self._accept(update_id)
            else:
                await self._back_off(update_id)

    def _next_to_deliver(self) -> JsonDict | None:
        busy = self._delivery.in_flight | self._delivery.accepted
        return next((u for u in self._pending if u["update_id"] not in busy), None)

    async def _post(self, webhook: Webhook, update: JsonDict) -> bool:
        assert self._session is not None
        headers = {}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            async with self._session.post(webhook.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"Connection failed: {exc.__class__.__name__}"
        webhook.last_error_date = now()
        webhook.last_error_message = error
        logger.debug("webhook delivery of update %s failed: %s", update["update_id"], error)
        return False

    def _accept(self, update_id: int) -> None:
        self._delivery.accepted.add(update_id)
        self._delivery.attempts.pop(update_id, None)
        while self._pending and self._pending[0]["update_id"] in self._delivery.accepted:
            self._delivery.accepted.discard(self._pending.popleft()["update_id"])
        self._signal.notify(_UPDATES_CONFIRMED)
        self._signal.notify(_UPDATES_ARRIVED)  # other workers may be waiting for order

    async def _back_off(self, update_id: int) -> None:
        attempt = self._delivery.attempts.get(update_id, 0)
        self._delivery.attempts[update_id] = attempt + 1
        await asyncio.sleep(min(_WEBHOOK_BACKOFF_START * 2**attempt, _WEBHOOK_BACKOFF_MAX))

    # -- shutdown ------------------------------------------------------------------------

    async def close(self) -> None:
        self._closing = True
        self._signal.notify_all()
        workers = list(self._workers)
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if self._session is not None:
            await self._session.close()
            self._session = None

    def webhook_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
        if self._allowed is not None:
            info["allowed_updates"] = sorted(self._allowed)
        return info
