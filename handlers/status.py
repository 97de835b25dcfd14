"""Status and follow-up (/status): the receipt code opens the reporter's own ticket.

The code is checked by :class:`bot.tickets.ReporterDesk`, which counts wrong codes against the
reporter and against everyone. It is kept, sealed, with the check in progress (see
:mod:`bot.tickets.status_checks`) for a few minutes, and checked again for every action.
"""

from __future__ import annotations

import html
from datetime import timedelta, timezone

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.tickets.model import (
    OPEN_STATUSES,
    FollowupSaved,
    Reason,
    Refused,
    TicketStatus,
    TicketView,
    TimelineEntry,
)
from bot.tickets.outbox import utc_now
from bot.tickets.receipts import normalize_code
from bot.tickets.status_checks import Awaiting, StatusCheck
from handlers.common import (
    answer_press,
    applied_once,
    effect_applied,
    person_key,
    send_html,
    state_copy,
    t,
)
from handlers.context import HotlineContext
from handlers.evidence import cleaning_note, fetch_evidence, incoming_file
from handlers.refusals import BYTES_PER_MB, download_limit, refusal
from handlers.report_form import DONE_WORDS, chat_id_of, from_private_chat, reporter_key
from handlers.verdicts import status_lines, status_rows

# Events the timeline names; anything newer is shown as a plain "progress update".
KNOWN_EVENTS = frozenset(
    {
        "received",
        "claimed",
        "status_changed",
        "question_asked",
        "question_answered",
        "evidence_added",
        "transferred",
        "reopened",
        "merged",
        "verdict_asked",
        "verdict_given",
    }
)


# --- Asking for the code --------------------------------------------------------------------------


async def start_status(update: Update, context: HotlineContext, code: str = "") -> None:
    """/status (optionally with the code), the menu button and the ``/start status`` link."""
    if not await from_private_chat(update, context):
        return
    key = reporter_key(update, context)
    await open_check(update, context, Awaiting.CODE)
    if code.strip():
        await check_code(update, context, key, code)
        return
    await send_html(context, chat_id_of(update), t(update, context, "status.ask_code"))


def looks_like_code(context: HotlineContext, text: str) -> bool:
    """A receipt code pasted without /status: taken as one, so it never reaches the FAQ log."""
    digits = context.services.tickets.settings.receipts.digits
    return normalize_code(text, digits) is not None


async def check_code(update: Update, context: HotlineContext, key: str, text: str) -> None:
    services = context.services
    result = await services.tickets.reporters.check_status(text, key, services.clock())
    if isinstance(result, Refused):
        if result.reason == Reason.TOO_MANY_ATTEMPTS:
            await end_check(update, context)
        await send_html(context, chat_id_of(update), refusal(update, context, result))
        return
    digits = services.tickets.settings.receipts.digits
    await open_check(update, context, Awaiting.NOTHING, code=normalize_code(text, digits))
    await show_ticket(update, context, result)


# --- Messages while a check is open ---------------------------------------------------------------


