"""/teach: supervisors and admins turn missed questions into phrasings (see bot.teaching)."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.teaching import Taught
from handlers.common import answer_press, reply_html, t
from handlers.context import HotlineContext

# Missed questions shown by one /teach.
TEACH_SHOWN = 5
KIND_MARKS = {"unanswered": "❔", "unsure": "🤔", "disliked": "👎"}


def register(app: Application, group: int) -> None:  # type: ignore[type-arg]
    new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("teach", teach_command, filters=new), group)
    app.add_handler(CallbackQueryHandler(teach_button, pattern=r"^tch:\d+:[a-z0-9_.]+$"), group)
    app.add_handler(CallbackQueryHandler(undo_button, pattern=r"^tchu:\d+$"), group)


async def teach_command(update: Update, context: HotlineContext) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    teaching = context.services.teaching
    if not teaching.may_teach(user.id):
        await reply_html(message, t(update, context, "teach.not_allowed"))
        return
    if message.chat.type != ChatType.PRIVATE:
        await reply_html(message, t(update, context, "teach.private_only"))
        return
    items = await teaching.pending(TEACH_SHOWN)
    if not items:
        await reply_html(message, t(update, context, "teach.nothing"))
        return
    await reply_html(message, t(update, context, "teach.intro", count=len(items)))
    faq = teaching.faq
    for item in items:
        rows = [
            [
                InlineKeyboardButton(
                    faq.link(entry_id, "zh").question, callback_data=f"tch:{item.log_id}:{entry_id}"
                )
            ]
            for entry_id in item.likely
        ]
        text = f"{KIND_MARKS.get(item.kind, '')} {html.escape(item.question)}"
        if not rows:
            text += "\n" + t(update, context, "teach.no_likely")
        await reply_html(message, text, InlineKeyboardMarkup(rows) if rows else None)


async def teach_button(update: Update, context: HotlineContext) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    _, log_id, entry_id = query.data.split(":", 2)
    taught = await context.services.teaching.teach(update.effective_user.id, int(log_id), entry_id)
    await _show(update, context, taught)


async def undo_button(update: Update, context: HotlineContext) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    taught_id = int(query.data.split(":", 1)[1])
    undone = await context.services.teaching.undo(update.effective_user.id, taught_id)
    await _show(update, context, undone)


async def _show(update: Update, context: HotlineContext, taught: Taught) -> None:
    query = update.callback_query
    assert query is not None
    if taught.outcome in ("not_allowed", "unknown", "already"):
        await answer_press(query, t(update, context, f"teach.{taught.outcome}"), alert=True)
        return
    await answer_press(query)
    entry = context.services.faq.kb.get(taught.entry_id)
    values = {
        "question": html.escape(taught.question),
        "entry": html.escape(entry.question.zh if entry else taught.entry_id),
        "reason": html.escape(taught.reason),
    }
    text = t(update, context, f"teach.{taught.outcome}", **values)
    markup = None
    if taught.outcome == "taught" and taught.taught_id is not None:
        undo = InlineKeyboardButton(
            t(update, context, "teach.undo"), callback_data=f"tchu:{taught.taught_id}"
        )
        markup = InlineKeyboardMarkup([[undo]])
    if isinstance(query.message, Message):
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)
