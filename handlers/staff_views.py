"""What inspectors read: ticket cards, queue pages, a ticket's details and refusals, as HTML.

Everything a reporter or an inspector typed is escaped here. Staff are shown by the name
Telegram gives them (see :func:`staff_name`); reporters are only ever "the reporter".
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.config import Config
from bot.i18n import CATALOGS, text
from bot.inspection.cards import TicketCard
from bot.inspection.model import (
    Denial,
    Denied,
    QueuePage,
    TicketDetails,
    TicketSummary,
    TimelineItem,
    staff_user_id,
)
from bot.registry.model import RegistryNote
from bot.services import Services
from bot.tickets.model import OPEN_STATUSES, REPORTER, SYSTEM, TicketStatus
from handlers.callbacks import Prefix, TooLong
from handlers.callbacks import data as callback_data
from handlers.registry import earlier_line, registry_line

STAFF_LANGUAGE = "zh"
# Further answers of the report form, shown under the form's own field names.
ANSWER_FIELDS = {"address": "report.field.where", "when": "report.field.when"}
CONTACT_ANSWER = "contact"
TIME_FORMAT = "%Y-%m-%d %H:%M"


# --- names and labels ---------------------------------------------------------------------------


async def staff_name(
    bot: Bot, services: Services, actor: str | int | None, chats: Iterable[int] = ()
) -> str:
    """An inspector's name (escaped): remembered from their own messages or from when they
    joined, else asked of a staff chat they are in, else their id."""
    user_id = actor if isinstance(actor, int) else staff_user_id(actor)
    if user_id is None:
        return html.escape(str(actor or ""))
    # As Telegram last showed them to the bot (kept in the store), or asked of a staff chat.
    organisation = services.inspection.organisation
    known = organisation.name_of(user_id)
    if known is None:
        known = await _member_name(bot, user_id, chats)
        if known is None:
            return f"#{user_id}"
        await organisation.remember_name(user_id, known)
    return html.escape(known)


async def _member_name(bot: Bot, user_id: int, chats: Iterable[int]) -> str | None:
    for chat_id in chats:
        with contextlib.suppress(TelegramError):
            member = await bot.get_chat_member(chat_id, user_id)
            return member.user.full_name
    return None


def queue_chat(services: Services, queue: str) -> int | None:
    """The queue's group as it is bound now."""
    settings = services.inspection.settings.queue(queue)
    return settings.chat_id if settings else None


def staff_chats(services: Services, queue: str) -> tuple[int, ...]:
    """The chats where a member of ``queue`` is likely to be found, for names."""
    settings = services.inspection.settings
    queue_settings = settings.queue(queue)
    department = settings.department_of(queue)
    chats = [queue_settings.chat_id if queue_settings else None]
    chats.append(department.supervisors_chat_id if department else None)
    return tuple(c for c in chats if c is not None)


def local_time(config: Config, moment: datetime | None) -> str:
    if moment is None:
        return "-"
    tz = timezone(timedelta(hours=config.tickets.utc_offset_hours))
    return moment.astimezone(tz).strftime(TIME_FORMAT)


def category_name(config: Config, language: str, category: str) -> str:
    key = f"inspection.category.{category}"
    if key in CATALOGS["zh"]:
        return text(language, key)
    choice = config.report_form.category(category)
    return html.escape(choice.label(language) if choice else category)


def district_name(config: Config, language: str, district: str) -> str:
    choice = config.report_form.district(district)
    return html.escape(choice.label(language) if choice else district)


def queue_name(config: Config, queue: str) -> str:
    settings = config.inspection.queue(queue)
    return html.escape(settings.name if settings else queue)


def role_name(language: str, role: str) -> str:
    key = f"staff.role.{role}"
    return text(language, key) if key in CATALOGS["zh"] else html.escape(role)


def place_name(config: Config, language: str, level: str, scope: str) -> str:
    """Where a role is held: a queue's name, a department's, or every queue."""
    settings = config.inspection
    if level == "organisation":
        return text(language, "staff.everywhere")
    if level == "department":
        department = settings.department(scope)
        return text(
            language, "staff.department", name=html.escape(department.name if department else scope)
        )
    queue = settings.queue(scope)
    return html.escape(queue.name if queue else scope)


def group_target_name(config: Config, language: str, kind: str, target: str) -> str:
    """What a group is bound to: a queue, or a department's supervisors."""
    if kind == "supervisors":
        department = config.inspection.department(target)
        name = html.escape(department.name if department else target)
        return text(language, "group.supervisors_of", name=name)
    return queue_name(config, target)


