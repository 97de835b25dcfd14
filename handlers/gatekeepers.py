"""Gatekeepers: every update is recorded before anything handles it, floods are turned away.

Polling acknowledges updates to Telegram before the handlers are done with them, so an update
held only in memory dies with the process. The inbox keeps each one (sealed) until it has been
handled; at start the unfinished ones are replayed, and a repeat of an update already recorded
is dropped. Handlers stay safe to repeat all the same: a crash between "handled" and "marked
done" replays the update once more.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop

from bot.services import Services
from bot.store import StoreError
from bot.tickets.flood import Admission
from handlers.common import answer_press, send_html, t
from handlers.context import HotlineContext

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


async def record_update(update: Update, context: HotlineContext) -> None:
    """First of all: keep the update (or stop if it was handled before), and turn away a flood
    from one sender: say so once, ignore the rest."""
    services = context.services
    update_id = update.update_id
    if update_id in services.replays:  # recorded before the restart
        services.replays.discard(update_id)
        services.updates_in_hand.add(update_id)
        return
    user = update.effective_user
    sender = services.pseudonym(user.id) if user is not None else None
    try:
        arrival = await services.tickets.inbox.receive(
            update_id, update.to_json(), sender, services.flood, utc_now()
        )
    except StoreError:
        # Better answered without a safety net than not at all.
        log.warning("update %d not recorded (database busy); handling it anyway", update_id)
        return
    if not arrival.fresh:
        log.info("update %d arrived again; it was handled once already", update_id)
        raise ApplicationHandlerStop
    services.updates_in_hand.add(update_id)
    if arrival.admission != Admission.ADMIT:
        await _refuse_flood(update, context, arrival.admission)


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
    if not isinstance(update, Update) or update.update_id not in services.updates_in_hand:
        return
    services.updates_in_hand.discard(update.update_id)
    try:
        await services.tickets.inbox.mark_done(update.update_id, utc_now())
    except StoreError:
        log.warning("update %d handled but not marked done; a restart replays it", update.update_id)


async def replay_unfinished(app: Application) -> int:  # type: ignore[type-arg]
    """Queue the updates a previous run recorded but did not finish (run before polling starts,
    so they are handled first and, per chat, in order with what arrives next)."""
    services: Services = app.bot_data
    pending = await services.tickets.inbox.unfinished(utc_now())
    for item in pending:
        try:
            update = Update.de_json(json.loads(item.payload), app.bot)
        except (ValueError, KeyError, TypeError):
            log.error("update %d cannot be read back; set aside", item.update_id)
            await services.tickets.inbox.mark_failed(item.update_id, utc_now())
            continue
        services.replays.add(item.update_id)
        await app.update_queue.put(update)
        log.info("replaying update %d (replay %d)", item.update_id, item.attempts + 1)
    return len(pending)
