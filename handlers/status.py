"""Status and follow-up (/status): the receipt code opens the reporter's own ticket.

The code is checked by :class:`bot.tickets.ReporterDesk`, which counts wrong codes against the
reporter and against everyone. It is kept, sealed, with the check in progress (see
:mod:`bot.tickets.status_checks`) for a few minutes, and checked again for every action.
"""

from __future__ import annotations

import html
from datetime import timedelta, timezone

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.tickets.model import (
    OPEN_STATUSES,
    FollowupSaved,
    Reason,
    Refused,
    TicketStatus,
    TicketView,
    TimelineEntry,
)
from bot.tickets.receipts import normalize_code
from bot.tickets.status_checks import Awaiting, StatusCheck
from handlers.callbacks import Prefix, data
from handlers.common import (
    answer_press,
)
from handlers.evidence import cleaning_note, fetch_evidence, incoming_file
from handlers.refusals import BYTES_PER_MB, download_limit, refusal
from handlers.report_form import DONE_WORDS, from_private_chat, reporter_key
from handlers.request import Request
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


async def start_status(request: Request, code: str = "") -> None:
    """/status (optionally with the code), the menu button and the ``/start status`` link."""
    if not await from_private_chat(request):
        return
    key = reporter_key(request)
    await open_check(request, Awaiting.CODE)
    if code.strip():
        await check_code(request, key, code)
        return
    await request.send(request.t("status.ask_code"))


def looks_like_code(request: Request, text: str) -> bool:
    """A receipt code pasted without /status: taken as one, so it never reaches the FAQ log."""
    digits = request.services.tickets.settings.receipts.digits
    return normalize_code(text, digits) is not None


async def check_code(request: Request, key: str, text: str) -> None:
    services = request.services
    result = await services.tickets.reporters.check_status(text, key, request.now)
    if isinstance(result, Refused):
        if result.reason == Reason.TOO_MANY_ATTEMPTS:
            await end_check(request)
        await request.send(refusal(request, result))
        return
    digits = services.tickets.settings.receipts.digits
    await open_check(request, Awaiting.NOTHING, code=normalize_code(text, digits))
    await show_ticket(request, result)


# --- Messages while a check is open ---------------------------------------------------------------


async def take_message(request: Request) -> bool:
    """Handle a private message that belongs to a status check; False otherwise."""
    message = request.message
    if message is None:
        return False
    key = reporter_key(request)
    check = current_check(request)
    if check is not None and check.code and request.effect_applied:
        # An answer or a file saved before a crash comes again: show where things stand
        # rather than take it as whatever the check now expects (or pass it to the FAQ).
        await show_again(request, key, check.code)
        return True
    awaiting = check.awaiting if check else Awaiting.NOTHING
    if awaiting == Awaiting.NOTHING:
        if message.text and looks_like_code(request, message.text):
            await check_code(request, key, message.text)
            return True
        return False
    assert check is not None
    if awaiting == Awaiting.CODE:
        if message.text:
            await check_code(request, key, message.text)
        else:
            await request.send(request.t("status.ask_code"))
    elif awaiting == Awaiting.ANSWER:
        await take_answer(request, key, check, message)
    else:
        await take_evidence(request, key, check, message)
    return True


async def take_answer(request: Request, key: str, check: StatusCheck, message: Message) -> None:
    limit = request.services.tickets.settings.limits.max_text_chars
    answer = (message.text or "").strip()
    if not answer:
        await request.send(request.t("report.empty"))
        return
    if len(answer) > limit:
        text = request.t("report.too_long", limit=limit, length=len(answer))
        await request.send(text)
        return
    assert check.code is not None and check.question_id is not None
    saved = await request.services.tickets.reporters.answer_question(
        check.code, key, check.question_id, answer, request.now, once=request.once
    )
    if await _refused(request, key, saved):
        return
    await request.send(request.t("status.answer_saved"))
    await show_again(request, key, check.code)


async def take_evidence(request: Request, key: str, check: StatusCheck, message: Message) -> None:
    if message.text is not None:
        if message.text.strip().lower() in DONE_WORDS:
            await show_again(request, key, check.code or "")
        else:
            text = request.t("status.evidence_text")
            await request.send(text, evidence_markup(request))
        return
    reply = await add_evidence(request, key, check, message)
    if reply is not None:
        await request.send(reply, evidence_markup(request))


async def add_evidence(
    request: Request, key: str, check: StatusCheck, message: Message
) -> str | None:
    """The reply for one file, or None when the check ended (too many wrong codes)."""
    incoming = incoming_file(message)
    if incoming is None:
        return request.t("report.evidence.wrong")
    tickets = request.services.tickets
    fetched = await fetch_evidence(request, incoming, tickets.settings.evidence)
    if fetched is None:
        return request.t("evidence.download_failed")
    if isinstance(fetched, Reason):
        return refusal(request, fetched)
    assert check.code is not None
    saved = await tickets.reporters.add_evidence(
        check.code, key, fetched, request.now, once=request.once
    )
    if isinstance(saved, Refused):
        if saved.reason == Reason.TOO_MANY_ATTEMPTS:
            await end_check(request)
            await request.send(refusal(request, saved))
            return None
        return refusal(request, saved)
    if not saved.added:
        return refusal(request, Reason.DUPLICATE_FILE)
    number = html.escape(saved.ticket_number)
    added = request.t("status.evidence_added", ticket_number=number)
    note = cleaning_note(request, fetched)
    return added if note is None else f"{added}\n{note}"


