"""Gatekeepers: the first handler group every update passes.

The front doors (polling, the webhook) have recorded the update in the inbox before it gets
here (see :mod:`bot.updates.inbox`); this handler only reads what the inbox said of it: a
repeat goes no further, a flood is refused, and the person's chat state is read fresh.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import i18n
from bot.store.base import StoreError
from bot.updates.flood import Admission
from bot.updates.inbox import InHand, Verdict
from bot.updates.incoming import IncomingUpdate
from handlers.common import answer_press, send_html
from handlers.context import HotlineContext
from handlers.request import language_of, load_chat_state

log = logging.getLogger(__name__)


async def admit_update(update: Update, context: HotlineContext) -> None:
    """First of all: stop a repeat, turn away a flood (say so once, ignore the rest), and
    load what the person is in the middle of."""
    inbox = context.services.inbox
    held = inbox.in_hand(update.update_id) or await _arrive_now(update, context)
    if held is None:
        raise ApplicationHandlerStop
    await load_chat_state(context, held.sender)
    if held.admission != Admission.ADMIT:
        await _refuse_flood(update, context, held.admission)


async def _arrive_now(update: Update, context: HotlineContext) -> InHand | None:
    """An update put on the queue without passing a front door (tests do): record it here."""
    inbox = context.services.inbox
    incoming = IncomingUpdate.from_data(update.to_dict())
    try:
        verdicts = await inbox.arrive([incoming])
    except StoreError:
        # Better answered without a safety net than not at all.
        log.warning(
            "update %d not recorded (database busy); handling it anyway", incoming.update_id
        )
        return None if update.effective_user is None else _unrecorded(update, context)
    if verdicts[incoming.update_id] == Verdict.REPEAT:
        log.info("update %d arrived again; it was handled once already", incoming.update_id)
        return None
    return inbox.in_hand(incoming.update_id)


def _unrecorded(update: Update, context: HotlineContext) -> InHand:
    user = update.effective_user
    sender = context.services.pseudonym(user.id) if user is not None else None
    return InHand(update.update_id, sender, Admission.ADMIT)


async def _refuse_flood(update: Update, context: HotlineContext, admission: Admission) -> None:
    log.info("update %d refused: too many from one sender", update.update_id)
    if admission == Admission.REFUSE_AND_SAY:
        await _slow_down(update, context)
    elif update.callback_query is not None:
        await answer_press(update.callback_query)  # every press is answered
    raise ApplicationHandlerStop


async def _slow_down(update: Update, context: HotlineContext) -> None:
    text = i18n.text(language_of(update, context), "reporter.slow_down")
    if update.callback_query is not None:
        await answer_press(update.callback_query, text, alert=True)
    elif update.effective_chat is not None:
        await send_html(context, update.effective_chat.id, text)
