"""Parents: the menu, policy questions, "did you mean", feedback, language, a word with staff."""

from __future__ import annotations

import html
import json
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.faq import FaqReply, TopicLink
from bot.i18n import LANGUAGES, text
from handlers.callbacks import Prefix, data, pattern, payload
from handlers.common import reply_html
from handlers.conversation import (
    recent_context,
    remember_context,
    reply_to_small_talk,
    wants_a_person,
)
from handlers.request import LANGUAGE_KEY, Request, answering

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
        app.add_handler(CommandHandler(name, answering(command), filters=new), group)
    app.add_handler(
        CallbackQueryHandler(answering(menu_button), pattern=pattern(Prefix.MENU, "(ask|human)$")),
        group,
    )
    app.add_handler(
        CallbackQueryHandler(
            answering(topic_button), pattern=pattern(Prefix.TOPIC, "[a-z0-9_.]+$")
        ),
        group,
    )
    app.add_handler(
        CallbackQueryHandler(answering(feedback_button), pattern=pattern(Prefix.FEEDBACK)), group
    )
    app.add_handler(
        CallbackQueryHandler(
            answering(language_button), pattern=pattern(Prefix.LANGUAGE, "(zh|en)$")
        ),
        group,
    )
    app.add_handler(
        CallbackQueryHandler(answering(staff_button), pattern=pattern(Prefix.ASK_STAFF, "ask$")),
        group,
    )
    private = new & filters.ChatType.PRIVATE
    app.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, answering(private_text)), group
    )
    app.add_handler(
        MessageHandler(new & filters.ChatType.GROUPS & filters.TEXT, answering(group_text)), group
    )
    app.add_handler(MessageHandler(private & ~filters.COMMAND, answering(not_text)), group)


@answering
async def unknown_button(request: Request) -> None:
    """A press no handler claims (an old keyboard, or forged data): answer it, change nothing."""
    if request.query is not None:
        await request.query.answer(request.t("button.expired"), show_alert=True)


def menu_markup(request: Request) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(request.t("menu.ask"), callback_data=data(Prefix.MENU, "ask"))],
        [InlineKeyboardButton(request.t("menu.report"), callback_data=data(Prefix.MENU, "report"))],
        [InlineKeyboardButton(request.t("menu.status"), callback_data=data(Prefix.MENU, "status"))],
        [InlineKeyboardButton(request.t("menu.human"), callback_data=data(Prefix.MENU, "human"))],
    ]
    return InlineKeyboardMarkup(rows)


async def start(request: Request) -> None:
    message = request.message
    if message is None:
        return
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_text(request.t("group.start"), do_quote=False)
        return
    await reply_html(message, request.t("start.greeting"), menu_markup(request))


async def help_command(request: Request) -> None:
    if request.message:
        await reply_html(request.message, request.t("help"))


async def about(request: Request) -> None:
    if request.message:
        hotline = request.services.config.local.get("report_hotline", "")
        text = request.t("about", report_hotline=html.escape(hotline))
        await reply_html(request.message, text)


async def choose_language(request: Request) -> None:
    if request.message is None:
        return
    buttons = [
        InlineKeyboardButton(
            request.t(f"lang.name.{code}"), callback_data=data(Prefix.LANGUAGE, code)
        )
        for code in LANGUAGES
    ]
    markup = InlineKeyboardMarkup([buttons])
    await request.message.reply_text(request.t("lang.choose"), reply_markup=markup, do_quote=False)


async def language_button(request: Request) -> None:
    query = request.query
    if query is None or query.data is None:
        return
    language = query.data.split(":", 1)[1]
    if language not in LANGUAGES:
        await query.answer(request.t("button.expired"), show_alert=True)
        return
    await request.state.set(LANGUAGE_KEY, language)
    await query.answer()
    # In the language just chosen (the request was made in the one before).
    await query.edit_message_text(text(language, "lang.set"))


async def ask_command(request: Request) -> None:
    """``/ask 问题`` works everywhere, groups included."""
    message = request.message
    if message is None:
        return
    question = " ".join(request.args)
    if not question.strip():
        await reply_html(message, request.t("faq.ask_usage"))
        return
    await answer_question(request, message, question)


async def private_text(request: Request) -> None:
    message = request.message
    if message is None or message.text is None:
        return
    if await request.state.forget(AWAITING_STAFF_QUESTION):
        await leave_question_for_staff(request, message, message.text)
        return
    await answer_question(request, message, message.text)


