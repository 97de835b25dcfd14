"""Parents: the menu, policy questions, "did you mean", feedback, language, a word with staff."""

from __future__ import annotations

import html
import json
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.faq import FaqReply, TopicLink
from bot.i18n import LANGUAGES
from bot.tickets.outbox import utc_now
from handlers.common import (
    LANGUAGE_KEY,
    language_of,
    person_key,
    reply_html,
    state_copy,
    t,
)
from handlers.context import HotlineContext
from handlers.conversation import (
    recent_context,
    remember_context,
    reply_to_small_talk,
    wants_a_person,
)

# Longer questions are cut before matching: nobody asks a policy question in 4,000 characters,
# and the cost of segmenting a pasted essay should not fall on everyone else's replies.
MAX_QUESTION_CHARS = 500
AWAITING_STAFF_QUESTION = "awaiting_staff_question"
# How long "leave a question for staff" waits for the question.
STAFF_QUESTION_WAIT = timedelta(hours=1)
# Feedback reasons carried in callback data (kept short: 64 bytes at most).
DISLIKE_REASONS = {"t": "wrong_topic", "n": "not_answered", "o": "outdated"}


def register(app: Application, group: int = 0) -> None:  # type: ignore[type-arg]
    """Commands first, then buttons, then free text (the catch-all comes last in its group).
    New messages only: an edited question or command is not answered a second time."""
    new = filters.UpdateType.MESSAGE
    for name, command in (
        ("start", start),
        ("help", help_command),
        ("about", about),
        ("lang", choose_language),
        ("ask", ask_command),
    ):
        app.add_handler(CommandHandler(name, command, filters=new), group)
    app.add_handler(CallbackQueryHandler(menu_button, pattern=r"^m:(ask|human)$"), group)
    app.add_handler(CallbackQueryHandler(topic_button, pattern=r"^faq:[a-z0-9_.]+$"), group)
    app.add_handler(CallbackQueryHandler(feedback_button, pattern=r"^fb:"), group)
    app.add_handler(CallbackQueryHandler(language_button, pattern=r"^lang:(zh|en)$"), group)
    app.add_handler(CallbackQueryHandler(staff_button, pattern=r"^staff:ask$"), group)
    private = new & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, private_text), group)
    app.add_handler(MessageHandler(new & filters.ChatType.GROUPS & filters.TEXT, group_text), group)
    app.add_handler(MessageHandler(private & ~filters.COMMAND, not_text), group)


async def unknown_button(update: Update, context: HotlineContext) -> None:
    """A press no handler claims (an old keyboard, or forged data): answer it, change nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer(t(update, context, "button.expired"), show_alert=True)


def menu_markup(update: Update, context: HotlineContext) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(t(update, context, "menu.ask"), callback_data="m:ask")],
        [InlineKeyboardButton(t(update, context, "menu.report"), callback_data="m:report")],
        [InlineKeyboardButton(t(update, context, "menu.status"), callback_data="m:status")],
        [InlineKeyboardButton(t(update, context, "menu.human"), callback_data="m:human")],
    ]
    return InlineKeyboardMarkup(rows)


async def start(update: Update, context: HotlineContext) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_text(t(update, context, "group.start"), do_quote=False)
        return
    await reply_html(message, t(update, context, "start.greeting"), menu_markup(update, context))


async def help_command(update: Update, context: HotlineContext) -> None:
    if update.effective_message:
        await reply_html(update.effective_message, t(update, context, "help"))


async def about(update: Update, context: HotlineContext) -> None:
    if update.effective_message:
        hotline = context.services.config.local.get("report_hotline", "")
        text = t(update, context, "about", report_hotline=html.escape(hotline))
        await reply_html(update.effective_message, text)


async def choose_language(update: Update, context: HotlineContext) -> None:
    if update.effective_message is None:
        return
    buttons = [
        InlineKeyboardButton(t(update, context, f"lang.name.{code}"), callback_data=f"lang:{code}")
        for code in LANGUAGES
    ]
    markup = InlineKeyboardMarkup([buttons])
    await update.effective_message.reply_text(
        t(update, context, "lang.choose"), reply_markup=markup, do_quote=False
    )


async def language_button(update: Update, context: HotlineContext) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    language = query.data.split(":", 1)[1]
    if language not in LANGUAGES:
        await query.answer(t(update, context, "button.expired"), show_alert=True)
        return
    await context.services.chat_state.save(
        state_copy(context), person_key(update, context), LANGUAGE_KEY, language, utc_now()
    )
    await query.answer()
    await query.edit_message_text(t(update, context, "lang.set"))


async def ask_command(update: Update, context: HotlineContext) -> None:
    """``/ask 问题`` works everywhere, groups included."""
    message = update.effective_message
    if message is None:
        return
    question = " ".join(context.args or [])
    if not question.strip():
        await reply_html(message, t(update, context, "faq.ask_usage"))
        return
    await answer_question(update, context, message, question)


async def private_text(update: Update, context: HotlineContext) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    if update.effective_user is not None and await context.services.chat_state.forget(
        state_copy(context), person_key(update, context), AWAITING_STAFF_QUESTION
    ):
        await leave_question_for_staff(update, context, message, message.text)
        return
    await answer_question(update, context, message, message.text)


async def group_text(update: Update, context: HotlineContext) -> None:
    """In groups the bot speaks only when addressed by @mention; it never chats on its own."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    question = _strip_mention(message, context.bot.username)
    if question is not None:
        await answer_question(update, context, message, question)


