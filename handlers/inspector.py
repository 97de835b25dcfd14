"""Inspectors: ticket cards in the queue groups, and the commands that work the tickets.

Every command and button is checked twice: here, that the sender is staff at all and writes
from a private chat or a staff group (so an outsider learns nothing, not even whether a ticket
exists), then by :mod:`bot.inspection` for the ticket and the queue. Both refusals are audited;
a refused action changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import LANGUAGES, Language, text
from bot.inspection.access import Action
from bot.inspection.charts import render_stats_png
from bot.inspection.figures import Period, StatsFigures
from bot.inspection.model import (
    Changed,
    Denial,
    Denied,
    EvidenceFile,
    Merged,
    QuestionSent,
    QueuePage,
    Transferred,
)
from bot.inspection.parsing import parse_disposition, parse_period, parse_ticket_number
from handlers.common import answer_press, language_of, reply_html, send_html
from handlers.context import HotlineContext
from handlers.staff_views import (
    button_data,
    card_markup,
    card_text,
    category_name,
    denial_text,
    details_text,
    disposition_name,
    district_name,
    page_markup,
    page_text,
    queue_name,
    status_name,
)

log = logging.getLogger(__name__)

STAFF_COMMANDS = (
    "queue",
    "mine",
    "ticket",
    "claim",
    "release",
    "note",
    "ask",
    "transfer",
    "resolve",
    "reopen",
    "merge",
    "stats",
    "export",
)
# Parents use "/ask <question>" too: only "/ask <ticket number> ..." is the inspectors'.
ASK_THE_REPORTER = re.compile(r"^/ask(@\w+)?\s+[A-Za-z]{1,8}-?\d{4}-?\d{1,6}(\s|$)", re.IGNORECASE)
# Telegram takes photos up to 10 MB; larger images go as documents.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
QUEUE_BUTTONS_PER_ROW = 2


@dataclass(frozen=True)
class Request:
    """Who asked, where, in which language, and what they typed after the command."""

    user_id: int
    chat_id: int
    private: bool
    language: Language
    message: Message | None
    args: tuple[str, ...]

    def rest(self, skip: int) -> str:
        """The text after the command and ``skip`` words, line breaks kept."""
        body = self.message.text if self.message and self.message.text else ""
        match = re.match(r"^\S+" + r"\s+\S+" * skip + r"\s*(.*)$", body, re.DOTALL)
        return match.group(1).strip() if match else ""


StaffHandler = Callable[[Update, HotlineContext, Request], Awaitable[None]]
Gate = Coroutine[Any, Any, None]


def register(app: Application, group: int) -> None:  # type: ignore[type-arg]
    """Registered before the parents' handlers of the same group (``/ask`` is shared)."""
    for name, handler in COMMANDS.items():
        callback = staff_only(name, handler)
        if name == "ask":
            app.add_handler(
                CommandHandler(name, callback, filters=filters.Regex(ASK_THE_REPORTER)), group
            )
        else:
            app.add_handler(CommandHandler(name, callback), group)
    app.add_handler(CallbackQueryHandler(staff_button, pattern=r"^t:"), group)


# --- who may ask --------------------------------------------------------------------------------


def staff_only(action: str, handler: StaffHandler) -> Callable[[Update, HotlineContext], Gate]:
    async def gate(update: Update, context: HotlineContext) -> None:
        request = await admitted(update, context, action)
        if request is not None:
            await handler(update, context, request)

    return gate


