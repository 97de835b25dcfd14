"""/teach: supervisors and admins turn missed questions into phrasings (see bot.teaching)."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.teaching import Taught
from handlers.callbacks import Prefix, data, pattern, payload
from handlers.common import answer_press, reply_html
from handlers.request import Request, answering

# Missed questions shown by one /teach.
TEACH_SHOWN = 5
KIND_MARKS = {"unanswered": "❔", "unsure": "🤔", "disliked": "👎"}


def register(app: Application, group: int) -> None:  # type: ignore[type-arg]
    new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("teach", answering(teach_command), filters=new), group)
    app.add_handler(
        CallbackQueryHandler(
            answering(teach_button), pattern=pattern(Prefix.TEACH, r"\d+:[a-z0-9_.]+$")
        ),
        group,
    )
    app.add_handler(
        CallbackQueryHandler(answering(undo_button), pattern=pattern(Prefix.UNTEACH, r"\d+$")),
        group,
    )


async def teach_command(request: Request) -> None:
    message = request.message
    if message is None:
        return
    teaching = request.services.teaching
    if not teaching.may_teach(request.user_id):
        await reply_html(message, request.t("teach.not_allowed"))
        return
    if message.chat.type != ChatType.PRIVATE:
        await reply_html(message, request.t("teach.private_only"))
        return
    items = await teaching.pending(TEACH_SHOWN)
    if not items:
        await reply_html(message, request.t("teach.nothing"))
        return
    await reply_html(message, request.t("teach.intro", count=len(items)))
    faq = teaching.faq
    for item in items:
        rows = [
            [
                InlineKeyboardButton(
                    faq.link(entry_id, "zh").question,
                    callback_data=data(Prefix.TEACH, item.log_id, entry_id),
                )
            ]
            for entry_id in item.likely
        ]
        text = f"{KIND_MARKS.get(item.kind, '')} {html.escape(item.question)}"
        if not rows:
            text += "\n" + request.t("teach.no_likely")
        await reply_html(message, text, InlineKeyboardMarkup(rows) if rows else None)


async def teach_button(request: Request) -> None:
    query = request.query
    parts = payload(Prefix.TEACH, query.data) if query is not None else None
    if parts is None:
        return
    log_id, entry_id = parts
    taught = await request.services.teaching.teach(request.user_id, int(log_id), entry_id)
    await _show(request, taught)


async def undo_button(request: Request) -> None:
    query = request.query
    parts = payload(Prefix.UNTEACH, query.data) if query is not None else None
    if parts is None:
        return
    taught_id = int(parts[0])
    undone = await request.services.teaching.undo(request.user_id, taught_id)
    await _show(request, undone)


async def _show(request: Request, taught: Taught) -> None:
    query = request.query
    assert query is not None
    if taught.outcome in ("not_allowed", "unknown", "already"):
        await answer_press(query, request.t(f"teach.{taught.outcome}"), alert=True)
        return
    await answer_press(query)
    entry = request.services.faq.kb.get(taught.entry_id)
    values = {
        "question": html.escape(taught.question),
        "entry": html.escape(entry.question.zh if entry else taught.entry_id),
        "reason": html.escape(taught.reason),
    }
    text = request.t(f"teach.{taught.outcome}", **values)
    markup = None
    if taught.outcome == "taught" and taught.taught_id is not None:
        undo = InlineKeyboardButton(
            request.t("teach.undo"), callback_data=data(Prefix.UNTEACH, taught.taught_id)
        )
        markup = InlineKeyboardMarkup([[undo]])
    if isinstance(query.message, Message):
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)
