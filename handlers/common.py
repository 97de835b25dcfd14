"""Small pieces every audience's handlers share: safe long replies, answered presses."""

from __future__ import annotations

import contextlib

from telegram import CallbackQuery, InlineKeyboardMarkup, Message
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest

from handlers.context import HotlineContext


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