async def admitted(update: Update, context: HotlineContext, action: str) -> Request | None:
    """The request, if a member of staff sent it from a private chat or a staff group;
    otherwise None, after a polite refusal (audited)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    inspection = context.services.inspection
    language = language_of(update, context)
    private = chat.type == ChatType.PRIVATE
    refusal = None
    if not inspection.access.is_staff(user.id):
        refusal = "inspector.staff_only"
    elif not private and chat.id not in inspection.settings.staff_chat_ids():
        refusal = "inspector.wrong_chat"
    if refusal is not None:
        denied = Denied(Denial.NOT_ALLOWED)
        await inspection.audit.refused(user.id, action, inspection.clock(), denied)
        log.info("update %d: %s refused (%s)", update.update_id, action, refusal)
        await _tell(update, context, text(language, refusal))
        return None
    context.services.staff_names[user.id] = user.full_name
    message = update.effective_message if update.callback_query is None else None
    args = tuple(context.args or ())
    return Request(user.id, chat.id, private, language, message, args)


async def _tell(update: Update, context: HotlineContext, html_text: str) -> None:
    if update.callback_query is not None:
        await answer_press(update.callback_query, _plain(html_text), alert=True)
    elif update.effective_chat is not None:
        await send_html(context, update.effective_chat.id, html_text)


def _plain(html_text: str) -> str:
    """Alerts show plain text: drop our tags, unescape the rest."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


async def _reply(context: HotlineContext, request: Request, html_text: str) -> None:
    if request.message is not None:
        await reply_html(request.message, html_text)
    else:
        await send_html(context, request.chat_id, html_text)


async def _refused(context: HotlineContext, request: Request, denied: Denied) -> None:
    await _reply(context, request, await _denial(context, request, denied))


async def _denial(context: HotlineContext, request: Request, denied: Denied) -> str:
    return await denial_text(context.bot, context.services, request.language, denied)


def _number(context: HotlineContext, request: Request, index: int = 0) -> str | None:
    if len(request.args) <= index:
        return None
    prefix = context.services.config.tickets.number_prefix
    return parse_ticket_number(request.args[index], prefix)


async def _usage(context: HotlineContext, request: Request, command: str) -> None:
    await _reply(context, request, text(request.language, f"inspector.usage.{command}"))


# --- lists --------------------------------------------------------------------------------------


async def queue_command(update: Update, context: HotlineContext, request: Request) -> None:
    """``/queue [queue]``: open tickets; in a queue's group, that queue's."""
    queue = request.args[0] if request.args else _queue_of_chat(context, request)
    views = context.services.inspection.views
    page = await views.open_tickets(request.user_id, queue=queue)
    await _show_page(context, request, page, scope=f"q:{queue or '*'}")


async def mine_command(update: Update, context: HotlineContext, request: Request) -> None:
    page = await context.services.inspection.views.my_tickets(request.user_id)
    await _show_page(context, request, page, scope="m")


def _queue_of_chat(context: HotlineContext, request: Request) -> str | None:
    if request.private:
        return None
    for department in context.services.inspection.settings.departments:
        for queue in department.queues:
            if queue.chat_id == request.chat_id:
                return queue.id
    return None  # the supervisors' group: every queue the asker may see


async def _show_page(
    context: HotlineContext, request: Request, page: QueuePage | Denied, *, scope: str
) -> None:
    if isinstance(page, Denied):
        await _refused(context, request, page)
        return
    config, language = context.services.config, request.language
    body = page_text(config, language, page, mine=scope == "m")
    markup = page_markup(language, page, scope=scope)
    if request.message is not None:
        await reply_html(request.message, body, markup)
    else:
        await send_html(context, request.chat_id, body, markup)


# --- one ticket ---------------------------------------------------------------------------------


async def ticket_command(update: Update, context: HotlineContext, request: Request) -> None:
    number = _number(context, request)
    if number is None:
        await _usage(context, request, "ticket")
        return
    await send_details(context, request, number, request.chat_id)


async def send_details(
    context: HotlineContext, request: Request, number: str, chat_id: int
) -> bool:
    """The ticket's details and its evidence to ``chat_id``; False if refused (and said)."""
    views = context.services.inspection.views
    details = await views.ticket_details(request.user_id, number)
    if isinstance(details, Denied):
        await _refused(context, request, details)
        return False
    body = await details_text(context.bot, context.services, request.language, details)
    await send_html(context, chat_id, body)
    files = await views.evidence(request.user_id, number)
    if not isinstance(files, Denied):
        for file in files:
            await _send_evidence(context, chat_id, file)
    return True


