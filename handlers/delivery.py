"""Sending what the outbox holds: each message kind rendered from the catalogs.

Messages to a reporter are written in both languages: the outbox does not know which one they
read, and keeping their language with the ticket would be one more thing known about them.
Staff chats read Chinese. A new ticket in its queue's group (or one transferred there) is a card
with buttons, drawn from the ticket as it is when sent; where it was posted is remembered so
later changes can update it.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.config import Config
from bot.i18n import CATALOGS, LANGUAGES, text
from bot.inspection.model import StaffNotice
from bot.services import Services
from bot.store.base import PostedCard, StoreError
from bot.tickets.model import MessageKind
from bot.tickets.outbox import OutgoingMessage, RetryLater, Send, Undeliverable
from handlers import staff_notices, verdicts
from handlers.staff_menus import publish_chat
from handlers.staff_views import card_markup, card_text, reopen_markup, staff_chats, staff_name

log = logging.getLogger(__name__)

TO_REPORTER = frozenset(
    {
        MessageKind.RECEIPT,
        MessageKind.STATUS_CHANGED,
        MessageKind.QUESTION,
        MessageKind.VERDICT_ASKED,
    }
)
STAFF_LANGUAGE = "zh"


def outbox_sender(bot: Bot, services: Services) -> Send:
    """How the outbox dispatcher sends: cards, staff menus and notices, each as it should look."""

    async def send(message: OutgoingMessage) -> None:
        try:
            if message.kind == StaffNotice.STAFF_MENU:
                await publish_chat(bot, services, message.chat_id)
            elif is_card(message):
                await send_card(bot, services, message)
            else:
                message = await with_staff_names(bot, services, message)
                rendered = render(message, services.config)
                await bot.send_message(
                    message.chat_id,
                    rendered,
                    parse_mode=ParseMode.HTML,
                    reply_markup=message_markup(message),
                )
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc.retry_after)) from exc
        except Forbidden as exc:  # blocked by the user, or removed from the group
            raise Undeliverable(str(exc)) from exc
        except BadRequest as exc:  # chat not found, or a message Telegram will never take
            raise Undeliverable(str(exc)) from exc

    return send


def is_card(message: OutgoingMessage) -> bool:
    """The queue's copy of a new ticket, a ticket transferred to a queue, and the person on
    duty's ping: cards. (The duty chat's copy of a new ticket stays a plain notice: number,
    type and district only.)"""
    if message.kind in (MessageKind.TICKET_TRANSFERRED, StaffNotice.DUTY_PING):
        return True
    return message.kind == MessageKind.NEW_TICKET and "queue" in message.data


def message_markup(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    """回访 messages carry buttons: the reporter's answers, the supervisors' reopen."""
    if message.kind == MessageKind.VERDICT_ASKED:
        return verdicts.pushed_markup(message.data)
    if message.kind == MessageKind.VERDICT_DISSATISFIED:
        return reopen_markup(str(message.data.get("ticket_number", "")), STAFF_LANGUAGE)
    return None


async def send_card(bot: Bot, services: Services, message: OutgoingMessage) -> None:
    number = str(message.data.get("ticket_number", ""))
    cards = services.inspection.cards
    card = await cards.card(number)
    if card is None:  # gone from the store: a plain notice is better than nothing
        rendered = render(message, services.config)
        await bot.send_message(message.chat_id, rendered, parse_mode=ParseMode.HTML)
        return
    source = message.data.get("from_queue")
    notice = None
    if message.kind == StaffNotice.DUTY_PING:
        notice = staff_notices.duty_ping_line(STAFF_LANGUAGE, message.data)
    body = await card_text(
        bot,
        services,
        card,
        transferred_from=str(source) if source is not None else None,
        notice=notice,
    )
    sent = await bot.send_message(
        message.chat_id, body, parse_mode=ParseMode.HTML, reply_markup=card_markup(card)
    )
    try:
        await cards.remember(number, PostedCard(sent.chat_id, sent.message_id))
    except StoreError:
        # Not worth a second card: this one works, it just won't be redrawn after changes.
        log.warning("ticket %s: card posted but not remembered", number)


async def with_staff_names(
    bot: Bot, services: Services, message: OutgoingMessage
) -> OutgoingMessage:
    """Reminders and escalations name who holds the ticket, and staff notices the people
    they are about, as staff know them."""
    queue = str(message.data.get("queue", ""))
    chats = staff_chats(services, queue) if queue else services.inspection.settings.staff_chat_ids()
    data = dict(message.data)
    holder = message.data.get("claimed_by")
    if holder:
        data["holder_name"] = html.unescape(await staff_name(bot, services, str(holder), chats))
    for field in staff_notices.NAMED:
        person = message.data.get(field)
        if isinstance(person, int) and person > 0:
            name = await staff_name(bot, services, person, chats)
            data[f"{field}_name"] = html.unescape(name)
    if data == message.data:
        return message
    return OutgoingMessage(
        message.message_id, message.kind, message.chat_id, data, message.attempts
    )


def render(message: OutgoingMessage, config: Config) -> str:
    if message.kind in TO_REPORTER:
        return "\n\n".join(render_in(language, message, config) for language in LANGUAGES)
    return render_in(STAFF_LANGUAGE, message, config)


def render_in(language: str, message: OutgoingMessage, config: Config) -> str:
    values = {k: html.escape(str(v)) for k, v in message.data.items()}
    values.setdefault("ticket_number", "")
    _name_choices(language, message.data, values, config)
    _deadline_values(language, message.data, values, config)
    verdicts.notice_values(language, message.kind, message.data, values)
    staff_notices.notice_values(language, message.kind, message.data, values, config)
    status_key = f"status.name.{message.data.get('status')}"
    if status_key in CATALOGS["zh"]:
        values["status"] = html.escape(text(language, status_key))
    key = "report.received" if message.kind == MessageKind.RECEIPT else f"outbox.{message.kind}"
    if key not in CATALOGS["zh"]:
        key = "outbox.other"
    try:
        return text(language, key, kind=html.escape(message.kind), **values)
    except KeyError:  # a newer kind whose data this text does not know
        return text(language, "outbox.other", kind=html.escape(message.kind), **values)


def _name_choices(
    language: str, data: dict[str, Any], values: dict[str, str], config: Config
) -> None:
    """Staff read "海淀区", not the id kept in the ticket."""
    form = config.report_form
    category = form.category(str(data.get("category", "")))
    district = form.district(str(data.get("district", "")))
    if category is not None:
        values["category"] = html.escape(category.label(language))
    if district is not None:
        values["district"] = html.escape(district.label(language))


def _deadline_values(
    language: str, data: dict[str, Any], values: dict[str, str], config: Config
) -> None:
    """Reminders and escalations: "认领" not "claim", local time not ISO, the queue's name."""
    if data.get("deadline") in ("claim", "resolve"):
        values["deadline"] = text(language, f"deadline.{data['deadline']}")
    due = data.get("due_at")
    if isinstance(due, str):
        try:
            moment = datetime.fromisoformat(due)
        except ValueError:
            moment = None
        if moment is not None:
            tz = timezone(timedelta(hours=config.tickets.utc_offset_hours))
            values["due_at"] = moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    for field in ("queue", "from_queue", "to_queue"):
        queue = config.inspection.queue(str(data.get(field, "")))
        if queue is not None:
            values[field] = html.escape(queue.name)
    holder = data.get("holder_name") or data.get("claimed_by")
    values["holder"] = (
        text(language, "outbox.holder", name=html.escape(str(holder))) if holder else ""
    )


def _seconds(retry_after: int | timedelta) -> float:
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)