def _strip_mention(message: Message, username: str) -> str | None:
    """The text without ``@bot``, or None when the bot is not mentioned."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type != MessageEntityType.MENTION:
            continue
        if message.parse_entity(entity).lower() == f"@{username}".lower():
            return text[: entity.offset] + " " + text[entity.offset + entity.length :]
    return None


async def not_text(update: Update, context: HotlineContext) -> None:
    """Stickers, photos without a question, voice notes ...: ask for words, change nothing."""
    if update.effective_message:
        await update.effective_message.reply_text(
            t(update, context, "faq.need_text"), do_quote=False
        )


async def answer_question(
    update: Update, context: HotlineContext, message: Message, question: str
) -> None:
    question = question[:MAX_QUESTION_CHARS]
    # Small talk and "人工" get replies of their own (handlers/conversation.py).
    if await reply_to_small_talk(update, context, message, question):
        return
    if wants_a_person(question):
        await show_human_contact(update, context, message)
        return
    language = language_of(update, context)
    faq = await context.services.current_faq()
    reply = faq.ask(question, language, recent_context(context))
    if not reply.match.terms:
        await reply_html(message, t(update, context, "faq.empty"))
        return
    if reply.band == "answer":
        sent = await send_answer(update, context, message, reply)
        await _remember_question(update, context, sent.message_id, question)
        await remember_context(update, context, question, reply)
        return
    asker = asker_key(update, context)
    await context.services.questions.record(question, reply.band, reply.entry_id, asker, language)
    if reply.band == "suggest":
        markup = suggestion_markup(update, context, reply)
        await reply_html(message, t(update, context, "faq.suggest"), markup)
        return
    hotline = context.services.config.local.get("citizen_hotline", "")
    text = t(update, context, "faq.none", citizen_hotline=html.escape(hotline))
    await reply_html(message, text, out_of_scope_markup(update, context))


async def send_answer(
    update: Update, context: HotlineContext, message: Message, reply: FaqReply
) -> Message:
    if reply.also is not None:
        return await send_two_answers(update, context, message, reply, reply.also)
    html_text = (
        f"<b>{html.escape(reply.question)}</b>\n\n{html.escape(reply.answer)}\n\n"
        f"<i>{html.escape(t(update, context, 'faq.source', source=reply.source))}</i>"
    )
    return await reply_html(message, html_text, answer_markup(update, context, reply))


async def send_two_answers(
    update: Update, context: HotlineContext, message: Message, first: FaqReply, second: FaqReply
) -> Message:
    """A question on two topics: each topic's short answer, and each full answer a button away."""
    parts = [
        f"<b>{html.escape(r.question)}</b>\n{html.escape(r.short_answer)}" for r in (first, second)
    ]
    html_text = "\n\n".join([t(update, context, "faq.two_topics"), *parts])
    rows = [
        _topic_row(context.services.faq.link(r.entry_id or "", r.language)) for r in (first, second)
    ]
    rows.append(list(answer_markup(update, context, first).inline_keyboard[-1]))
    return await reply_html(message, html_text, InlineKeyboardMarkup(rows))


def answer_markup(update: Update, context: HotlineContext, reply: FaqReply) -> InlineKeyboardMarkup:
    entry_id = reply.entry_id or ""
    rows = [_topic_row(link) for link in reply.related[:3]]
    rows.append(
        [
            InlineKeyboardButton("👍", callback_data=f"fb:up:{entry_id}"),
            InlineKeyboardButton("👎", callback_data=f"fb:down:{entry_id}"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _topic_row(link: TopicLink) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(link.question, callback_data=f"faq:{link.id}")]


def suggestion_markup(
    update: Update, context: HotlineContext, reply: FaqReply
) -> InlineKeyboardMarkup:
    rows = [_topic_row(link) for link in reply.suggestions]
    rows.append(
        [InlineKeyboardButton(t(update, context, "faq.none_of_these"), callback_data="staff:ask")]
    )
    return InlineKeyboardMarkup(rows)


def out_of_scope_markup(update: Update, context: HotlineContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(update, context, "staff.leave"), callback_data="staff:ask")],
            [InlineKeyboardButton(t(update, context, "menu.human"), callback_data="m:human")],
        ]
    )