async def _send_evidence(context: HotlineContext, chat_id: int, file: EvidenceFile) -> None:
    caption = f"{html.escape(file.ticket_number)} · {html.escape(file.info.filename)}"
    name = file.info.filename
    if file.info.mime.startswith("image/") and file.info.size <= MAX_PHOTO_BYTES:
        await context.bot.send_photo(
            chat_id, photo=file.data, filename=name, caption=caption, parse_mode=ParseMode.HTML
        )
    else:
        await context.bot.send_document(
            chat_id, document=file.data, filename=name, caption=caption, parse_mode=ParseMode.HTML
        )


# --- working a ticket ---------------------------------------------------------------------------


async def claim_command(update: Update, context: HotlineContext, request: Request) -> None:
    number = _number(context, request)
    if number is None:
        await _usage(context, request, "claim")
        return
    result = await context.services.inspection.desk.claim(request.user_id, number)
    await _changed(context, request, result, "inspector.claimed")


async def release_command(update: Update, context: HotlineContext, request: Request) -> None:
    number = _number(context, request)
    if number is None:
        await _usage(context, request, "release")
        return
    result = await context.services.inspection.desk.release(request.user_id, number)
    await _changed(context, request, result, "inspector.released")


async def _changed(
    context: HotlineContext, request: Request, result: Changed | Denied, key: str
) -> None:
    if isinstance(result, Denied):
        await _refused(context, request, result)
        return
    number = html.escape(result.ticket_number)
    await _reply(context, request, text(request.language, key, ticket_number=number))
    await refresh_cards(context, result.ticket_number)


async def note_command(update: Update, context: HotlineContext, request: Request) -> None:
    number, note = _number(context, request), request.rest(1)
    if number is None or not note:
        await _usage(context, request, "note")
        return
    result = await context.services.inspection.desk.add_note(request.user_id, number, note)
    if isinstance(result, Denied):
        await _refused(context, request, result)
        return
    done = text(request.language, "inspector.noted", ticket_number=html.escape(number))
    await _reply(context, request, done)


async def ask_command(update: Update, context: HotlineContext, request: Request) -> None:
    """``/ask N question``: relayed to the reporter's /status (and pushed if they opted in)."""
    number, question = _number(context, request), request.rest(1)
    if number is None or not question:
        await _usage(context, request, "ask")
        return
    desk = context.services.inspection.desk
    result = await desk.ask_reporter(request.user_id, number, question)
    if isinstance(result, Denied):
        await _refused(context, request, result)
        return
    await _reply(context, request, _question_sent(request.language, result))
    context.services.wake_outbox()
    await refresh_cards(context, number)


def _question_sent(language: Language, sent: QuestionSent) -> str:
    how = "inspector.asked_pushed" if sent.reporter_notified else "inspector.asked_waiting"
    number = html.escape(sent.ticket_number)
    return text(language, "inspector.asked", ticket_number=number, how=text(language, how))


async def transfer_command(update: Update, context: HotlineContext, request: Request) -> None:
    """``/transfer N queue [reason]``."""
    number = _number(context, request)
    if number is None or len(request.args) < 2:
        queues = ", ".join(context.services.inspection.settings.queue_ids())
        usage = text(request.language, "inspector.usage.transfer", queues=html.escape(queues))
        await _reply(context, request, usage)
        return
    reason = request.rest(2) or None
    desk = context.services.inspection.desk
    result = await desk.transfer(request.user_id, number, request.args[1], reason)
    if isinstance(result, Denied):
        await _refused(context, request, result)
        return
    await _reply(context, request, _transferred(context, request.language, result))
    await _after_transfer(context, number)


async def _after_transfer(context: HotlineContext, number: str) -> None:
    context.services.wake_outbox()  # the card for the queue that takes it
    await refresh_cards(context, number)


