"""Citizens reporting illegal tutoring: the tip-off conversation, status and follow-up.

Two handler groups: ``flows_group`` runs before the parents' features and takes the private
messages that belong to a report or a status check in progress (stopping there), and
``features_group`` holds the commands and buttons, registered before the parents' handlers of
the same group so that ``/start report`` and ``/start status`` reach these flows.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.store import NotSaved
from handlers import report_form, status, verdicts
from handlers.common import answer_press, send_html, t
from handlers.context import HotlineContext

DEEP_LINK = r"^/start(@\w+)?\s+(report|status)\s*$"


def register(app: Application, *, flows_group: int, features_group: int) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE  # an edited command does not run again
    app.add_handler(
        MessageHandler(new & private & ~filters.COMMAND, continue_flow),
        flows_group,
    )
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, edited_during_flow),
        flows_group,
    )
    app.add_handler(
        CommandHandler("start", deep_link, filters=new & filters.Regex(DEEP_LINK)), features_group
    )
    for name, command in (
        ("report", report_command),
        ("status", status_command),
        ("cancel", cancel_command),
        ("back", back_command),
    ):
        app.add_handler(CommandHandler(name, command, filters=new), features_group)
    app.add_handler(
        CallbackQueryHandler(menu_button, pattern=r"^m:(report|status)$"), features_group
    )
    app.add_handler(CallbackQueryHandler(report_form.report_button, pattern=r"^r:"), features_group)
    app.add_handler(CallbackQueryHandler(status.status_button, pattern=r"^s:"), features_group)
    app.add_handler(
        CallbackQueryHandler(verdicts.verdict_button, pattern=verdicts.PATTERN), features_group
    )


async def continue_flow(update: Update, context: HotlineContext) -> None:
    """A 回访 comment being waited for comes first, then a status check waiting for input,
    then a report draft; anything else goes on to the parents' handlers."""
    try:
        taken = (
            await verdicts.take_comment(update, context)
            or await status.take_message(update, context)
            or await report_form.take_message(update, context)
        )
    except NotSaved:
        await _busy(update, context)
        taken = True
    if taken:
        raise ApplicationHandlerStop


async def edited_during_flow(update: Update, context: HotlineContext) -> None:
    """Editing a sent answer does not change the draft: say so, and keep the edit out of the
    question log."""
    if update.effective_user is None or not await report_form.has_draft(update, context):
        return
    assert update.effective_chat is not None
    await send_html(context, update.effective_chat.id, t(update, context, "report.edited"))
    raise ApplicationHandlerStop


async def _busy(update: Update, context: HotlineContext) -> None:
    if update.effective_chat is not None:
        await send_html(context, update.effective_chat.id, t(update, context, "reporter.busy"))


async def deep_link(update: Update, context: HotlineContext) -> None:
    """``t.me/<bot>?start=report`` and ``?start=status``."""
    if context.args and context.args[0] == "status":
        await status.start_status(update, context)
    else:
        await report_form.start_report(update, context)


async def report_command(update: Update, context: HotlineContext) -> None:
    await report_form.start_report(update, context)


async def status_command(update: Update, context: HotlineContext) -> None:
    # "/status 1234 5678 ..." works too; the code is read, never kept in chat data.
    await status.start_status(update, context, " ".join(context.args or []))


async def menu_button(update: Update, context: HotlineContext) -> None:
    query = update.callback_query
    if query is None:
        return
    await answer_press(query)
    if query.data == "m:status":
        await status.start_status(update, context)
    else:
        await report_form.start_report(update, context)


async def cancel_command(update: Update, context: HotlineContext) -> None:
    """Cancel what the reporter is doing: a status check waiting for input, else the draft."""
    chat = update.effective_chat
    if chat is None or update.effective_user is None or chat.type != ChatType.PRIVATE:
        return
    if await status.cancel_check(update, context):
        await send_html(context, chat.id, t(update, context, "status.done"))
        return
    await status.end_check(update, context)
    if not await report_form.cancel_command(update, context):
        await send_html(context, chat.id, t(update, context, "reporter.nothing_to_cancel"))


async def back_command(update: Update, context: HotlineContext) -> None:
    chat = update.effective_chat
    if chat is None or update.effective_user is None or chat.type != ChatType.PRIVATE:
        return
    if not await report_form.back_command(update, context):
        await send_html(context, chat.id, t(update, context, "reporter.nothing_to_cancel"))
