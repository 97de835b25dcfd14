"""Who is asking, and answering them: the staff gate every command and button passes, replies
and refusals, a ticket's details with its evidence, and redrawing a ticket's cards.

The gate checks that the sender is staff at all and writes from a private chat or a staff
group (so an outsider learns nothing, not even whether a ticket exists); the inspection
services then check the ticket and the queue. Both refusals are audited.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import FileSizeLimit, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.i18n import Language, text
from bot.inspection.model import Denial, Denied, EvidenceFile, Transferred
from bot.inspection.parsing import parse_ticket_number
from bot.tickets.images import image_dimensions
from handlers.common import answer_press, reply_html, send_html
from handlers.context import HotlineContext
from handlers.request import Request, request_of
from handlers.staff_views import (
    card_markup,
    card_text,
    denial_text,
    details_text,
    queue_chat,
    queue_name,
)

log = logging.getLogger(__name__)
# What sendPhoto takes: up to 10 MB, width + height up to 10000, the longer side at most 20
# times the shorter. Anything else (long screenshots, large scans) goes as a document.
MAX_PHOTO_BYTES = FileSizeLimit.PHOTOSIZE_UPLOAD
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


async def admitted(update: Update, context: HotlineContext, action: str) -> Request | None:
    """The request, if a member of staff sent it from a private chat or a staff group;
    otherwise None, after a polite refusal (audited)."""
    user, request = update.effective_user, request_of(update, context)
    if user is None or request is None:
        return None
    inspection = context.services.inspection
    # Someone who joined on another instance a moment ago is recognised here at once.
    await inspection.organisation.refresh_for(user.id)
    refusal = None
    if not inspection.access.is_staff(user.id):
        refusal = "inspector.staff_only"
    elif not request.private and request.chat_id not in inspection.settings.staff_chat_ids():
        refusal = "inspector.wrong_chat"
    if refusal is not None:
        denied = Denied(Denial.NOT_ALLOWED)
        await inspection.audit.refused(user.id, action, request.now, denied)
        log.info("update %d: %s refused (%s)", update.update_id, action, refusal)
        await tell(update, context, request.t(refusal))
        return None
    await context.services.inspection.organisation.remember_name(user.id, user.full_name)
    return request


StaffHandler = Callable[[Request], Awaitable[None]]


def staff_only(
    action: str, handler: StaffHandler
) -> Callable[[Update, HotlineContext], Coroutine[Any, Any, None]]:
    """The handler, behind the staff gate (:func:`admitted`)."""

    async def gate(update: Update, context: HotlineContext) -> None:
        request = await admitted(update, context, action)
        if request is not None:
            await handler(request)

    return gate


async def tell(update: Update, context: HotlineContext, html_text: str) -> None:
    if update.callback_query is not None:
        await answer_press(update.callback_query, plain(html_text), alert=True)
    elif update.effective_chat is not None:
        await send_html(context, update.effective_chat.id, html_text)


def plain(html_text: str) -> str:
    """Alerts show plain text: drop our tags, unescape the rest."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