def _transferred(context: HotlineContext, language: Language, moved: Transferred) -> str:
    config = context.services.config
    key = "inspector.transferred_default" if moved.redirected else "inspector.transferred"
    return text(
        language,
        key,
        ticket_number=html.escape(moved.ticket_number),
        queue=queue_name(config, moved.to_queue),
    )


async def resolve_command(update: Update, context: HotlineContext, request: Request) -> None:
    """``/resolve N disposition outcome``: the outcome is what the reporter reads."""
    number = _number(context, request)
    disposition = parse_disposition(request.args[1]) if len(request.args) > 1 else None
    outcome = request.rest(2)
    if number is None or disposition is None or not outcome:
        await _usage(context, request, "resolve")
        return
    desk = context.services.inspection.desk
    result = await desk.resolve(request.user_id, number, disposition, outcome)
    if isinstance(result, Denied):
        await _refused(context, request, result)
        return
    label = disposition_name(request.language, disposition)
    done = text(
        request.language, "inspector.resolved", ticket_number=html.escape(number), disposition=label
    )
    await _reply(context, request, done)
    context.services.wake_outbox()  # the reporter's notice, if they opted in
    await refresh_cards(context, number)


async def reopen_command(update: Update, context: HotlineContext, request: Request) -> None:
    """``/reopen N [reason]`` (supervisors)."""
    number = _number(context, request)
    if number is None:
        await _usage(context, request, "reopen")
        return
    reason = request.rest(1) or text(request.language, "inspector.reopen_reason")
    result = await context.services.inspection.desk.reopen(request.user_id, number, reason)
    await _changed(context, request, result, "inspector.reopened")
    if not isinstance(result, Denied):
        context.services.wake_outbox()


async def merge_command(update: Update, context: HotlineContext, request: Request) -> None:
    """``/merge N M [M2 ...]``: the reports M ... are kept with N, which carries on."""
    numbers = [_number(context, request, i) for i in range(len(request.args))]
    if len(numbers) < 2 or any(n is None for n in numbers):
        await _usage(context, request, "merge")
        return
    into, *others = [n for n in numbers if n is not None]
    result = await context.services.inspection.desk.merge(request.user_id, into, others)
    if isinstance(result, Denied):
        await _refused(context, request, result)
        return
    await _reply(context, request, _merged(request.language, result))
    context.services.wake_outbox()
    for number in (result.ticket_number, *result.merged):
        await refresh_cards(context, number)


def _merged(language: Language, merged: Merged) -> str:
    return text(
        language,
        "inspector.merged",
        ticket_number=html.escape(merged.ticket_number),
        merged=html.escape(", ".join(merged.merged)),
    )


# --- reports ------------------------------------------------------------------------------------


def _period(context: HotlineContext, request: Request) -> Period | None:
    inspection = context.services.inspection
    wanted = request.args[0] if request.args else ""
    return parse_period(wanted, inspection.clock(), inspection.calendar.tz)


async def stats_command(update: Update, context: HotlineContext, request: Request) -> None:
    """``/stats [7d|30d|2026-11]``: the figures as text and as a chart."""
    period = _period(context, request)
    if period is None:
        await _reply(context, request, text(request.language, "inspector.bad_period"))
        return
    inspection = context.services.inspection
    figures = await inspection.reports.stats(request.user_id, period)
    if isinstance(figures, Denied):
        await _refused(context, request, figures)
        return
    await _reply(context, request, stats_text(context, request.language, figures))
    # Drawing takes a moment of CPU: off the event loop, so other chats are not held up.
    png = await asyncio.to_thread(
        render_stats_png, figures, district_names=inspection.router.district_name
    )
    await context.bot.send_photo(request.chat_id, photo=png, filename="stats.png")


