"""Sending what the outbox holds: each message kind rendered from the catalogs.

Messages to a reporter are written in both languages: the outbox does not know which one they
read, and keeping their language with the ticket would be one more thing known about them.
Staff chats read Chinese.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application

from bot.config import Config
from bot.i18n import CATALOGS, LANGUAGES, text
from bot.services import Services
from bot.tickets.model import MessageKind
from bot.tickets.outbox import OutgoingMessage, RetryLater, Send, Undeliverable

TO_REPORTER = frozenset({MessageKind.RECEIPT, MessageKind.STATUS_CHANGED, MessageKind.QUESTION})
STAFF_LANGUAGE = "zh"


def outbox_sender(app: Application) -> Send:  # type: ignore[type-arg]
    services: Services = app.bot_data

    async def send(message: OutgoingMessage) -> None:
        rendered = render(message, services.config)
        try:
            await app.bot.send_message(message.chat_id, rendered, parse_mode=ParseMode.HTML)
        except RetryAfter as exc:
            raise RetryLater(_seconds(exc.retry_after)) from exc
        except Forbidden as exc:  # blocked by the user, or removed from the group
            raise Undeliverable(str(exc)) from exc
        except BadRequest as exc:  # chat not found, or a message Telegram will never take
            raise Undeliverable(str(exc)) from exc

    return send


def render(message: OutgoingMessage, config: Config) -> str:
    if message.kind in TO_REPORTER:
        return "\n\n".join(render_in(language, message, config) for language in LANGUAGES)
    return render_in(STAFF_LANGUAGE, message, config)


def render_in(language: str, message: OutgoingMessage, config: Config) -> str:
    values = {k: html.escape(str(v)) for k, v in message.data.items()}
    values.setdefault("ticket_number", "")
    _name_choices(language, message.data, values, config)
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


def _seconds(retry_after: int | timedelta) -> float:
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)