async def reply(
    request: Request,
    html_text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """To the command's message, or (a button's) to its chat; buttons on the last part."""
    if request.message is not None:
        await reply_html(request.message, html_text, markup)
    else:
        await request.send(html_text, markup)


async def refused(request: Request, denied: Denied) -> None:
    await reply(request, await denial(request, denied))


async def denial(request: Request, denied: Denied) -> str:
    return await denial_text(request.bot, request.services, request.language, denied)


def number_arg(request: Request, index: int = 0) -> str | None:
    if len(request.args) <= index:
        return None
    prefix = request.services.config.tickets.number_prefix
    return parse_ticket_number(request.args[index], prefix)


async def usage(request: Request, command: str) -> None:
    await reply(request, text(request.language, f"inspector.usage.{command}"))


async def details_privately(request: Request, number: str) -> str | None:
    """Send the details to the asker's private chat, whatever chat they asked in: a group may
    hold more people than the ticket's queue, and the details hold the report's whole text and
    evidence. Returns what to tell them where they asked (a catalog key), if anything."""
    private = replace(request, chat_id=request.user_id, private=True, message=None, args=())
    try:
        shown = await send_details(private, number, request.user_id)
    except Forbidden:  # they never started the bot (or blocked it)
        return "inspector.start_private"
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():  # what Telegram says to some who never did
            return "inspector.start_private"
        raise
    return "inspector.details_sent" if shown and not request.private else None


async def send_details(request: Request, number: str, chat_id: int) -> bool:
    """The ticket's details and its evidence to ``chat_id``; False if refused (and said)."""
    views = request.services.inspection.views
    details = await views.ticket_details(request.user_id, number)
    if isinstance(details, Denied):
        await refused(request, details)
        return False
    body = await details_text(request.bot, request.services, request.language, details)
    await send_html(request.context, chat_id, body)
    files = await views.evidence(request.user_id, number)
    if not isinstance(files, Denied):
        for file in files:
            await send_evidence(request.context, request.language, chat_id, file)
    return True


async def send_evidence(
    context: HotlineContext, language: Language, chat_id: int, file: EvidenceFile
) -> None:
    """One file: as a photo where Telegram shows it as one, else (or if the photo is refused
    anyway) as a document; if that fails too, a note naming the file, so the next one still
    goes. Forbidden (the chat is closed to the bot) is not about the file and is raised."""
    caption = f"{html.escape(file.ticket_number)} · {html.escape(file.info.filename)}"
    name, bot = file.info.filename, context.bot
    try:
        if fits_as_photo(file):
            try:
                await bot.send_photo(
                    chat_id, file.data, filename=name, caption=caption, parse_mode=ParseMode.HTML
                )
                return
            except BadRequest as exc:
                log.info("ticket %s: a photo went as a document (%s)", file.ticket_number, exc)
        await bot.send_document(
            chat_id, file.data, filename=name, caption=caption, parse_mode=ParseMode.HTML
        )
    except Forbidden:
        raise
    except TelegramError as exc:
        log.warning("ticket %s: a file was not sent (%s)", file.ticket_number, type(exc).__name__)
        await send_html(context, chat_id, not_sent_text(language, file))


def not_sent_text(language: Language, file: EvidenceFile) -> str:
    number, filename = html.escape(file.ticket_number), html.escape(file.info.filename)
    return text(language, "inspector.evidence_not_sent", ticket_number=number, filename=filename)


def fits_as_photo(file: EvidenceFile) -> bool:
    """Whether sendPhoto takes the file, judged from its size and its image header."""
    if file.info.mime not in PHOTO_TYPES or file.info.size > MAX_PHOTO_BYTES:
        return False
    dimensions = image_dimensions(file.data)
    if dimensions is None:
        return False
    short, long = sorted(dimensions)
    return short + long <= MAX_PHOTO_SIDES and long <= MAX_PHOTO_RATIO * short


async def after_transfer(context: HotlineContext, number: str) -> None:
    context.services.wake_outbox()  # the card for the queue that takes it
    await refresh_cards(context, number)


def transferred_text(context: HotlineContext, language: Language, moved: Transferred) -> str:
    config = context.services.config
    key = "inspector.transferred_default" if moved.redirected else "inspector.transferred"
    return text(
        language,
        key,
        ticket_number=html.escape(moved.ticket_number),
        queue=queue_name(config, moved.to_queue),
    )


# --- cards --------------------------------------------------------------------------------------


async def refresh_cards(context: HotlineContext, number: str) -> None:
    """Redraw every card of the ticket: the owner, the status and which buttons still apply.
    Cosmetic: a card that cannot be edited (deleted, too old) is left as it is."""
    cards = context.services.inspection.cards
    posted = await cards.posted(number)
    card = await cards.card(number) if posted else None
    if card is None:
        return
    home = queue_chat(context.services, card.queue)
    for place in posted:
        # A person's own chat (a duty ping) shows the ticket wherever it is.
        here = place.chat_id == home or place.chat_id > 0
        body = await card_text(context.bot, context.services, card, in_its_queue=here)
        markup = card_markup(card, in_its_queue=here)
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