def stats_text(context: HotlineContext, language: Language, figures: StatsFigures) -> str:
    config = context.services.config
    tz = context.services.inspection.calendar.tz

    def counts(values: dict[str, int], name: Callable[[str], str]) -> str:
        shown = [f"{name(key)} {count}" for key, count in values.items()]
        return ", ".join(shown) or "-"

    def hours(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}%"

    return text(
        language,
        "inspector.stats",
        start=figures.period.start.astimezone(tz).date().isoformat(),
        end=figures.period.end.astimezone(tz).date().isoformat(),
        total=figures.total,
        by_status=counts(figures.by_status, lambda s: status_name(language, s)),
        by_category=counts(figures.by_category, lambda c: category_name(config, language, c)),
        by_district=counts(figures.by_district, lambda d: district_name(config, language, d)),
        by_queue=counts(figures.by_queue, lambda q: queue_name(config, q)),
        claim_median=hours(figures.claim_time.median_hours),
        claim_p90=hours(figures.claim_time.p90_hours),
        resolve_median=hours(figures.resolution_time.median_hours),
        resolve_p90=hours(figures.resolution_time.p90_hours),
        claim_on_time=percent(figures.claim_deadline.percent),
        resolve_on_time=percent(figures.resolve_deadline.percent),
    )


async def export_command(update: Update, context: HotlineContext, request: Request) -> None:
    """``/export [period]``: CSV and XLSX, sent privately (an export covers every queue the
    asker may export, which a queue's group should not all see)."""
    period = _period(context, request)
    if period is None:
        await _reply(context, request, text(request.language, "inspector.bad_period"))
        return
    reports = context.services.inspection.reports
    csv_file = await reports.export_csv(request.user_id, period, request.language)
    if isinstance(csv_file, Denied):
        await _refused(context, request, csv_file)
        return
    xlsx_file = await reports.export_xlsx(request.user_id, period, request.language)
    if isinstance(xlsx_file, Denied):
        await _refused(context, request, xlsx_file)
        return
    if not await _send_export(context, request, period, csv_file, xlsx_file):
        return
    if not request.private:
        await _reply(context, request, text(request.language, "inspector.export_private"))


async def _send_export(
    context: HotlineContext, request: Request, period: Period, csv_file: bytes, xlsx_file: bytes
) -> bool:
    tz = context.services.inspection.calendar.tz
    start = period.start.astimezone(tz).date().isoformat()
    end = period.end.astimezone(tz).date().isoformat()
    name = f"shuangjian-{start}-{end}"
    caption = text(request.language, "inspector.export_caption", start=start, end=end)
    try:
        await context.bot.send_document(request.user_id, csv_file, filename=f"{name}.csv")
        await context.bot.send_document(
            request.user_id, xlsx_file, filename=f"{name}.xlsx", caption=caption
        )
    except (Forbidden, BadRequest):
        await _reply(context, request, text(request.language, "inspector.start_private"))
        return False
    return True


COMMANDS: dict[str, StaffHandler] = {
    "queue": queue_command,
    "mine": mine_command,
    "ticket": ticket_command,
    "claim": claim_command,
    "release": release_command,
    "note": note_command,
    "ask": ask_command,
    "transfer": transfer_command,
    "resolve": resolve_command,
    "reopen": reopen_command,
    "merge": merge_command,
    "stats": stats_command,
    "export": export_command,
}


# --- buttons ------------------------------------------------------------------------------------


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
        await answer_press(query, text(request.language, "button.expired"), alert=True)
        return
    await handler(update, context, request, parts[2:])


ButtonHandler = Callable[[Update, HotlineContext, Request, list[str]], Awaitable[None]]


def _button_number(context: HotlineContext, args: list[str]) -> str | None:
    prefix = context.services.config.tickets.number_prefix
    return parse_ticket_number(args[0], prefix) if args else None


