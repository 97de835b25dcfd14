"""What every handler is given: one request, built once from the update by :func:`answering`.

It says who asked and where, in which language, what they sent (a message or a button press)
and what they typed after the command; it carries the services, the one clock's "now" and the
person's chat state, already bound to the person, the update and that "now". This module is
the only one in handlers/ that touches PTB's ``user_data``: the copy of the chat state loaded
for each update (by the gatekeepers, through :func:`load_chat_state`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ExtBot

from bot.i18n import Language, language_from_code, text
from bot.services import Services
from bot.store.base import StoreError
from bot.updates.chat_state import PersonState
from bot.updates.inbox import effect_key
from handlers.common import send_html
from handlers.context import HotlineContext

log = logging.getLogger(__name__)

LANGUAGE_KEY = "language"
Result = TypeVar("Result")


# No repr: a request names a person (Telegram ids, what they typed), and must never be logged.
@dataclass(frozen=True, repr=False)
class Request:
    """Who asked, where, in which language, what they sent, and what they typed after it."""

    context: HotlineContext  # PTB's: the bot, and the services
    update_id: int
    user_id: int
    person: str  # the keyed hash that stands for the asker in the store (never their id)
    chat_id: int
    private: bool
    language: Language
    # The message a command or text came in; None for a button press (see ``query``).
    message: Message | None
    query: CallbackQuery | None
    args: tuple[str, ...]
    now: datetime  # the services' clock, read once for the update
    state: PersonState  # the person's chat state

    @property
    def services(self) -> Services:
        return self.context.services

    @property
    def bot(self) -> ExtBot[None]:
        return self.context.bot

    @property
    def once(self) -> str:
        """The key that makes this update's effect happen once, however often it is handled (a
        replay after a crash): see the store's ``first_application``."""
        return effect_key(self.update_id)

    @property
    def effect_applied(self) -> bool:
        """Whether this update is a replay whose effect was committed before a crash."""
        held = self.services.inbox.in_hand(self.update_id)
        return held is not None and held.effect_applied

    def t(self, key: str, **values: object) -> str:
        """The catalog text ``key`` in the asker's language."""
        return text(self.language, key, **values)

    async def send(self, html: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        """HTML to the chat the request came from (see :func:`send_html`)."""
        return await send_html(self.context, self.chat_id, html, markup)

    def rest(self, skip: int) -> str:
        """The text after the command and ``skip`` words, line breaks kept."""
        body = self.message.text if self.message and self.message.text else ""
        match = re.match(r"^\S+" + r"\s+\S+" * skip + r"\s*(.*)$", body, re.DOTALL)
        return match.group(1).strip() if match else ""


def request_of(update: Update, context: HotlineContext) -> Request | None:
    """The request an update makes; None if it comes from no person in no chat."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or context.user_data is None:
        return None
    services = context.services
    now = services.clock()
    copy = context.user_data
    person = _person(update.update_id, user.id, services)
    state = PersonState(services.chat_state, copy, person, now, update.update_id)
    query = update.callback_query
    return Request(
        context=context,
        update_id=update.update_id,
        user_id=user.id,
        person=person,
        chat_id=chat.id,
        private=chat.type == ChatType.PRIVATE,
        language=_language(state, user.language_code),
        message=update.effective_message if query is None else None,
        query=query,
        args=tuple(context.args or ()),
        now=now,
        state=state,
    )


def _person(update_id: int, user_id: int, services: Services) -> str:
    """The asker's keyed hash: the one the inbox took when it recorded the update (an HMAC
    a request per update would otherwise compute again), else computed here."""
    held = services.inbox.in_hand(update_id)
    if held is not None and held.sender is not None:
        return held.sender
    return services.pseudonym(user_id)


def _language(state: PersonState, telegram_code: str | None) -> Language:
    """The language the person chose with /lang, else the one their Telegram app uses."""
    chosen = state.get(LANGUAGE_KEY)
    if chosen in ("zh", "en"):
        return chosen  # type: ignore[return-value]
    return language_from_code(telegram_code)


def language_of(update: object, context: HotlineContext) -> Language:
    """The language to tell an update's sender something in, request or not (errors)."""
    request = request_of(update, context) if isinstance(update, Update) else None
    if request is not None:
        return request.language
    user = update.effective_user if isinstance(update, Update) else None
    return language_from_code(user.language_code if user else None)


def answering(
    handler: Callable[[Request], Awaitable[Result]],
) -> Callable[[Update, HotlineContext], Coroutine[Any, Any, Result | None]]:
    """The PTB callback for ``handler``: the request is built here, once, and handed on."""

    @functools.wraps(handler)
    async def callback(update: Update, context: HotlineContext) -> Result | None:
        request = request_of(update, context)
        return None if request is None else await handler(request)

    return callback


async def load_chat_state(context: HotlineContext, person: str | None) -> None:
    """The store's chat state is the truth: whatever another instance changed since this one
    last saw the person replaces the copy the update's request reads."""
    if person is None or context.user_data is None:
        return
    try:
        state = await context.services.chat_state.load(person, context.services.clock())
    except StoreError:
        log.warning("chat state not read (database busy); using this instance's last copy")
        return
    context.user_data.clear()
    context.user_data.update(state)