async def take_message(update: Update, context: HotlineContext) -> bool:
    """Handle a private message that belongs to a status check; False otherwise."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return False
    key = reporter_key(update, context)
    check = current_check(context)
    if check is not None and check.code and effect_applied(update, context):
        # An answer or a file saved before a crash comes again: show where things stand
        # rather than take it as whatever the check now expects (or pass it to the FAQ).
        await show_again(update, context, key, check.code)
        return True
    awaiting = check.awaiting if check else Awaiting.NOTHING
    if awaiting == Awaiting.NOTHING:
        if message.text and looks_like_code(context, message.text):
            await check_code(update, context, key, message.text)
            return True
        return False
    assert check is not None
    if awaiting == Awaiting.CODE:
        if message.text:
            await check_code(update, context, key, message.text)
        else:
            await send_html(context, chat_id_of(update), t(update, context, "status.ask_code"))
    elif awaiting == Awaiting.ANSWER:
        await take_answer(update, context, key, check, message)
    else:
        await take_evidence(update, context, key, check, message)
    return True


async def take_answer(
    update: Update, context: HotlineContext, key: str, check: StatusCheck, message: Message
) -> None:
    limit = context.services.tickets.settings.limits.max_text_chars
    answer = (message.text or "").strip()
    if not answer:
        await send_html(context, chat_id_of(update), t(update, context, "report.empty"))
        return
    if len(answer) > limit:
        text = t(update, context, "report.too_long", limit=limit, length=len(answer))
        await send_html(context, chat_id_of(update), text)
        return
    assert check.code is not None and check.question_id is not None
    saved = await context.services.tickets.reporters.answer_question(
        check.code, key, check.question_id, answer, utc_now(), once=applied_once(update)
    )
    if await _refused(update, context, key, saved):
        return
    await send_html(context, chat_id_of(update), t(update, context, "status.answer_saved"))
    await show_again(update, context, key, check.code)


async def take_evidence(
    update: Update, context: HotlineContext, key: str, check: StatusCheck, message: Message
) -> None:
    if message.text is not None:
        if message.text.strip().lower() in DONE_WORDS:
            await show_again(update, context, key, check.code or "")
        else:
            text = t(update, context, "status.evidence_text")
            await send_html(context, chat_id_of(update), text, evidence_markup(update, context))
        return
    reply = await add_evidence(update, context, key, check, message)
    if reply is not None:
        await send_html(context, chat_id_of(update), reply, evidence_markup(update, context))


async def add_evidence(
    update: Update, context: HotlineContext, key: str, check: StatusCheck, message: Message
) -> str | None:
    """The reply for one file, or None when the check ended (too many wrong codes)."""
    incoming = incoming_file(message)
    if incoming is None:
        return t(update, context, "report.evidence.wrong")
    tickets = context.services.tickets
    fetched = await fetch_evidence(context, incoming, tickets.settings.evidence)
    if fetched is None:
        return t(update, context, "evidence.download_failed")
    if isinstance(fetched, Reason):
        return refusal(update, context, fetched)
    assert check.code is not None
    saved = await tickets.reporters.add_evidence(
        check.code, key, fetched, utc_now(), once=applied_once(update)
    )
    if isinstance(saved, Refused):
        if saved.reason == Reason.TOO_MANY_ATTEMPTS:
            await end_check(update, context)
            await send_html(context, chat_id_of(update), refusal(update, context, saved))
            return None
        return refusal(update, context, saved)
    if not saved.added:
        return refusal(update, context, Reason.DUPLICATE_FILE)
    number = html.escape(saved.ticket_number)
    added = t(update, context, "status.evidence_added", ticket_number=number)
    note = cleaning_note(update, context, fetched)
    return added if note is None else f"{added}\n{note}"


async def _refused(
    update: Update, context: HotlineContext, key: str, result: FollowupSaved | Refused
) -> bool:
    """Tell the reporter why, if refused; a flood of wrong codes ends the check."""
    if not isinstance(result, Refused):
        return False
    if result.reason in (Reason.TOO_MANY_ATTEMPTS, Reason.CODE_UNKNOWN):
        await end_check(update, context)
    await send_html(context, chat_id_of(update), refusal(update, context, result))
    return True


# --- Showing the ticket ---------------------------------------------------------------------------


async def show_again(update: Update, context: HotlineContext, key: str, code: str) -> None:
    result = await context.services.tickets.reporters.check_status(
        code, key, context.services.clock()
    )
    if isinstance(result, Refused):
        await _refused(update, context, key, result)
        return
    await open_check(update, context, Awaiting.NOTHING, code=code)
    await show_ticket(update, context, result)


async def show_ticket(update: Update, context: HotlineContext, view: TicketView) -> None:
    status = t(update, context, f"status.name.{view.status}")
    lines = [
        t(
            update,
            context,
            "status.view",
            ticket_number=html.escape(view.ticket_number),
            status=html.escape(status),
        ),
        "",
        t(update, context, "status.timeline"),
        *(timeline_line(update, context, entry) for entry in view.timeline),
    ]
    if view.open_questions:
        lines += ["", t(update, context, "status.questions")]
        lines += [f"{n}. {html.escape(q.text)}" for n, q in enumerate(view.open_questions, 1)]
    lines += status_lines(update, context, view)
    notices = "status.notifications_on" if view.notifications_on else "status.notifications_off"
    lines += ["", t(update, context, notices)]
    markup = ticket_markup(update, context, view)
    await send_html(context, chat_id_of(update), "\n".join(lines), markup)


def timeline_line(update: Update, context: HotlineContext, entry: TimelineEntry) -> str:
    offset = timedelta(hours=context.services.tickets.settings.utc_offset_hours)
    when = entry.at.astimezone(timezone(offset)).strftime("%Y-%m-%d %H:%M")
    kind = entry.what if entry.what in KNOWN_EVENTS else "other"
    status = t(update, context, f"status.name.{entry.status}") if _known_status(entry) else ""
    line = f"• {when} {t(update, context, f'timeline.{kind}', status=html.escape(status))}"
    if entry.note:
        line += f"\n  {t(update, context, 'timeline.note', note=html.escape(entry.note))}"
    return line


def _known_status(entry: TimelineEntry) -> bool:
    return entry.status in {s.value for s in TicketStatus}


def ticket_markup(
    update: Update, context: HotlineContext, view: TicketView
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                t(update, context, "status.button.answer", number=n),
                callback_data=f"s:ans:{q.question_id}:{n}",
            )
        ]
        for n, q in enumerate(view.open_questions, 1)
    ]
    rows += status_rows(update, context, view)
    if view.status in OPEN_STATUSES:
        rows.append([_button(update, context, "status.button.evidence", "s:ev")])
    if view.notifications_on:
        rows.append([_button(update, context, "status.button.notify_off", "s:off")])
    elif view.status in OPEN_STATUSES:
        rows.append([_button(update, context, "status.button.notify_on", "s:on")])
    rows.append([_button(update, context, "status.button.done", "s:done")])
    return InlineKeyboardMarkup(rows)


def evidence_markup(update: Update, context: HotlineContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(update, context, "report.button.done", "s:evdone")]])


def _button(update: Update, context: HotlineContext, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(t(update, context, key), callback_data=data)


# --- Buttons --------------------------------------------------------------------------------------


async def status_button(update: Update, context: HotlineContext) -> None:
    """The code is never in the button: a press with no check in progress asks for it again."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    parts = (query.data or "").split(":")
    await answer_press(query)
    key = reporter_key(update, context)
    check = current_check(context)
    if check is None or check.code is None:
        await open_check(update, context, Awaiting.CODE)
        await send_html(context, chat_id_of(update), t(update, context, "status.code_again"))
        return
    await _act(update, context, key, check.code, parts)