def status_name(language: str, status: str) -> str:
    key = f"inspection.status.{status}"
    return text(language, key) if key in CATALOGS["zh"] else html.escape(status)


def disposition_name(language: str, disposition: str | None) -> str:
    key = f"inspection.disposition.{disposition}"
    return text(language, key) if key in CATALOGS["zh"] else html.escape(disposition or "-")


# --- the card in a queue's group ----------------------------------------------------------------


def button_data(*parts: str) -> str | None:
    """``t:claim:SJ-2026-000123``; None if it would not fit Telegram's 64 bytes."""
    try:
        return callback_data(Prefix.TICKET, *parts)
    except TooLong:
        return None


async def card_text(
    bot: Bot,
    services: Services,
    card: TicketCard,
    *,
    transferred_from: str | None = None,
    in_its_queue: bool = True,
    notice: str | None = None,
) -> str:
    """``notice``: a line above the card (why it was sent to this person, for a duty ping)."""
    config, lang = services.config, STAFF_LANGUAGE
    lines = [notice] if notice else []
    if transferred_from is not None:
        lines.append(text(lang, "card.transferred", queue=queue_name(config, transferred_from)))
    if not in_its_queue:
        lines.append(text(lang, "card.moved", queue=html.escape(card.queue_name)))
    number = html.escape(card.ticket_number)
    lines.append(text(lang, "card.title", ticket_number=number))
    lines.append(
        text(
            lang,
            "card.body",
            status=status_name(lang, card.status),
            category=category_name(config, lang, card.category),
            district=district_name(config, lang, card.district),
            institution=html.escape(card.institution or "-"),
            received_at=local_time(config, card.received_at),
            queue=html.escape(card.queue_name),
            summary=html.escape(card.summary or "-"),
        )
    )
    registry = registry_line(lang, card.registry)
    if registry is not None:
        lines.append(registry)
    if card.claimed_by is not None:
        chats = staff_chats(services, card.queue)
        holder = await staff_name(bot, services, card.claimed_by, chats)
        lines.append(text(lang, "card.claimed_by", name=holder))
    if card.possible_duplicates:
        numbers = ", ".join(html.escape(n) for n in card.possible_duplicates)
        lines.append(text(lang, "card.duplicates", tickets=numbers))
    if card.merged_into is not None:
        merged = html.escape(card.merged_into)
        lines.append(text(lang, "card.merged_into", ticket_number=merged))
    return "\n".join(lines)


def card_markup(card: TicketCard, *, in_its_queue: bool = True) -> InlineKeyboardMarkup | None:
    """Claim while nobody has it; Details always; Transfer while it is open. A card left in a
    group the ticket was transferred away from keeps only Details."""
    number, lang = card.ticket_number, STAFF_LANGUAGE
    wanted = []
    if in_its_queue and card.status == TicketStatus.NEW and card.claimed_by is None:
        wanted.append(("card.button.claim", "claim"))
    wanted.append(("card.button.details", "info"))
    if in_its_queue and card.status in OPEN_STATUSES:
        wanted.append(("card.button.transfer", "xfer"))
    buttons = []
    for key, verb in wanted:
        data = button_data(verb, number)
        if data is not None:
            buttons.append(InlineKeyboardButton(text(lang, key), callback_data=data))
    return InlineKeyboardMarkup([buttons]) if buttons else None


def reopen_markup(number: str, language: str) -> InlineKeyboardMarkup | None:
    """Under a 不满意 notice: reopen the ticket (二次办理), for supervisors."""
    data = button_data("reopen", number)
    if data is None:
        return None
    button = InlineKeyboardButton(text(language, "card.button.reopen"), callback_data=data)
    return InlineKeyboardMarkup([[button]])


# --- queue pages --------------------------------------------------------------------------------


def page_text(config: Config, language: str, page: QueuePage, *, mine: bool) -> str:
    if page.total == 0:
        return text(language, "queue.empty_mine" if mine else "queue.empty")
    title_key = "queue.title_mine" if mine else "queue.title"
    queues = ", ".join(queue_name(config, q) for q in page.queues)
    lines = [
        text(
            language,
            title_key,
            queues=queues,
            page=page.page + 1,
            pages=page.pages,
            total=page.total,
        )
    ]
    first = page.page * config.inspection.page_size
    lines += [_page_line(config, language, first + n, item) for n, item in enumerate(page.items, 1)]
    return "\n".join(lines)