async def _refused(request: Request, key: str, result: FollowupSaved | Refused) -> bool:
    """Tell the reporter why, if refused; a flood of wrong codes ends the check."""
    if not isinstance(result, Refused):
        return False
    if result.reason in (Reason.TOO_MANY_ATTEMPTS, Reason.CODE_UNKNOWN):
        await end_check(request)
    await request.send(refusal(request, result))
    return True


# --- Showing the ticket ---------------------------------------------------------------------------


async def show_again(request: Request, key: str, code: str) -> None:
    result = await request.services.tickets.reporters.check_status(code, key, request.now)
    if isinstance(result, Refused):
        await _refused(request, key, result)
        return
    await open_check(request, Awaiting.NOTHING, code=code)
    await show_ticket(request, result)


async def show_ticket(request: Request, view: TicketView) -> None:
    status = request.t(f"status.name.{view.status}")
    lines = [
        request.t(
            "status.view",
            ticket_number=html.escape(view.ticket_number),
            status=html.escape(status),
        ),
        "",
        request.t("status.timeline"),
        *(timeline_line(request, entry) for entry in view.timeline),
    ]
    if view.open_questions:
        lines += ["", request.t("status.questions")]
        lines += [f"{n}. {html.escape(q.text)}" for n, q in enumerate(view.open_questions, 1)]
    lines += status_lines(request, view)
    notices = "status.notifications_on" if view.notifications_on else "status.notifications_off"
    lines += ["", request.t(notices)]
    markup = ticket_markup(request, view)
    await request.send("\n".join(lines), markup)


def timeline_line(request: Request, entry: TimelineEntry) -> str:
    offset = timedelta(hours=request.services.tickets.settings.utc_offset_hours)
    when = entry.at.astimezone(timezone(offset)).strftime("%Y-%m-%d %H:%M")
    kind = entry.what if entry.what in KNOWN_EVENTS else "other"
    status = request.t(f"status.name.{entry.status}") if _known_status(entry) else ""
    line = f"• {when} {request.t(f'timeline.{kind}', status=html.escape(status))}"
    if entry.note:
        line += f"\n  {request.t('timeline.note', note=html.escape(entry.note))}"
    return line


def _known_status(entry: TimelineEntry) -> bool:
    return entry.status in {s.value for s in TicketStatus}


def ticket_markup(request: Request, view: TicketView) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                request.t("status.button.answer", number=n),
                callback_data=data(Prefix.STATUS, "ans", q.question_id, n),
            )
        ]
        for n, q in enumerate(view.open_questions, 1)
    ]
    rows += status_rows(request, view)
    if view.status in OPEN_STATUSES:
        rows.append([_button(request, "status.button.evidence", "s:ev")])
    if view.notifications_on:
        rows.append([_button(request, "status.button.notify_off", "s:off")])
    elif view.status in OPEN_STATUSES:
        rows.append([_button(request, "status.button.notify_on", "s:on")])
    rows.append([_button(request, "status.button.done", "s:done")])
    return InlineKeyboardMarkup(rows)


def evidence_markup(request: Request) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(request, "report.button.done", "s:evdone")]])


def _button(request: Request, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(request.t(key), callback_data=data)


# --- Buttons --------------------------------------------------------------------------------------


async def status_button(request: Request) -> None:
    """The code is never in the button: a press with no check in progress asks for it again."""
    query = request.query
    if query is None:
        return
    parts = (query.data or "").split(":")
    await answer_press(query)
    key = reporter_key(request)
    check = current_check(request)
    if check is None or check.code is None:
        await open_check(request, Awaiting.CODE)
        await request.send(request.t("status.code_again"))
        return
    await _act(request, key, check.code, parts)


async def _act(request: Request, key: str, code: str, parts: list[str]) -> None:
    action = parts[1] if len(parts) > 1 else ""
    if action == "ans" and len(parts) == 4 and parts[2].isdigit() and parts[3].isdigit():
        await open_check(request, Awaiting.ANSWER, code=code, question_id=int(parts[2]))
        await request.send(request.t("status.ask_answer", number=parts[3]))
    elif action == "ev":
        await open_check(request, Awaiting.EVIDENCE, code=code)
        max_mb = download_limit(request.services.tickets.settings.evidence) // BYTES_PER_MB
        text = request.t("status.ask_evidence", max_mb=max_mb)
        await request.send(text, evidence_markup(request))
    elif action == "evdone":
        await show_again(request, key, code)
    elif action in ("on", "off"):
        await switch_notifications(request, key, code, on=action == "on")
    elif action == "done":
        await end_check(request)
        await request.send(request.t("status.done"))
    else:
        await request.send(request.t("button.expired"))


async def switch_notifications(request: Request, key: str, code: str, *, on: bool) -> None:
    reporters = request.services.tickets.reporters
    if on:
        result = await reporters.notify_me(code, key, request.chat_id, request.now)
    else:
        result = await reporters.stop_notifications(code, key, request.now)
    if await _refused(request, key, result):
        return
    text = request.t("status.notify_on" if on else "status.notify_off")
    await request.send(text)


async def cancel_check(request: Request) -> bool:
    """/cancel: True if a status check was waiting for something."""
    check = current_check(request)
    if check is None or check.awaiting == Awaiting.NOTHING:
        return False
    return await end_check(request)


# --- The check in progress, in the person's chat state ------------------------------------------


def current_check(request: Request) -> StatusCheck | None:
    return request.services.status_checks.get(request.state)


async def open_check(
    request: Request,
    awaiting: Awaiting,
    *,
    code: str | None = None,
    question_id: int | None = None,
) -> None:
    await request.services.status_checks.open(
        request.state,
        awaiting,
        code=code,
        question_id=question_id,
    )


async def end_check(request: Request) -> bool:
    return await request.services.status_checks.end(request.state)