async def _act(
    update: Update, context: HotlineContext, key: str, code: str, parts: list[str]
) -> None:
    chat = chat_id_of(update)
    action = parts[1] if len(parts) > 1 else ""
    if action == "ans" and len(parts) == 4 and parts[2].isdigit() and parts[3].isdigit():
        await open_check(update, context, Awaiting.ANSWER, code=code, question_id=int(parts[2]))
        await send_html(context, chat, t(update, context, "status.ask_answer", number=parts[3]))
    elif action == "ev":
        await open_check(update, context, Awaiting.EVIDENCE, code=code)
        max_mb = download_limit(context.services.tickets.settings.evidence) // BYTES_PER_MB
        text = t(update, context, "status.ask_evidence", max_mb=max_mb)
        await send_html(context, chat, text, evidence_markup(update, context))
    elif action == "evdone":
        await show_again(update, context, key, code)
    elif action in ("on", "off"):
        await switch_notifications(update, context, key, code, on=action == "on")
    elif action == "done":
        await end_check(update, context)
        await send_html(context, chat, t(update, context, "status.done"))
    else:
        await send_html(context, chat, t(update, context, "button.expired"))


async def switch_notifications(
    update: Update, context: HotlineContext, key: str, code: str, *, on: bool
) -> None:
    reporters = context.services.tickets.reporters
    if on:
        result = await reporters.notify_me(code, key, chat_id_of(update), utc_now())
    else:
        result = await reporters.stop_notifications(code, key, utc_now())
    if await _refused(update, context, key, result):
        return
    text = t(update, context, "status.notify_on" if on else "status.notify_off")
    await send_html(context, chat_id_of(update), text)


async def cancel_check(update: Update, context: HotlineContext) -> bool:
    """/cancel: True if a status check was waiting for something."""
    check = current_check(context)
    if check is None or check.awaiting == Awaiting.NOTHING:
        return False
    return await end_check(update, context)


# --- The check in progress, in the person's chat state ------------------------------------------


def current_check(context: HotlineContext) -> StatusCheck | None:
    return context.services.status_checks.get(state_copy(context))


async def open_check(
    update: Update,
    context: HotlineContext,
    awaiting: Awaiting,
    *,
    code: str | None = None,
    question_id: int | None = None,
) -> None:
    await context.services.status_checks.open(
        state_copy(context),
        person_key(update, context),
        utc_now(),
        awaiting,
        code=code,
        question_id=question_id,
    )


async def end_check(update: Update, context: HotlineContext) -> bool:
    return await context.services.status_checks.end(
        state_copy(context), person_key(update, context)
    )