def _page_line(config: Config, language: str, n: int, item: TicketSummary) -> str:
    line = text(
        language,
        "queue.item",
        n=n,
        ticket_number=html.escape(item.ticket_number),
        status=status_name(language, item.status),
        category=category_name(config, language, item.category),
        district=district_name(config, language, item.district),
        institution=html.escape(item.institution or "-"),
    )
    return line + (text(language, "queue.overdue") if item.overdue else "")


def page_markup(language: str, page: QueuePage, *, scope: str) -> InlineKeyboardMarkup | None:
    """A button per ticket (its details), then previous / next; ``scope`` is ``m`` (mine) or
    ``q:<queue or *>``."""
    rows = []
    for item in page.items:
        data = button_data("info", item.ticket_number)
        if data is not None:
            rows.append([InlineKeyboardButton(item.ticket_number, callback_data=data)])
    turns = []
    if page.page > 0:
        turns.append(_turn(language, "queue.prev", scope, page.page - 1))
    if page.page + 1 < page.pages:
        turns.append(_turn(language, "queue.next", scope, page.page + 1))
    rows.append([b for b in turns if b is not None])
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _turn(language: str, key: str, scope: str, page: int) -> InlineKeyboardButton | None:
    data = button_data(*scope.split(":"), str(page))
    return None if data is None else InlineKeyboardButton(text(language, key), callback_data=data)


# --- a ticket's details -------------------------------------------------------------------------


async def details_text(bot: Bot, services: Services, language: str, details: TicketDetails) -> str:
    config, summary = services.config, details.summary
    chats = staff_chats(services, summary.queue)
    holder = await staff_name(bot, services, summary.claimed_by, chats)
    lines = [
        text(
            language,
            "ticket.title",
            ticket_number=html.escape(summary.ticket_number),
            status=status_name(language, summary.status),
        ),
        text(
            language,
            "ticket.fields",
            queue=queue_name(config, summary.queue),
            category=category_name(config, language, summary.category),
            district=district_name(config, language, summary.district),
            institution=html.escape(summary.institution or "-"),
            received_at=local_time(config, summary.received_at),
            claimed_by=holder if summary.claimed_by else text(language, "ticket.nobody"),
            claim_due=local_time(config, summary.claim_due_at),
            resolve_due=local_time(config, summary.resolve_due_at),
        ),
    ]
    lines += [line for line in registry_lines(language, details.registry) if line]
    if summary.overdue:
        lines.append(text(language, "ticket.overdue"))
    lines += _report_lines(language, details)
    lines += _outcome_lines(language, details)
    lines += _question_lines(language, details)
    lines += _verdict_lines(config, language, details)
    lines += _supporting_lines(config, language, details)
    lines += await _timeline_lines(bot, services, language, details, chats)
    notify = "ticket.notify_on" if details.reporter_notified else "ticket.notify_off"
    lines += ["", text(language, notify)]
    count = len(details.evidence) + sum(len(s.evidence) for s in details.supporting)
    lines.append(text(language, "ticket.evidence", count=count))
    return "\n".join(lines)


def registry_lines(language: str, note: RegistryNote | None) -> list[str | None]:
    return [registry_line(language, note), earlier_line(language, note)]


def _report_lines(language: str, details: TicketDetails) -> list[str]:
    lines = ["", text(language, "ticket.description", text=html.escape(details.description))]
    for key, value in details.answers.items():
        field = ANSWER_FIELDS.get(key)
        if key == CONTACT_ANSWER:
            field = "report.field.contact"
        label = text(language, field) if field else html.escape(key)
        lines.append(text(language, "ticket.answer", label=label, value=html.escape(value)))
    return lines


def _outcome_lines(language: str, details: TicketDetails) -> list[str]:
    lines = []
    if details.merged_into:
        number = html.escape(details.merged_into)
        lines.append(text(language, "card.merged_into", ticket_number=number))
    if details.disposition:
        lines.append(
            text(
                language,
                "ticket.outcome",
                disposition=disposition_name(language, details.disposition),
                outcome=html.escape(details.outcome or "-"),
            )
        )
    return ["", *lines] if lines else []


