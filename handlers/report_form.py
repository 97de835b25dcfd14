"""The tip-off conversation (/report): one question per step, every answer saved in the draft.

Plain handlers rather than a ConversationHandler: PTB keeps a conversation's state in memory
unless a persistence class is set, while the draft in the store already says where the reporter
is. Every update reads the draft again and acts on its step, so a restart (or a second
instance) resumes exactly where the reporter was, and nothing is lost when a process dies.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from bot.store.base import NotSaved, StoreError
from bot.tickets.form import (
    EDITABLE,
    QUESTION_COUNT,
    TEXT_STEPS,
    Position,
    Problem,
    Step,
    answer_of,
    at,
    check_answer,
    position_of,
    with_answer,
)
from bot.tickets.model import Reason, Refused, ReportAccepted, ReportDraft, ReportRepeated
from handlers import report_registry
from handlers.callbacks import Prefix, data, pattern
from handlers.common import answer_press
from handlers.evidence import cleaning_note, cleaning_summary, fetch_evidence, incoming_file
from handlers.refusals import BYTES_PER_MB, download_limit, refusal
from handlers.request import Request

log = logging.getLogger(__name__)

# r:<draft id>:<action>[:<argument>], at most 64 bytes (choice ids are at most 24 characters).
BUTTON = re.compile(pattern(Prefix.REPORT, r"([0-9a-f]{32}):([a-z]+)(?::([a-z0-9_]{1,24}))?$"))
# Typed instead of pressing "Done" at the evidence step.
DONE_WORDS = frozenset({"完成", "好了", "跳过", "没有", "done", "skip", "no", "none"})


def reporter_key(request: Request) -> str:
    return request.services.tickets.reporter_key(request.user_id)


def submission_key(draft_id: str) -> str:
    """Names one submission: confirm pressed twice, or an update replayed, makes one ticket."""
    return f"draft:{draft_id}"


# --- Starting ----------------------------------------------------------------------------------


async def from_private_chat(request: Request) -> bool:
    """Reports and status checks are for private chats: elsewhere say so, and False."""
    if not request.private:
        await request.send(request.t("reporter.private_only"))
        return False
    return True


async def start_report(request: Request) -> None:
    """/report, the menu button and the ``/start report`` link."""
    if not await from_private_chat(request):
        return
    key = reporter_key(request)
    tickets = request.services.tickets
    draft = await tickets.drafts.load(key)
    if draft is not None and draft.holds(request.update_id):
        await send_step(request, draft)  # this very /report, replayed after a crash
        return
    if draft is not None:
        number = position_of(draft).number
        text = request.t("report.resume", number=number)
        await request.send(text, _resume_markup(request, draft))
        return
    refused = await tickets.intake.can_report(key, request.now)
    if refused is not None:
        await request.send(refusal(request, refused))
        return
    await begin(request, key)


async def begin(request: Request, key: str) -> None:
    """A fresh draft at the first step; any earlier draft and its files are discarded."""
    start = Position(Step.CATEGORY).encode()
    draft = await request.services.tickets.drafts.start(
        key, request.now, step=start, update_id=request.update_id
    )
    hotline = request.services.config.local.get("report_hotline", "")
    intro = request.t("report.intro", report_hotline=html.escape(hotline), total=QUESTION_COUNT)
    await send_step(request, draft, lead=intro)


# --- Messages: answers to the current step -----------------------------------------------------


async def take_message(request: Request) -> bool:
    """Handle a private message if the sender has a draft; False when they have none."""
    message = request.message
    if message is None:
        return False
    key = reporter_key(request)
    draft = await request.services.tickets.drafts.load(key)
    if draft is None:
        return False
    if draft.holds(request.update_id):
        await show_applied(request, draft)
        return True
    if _idle(request, draft):
        await remind(request, key, draft)
        return True
    step = position_of(draft).step
    if step == Step.EVIDENCE:
        await take_evidence(request, key, draft, message)
    elif step in TEXT_STEPS:
        await take_text(request, key, draft, message)
    else:
        await send_step(request, draft, lead=request.t("report.use_buttons"))
    return True


async def show_applied(request: Request, draft: ReportDraft) -> None:
    """An update handled before a crash but not marked done comes again: its answer is in the
    draft already, so it is not applied to the step after its own; the reporter sees where they
    are (the reply may not have gone out before the crash)."""
    log.info("update %d: already applied to the draft", request.update_id)
    await send_step(request, draft)


def _idle(request: Request, draft: ReportDraft) -> bool:
    idle = timedelta(minutes=request.services.config.report_form.idle_minutes)
    return draft.updated_at is not None and request.now - draft.updated_at > idle


async def remind(request: Request, key: str, draft: ReportDraft) -> None:
    """After a long pause the message may not be meant as an answer (a question for the FAQ,
    say): keep the draft as it is, mark it touched, and show where the reporter was."""
    draft = draft.applying(request.update_id)
    await request.services.tickets.drafts.save(key, draft, request.now)
    number = position_of(draft).number
    lead = request.t("report.welcome_back", number=number)
    await send_step(request, draft, lead=lead)


async def take_text(request: Request, key: str, draft: ReportDraft, message: Message) -> None:
    step = position_of(draft).step
    if message.text is None:
        await send_step(request, draft, lead=request.t(wrong_kind(message)))
        return
    form, limits = request.services.config.report_form, request.services.tickets.settings.limits
    problem = check_answer(draft, step, message.text, form, limits)
    if problem is not None:
        if problem.problem == Problem.EMPTY:
            lead = request.t("report.empty")
        else:
            lead = request.t("report.too_long", limit=problem.limit, length=problem.length)
        await send_step(request, draft, lead=lead)
        return
    draft = with_answer(draft, step, message.text.strip())
    if step == Step.WHO:
        draft, asked = report_registry.check_institution(request, draft)
        if asked:  # the reporter confirms the registry's match with a button first
            await move_to(request, key, draft, position_of(draft))
            return
    await advance(request, key, draft)


def wrong_kind(message: Message) -> str:
    """The catalog key that says why this message cannot answer a question asked in words."""
    if message.sticker:
        return "report.wrong.sticker"
    if message.location or message.venue:
        return "report.wrong.location"
    if message.contact:
        return "report.wrong.contact"
    if message.voice or message.audio or message.video_note:
        return "report.wrong.voice"
    if incoming_file(message) is not None:
        return "report.wrong.file"
    return "report.wrong.other"


async def take_evidence(request: Request, key: str, draft: ReportDraft, message: Message) -> None:
    if message.text is not None:
        if message.text.strip().lower() in DONE_WORDS:
            await advance(request, key, draft)
        else:
            await send_step(request, draft, lead=request.t("report.evidence.text"))
        return
    reply, draft = await store_evidence(request, key, draft, message)
    markup = step_markup(request, draft, position_of(draft))
    await request.send(reply, markup)


async def store_evidence(
    request: Request, key: str, draft: ReportDraft, message: Message
) -> tuple[str, ReportDraft]:
    """Download, clean and keep one file: what to tell the reporter, and the draft now."""
    incoming = incoming_file(message)
    if incoming is None:
        return request.t("report.evidence.wrong"), draft
    tickets = request.services.tickets
    if len(draft.evidence) >= tickets.settings.limits.max_attachments:
        return refusal(request, Reason.TOO_MANY_ATTACHMENTS), draft
    fetched = await fetch_evidence(request, incoming, tickets.settings.evidence)
    if fetched is None:
        return request.t("evidence.download_failed"), draft
    if isinstance(fetched, Reason):
        return refusal(request, fetched), draft
    added = await tickets.drafts.add_evidence(
        key, fetched, request.now, update_id=request.update_id
    )
    if isinstance(added, Refused):
        return refusal(request, added), draft
    lines = [request.t("report.evidence.received", count=len(added.evidence))]
    note = cleaning_note(request, fetched)
    if note is not None:
        lines.append(note)
    if message.caption:
        lines.append(request.t("report.evidence.caption_ignored"))
    return "\n".join(lines), added


async def advance(request: Request, key: str, draft: ReportDraft) -> None:
    """Save the draft at the next step (or back at the review when editing), then ask it."""
    await move_to(request, key, draft, position_of(draft).following())


async def move_to(request: Request, key: str, draft: ReportDraft, position: Position) -> None:
    draft = at(draft, position).applying(request.update_id)
    await request.services.tickets.drafts.save(key, draft, request.now)
    await send_step(request, draft)


# --- What each step looks like -----------------------------------------------------------------


async def send_step(request: Request, draft: ReportDraft, *, lead: str = "") -> None:
    position = position_of(draft)
    markup = step_markup(request, draft, position)
    if position.step == Step.REVIEW:
        body = review_text(request, draft)
    else:
        header = request.t("report.step", number=position.number, total=QUESTION_COUNT)
        question = prompt(request, position.step)
        # A name the registry matched waits for the reporter's yes / no / not sure.
        if position.step == Step.WHO and (asking := report_registry.confirmation(request, draft)):
            question, rows = asking
            markup = InlineKeyboardMarkup([*rows, *markup.inline_keyboard])
        body = f"{header}\n{question}"
    text = f"{lead}\n\n{body}" if lead else body
    await request.send(text, markup)


def prompt(request: Request, step: Step) -> str:
    if step == Step.EVIDENCE:
        max_mb = download_limit(request.services.tickets.settings.evidence) // BYTES_PER_MB
        return request.t("report.ask.evidence", max_mb=max_mb)
    return request.t(f"report.ask.{step}")


def button(
    request: Request, draft: ReportDraft, label_key: str, action: str
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        request.t(label_key), callback_data=data(Prefix.REPORT, draft.draft_id, action)
    )


def step_markup(request: Request, draft: ReportDraft, position: Position) -> InlineKeyboardMarkup:
    rows = _choice_rows(request, draft, position.step)
    if position.step == Step.EVIDENCE:
        label = "report.button.done" if draft.evidence else "report.button.skip"
        rows.append([button(request, draft, label, "evdone")])
    elif position.step == Step.CONTACT:
        rows.append([button(request, draft, "report.button.no_contact", "nocontact")])
    elif position.step == Step.REVIEW:
        rows.append(
            [
                button(request, draft, "report.button.edit", "edit"),
                button(request, draft, "report.button.confirm", "ok"),
            ]
        )
    last = [button(request, draft, "report.button.cancel", "cancel")]
    if position.step not in (Step.CATEGORY, Step.REVIEW):
        last.insert(0, button(request, draft, "report.button.back", "back"))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def _choice_rows(
    request: Request, draft: ReportDraft, step: Step
) -> list[list[InlineKeyboardButton]]:
    form = request.services.config.report_form
    language = request.language
    if step == Step.CATEGORY:
        return [
            [
                InlineKeyboardButton(
                    c.label(language),
                    callback_data=data(Prefix.REPORT, draft.draft_id, "cat", c.id),
                )
            ]
            for c in form.categories
        ]
    if step != Step.DISTRICT:
        return []
    buttons = [
        InlineKeyboardButton(
            d.label(language), callback_data=data(Prefix.REPORT, draft.draft_id, "dist", d.id)
        )
        for d in form.districts
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def review_text(request: Request, draft: ReportDraft) -> str:
    lines = [request.t("report.review.title")]
    for step in EDITABLE:
        label = request.t(f"report.field.{step}")
        value = shown_answer(request, draft, step)
        lines.append(request.t("report.review.line", label=label, value=value))
    lines += ["", request.t("report.review.hint")]
    return "\n".join(lines)


def shown_answer(request: Request, draft: ReportDraft, step: Step) -> str:
    """An answer as the review shows it: labels for choices, escaped text for the rest."""
    form = request.services.config.report_form
    language = request.language
    answer = answer_of(draft, step)
    if step in (Step.CATEGORY, Step.DISTRICT):
        choice = form.category(answer) if step == Step.CATEGORY else form.district(answer)
        return html.escape(choice.label(language) if choice else answer)
    if step == Step.EVIDENCE:
        return evidence_answer(request, draft)
    if step == Step.CONTACT and not answer:
        return request.t("report.review.no_contact")
    return html.escape(answer)


def evidence_answer(request: Request, draft: ReportDraft) -> str:
    """How many files, what was removed from them, and which keep their metadata."""
    if not draft.evidence:
        return request.t("report.review.no_files")
    count = request.t("report.review.files", count=len(draft.evidence))
    return "\n".join([count, *cleaning_summary(request, draft.evidence)])


def _resume_markup(request: Request, draft: ReportDraft) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(request, draft, "report.button.continue", "go"),
                button(request, draft, "report.button.restart", "new"),
            ]
        ]
    )


def edit_markup(request: Request, draft: ReportDraft) -> InlineKeyboardMarkup:
    buttons = [button(request, draft, f"report.field.{step}", f"fix:{step}") for step in EDITABLE]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


# --- Buttons -----------------------------------------------------------------------------------

Action = Callable[[Request, str, ReportDraft, str], Awaitable[None]]


async def report_button(request: Request) -> None:
    """Every press is checked against the reporter's own draft: a button from an older draft,
    or data the keyboard never offered, changes nothing."""
    query = request.query
    if query is None:
        return
    match = BUTTON.match(query.data or "")
    if match is None:
        await answer_press(query, request.t("button.expired"), alert=True)
        return
    draft_id, action, argument = match.groups()
    try:
        await _press(request, query, draft_id, action, argument or "")
    except NotSaved:
        key = "report.not_saved" if action == "ok" else "reporter.busy"
        await answer_press(query)
        await request.send(request.t(key))


async def _press(
    request: Request,
    query: CallbackQuery,
    draft_id: str,
    action: str,
    argument: str,
) -> None:
    key = reporter_key(request)
    draft = await request.services.tickets.drafts.load(key)
    if draft is None or draft.draft_id != draft_id:
        if action == "ok":
            await answer_press(query)
            await confirm_again(request, draft_id)
        else:
            await answer_press(query, request.t("button.expired"), alert=True)
        return
    if draft.holds(request.update_id):
        await answer_press(query)
        await show_applied(request, draft)
        return
    handler, step = ACTIONS.get(action, (None, None))
    if handler is None or (step is not None and position_of(draft).step != step):
        await answer_press(query, request.t("report.button_old"), alert=True)
        return
    # Answered before the work: the spinner stops even if saving takes a while.
    await answer_press(query)
    await handler(request, key, draft, argument)


async def choose_option(request: Request, key: str, draft: ReportDraft, choice: str) -> None:
    """A type or district button: the step the draft is at says which list it must be in."""
    form = request.services.config.report_form
    step = position_of(draft).step
    known = form.category(choice) if step == Step.CATEGORY else form.district(choice)
    if known is None:
        await send_step(request, draft, lead=request.t("report.button_old"))
        return
    await advance(request, key, with_answer(draft, step, choice))


async def institution_answer(request: Request, key: str, draft: ReportDraft, answer: str) -> None:
    """Yes / no / not sure to "您说的是 ××吗?" (see :mod:`handlers.report_registry`)."""
    updated = report_registry.answered(request, draft, answer)
    if updated is None:
        await send_step(request, draft, lead=request.t("report.button_old"))
        return
    lead = report_registry.noted(request, updated)
    draft = at(updated, position_of(updated).following()).applying(request.update_id)
    await request.services.tickets.drafts.save(key, draft, request.now)
    await send_step(request, draft, lead=lead)


async def evidence_done(request: Request, key: str, draft: ReportDraft, _: str) -> None:
    await advance(request, key, draft)


async def no_contact(request: Request, key: str, draft: ReportDraft, _: str) -> None:
    await advance(request, key, with_answer(draft, Step.CONTACT, ""))


async def show_edit_choices(request: Request, key: str, draft: ReportDraft, _: str) -> None:
    text = request.t("report.edit.choose")
    await request.send(text, edit_markup(request, draft))


async def edit_step(request: Request, key: str, draft: ReportDraft, step_name: str) -> None:
    try:
        step = Step(step_name)
    except ValueError:
        step = Step.REVIEW
    if step not in EDITABLE:
        await send_step(request, draft, lead=request.t("report.button_old"))
        return
    await move_to(request, key, draft, Position(step, then_review=True))


async def go_back(request: Request, key: str, draft: ReportDraft, _: str = "") -> None:
    previous = position_of(draft).previous()
    if previous is None:
        await send_step(request, draft, lead=request.t("report.first_step"))
        return
    await move_to(request, key, draft, previous)


async def cancel_draft(request: Request, key: str, draft: ReportDraft, _: str = "") -> None:
    await request.services.tickets.drafts.delete(key)
    await request.send(request.t("report.cancelled"))


async def resume(request: Request, key: str, draft: ReportDraft, _: str) -> None:
    await send_step(request, draft)


async def start_over(request: Request, key: str, draft: ReportDraft, _: str) -> None:
    refused = await request.services.tickets.intake.can_report(key, request.now)
    if refused is not None:
        await request.send(refusal(request, refused))
        return
    await begin(request, key)


# --- Confirming: the draft becomes a ticket ----------------------------------------------------


async def confirm(request: Request, key: str, draft: ReportDraft, _: str) -> None:
    services = request.services
    result = await services.tickets.intake.submit_report(
        draft,
        key,
        submission_key(draft.draft_id),
        request.now,
        reply_chat_id=request.chat_id,
    )
    if isinstance(result, ReportAccepted):
        await deliver_receipt(request, result)
    elif isinstance(result, ReportRepeated):
        await tell_repeat(request, result)
    else:
        await send_step(request, draft, lead=refusal(request, result))


async def deliver_receipt(request: Request, result: ReportAccepted) -> None:
    """Show the ticket number and the receipt code once. The same message already waits in the
    outbox, committed with the ticket: it is cancelled once this reply is through, and sent
    at once if this reply fails."""
    services = request.services
    text = request.t(
        "report.received",
        ticket_number=html.escape(result.ticket_number),
        receipt_code=html.escape(result.receipt_code),
    )
    outbox = services.tickets.outbox
    try:
        await request.send(text)
    except TelegramError as exc:
        log.warning(
            "ticket %s: receipt reply failed (%s); the outbox sends it",
            result.ticket_number,
            type(exc).__name__,
        )
        await outbox.send_now(result.receipt_message_key, request.now)
        services.wake_outbox()
        return
    log.info("ticket %s received", result.ticket_number)
    try:
        await outbox.mark_delivered(result.receipt_message_key, request.now)
    except StoreError:
        log.warning(
            "ticket %s: receipt shown but not marked so; it may be sent twice", result.ticket_number
        )
    services.wake_outbox()  # the duty chat's notice
    await _drop_keyboard(request)


async def confirm_again(request: Request, draft_id: str) -> None:
    """Confirm on a draft that is gone: submitted already (a double press, an update replayed
    after a crash), or cancelled."""
    repeated = await request.services.tickets.intake.find_submitted(
        submission_key(draft_id), request.now
    )
    if repeated is None:
        await request.send(request.t("button.expired"))
        return
    await tell_repeat(request, repeated)


async def tell_repeat(request: Request, repeated: ReportRepeated) -> None:
    pending = repeated.receipt_pending
    key = "report.already_received_pending" if pending else "report.already_received"
    number = html.escape(repeated.ticket_number)
    await request.send(request.t(key, ticket_number=number))
    if repeated.receipt_pending:
        request.services.wake_outbox()  # the message with the code was moved up to now


async def _drop_keyboard(request: Request) -> None:
    """The review's buttons go once the report is in (best effort: it is cosmetic)."""
    query = request.query
    if query is None or not isinstance(query.message, Message):
        return
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)