async def claim_button(
    update: Update, context: HotlineContext, request: Request, args: list[str]
) -> None:
    """Of several inspectors pressing at once one wins; the others are told who."""
    query = update.callback_query
    assert query is not None
    number = _button_number(context, args)
    if number is None:
        await answer_press(query, text(request.language, "button.expired"), alert=True)
        return
    result = await context.services.inspection.desk.claim(request.user_id, number)
    if isinstance(result, Denied):
        await answer_press(query, _plain(await _denial(context, request, result)), alert=True)
        return
    number_text = html.escape(number)
    await answer_press(
        query, _plain(text(request.language, "inspector.claimed", ticket_number=number_text))
    )
    log.info("ticket %s claimed from its card", number)
    await refresh_cards(context, number)


async def details_button(
    update: Update, context: HotlineContext, request: Request, args: list[str]
) -> None:
    """Details go to the presser's private chat: a group may hold more people than the ticket's
    queue, and the details hold the report's whole text and evidence."""
    query = update.callback_query
    assert query is not None
    number = _button_number(context, args)
    if number is None:
        await answer_press(query, text(request.language, "button.expired"), alert=True)
        return
    private = Request(request.user_id, request.user_id, True, request.language, None, ())
    try:
        shown = await send_details(context, private, number, request.user_id)
    except (Forbidden, BadRequest):
        await answer_press(
            query, _plain(text(request.language, "inspector.start_private")), alert=True
        )
        return
    if shown and not request.private:
        await answer_press(query, _plain(text(request.language, "inspector.details_sent")))
    else:
        await answer_press(query)


async def transfer_button(
    update: Update, context: HotlineContext, request: Request, args: list[str]
) -> None:
    """Offer the queues to transfer to, as buttons under a message of their own."""
    query = update.callback_query
    assert query is not None
    number = _button_number(context, args)
    inspection = context.services.inspection
    card = await inspection.cards.card(number) if number else None
    if number is None or card is None:
        await answer_press(query, text(request.language, "button.expired"), alert=True)
        return
    if not inspection.access.may(request.user_id, Action.TRANSFER, card.queue):
        denied = Denied(Denial.NOT_ALLOWED, number)
        await inspection.audit.refused(request.user_id, Action.TRANSFER, inspection.clock(), denied)
        await answer_press(query, _plain(await _denial(context, request, denied)), alert=True)
        return
    await answer_press(query)
    prompt = text(request.language, "inspector.transfer_choose", ticket_number=html.escape(number))
    await send_html(
        context, request.chat_id, prompt, _queue_choices(context, request, number, card.queue)
    )


def _queue_choices(
    context: HotlineContext, request: Request, number: str, current: str
) -> InlineKeyboardMarkup:
    config = context.services.config
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
    rows.append([InlineKeyboardButton(cancel, callback_data="t:x")])
    return InlineKeyboardMarkup(rows)


async def transfer_to_button(
    update: Update, context: HotlineContext, request: Request, args: list[str]
) -> None:
    query = update.callback_query
    assert query is not None
    number = _button_number(context, args)
    if number is None or len(args) != 2:
        await answer_press(query, text(request.language, "button.expired"), alert=True)
        return
    result = await context.services.inspection.desk.transfer(request.user_id, number, args[1])
    if isinstance(result, Denied):
        await answer_press(query, _plain(await _denial(context, request, result)), alert=True)
        return
    await answer_press(query, _plain(_transferred(context, request.language, result)))
    if isinstance(query.message, Message):
        done = _transferred(context, request.language, result)
        with contextlib.suppress(TelegramError):
            await query.message.edit_text(done, parse_mode=ParseMode.HTML, reply_markup=None)
    await _after_transfer(context, number)


async def close_menu_button(
    update: Update, context: HotlineContext, request: Request, args: list[str]
) -> None:
    query = update.callback_query
    assert query is not None
    await answer_press(query)
    await _drop_buttons(query.message)


async def _drop_buttons(message: object) -> None:
    if isinstance(message, Message):
        with contextlib.suppress(TelegramError):
            await message.edit_reply_markup(reply_markup=None)