def _question_lines(language: str, details: TicketDetails) -> list[str]:
    if not details.questions:
        return []
    lines = ["", text(language, "ticket.questions")]
    for n, question in enumerate(details.questions, 1):
        lines.append(f"{n}. {html.escape(question.question)}")
        if question.answer is None:
            lines.append("   " + text(language, "ticket.unanswered"))
        else:
            answer = html.escape(question.answer)
            lines.append("   " + text(language, "ticket.answered", answer=answer))
    return lines


def _verdict_lines(config: Config, language: str, details: TicketDetails) -> list[str]:
    """Each 回访: what the reporter said and wrote; who they are is never known here."""
    if not details.verdicts:
        return []
    lines = ["", text(language, "ticket.verdicts")]
    for item in details.verdicts:
        if item.state == "pending":
            due = local_time(config, item.reply_by)
            state = text(language, "ticket.verdict_pending", reply_by=due)
        else:
            state = followup_name(language, item.state)
        asked = local_time(config, item.asked_at)
        lines.append(
            text(language, "ticket.verdict_round", round=item.round, asked_at=asked, state=state)
        )
        if item.comment:
            comment = html.escape(item.comment)
            lines.append("   " + text(language, "ticket.verdict_comment", comment=comment))
    return lines


def followup_name(language: str, state: str) -> str:
    key = f"inspection.followup.{state}"
    return text(language, key) if key in CATALOGS["zh"] else html.escape(state)


def _supporting_lines(config: Config, language: str, details: TicketDetails) -> list[str]:
    if not details.supporting:
        return []
    lines = ["", text(language, "ticket.supporting")]
    for report in details.supporting:
        lines.append(
            text(
                language,
                "ticket.supporting_item",
                ticket_number=html.escape(report.ticket_number),
                received_at=local_time(config, report.received_at),
                institution=html.escape(report.institution or "-"),
                description=html.escape(report.description),
            )
        )
    return lines


async def _timeline_lines(
    bot: Bot,
    services: Services,
    language: str,
    details: TicketDetails,
    chats: tuple[int, ...],
) -> list[str]:
    lines = ["", text(language, "ticket.timeline")]
    for item in details.timeline:
        who = await _actor(bot, services, language, item.actor, chats)
        what = _event(services.config, language, item)
        when = local_time(services.config, item.at)
        lines.append(text(language, "ticket.timeline_item", when=when, who=who, what=what))
    return lines


async def _actor(
    bot: Bot, services: Services, language: str, actor: str, chats: tuple[int, ...]
) -> str:
    if actor == REPORTER:
        return text(language, "ticket.actor.reporter")
    if actor == SYSTEM:
        return text(language, "ticket.actor.system")
    return await staff_name(bot, services, actor, chats)


def _event(config: Config, language: str, item: TimelineItem) -> str:
    key = f"staff.event.{item.kind}"
    what = text(language, key) if key in CATALOGS["zh"] else html.escape(item.kind)
    extra = _event_details(config, language, item.details)
    hidden = "" if item.public else text(language, "ticket.internal")
    return f"{what}{extra}{hidden}"


def _event_details(config: Config, language: str, details: dict[str, Any]) -> str:
    parts = []
    if "status" in details:
        parts.append(status_name(language, str(details["status"])))
    if "verdict" in details:
        parts.append(followup_name(language, str(details["verdict"])))
    if "to_queue" in details:
        parts.append(
            f"{queue_name(config, str(details.get('from_queue', '')))} → "
            f"{queue_name(config, str(details['to_queue']))}"
        )
    if "tickets" in details and isinstance(details["tickets"], list):
        parts.append(", ".join(html.escape(str(n)) for n in details["tickets"]))
    for key in ("note", "public_note", "ticket_number"):
        if details.get(key):
            parts.append(html.escape(str(details[key])))
    return f":{'; '.join(parts)}" if parts else ""


# --- refusals -----------------------------------------------------------------------------------


async def denial_text(bot: Bot, services: Services, language: str, denied: Denied) -> str:
    """Why an action was refused, naming who holds the ticket when that is why."""
    holder = ""
    if denied.claimed_by is not None:
        holder = await staff_name(
            bot, services, denied.claimed_by, services.inspection.settings.staff_chat_ids()
        )
    key = f"denied.{denied.reason}"
    if denied.reason == Denial.ALREADY_DONE and not denied.ticket_number:
        key = "denied.already_done_command"  # a staff or duty change, not a ticket's
    return text(language, key, ticket_number=html.escape(denied.ticket_number or ""), holder=holder)
