"""Small pieces every audience's handlers share: the reader's language and safe long replies."""

from __future__ import annotations

import contextlib

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest

from bot.i18n import Language, language_from_code, text
from bot.updates.chat_state import StateCopy
from bot.updates.inbox import effect_key
from handlers.context import HotlineContext

LANGUAGE_KEY = "language"


def person_key(update: Update, context: HotlineContext) -> str:
    """The keyed hash that stands for the person behind an update (never their Telegram id)."""
    user = update.effective_user
    assert user is not None, "only updates from a person carry chat state"
    return context.services.pseudonym(user.id)


def applied_once(update: Update) -> str:
    """The key under which this update's effect is applied once, however often it is handled
    (a replay after a crash): see the store's ``first_application``."""
    return effect_key(update.update_id)


def effect_applied(update: Update, context: HotlineContext) -> bool:
    """Whether this update is a replay whose effect was committed before a crash."""
    held = context.services.inbox.in_hand(update.update_id)
    return held is not None and held.effect_applied


def state_copy(context: HotlineContext) -> StateCopy:
    """This update's copy of the person's chat state (see :mod:`bot.updates.chat_state`)."""
    assert context.user_data is not None, "only updates from a person carry chat state"
    return context.user_data


def language_of(update: Update, context: HotlineContext) -> Language:
    """The language the user chose with /lang, else the one their Telegram app uses."""
    chosen = context.user_data.get(LANGUAGE_KEY) if context.user_data is not None else None
    if chosen in ("zh", "en"):
        return chosen  # type: ignore[no-any-return]
    user = update.effective_user
    return language_from_code(user.language_code if user else None)


def split_message(html: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Cut HTML text into parts under ``limit``, at line breaks where possible.

    Our markup never spans lines, so a cut at a line break never splits a tag. A single line
    longer than the limit (only ever escaped plain text) is cut where no entity is broken.
    """
    parts: list[str] = []
    current = ""
    for line in html.split("\n"):
        while len(line) > limit:
            cut = _safe_cut(line, limit)
            parts, current = _flush(parts, current), ""
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts, current = _flush(parts, current), line
        else:
            current = candidate
    return [p for p in _flush(parts, current) if p.strip()]


def _flush(parts: list[str], current: str) -> list[str]:
    return [*parts, current] if current else parts


def _safe_cut(line: str, limit: int) -> int:
    amp = line.rfind("&", max(0, limit - 10), limit)
    if amp != -1 and ";" not in line[amp:limit]:
        return amp  # don't split "&amp;" and friends
    return limit


async def reply_html(
    message: Message, html: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send ``html`` as one or more messages; buttons go on the last one."""
    parts = split_message(html)
    sent = message
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await message.reply_text(
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if last else None,
            do_quote=False,
        )
    return sent


def t(update: Update, context: HotlineContext, key: str, **values: object) -> str:
    return text(language_of(update, context), key, **values)


async def send_html(
    context: HotlineContext, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Like :func:`reply_html`, for callbacks whose message may be too old to reply to."""
    sent: Message | None = None
    parts = split_message(html)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await context.bot.send_message(
            chat_id, part, parse_mode=ParseMode.HTML, reply_markup=markup if last else None
        )
    assert sent is not None, "nothing to send"
    return sent


async def answer_press(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press. A press replayed after a restart may be too old to answer;
    the work it asked for still gets done."""
    with contextlib.suppress(BadRequest):
        await query.answer(text, show_alert=alert)