async def topic_button(update: Update, context: HotlineContext) -> None:
    """A "did you mean" or related-topic button: show that topic's answer."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    entry_id = query.data.removeprefix("faq:")
    if context.services.faq.kb.get(entry_id) is None:
        await query.answer(t(update, context, "button.expired"), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        reply = context.services.faq.answer(entry_id, language_of(update, context))
        await send_answer(update, context, query.message, reply)


async def feedback_button(update: Update, context: HotlineContext) -> None:
    """👍 closes the feedback; 👎 asks why; the reason is logged with the question asked."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    parts = query.data.split(":")
    entry_id = parts[-1]
    known = context.services.faq.kb.get(entry_id) is not None
    if not known or not _valid_feedback(parts):
        await query.answer(t(update, context, "button.expired"), show_alert=True)
        return
    await query.answer(t(update, context, "feedback.thanks") if parts[1] != "down" else None)
    message = query.message if isinstance(query.message, Message) else None
    if parts[1] == "down":
        await query.edit_message_reply_markup(_dislike_markup(update, context, entry_id))
        return
    if parts[1] == "w" and message is not None:
        question = _asked_before(context, message.message_id) or ""
        reason = DISLIKE_REASONS[parts[2]]
        asker = asker_key(update, context)
        language = language_of(update, context)
        await context.services.questions.record_dislike(question, entry_id, reason, asker, language)
    await query.edit_message_reply_markup(None)


def _valid_feedback(parts: list[str]) -> bool:
    if len(parts) == 3:
        return parts[1] in ("up", "down")
    return len(parts) == 4 and parts[1] == "w" and parts[2] in DISLIKE_REASONS


def _dislike_markup(update: Update, context: HotlineContext, entry_id: str) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                t(update, context, f"feedback.{reason}"), callback_data=f"fb:w:{code}:{entry_id}"
            )
        ]
        for code, reason in DISLIKE_REASONS.items()
    ]
    return InlineKeyboardMarkup(rows)


async def menu_button(update: Update, context: HotlineContext) -> None:
    query = update.callback_query
    if query is None or query.data is None or not isinstance(query.message, Message):
        return
    await query.answer()
    if query.data == "m:ask":
        await reply_html(query.message, t(update, context, "menu.ask_prompt"))
        return
    await show_human_contact(update, context, query.message)


async def show_human_contact(update: Update, context: HotlineContext, message: Message) -> None:
    local = context.services.config.local
    text = t(
        update,
        context,
        "human.contact",
        report_hotline=html.escape(local.get("report_hotline", "")),
        citizen_hotline=html.escape(local.get("citizen_hotline", "")),
        service_hours=html.escape(local.get("service_hours", "")),
    )
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(update, context, "staff.leave"), callback_data="staff:ask")]]
    )
    await reply_html(message, text, markup)


async def staff_button(update: Update, context: HotlineContext) -> None:
    query = update.callback_query
    if query is None or not isinstance(query.message, Message) or update.effective_user is None:
        return
    await query.answer()
    if query.message.chat.type != ChatType.PRIVATE:
        await reply_html(query.message, t(update, context, "staff.private_only"))
        return
    await context.services.chat_state.save(
        state_copy(context),
        person_key(update, context),
        AWAITING_STAFF_QUESTION,
        "yes",
        utc_now(),
        ttl=STAFF_QUESTION_WAIT,
    )
    await reply_html(query.message, t(update, context, "staff.prompt"))


async def leave_question_for_staff(
    update: Update, context: HotlineContext, message: Message, question: str
) -> None:
    if not question.strip():
        await reply_html(message, t(update, context, "faq.empty"))
        return
    await context.services.questions.record_for_staff(
        question[:MAX_QUESTION_CHARS], asker_key(update, context), language_of(update, context)
    )
    hours = html.escape(context.services.config.local.get("service_hours", ""))
    await reply_html(message, t(update, context, "staff.received", service_hours=hours))


# The question behind each recent answer, so a 👎 can log what was actually asked.
RECENT_QUESTIONS_KEY = "recent_questions"
RECENT_QUESTIONS_KEPT = 20
RECENT_QUESTIONS_TTL = timedelta(days=2)


async def _remember_question(
    update: Update, context: HotlineContext, message_id: int, question: str
) -> None:
    if update.effective_user is None:
        return
    recent = _recent_questions(context)
    recent[str(message_id)] = question
    while len(recent) > RECENT_QUESTIONS_KEPT:
        recent.pop(next(iter(recent)))
    await context.services.chat_state.save(
        state_copy(context),
        person_key(update, context),
        RECENT_QUESTIONS_KEY,
        json.dumps(recent, ensure_ascii=False),
        utc_now(),
        ttl=RECENT_QUESTIONS_TTL,
        with_update=update.update_id,
    )


def _asked_before(context: HotlineContext, message_id: int) -> str | None:
    return _recent_questions(context).get(str(message_id))


def _recent_questions(context: HotlineContext) -> dict[str, str]:
    raw = context.user_data.get(RECENT_QUESTIONS_KEY) if context.user_data is not None else None
    try:
        recent = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return recent if isinstance(recent, dict) else {}


def asker_key(update: Update, context: HotlineContext) -> str:
    """A keyed hash of the asker: groups repeats without ever storing who asked."""
    user = update.effective_user
    return context.services.pseudonym(user.id) if user else ""