async def group_text(request: Request) -> None:
    """In groups the bot speaks only when addressed by @mention; it never chats on its own."""
    message = request.message
    if message is None or message.text is None:
        return
    question = _strip_mention(message, request.bot.username)
    if question is not None:
        await answer_question(request, message, question)


def _strip_mention(message: Message, username: str) -> str | None:
    """The text without ``@bot``, or None when the bot is not mentioned."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type != MessageEntityType.MENTION:
            continue
        if message.parse_entity(entity).lower() == f"@{username}".lower():
            return text[: entity.offset] + " " + text[entity.offset + entity.length :]
    return None


async def not_text(request: Request) -> None:
    """Stickers, photos without a question, voice notes ...: ask for words, change nothing."""
    if request.message:
        await request.message.reply_text(request.t("faq.need_text"), do_quote=False)


async def answer_question(request: Request, message: Message, question: str) -> None:
    question = question[:MAX_QUESTION_CHARS]
    # Small talk and "人工" get replies of their own (handlers/conversation.py).
    if await reply_to_small_talk(request, message, question):
        return
    if wants_a_person(question):
        await show_human_contact(request, message)
        return
    language = request.language
    faq = await request.services.current_faq()
    reply = faq.ask(question, language, recent_context(request))
    if not reply.match.terms:
        await reply_html(message, request.t("faq.empty"))
        return
    if reply.band == "answer":
        sent = await send_answer(request, message, reply)
        await _remember_question(request, sent.message_id, question)
        await remember_context(request, question, reply)
        return
    asker = request.person
    await request.services.questions.record(question, reply.band, reply.entry_id, asker, language)
    if reply.band == "suggest":
        markup = suggestion_markup(request, reply)
        await reply_html(message, request.t("faq.suggest"), markup)
        return
    hotline = request.services.config.local.get("citizen_hotline", "")
    text = request.t("faq.none", citizen_hotline=html.escape(hotline))
    await reply_html(message, text, out_of_scope_markup(request))


async def send_answer(request: Request, message: Message, reply: FaqReply) -> Message:
    if reply.also is not None:
        return await send_two_answers(request, message, reply, reply.also)
    html_text = (
        f"<b>{html.escape(reply.question)}</b>\n\n{html.escape(reply.answer)}\n\n"
        f"<i>{html.escape(request.t('faq.source', source=reply.source))}</i>"
    )
    return await reply_html(message, html_text, answer_markup(request, reply))


async def send_two_answers(
    request: Request, message: Message, first: FaqReply, second: FaqReply
) -> Message:
    """A question on two topics: each topic's short answer, and each full answer a button away."""
    parts = [
        f"<b>{html.escape(r.question)}</b>\n{html.escape(r.short_answer)}" for r in (first, second)
    ]
    html_text = "\n\n".join([request.t("faq.two_topics"), *parts])
    rows = [
        _topic_row(request.services.faq.link(r.entry_id or "", r.language)) for r in (first, second)
    ]
    rows.append(list(answer_markup(request, first).inline_keyboard[-1]))
    return await reply_html(message, html_text, InlineKeyboardMarkup(rows))


def answer_markup(request: Request, reply: FaqReply) -> InlineKeyboardMarkup:
    entry_id = reply.entry_id or ""
    rows = [_topic_row(link) for link in reply.related[:3]]
    rows.append(
        [
            InlineKeyboardButton("👍", callback_data=data(Prefix.FEEDBACK, "up", entry_id)),
            InlineKeyboardButton("👎", callback_data=data(Prefix.FEEDBACK, "down", entry_id)),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _topic_row(link: TopicLink) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(link.question, callback_data=data(Prefix.TOPIC, link.id))]


def suggestion_markup(request: Request, reply: FaqReply) -> InlineKeyboardMarkup:
    rows = [_topic_row(link) for link in reply.suggestions]
    rows.append(
        [
            InlineKeyboardButton(
                request.t("faq.none_of_these"), callback_data=data(Prefix.ASK_STAFF, "ask")
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def out_of_scope_markup(request: Request) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    request.t("staff.leave"), callback_data=data(Prefix.ASK_STAFF, "ask")
                )
            ],
            [
                InlineKeyboardButton(
                    request.t("menu.human"), callback_data=data(Prefix.MENU, "human")
                )
            ],
        ]
    )


