"""Inspectors' buttons (``t:<verb>:...``): on ticket cards, queue pages and the transfer menu.

Every press is answered, and authorised server-side as if it were typed: callback data can be
forged by a modified client, so nothing in it is trusted beyond naming what is asked for.
"""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Awaitable, Callable

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.i18n import text
from bot.inspection.access import Action
from bot.inspection.model import Changed, Denial, Denied
from bot.inspection.parsing import parse_ticket_number
from bot.tickets.model import OPEN_STATUSES
from handlers.callbacks import Prefix
from handlers.callbacks import data as callback_data
from handlers.common import answer_press
from handlers.context import HotlineContext
from handlers.request import Request
from handlers.staff_requests import (
    admitted,
    after_transfer,
    denial,
    details_privately,
    plain,
    refresh_cards,
    transferred_text,
)
from handlers.staff_views import button_data, page_markup, page_text, queue_name

log = logging.getLogger(__name__)
QUEUE_BUTTONS_PER_ROW = 2


async def staff_button(update: Update, context: HotlineContext) -> None:
    """``t:<verb>:...`` presses; every one is answered and authorised server-side."""
    query = update.callback_query
    if query is None:
        return
    parts = (query.data or "").split(":")
    verb = parts[1] if len(parts) > 1 else ""
    request = await admitted(update, context, f"button:{verb}")
    if request is None:
        return  # answered with the refusal
    handler = BUTTONS.get(verb)
    if handler is None:
        await refuse_button(request, query)
        return
    await handler(request, parts[2:])


async def refuse_button(request: Request, query: CallbackQuery, action: str = "") -> None:
    """A button whose data makes no sense (old, or forged by a modified client): answered as
    expired, and audited like any other refusal (as the button's verb, never its data)."""
    if not action:
        parts = (query.data or "").split(":")
        verb = parts[1] if len(parts) > 1 and parts[1] in BUTTONS else "unknown"
        action = f"button:{verb}"
    inspection = request.services.inspection
    denied = Denied(Denial.BUTTON_INVALID)
    await inspection.audit.refused(request.user_id, action, request.now, denied)
    await answer_press(query, text(request.language, "button.expired"), alert=True)


ButtonHandler = Callable[[Request, list[str]], Awaitable[None]]


def _button_number(context: HotlineContext, args: list[str]) -> str | None:
    prefix = context.services.config.tickets.number_prefix
    return parse_ticket_number(args[0], prefix) if args else None


async def _pressed_ticket(
    request: Request, args: list[str], arity: int = 1
) -> tuple[CallbackQuery, str] | None:
    """The press and the ticket number its button carries; a button whose data no longer
    makes sense (old or forged) is answered as expired and gives None."""
    query = request.query
    assert query is not None
    number = _button_number(request.context, args) if len(args) == arity else None
    if number is None:
        await refuse_button(request, query)
        return None
    return query, number


ChangeOn = Callable[[str], Awaitable[Changed | Denied]]


async def _changed_by_press(
    request: Request,
    args: list[str],
    change: ChangeOn,
    done_key: str,
) -> tuple[CallbackQuery, str, str] | None:
    """Press, change the ticket its button names, answer the press with what happened; the
    press, the ticket number and what was said, if the change was made."""
    pressed = await _pressed_ticket(request, args)
    if pressed is None:
        return None
    query, number = pressed
    result = await change(number)
    if isinstance(result, Denied):
        await answer_press(query, plain(await denial(request, result)), alert=True)
        return None
    done = text(request.language, done_key, ticket_number=html.escape(number))
    await answer_press(query, plain(done))
    return query, number, done


async def claim_button(request: Request, args: list[str]) -> None:
    """Of several inspectors pressing at once one wins; the others are told who."""
    desk = request.services.inspection.desk

    async def claim(number: str) -> Changed | Denied:
        return await desk.claim(request.user_id, number, once=request.once)

    changed = await _changed_by_press(request, args, claim, "inspector.claimed")
    if changed is not None:
        log.info("ticket %s claimed from its card", changed[1])
        await refresh_cards(request.context, changed[1])


async def reopen_button(request: Request, args: list[str]) -> None:
    """二次办理 from a 不满意 notice: supervisors only (the desk checks), as /reopen would."""
    desk, reason = (
        request.services.inspection.desk,
        text(request.language, "inspector.reopen_reason_verdict"),
    )

    async def reopen(number: str) -> Changed | Denied:
        return await desk.reopen(request.user_id, number, reason, once=request.once)

    changed = await _changed_by_press(request, args, reopen, "inspector.reopened")
    if changed is None:
        return
    query, number, done = changed
    await _drop_buttons(query.message)
    await request.send(done)
    request.services.wake_outbox()
    await refresh_cards(request.context, number)


