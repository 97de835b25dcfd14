"""Where updates come in, whichever way Telegram sends them (polling, the webhook, a replay):
read, recorded in the inbox, and only then handed to the handlers.

Parsing comes first, so an update python-telegram-bot cannot read is recorded as failed in
the same commit as the rest of its batch, logged by id (its body names its sender), and never
blocks the updates behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.services import Services
from bot.store.base import StoreError
from bot.updates.inbox import Verdict
from bot.updates.incoming import IncomingUpdate

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def receive(app: AnyApplication, batch: Sequence[IncomingUpdate]) -> dict[int, Verdict]:
    """Record ``batch`` and queue what is to be handled. Raises StoreError when it could not be
    recorded: the caller must then not acknowledge it (Telegram delivers it again)."""
    services: Services = app.bot_data.services
    readable: list[tuple[IncomingUpdate, Update]] = []
    unreadable: list[int] = []
    for incoming in batch:
        update = _parsed(app, incoming)
        if update is None:
            unreadable.append(incoming.update_id)
        else:
            readable.append((incoming, update))
    verdicts = await services.inbox.arrive([i for i, _ in readable], unreadable=unreadable)
    for incoming, update in readable:
        if verdicts[incoming.update_id] == Verdict.REPEAT:
            log.info("update %d delivered again; it was recorded already", incoming.update_id)
        else:
            await app.update_queue.put(update)
    return verdicts


def _parsed(app: AnyApplication, incoming: IncomingUpdate) -> Update | None:
    try:
        update = Update.de_json(incoming.data, app.bot)
    except Exception:
        return None
    return update if isinstance(update, Update) else None


async def replay_unfinished(app: AnyApplication, *, stale_after: timedelta | None) -> int:
    """Queue the recorded updates nobody finished (at start: before polling starts, so they
    are handled first and, per chat, in order with what arrives next). ``stale_after``: see
    :meth:`bot.updates.inbox.Inbox.replay`."""
    services: Services = app.bot_data.services
    replayed = await services.inbox.replay(stale_after=stale_after)
    for incoming in replayed:
        update = _parsed(app, incoming)
        if update is None:
            await services.inbox.set_aside(incoming.update_id)
        else:
            await app.update_queue.put(update)
    return len(replayed)


async def replay_left_behind(app: AnyApplication) -> None:
    """Forever: take up updates an instance recorded but never finished (it stopped or crashed
    mid-update) once they have waited ``telegram.replay_after_seconds``."""
    services: Services = app.bot_data.services
    stale_after = timedelta(seconds=services.config.telegram.replay_after_seconds)
    while True:
        await asyncio.sleep(stale_after.total_seconds() / 2)
        try:
            await replay_unfinished(app, stale_after=stale_after)
        except StoreError:
            log.warning("replay of unfinished updates skipped: the database is busy")