async def topic_button(request: Request) -> None:
    """A "did you mean" or related-topic button: show that topic's answer."""
    query = request.query
    parts = payload(Prefix.TOPIC, query.data) if query is not None else None
    if query is None or parts is None:
        return
    entry_id = parts[0]
    if request.services.faq.kb.get(entry_id) is None:
        await query.answer(request.t("button.expired"), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        reply = request.services.faq.answer(entry_id, request.language)
        await send_answer(request, query.message, reply)


async def feedback_button(request: Request) -> None:
    """👍 closes the feedback; 👎 asks why; the reason is logged with the question asked."""
    query = request.query
    if query is None or query.data is None:
        return
    parts = query.data.split(":")
    entry_id = parts[-1]
    known = request.services.faq.kb.get(entry_id) is not None
    if not known or not _valid_feedback(parts):
        await query.answer(request.t("button.expired"), show_alert=True)
        return
    await query.answer(request.t("feedback.thanks") if parts[1] != "down" else None)
    message = query.message if isinstance(query.message, Message) else None
    if parts[1] == "down":
        await query.edit_message_reply_markup(_dislike_markup(request, entry_id))
        return
    if parts[1] == "w" and message is not None:
        question = _asked_before(request, message.message_id) or ""
        reason = DISLIKE_REASONS[parts[2]]
        await request.services.questions.record_dislike(
            question, entry_id, reason, request.person, request.language
        )
    await query.edit_message_reply_markup(None)


def _valid_feedback(parts: list[str]) -> bool:
    if len(parts) == 3:
        return parts[1] in ("up", "down")
    return len(parts) == 4 and parts[1] == "w" and parts[2] in DISLIKE_REASONS


def _dislike_markup(request: Request, entry_id: str) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                request.t(f"feedback.{reason}"),
                callback_data=data(Prefix.FEEDBACK, "w", code, entry_id),
            )
        ]
        for code, reason in DISLIKE_REASONS.items()
    ]
    return InlineKeyboardMarkup(rows)


async def menu_button(request: Request) -> None:
    query = request.query
    if query is None or query.data is None or not isinstance(query.message, Message):
        return
    await query.answer()
    if query.data == data(Prefix.MENU, "ask"):
        await reply_html(query.message, request.t("menu.ask_prompt"))
        return
    await show_human_contact(request, query.message)


async def show_human_contact(request: Request, message: Message) -> None:
    local = request.services.config.local
    text = request.t(
        "human.contact",
        report_hotline=html.escape(local.get("report_hotline", "")),
        citizen_hotline=html.escape(local.get("citizen_hotline", "")),
        service_hours=html.escape(local.get("service_hours", "")),
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    request.t("staff.leave"), callback_data=data(Prefix.ASK_STAFF, "ask")
                )
            ]
        ]
    )
    await reply_html(message, text, markup)


async def staff_button(request: Request) -> None:
    query = request.query
    if query is None or not isinstance(query.message, Message):
        return
    await query.answer()
    if query.message.chat.type != ChatType.PRIVATE:
        await reply_html(query.message, request.t("staff.private_only"))
        return
    await request.state.set(AWAITING_STAFF_QUESTION, "yes", ttl=STAFF_QUESTION_WAIT)
    await reply_html(query.message, request.t("staff.prompt"))


async def leave_question_for_staff(request: Request, message: Message, question: str) -> None:
    if not question.strip():
        await reply_html(message, request.t("faq.empty"))
        return
    await request.services.questions.record_for_staff(
        question[:MAX_QUESTION_CHARS], request.person, request.language
    )
    hours = html.escape(request.services.config.local.get("service_hours", ""))
    await reply_html(message, request.t("staff.received", service_hours=hours))


# The question behind each recent answer, so a 👎 can log what was actually asked.
RECENT_QUESTIONS_KEY = "recent_questions"
RECENT_QUESTIONS_KEPT = 20
RECENT_QUESTIONS_TTL = timedelta(days=2)


async def _remember_question(request: Request, message_id: int, question: str) -> None:
    recent = _recent_questions(request)
    recent[str(message_id)] = question
    while len(recent) > RECENT_QUESTIONS_KEPT:
        recent.pop(next(iter(recent)))
    await request.state.set(
        RECENT_QUESTIONS_KEY,
        json.dumps(recent, ensure_ascii=False),
        ttl=RECENT_QUESTIONS_TTL,
        with_update=True,
    )


def _asked_before(request: Request, message_id: int) -> str | None:
    return _recent_questions(request).get(str(message_id))


def _recent_questions(request: Request) -> dict[str, str]:
    raw = request.state.get(RECENT_QUESTIONS_KEY)
    try:
        recent = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return recent if isinstance(recent, dict) else {}