async def details_button(request: Request, args: list[str]) -> None:
    """Details go to the presser's private chat (see ``details_privately``)."""
    pressed = await _pressed_ticket(request, args)
    if pressed is None:
        return
    query, number = pressed
    said = await details_privately(request, number)
    if said is None:
        await answer_press(query)
    else:
        alert = said == "inspector.start_private"
        await answer_press(query, plain(text(request.language, said)), alert=alert)


async def transfer_button(request: Request, args: list[str]) -> None:
    """Offer the queues to transfer to, as buttons under a message of their own."""
    query = request.query
    assert query is not None
    number = _button_number(request.context, args)
    inspection = request.services.inspection
    card = await inspection.cards.card(number) if number else None
    if number is None or card is None:
        await refuse_button(request, query, Action.TRANSFER)
        return
    denied = None
    if not inspection.access.may(request.user_id, Action.TRANSFER, card.queue):
        denied = Denied(Denial.NOT_ALLOWED, number)
    elif card.status not in OPEN_STATUSES:
        denied = Denied(Denial.TICKET_CLOSED, number)  # no menu for what cannot move
    if denied is not None:
        await inspection.audit.refused(request.user_id, Action.TRANSFER, request.now, denied)
        await answer_press(query, plain(await denial(request, denied)), alert=True)
        return
    await answer_press(query)
    prompt = text(request.language, "inspector.transfer_choose", ticket_number=html.escape(number))
    await request.send(prompt, _queue_choices(request, number, card.queue))


def _queue_choices(request: Request, number: str, current: str) -> InlineKeyboardMarkup:
    config = request.services.config
    buttons = []
    for queue in config.inspection.queue_ids():
        data = button_data("to", number, queue)
        if queue != current and data is not None:
            label = html.unescape(queue_name(config, queue))
            buttons.append(InlineKeyboardButton(label, callback_data=data))
    rows = [
        buttons[i : i + QUEUE_BUTTONS_PER_ROW]
        for i in range(0, len(buttons), QUEUE_BUTTONS_PER_ROW)
    ]
    cancel = text(request.language, "inspector.transfer_cancel")
    rows.append([InlineKeyboardButton(cancel, callback_data=callback_data(Prefix.TICKET, "x"))])
    return InlineKeyboardMarkup(rows)


async def transfer_to_button(request: Request, args: list[str]) -> None:
    pressed = await _pressed_ticket(request, args, arity=2)
    if pressed is None:
        return
    query, number = pressed
    result = await request.services.inspection.desk.transfer(
        request.user_id, number, args[1], once=request.once
    )
    if isinstance(result, Denied):
        await answer_press(query, plain(await denial(request, result)), alert=True)
        return
    await answer_press(query, plain(transferred_text(request.context, request.language, result)))
    if isinstance(query.message, Message):
        done = transferred_text(request.context, request.language, result)
        with contextlib.suppress(TelegramError):
            await query.message.edit_text(done, parse_mode=ParseMode.HTML, reply_markup=None)
    await after_transfer(request.context, number)


async def close_menu_button(request: Request, args: list[str]) -> None:
    query = request.query
    assert query is not None
    await answer_press(query)
    await _drop_buttons(query.message)


async def _drop_buttons(message: object) -> None:
    if isinstance(message, Message):
        with contextlib.suppress(TelegramError):
            await message.edit_reply_markup(reply_markup=None)


async def page_button(request: Request, args: list[str]) -> None:
    """``t:q:<queue or *>:<page>`` and ``t:m:<page>``: the page replaces the old one."""
    query = request.query
    assert query is not None and query.data is not None
    mine = query.data.startswith(callback_data(Prefix.TICKET, "m", ""))
    if not args or not args[-1].isdigit() or (not mine and len(args) != 2):
        await refuse_button(request, query)
        return
    views, page_number = request.services.inspection.views, int(args[-1])
    if mine:
        page = await views.my_tickets(request.user_id, page=page_number)
        scope = "m"
    else:
        queue = None if args[0] == "*" else args[0]
        page = await views.open_tickets(request.user_id, queue=queue, page=page_number)
        scope = f"q:{args[0]}"
    if isinstance(page, Denied):
        await answer_press(query, plain(await denial(request, page)), alert=True)
        return
    await answer_press(query)
    body = page_text(request.services.config, request.language, page, mine=mine)
    with contextlib.suppress(BadRequest):  # unchanged: pressed twice
        await query.edit_message_text(
            body,
            parse_mode=ParseMode.HTML,
            reply_markup=page_markup(request.language, page, scope=scope),
        )


BUTTONS: dict[str, ButtonHandler] = {
    "claim": claim_button,
    "reopen": reopen_button,
    "info": details_button,
    "xfer": transfer_button,
    "to": transfer_to_button,
    "x": close_menu_button,
    "q": page_button,
    "m": page_button,
}
