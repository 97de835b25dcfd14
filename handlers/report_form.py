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

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.store import NotSaved, StoreError
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
from bot.tickets.outbox import utc_now
from handlers import report_registry
from handlers.common import answer_press, language_of, send_html, t
from handlers.context import HotlineContext
from handlers.evidence import cleaning_note, cleaning_summary, fetch_evidence, incoming_file
from handlers.refusals import BYTES_PER_MB, download_limit, refusal

log = logging.getLogger(__name__)

# r:<draft id>:<action>[:<argument>], at most 64 bytes (choice ids are at most 24 characters).
BUTTON = re.compile(r"^r:([0-9a-f]{32}):([a-z]+)(?::([a-z0-9_]{1,24}))?$")
# Typed instead of pressing "Done" at the evidence step.
DONE_WORDS = frozenset({"完成", "好了", "跳过", "没有", "done", "skip", "no", "none"})


def reporter_key(update: Update, context: HotlineContext) -> str:
    user = update.effective_user
    assert user is not None, "reports come from a person"
    return context.services.tickets.reporter_key(user.id)


def submission_key(draft_id: str) -> str:
    """Names one submission: confirm pressed twice, or an update replayed, makes one ticket."""
    return f"draft:{draft_id}"


def chat_id_of(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


# --- Starting ----------------------------------------------------------------------------------


async def from_private_chat(update: Update, context: HotlineContext) -> bool:
    """Reports and status checks are for private chats: elsewhere say so, and False."""
    chat = update.effective_chat
    if chat is None or update.effective_user is None:
        return False
    if chat.type != ChatType.PRIVATE:
        await send_html(context, chat.id, t(update, context, "reporter.private_only"))
        return False
    return True


async def start_report(update: Update, context: HotlineContext) -> None:
    """/report, the menu button and the ``/start report`` link."""
    if not await from_private_chat(update, context):
        return
    key = reporter_key(update, context)
    tickets = context.services.tickets
    draft = await tickets.drafts.load(key)
    if draft is not None and draft.holds(update.update_id):
        await send_step(update, context, draft)  # this very /report, replayed after a crash
        return
    if draft is not None:
        number = position_of(draft).number
        text = t(update, context, "report.resume", number=number)
        await send_html(context, chat_id_of(update), text, _resume_markup(update, context, draft))
        return
    refused = await tickets.intake.can_report(key, utc_now())
    if refused is not None:
        await send_html(context, chat_id_of(update), refusal(update, context, refused))
        return
    await begin(update, context, key)


async def begin(update: Update, context: HotlineContext, key: str) -> None:
    """A fresh draft at the first step; any earlier draft and its files are discarded."""
    start = Position(Step.CATEGORY).encode()
    draft = await context.services.tickets.drafts.start(
        key, utc_now(), step=start, update_id=update.update_id
    )
    hotline = context.services.config.local.get("report_hotline", "")
    intro = t(
        update, context, "report.intro", report_hotline=html.escape(hotline), total=QUESTION_COUNT
    )
    await send_step(update, context, draft, lead=intro)


# --- Messages: answers to the current step -----------------------------------------------------


async def take_message(update: Update, context: HotlineContext) -> bool:
    """Handle a private message if the sender has a draft; False when they have none."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return False
    key = reporter_key(update, context)
    draft = await context.services.tickets.drafts.load(key)
    if draft is None:
        return False
    if draft.holds(update.update_id):
        await show_applied(update, context, draft)
        return True
    if _idle(context, draft):
        await remind(update, context, key, draft)
        return True
    step = position_of(draft).step
    if step == Step.EVIDENCE:
        await take_evidence(update, context, key, draft, message)
    elif step in TEXT_STEPS:
        await take_text(update, context, key, draft, message)
    else:
        await send_step(update, context, draft, lead=t(update, context, "report.use_buttons"))
    return True


async def show_applied(update: Update, context: HotlineContext, draft: ReportDraft) -> None:
    """An update handled before a crash but not marked done comes again: its answer is in the
    draft already, so it is not applied to the step after its own; the reporter sees where they
    are (the reply may not have gone out before the crash)."""
    log.info("update %d: already applied to the draft", update.update_id)
    await send_step(update, context, draft)


def _idle(context: HotlineContext, draft: ReportDraft) -> bool:
    idle = timedelta(minutes=context.services.config.report_form.idle_minutes)
    return draft.updated_at is not None and utc_now() - draft.updated_at > idle


async def remind(update: Update, context: HotlineContext, key: str, draft: ReportDraft) -> None:
    """After a long pause the message may not be meant as an answer (a question for the FAQ,
    say): keep the draft as it is, mark it touched, and show where the reporter was."""
    draft = draft.applying(update.update_id)
    await context.services.tickets.drafts.save(key, draft, utc_now())
    number = position_of(draft).number
    lead = t(update, context, "report.welcome_back", number=number)
    await send_step(update, context, draft, lead=lead)


async def take_text(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, message: Message
) -> None:
    step = position_of(draft).step
    if message.text is None:
        await send_step(update, context, draft, lead=t(update, context, wrong_kind(message)))
        return
    form, limits = context.services.config.report_form, context.services.tickets.settings.limits
    problem = check_answer(draft, step, message.text, form, limits)
    if problem is not None:
        if problem.problem == Problem.EMPTY:
            lead = t(update, context, "report.empty")
        else:
            lead = t(update, context, "report.too_long", limit=problem.limit, length=problem.length)
        await send_step(update, context, draft, lead=lead)
        return
    draft = with_answer(draft, step, message.text.strip())
    if step == Step.WHO:
        draft, asked = report_registry.check_institution(update, context, draft)
        if asked:  # the reporter confirms the registry's match with a button first
            await move_to(update, context, key, draft, position_of(draft))
            return
    await advance(update, context, key, draft)


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


async def take_evidence(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, message: Message
) -> None:
    if message.text is not None:
        if message.text.strip().lower() in DONE_WORDS:
            await advance(update, context, key, draft)
        else:
            await send_step(update, context, draft, lead=t(update, context, "report.evidence.text"))
        return
    reply, draft = await store_evidence(update, context, key, draft, message)
    markup = step_markup(update, context, draft, position_of(draft))
    await send_html(context, chat_id_of(update), reply, markup)


async def store_evidence(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, message: Message
) -> tuple[str, ReportDraft]:
    """Download, clean and keep one file: what to tell the reporter, and the draft now."""
    incoming = incoming_file(message)
    if incoming is None:
        return t(update, context, "report.evidence.wrong"), draft
    tickets = context.services.tickets
    if len(draft.evidence) >= tickets.settings.limits.max_attachments:
        return refusal(update, context, Reason.TOO_MANY_ATTACHMENTS), draft
    fetched = await fetch_evidence(context, incoming, tickets.settings.evidence)
    if fetched is None:
        return t(update, context, "evidence.download_failed"), draft
    if isinstance(fetched, Reason):
        return refusal(update, context, fetched), draft
    added = await tickets.drafts.add_evidence(key, fetched, utc_now(), update_id=update.update_id)
    if isinstance(added, Refused):
        return refusal(update, context, added), draft
    lines = [t(update, context, "report.evidence.received", count=len(added.evidence))]
    note = cleaning_note(update, context, fetched)
    if note is not None:
        lines.append(note)
    if message.caption:
        lines.append(t(update, context, "report.evidence.caption_ignored"))
    return "\n".join(lines), added


async def advance(update: Update, context: HotlineContext, key: str, draft: ReportDraft) -> None:
    """Save the draft at the next step (or back at the review when editing), then ask it."""
    await move_to(update, context, key, draft, position_of(draft).following())


async def move_to(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, position: Position
) -> None:
    draft = at(draft, position).applying(update.update_id)
    await context.services.tickets.drafts.save(key, draft, utc_now())
    await send_step(update, context, draft)


# --- What each step looks like -----------------------------------------------------------------


async def send_step(
    update: Update, context: HotlineContext, draft: ReportDraft, *, lead: str = ""
) -> None:
    position = position_of(draft)
    markup = step_markup(update, context, draft, position)
    if position.step == Step.REVIEW:
        body = review_text(update, context, draft)
    else:
        header = t(update, context, "report.step", number=position.number, total=QUESTION_COUNT)
        question = prompt(update, context, position.step)
        # A name the registry matched waits for the reporter's yes / no / not sure.
        if position.step == Step.WHO and (
            asking := report_registry.confirmation(update, context, draft)
        ):
            question, rows = asking
            markup = InlineKeyboardMarkup([*rows, *markup.inline_keyboard])
        body = f"{header}\n{question}"
    text = f"{lead}\n\n{body}" if lead else body
    await send_html(context, chat_id_of(update), text, markup)


def prompt(update: Update, context: HotlineContext, step: Step) -> str:
    if step == Step.EVIDENCE:
        max_mb = download_limit(context.services.tickets.settings.evidence) // BYTES_PER_MB
        return t(update, context, "report.ask.evidence", max_mb=max_mb)
    return t(update, context, f"report.ask.{step}")


def button(
    update: Update, context: HotlineContext, draft: ReportDraft, label_key: str, action: str
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        t(update, context, label_key), callback_data=f"r:{draft.draft_id}:{action}"
    )


def step_markup(
    update: Update, context: HotlineContext, draft: ReportDraft, position: Position
) -> InlineKeyboardMarkup:
    rows = _choice_rows(update, context, draft, position.step)
    if position.step == Step.EVIDENCE:
        label = "report.button.done" if draft.evidence else "report.button.skip"
        rows.append([button(update, context, draft, label, "evdone")])
    elif position.step == Step.CONTACT:
        rows.append([button(update, context, draft, "report.button.no_contact", "nocontact")])
    elif position.step == Step.REVIEW:
        rows.append(
            [
                button(update, context, draft, "report.button.edit", "edit"),
                button(update, context, draft, "report.button.confirm", "ok"),
            ]
        )
    last = [button(update, context, draft, "report.button.cancel", "cancel")]
    if position.step not in (Step.CATEGORY, Step.REVIEW):
        last.insert(0, button(update, context, draft, "report.button.back", "back"))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def _choice_rows(
    update: Update, context: HotlineContext, draft: ReportDraft, step: Step
) -> list[list[InlineKeyboardButton]]:
    form = context.services.config.report_form
    language = language_of(update, context)
    prefix = f"r:{draft.draft_id}"
    if step == Step.CATEGORY:
        return [
            [InlineKeyboardButton(c.label(language), callback_data=f"{prefix}:cat:{c.id}")]
            for c in form.categories
        ]
    if step != Step.DISTRICT:
        return []
    buttons = [
        InlineKeyboardButton(d.label(language), callback_data=f"{prefix}:dist:{d.id}")
        for d in form.districts
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def review_text(update: Update, context: HotlineContext, draft: ReportDraft) -> str:
    lines = [t(update, context, "report.review.title")]
    for step in EDITABLE:
        label = t(update, context, f"report.field.{step}")
        value = shown_answer(update, context, draft, step)
        lines.append(t(update, context, "report.review.line", label=label, value=value))
    lines += ["", t(update, context, "report.review.hint")]
    return "\n".join(lines)


def shown_answer(update: Update, context: HotlineContext, draft: ReportDraft, step: Step) -> str:
    """An answer as the review shows it: labels for choices, escaped text for the rest."""
    form = context.services.config.report_form
    language = language_of(update, context)
    answer = answer_of(draft, step)
    if step in (Step.CATEGORY, Step.DISTRICT):
        choice = form.category(answer) if step == Step.CATEGORY else form.district(answer)
        return html.escape(choice.label(language) if choice else answer)
    if step == Step.EVIDENCE:
        return evidence_answer(update, context, draft)
    if step == Step.CONTACT and not answer:
        return t(update, context, "report.review.no_contact")
    return html.escape(answer)


def evidence_answer(update: Update, context: HotlineContext, draft: ReportDraft) -> str:
    """How many files, what was removed from them, and which keep their metadata."""
    if not draft.evidence:
        return t(update, context, "report.review.no_files")
    count = t(update, context, "report.review.files", count=len(draft.evidence))
    return "\n".join([count, *cleaning_summary(update, context, draft.evidence)])


def _resume_markup(
    update: Update, context: HotlineContext, draft: ReportDraft
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(update, context, draft, "report.button.continue", "go"),
                button(update, context, draft, "report.button.restart", "new"),
            ]
        ]
    )


def edit_markup(
    update: Update, context: HotlineContext, draft: ReportDraft
) -> InlineKeyboardMarkup:
    buttons = [
        button(update, context, draft, f"report.field.{step}", f"fix:{step}") for step in EDITABLE
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


# --- Buttons -----------------------------------------------------------------------------------

Action = Callable[[Update, HotlineContext, str, ReportDraft, str], Awaitable[None]]


async def report_button(update: Update, context: HotlineContext) -> None:
    """Every press is checked against the reporter's own draft: a button from an older draft,
    or data the keyboard never offered, changes nothing."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    match = BUTTON.match(query.data or "")
    if match is None:
        await answer_press(query, t(update, context, "button.expired"), alert=True)
        return
    draft_id, action, argument = match.groups()
    try:
        await _press(update, context, query, draft_id, action, argument or "")
    except NotSaved:
        key = "report.not_saved" if action == "ok" else "reporter.busy"
        await answer_press(query)
        await send_html(context, chat_id_of(update), t(update, context, key))


async def _press(
    update: Update,
    context: HotlineContext,
    query: CallbackQuery,
    draft_id: str,
    action: str,
    argument: str,
) -> None:
    key = reporter_key(update, context)
    draft = await context.services.tickets.drafts.load(key)
    if draft is None or draft.draft_id != draft_id:
        if action == "ok":
            await answer_press(query)
            await confirm_again(update, context, draft_id)
        else:
            await answer_press(query, t(update, context, "button.expired"), alert=True)
        return
    if draft.holds(update.update_id):
        await answer_press(query)
        await show_applied(update, context, draft)
        return
    handler, step = ACTIONS.get(action, (None, None))
    if handler is None or (step is not None and position_of(draft).step != step):
        await answer_press(query, t(update, context, "report.button_old"), alert=True)
        return
    # Answered before the work: the spinner stops even if saving takes a while.
    await answer_press(query)
    await handler(update, context, key, draft, argument)


async def choose_option(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, choice: str
) -> None:
    """A type or district button: the step the draft is at says which list it must be in."""
    form = context.services.config.report_form
    step = position_of(draft).step
    known = form.category(choice) if step == Step.CATEGORY else form.district(choice)
    if known is None:
        await send_step(update, context, draft, lead=t(update, context, "report.button_old"))
        return
    await advance(update, context, key, with_answer(draft, step, choice))


async def institution_answer(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, answer: str
) -> None:
    """Yes / no / not sure to "您说的是 ××吗?" (see :mod:`handlers.report_registry`)."""
    updated = report_registry.answered(update, context, draft, answer)
    if updated is None:
        await send_step(update, context, draft, lead=t(update, context, "report.button_old"))
        return
    lead = report_registry.noted(update, context, updated)
    draft = at(updated, position_of(updated).following()).applying(update.update_id)
    await context.services.tickets.drafts.save(key, draft, utc_now())
    await send_step(update, context, draft, lead=lead)


async def evidence_done(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, _: str
) -> None:
    await advance(update, context, key, draft)


async def no_contact(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, _: str
) -> None:
    await advance(update, context, key, with_answer(draft, Step.CONTACT, ""))


async def show_edit_choices(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, _: str
) -> None:
    text = t(update, context, "report.edit.choose")
    await send_html(context, chat_id_of(update), text, edit_markup(update, context, draft))


async def edit_step(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, step_name: str
) -> None:
    try:
        step = Step(step_name)
    except ValueError:
        step = Step.REVIEW
    if step not in EDITABLE:
        await send_step(update, context, draft, lead=t(update, context, "report.button_old"))
        return
    await move_to(update, context, key, draft, Position(step, then_review=True))


async def go_back(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, _: str = ""
) -> None:
    previous = position_of(draft).previous()
    if previous is None:
        await send_step(update, context, draft, lead=t(update, context, "report.first_step"))
        return
    await move_to(update, context, key, draft, previous)


async def cancel_draft(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, _: str = ""
) -> None:
    await context.services.tickets.drafts.delete(key)
    await send_html(context, chat_id_of(update), t(update, context, "report.cancelled"))


async def resume(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, _: str
) -> None:
    await send_step(update, context, draft)


async def start_over(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, _: str
) -> None:
    refused = await context.services.tickets.intake.can_report(key, utc_now())
    if refused is not None:
        await send_html(context, chat_id_of(update), refusal(update, context, refused))
        return
    await begin(update, context, key)


# --- Confirming: the draft becomes a ticket ----------------------------------------------------


async def confirm(
    update: Update, context: HotlineContext, key: str, draft: ReportDraft, _: str
) -> None:
    services = context.services
    result = await services.tickets.intake.submit_report(
        draft,
        key,
        submission_key(draft.draft_id),
        utc_now(),
        reply_chat_id=chat_id_of(update),
    )
    if isinstance(result, ReportAccepted):
        await deliver_receipt(update, context, result)
    elif isinstance(result, ReportRepeated):
        await tell_repeat(update, context, result)
    else:
        await send_step(update, context, draft, lead=refusal(update, context, result))


async def deliver_receipt(update: Update, context: HotlineContext, result: ReportAccepted) -> None:
    """Show the ticket number and the receipt code once. The same message already waits in the
    outbox, committed with the ticket: it is cancelled once this reply is through, and sent
    at once if this reply fails."""
    services = context.services
    text = t(
        update,
        context,
        "report.received",
        ticket_number=html.escape(result.ticket_number),
        receipt_code=html.escape(result.receipt_code),
    )
    outbox = services.tickets.outbox
    try:
        await send_html(context, chat_id_of(update), text)
    except TelegramError as exc:
        log.warning(
            "ticket %s: receipt reply failed (%s); the outbox sends it",
            result.ticket_number,
            type(exc).__name__,
        )
        await outbox.send_now(result.receipt_message_key, utc_now())
        services.wake_outbox()
        return
    log.info("ticket %s received", result.ticket_number)
    try:
        await outbox.mark_delivered(result.receipt_message_key, utc_now())
    except StoreError:
        log.warning(
            "ticket %s: receipt shown but not marked so; it may be sent twice", result.ticket_number
        )
    services.wake_outbox()  # the duty chat's notice
    await _drop_keyboard(update)


async def confirm_again(update: Update, context: HotlineContext, draft_id: str) -> None:
    """Confirm on a draft that is gone: submitted already (a double press, an update replayed
    after a crash), or cancelled."""
    repeated = await context.services.tickets.intake.find_submitted(
        submission_key(draft_id), utc_now()
    )
    if repeated is None:
        await send_html(context, chat_id_of(update), t(update, context, "button.expired"))
        return
    await tell_repeat(update, context, repeated)


async def tell_repeat(update: Update, context: HotlineContext, repeated: ReportRepeated) -> None:
    pending = repeated.receipt_pending
    key = "report.already_received_pending" if pending else "report.already_received"
    number = html.escape(repeated.ticket_number)
    await send_html(context, chat_id_of(update), t(update, context, key, ticket_number=number))
    if repeated.receipt_pending:
        context.services.wake_outbox()  # the message with the code was moved up to now


async def _drop_keyboard(update: Update) -> None:
    """The review's buttons go once the report is in (best effort: it is cosmetic)."""
    query = update.callback_query
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


async def back_command(update: Update, context: HotlineContext) -> bool:
    """/back: False when there is no draft to go back in."""
    return await _on_draft(update, context, go_back)


async def cancel_command(update: Update, context: HotlineContext) -> bool:
    """/cancel: False when there is no draft to cancel."""
    return await _on_draft(update, context, cancel_draft)


async def _on_draft(update: Update, context: HotlineContext, act: Action) -> bool:
    key = reporter_key(update, context)
    draft = await context.services.tickets.drafts.load(key)
    if draft is None:
        return False
    if draft.holds(update.update_id):
        await show_applied(update, context, draft)
    else:
        await act(update, context, key, draft, "")
    return True


async def has_draft(update: Update, context: HotlineContext) -> bool:
    return await context.services.tickets.drafts.load(reporter_key(update, context)) is not None
