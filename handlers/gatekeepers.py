"""Gatekeepers: every update is recorded before anything handles it, floods are turned away.

Polling acknowledges updates to Telegram before the handlers are done with them, so an update
held only in memory dies with the process. The inbox keeps each one (sealed) until it has been
handled; unfinished ones are replayed (at start, and by any instance that finds one its own
instance left behind), and a repeat of an update already recorded is dropped. Handlers stay
safe to repeat all the same: a crash between "handled" and "marked done" replays the update
once more.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop

from bot.services import Services
from bot.store import StoreError, Transaction
from bot.tickets.flood import Admission
from bot.tickets.outbox import utc_now
from handlers.common import answer_press, send_html, t
from handlers.context import HotlineContext

log = logging.getLogger(__name__)


async def record_update(update: Update, context: HotlineContext) -> None:
    """First of all: keep the update (or stop if it was handled before), and turn away a flood
    from one sender: say so once, ignore the rest."""
    services = context.services
    update_id = update.update_id
    user = update.effective_user
    sender = services.pseudonym(user.id) if user is not None else None
    recorded = services.recorded.pop(update_id, None)
    if recorded is not None:  # a replay, or a webhook delivery recorded before its answer
        services.updates_in_hand.add(update_id)
        await _refill_chat_state(context, sender)
        if recorded != Admission.ADMIT:
            await _refuse_flood(update, context, recorded)
        return
    try:
        arrival = await services.tickets.inbox.receive(
            update_id,
            update.to_json(),
            sender,
            services.flood,
            utc_now(),
            chat_state=services.chat_state,
        )
    except StoreError:
        # Better answered without a safety net than not at all.
        log.warning("update %d not recorded (database busy); handling it anyway", update_id)
        return
    if not arrival.fresh:
        log.info("update %d arrived again; it was handled once already", update_id)
        raise ApplicationHandlerStop
    services.updates_in_hand.add(update_id)
    _refill(context, arrival.state)
    if arrival.admission != Admission.ADMIT:
        await _refuse_flood(update, context, arrival.admission)


async def _refill_chat_state(context: HotlineContext, sender: str | None) -> None:
    if sender is None:
        return
    try:
        state = await context.services.chat_state.load(sender, utc_now())
    except StoreError:
        log.warning("chat state not read (database busy); using this instance's last copy")
        return
    _refill(context, state)


def _refill(context: HotlineContext, state: dict[str, str]) -> None:
    """The store's chat state is the truth: whatever another instance changed since this one
    last saw the person replaces the copy here."""
    if context.user_data is not None:
        context.user_data.clear()
        context.user_data.update(state)


async def _refuse_flood(update: Update, context: HotlineContext, admission: Admission) -> None:
    log.info("update %d refused: too many from one sender", update.update_id)
    if admission == Admission.REFUSE_AND_SAY:
        await _slow_down(update, context)
    elif update.callback_query is not None:
        await answer_press(update.callback_query)  # every press is answered
    raise ApplicationHandlerStop


async def _slow_down(update: Update, context: HotlineContext) -> None:
    text = t(update, context, "reporter.slow_down")
    if update.callback_query is not None:
        await answer_press(update.callback_query, text, alert=True)
    elif update.effective_chat is not None:
        await send_html(context, update.effective_chat.id, text)


async def update_handled(app: Application, update: object) -> None:  # type: ignore[type-arg]
    """After the handlers: the update needs no replay any more."""
    services: Services = app.bot_data
    if not isinstance(update, Update):
        return
    update_id = update.update_id
    try:
        if update_id not in services.updates_in_hand:  # not recorded (the database was busy)
            await services.chat_state.write_deferred(update_id)
            return
        services.updates_in_hand.discard(update_id)

        async def deferred_chat_state(tx: Transaction) -> None:
            await services.chat_state.write_deferred_in(tx, update_id)

        await services.tickets.inbox.mark_done(update_id, utc_now(), also=deferred_chat_state)
    except StoreError:
        log.warning("update %d handled but not marked done; it will be replayed", update_id)


async def replay_unfinished(app: Application, *, stale_after: timedelta | None) -> int:  # type: ignore[type-arg]
    """Queue the recorded updates nobody finished (at start: before polling starts, so they
    are handled first and, per chat, in order with what arrives next). ``stale_after``: see
    :meth:`bot.tickets.inbox.Inbox.take_unfinished`."""
    services: Services = app.bot_data
    pending = await services.tickets.inbox.take_unfinished(utc_now(), stale_after=stale_after)
    for item in pending:
        if item.update_id in services.updates_in_hand:
            continue  # still being handled here, only slowly (taking it renewed its lease)
        try:
            update = Update.de_json(json.loads(item.payload), app.bot)
        except (ValueError, KeyError, TypeError):
            log.error("update %d cannot be read back; set aside", item.update_id)
            await services.tickets.inbox.mark_failed(item.update_id, utc_now())
            continue
        services.recorded[item.update_id] = Admission.ADMIT
        await app.update_queue.put(update)
        log.info("replaying update %d (replay %d)", item.update_id, item.attempts + 1)
    return len(pending)


async def replay_left_behind(app: Application) -> None:  # type: ignore[type-arg]
    """Forever: take up updates an instance recorded but never finished (it stopped or crashed
    mid-update) once they have waited ``telegram.replay_after_seconds``."""
    services: Services = app.bot_data
    stale_after = timedelta(seconds=services.config.telegram.replay_after_seconds)
    while True:
        await asyncio.sleep(stale_after.total_seconds() / 2)
        try:
            await replay_unfinished(app, stale_after=stale_after)
        except StoreError:
            log.warning("replay of unfinished updates skipped: the database is busy")