# action -> (handler, the step it belongs to; None: any step)
ACTIONS: dict[str, tuple[Action, Step | None]] = {
    "cat": (choose_option, Step.CATEGORY),
    "dist": (choose_option, Step.DISTRICT),
    "inst": (institution_answer, Step.WHO),
    "evdone": (evidence_done, Step.EVIDENCE),
    "nocontact": (no_contact, Step.CONTACT),
    "edit": (show_edit_choices, Step.REVIEW),
    "fix": (edit_step, Step.REVIEW),
    "ok": (confirm, Step.REVIEW),
    "back": (go_back, None),
    "cancel": (cancel_draft, None),
    "go": (resume, None),
    "new": (start_over, None),
}


# --- Commands used inside the conversation -----------------------------------------------------


async def back_command(request: Request) -> bool:
    """/back: False when there is no draft to go back in."""
    return await _on_draft(request, go_back)


async def cancel_command(request: Request) -> bool:
    """/cancel: False when there is no draft to cancel."""
    return await _on_draft(request, cancel_draft)


async def _on_draft(request: Request, act: Action) -> bool:
    key = reporter_key(request)
    draft = await request.services.tickets.drafts.load(key)
    if draft is None:
        return False
    if draft.holds(request.update_id):
        await show_applied(request, draft)
    else:
        await act(request, key, draft, "")
    return True


async def has_draft(request: Request) -> bool:
    return await request.services.tickets.drafts.load(reporter_key(request)) is not None