async def page_button(
    update: Update, context: HotlineContext, request: Request, args: list[str]
) -> None:
    """``t:q:<queue or *>:<page>`` and ``t:m:<page>``: the page replaces the old one."""
    query = update.callback_query
    assert query is not None and query.data is not None
    mine = query.data.startswith("t:m:")
    if not args or not args[-1].isdigit() or (not mine and len(args) != 2):
        await answer_press(query, text(request.language, "button.expired"), alert=True)
        return
    views, page_number = context.services.inspection.views, int(args[-1])
    if mine:
        page = await views.my_tickets(request.user_id, page=page_number)
        scope = "m"
    else:
        queue = None if args[0] == "*" else args[0]
        page = await views.open_tickets(request.user_id, queue=queue, page=page_number)
        scope = f"q:{args[0]}"
    if isinstance(page, Denied):
        await answer_press(query, _plain(await _denial(context, request, page)), alert=True)
        return
    await answer_press(query)
    body = page_text(context.services.config, request.language, page, mine=mine)
    with contextlib.suppress(BadRequest):  # unchanged: pressed twice
        await query.edit_message_text(
            body,
            parse_mode=ParseMode.HTML,
            reply_markup=page_markup(request.language, page, scope=scope),
        )


BUTTONS: dict[str, ButtonHandler] = {
    "claim": claim_button,
    "info": details_button,
    "xfer": transfer_button,
    "to": transfer_to_button,
    "x": close_menu_button,
    "q": page_button,
    "m": page_button,
}


# --- cards --------------------------------------------------------------------------------------


async def refresh_cards(context: HotlineContext, number: str) -> None:
    """Redraw every card of the ticket: the owner, the status and which buttons still apply.
    Cosmetic: a card that cannot be edited (deleted, too old) is left as it is."""
    cards = context.services.inspection.cards
    posted = await cards.posted(number)
    card = await cards.card(number) if posted else None
    if card is None:
        return
    body = await card_text(context.bot, context.services, card)
    markup = card_markup(card)
    for place in posted:
        try:
            await context.bot.edit_message_text(
                body,
                chat_id=place.chat_id,
                message_id=place.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            if "not modified" not in str(exc):
                log.info("ticket %s: a card was not updated (%s)", number, type(exc).__name__)
        except TelegramError as exc:
            log.warning("ticket %s: a card was not updated (%s)", number, type(exc).__name__)


# --- the command menus --------------------------------------------------------------------------


async def publish_commands(
    app: Application,  # type: ignore[type-arg]
    *,
    private: tuple[str, ...],
    group: tuple[str, ...],
) -> None:
    """Staff groups, and the private chats of listed staff, list the staff commands too.
    A chat the bot cannot reach yet (a member who never started it) is skipped."""
    settings = app.bot_data.config.inspection
    members = {m.user_id for d in settings.departments for m in d.members}
    members |= {m.user_id for d in settings.departments for q in d.queues for m in q.members}
    members |= {m.user_id for m in settings.members}
    scopes = [(chat, group) for chat in settings.staff_chat_ids()]
    scopes += [(user, private) for user in sorted(members)]
    for chat_id, names in scopes:
        try:
            await _publish_for_chat(app, chat_id, (*names, *STAFF_COMMANDS))
        except (BadRequest, Forbidden) as exc:
            log.info("staff commands not set for a chat (%s)", type(exc).__name__)


async def _publish_for_chat(app: Application, chat_id: int, names: tuple[str, ...]) -> None:  # type: ignore[type-arg]
    for language in LANGUAGES:
        commands = [BotCommand(n, text(language, _command_key(n))) for n in dict.fromkeys(names)]
        code = None if language == "zh" else language
        await app.bot.set_my_commands(
            commands, scope=BotCommandScopeChat(chat_id), language_code=code
        )


def _command_key(name: str) -> str:
    return f"command.staff.{name}" if name in STAFF_COMMANDS else f"command.{name}"
