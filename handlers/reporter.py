"""Citizens reporting illegal tutoring: the tip-off conversation, status and follow-up.

Two handler groups: ``flows_group`` runs before the parents' features and takes the private
messages that belong to a report or a status check in progress (stopping there), and
``features_group`` holds the commands and buttons, registered before the parents' handlers of
the same group so that ``/start report`` and ``/start status`` reach these flows.
"""

from __future__ import annotations

from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.store.base import NotSaved
from handlers import report_form, status, verdicts
from handlers.callbacks import Prefix, data, pattern
from handlers.common import answer_press
from handlers.request import Request, answering

DEEP_LINK = r"^/start(@\w+)?\s+(report|status)\s*$"


def register(app: Application, *, flows_group: int, features_group: int) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE  # an edited command does not run again
    app.add_handler(
        MessageHandler(new & private & ~filters.COMMAND, answering(continue_flow)),
        flows_group,
    )
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, answering(edited_during_flow)),
        flows_group,
    )
    app.add_handler(
        CommandHandler("start", answering(deep_link), filters=new & filters.Regex(DEEP_LINK)),
        features_group,
    )
    for name, command in (
        ("report", report_command),
        ("status", status_command),
        ("cancel", cancel_command),
        ("back", back_command),
    ):
        app.add_handler(CommandHandler(name, answering(command), filters=new), features_group)
    app.add_handler(
        CallbackQueryHandler(
            answering(menu_button), pattern=pattern(Prefix.MENU, "(report|status)$")
        ),
        features_group,
    )
    app.add_handler(
        CallbackQueryHandler(answering(report_form.report_button), pattern=pattern(Prefix.REPORT)),
        features_group,
    )
    app.add_handler(
        CallbackQueryHandler(answering(status.status_button), pattern=pattern(Prefix.STATUS)),
        features_group,
    )
    app.add_handler(
        CallbackQueryHandler(answering(verdicts.verdict_button), pattern=pattern(Prefix.VERDICT)),
        features_group,
    )


async def continue_flow(request: Request) -> None:
    """A 回访 comment being waited for comes first, then a status check waiting for input,
    then a report draft; anything else goes on to the parents' handlers."""
    try:
        taken = (
            await verdicts.take_comment(request)
            or await status.take_message(request)
            or await report_form.take_message(request)
        )
    except NotSaved:
        await _busy(request)
        taken = True
    if taken:
        raise ApplicationHandlerStop


async def edited_during_flow(request: Request) -> None:
    """Editing a sent answer does not change the draft: say so, and keep the edit out of the
    question log."""
    if not await report_form.has_draft(request):
        return
    await request.send(request.t("report.edited"))
    raise ApplicationHandlerStop


async def _busy(request: Request) -> None:
    await request.send(request.t("reporter.busy"))


async def deep_link(request: Request) -> None:
    """``t.me/<bot>?start=report`` and ``?start=status``."""
    if request.args and request.args[0] == "status":
        await status.start_status(request)
    else:
        await report_form.start_report(request)


async def report_command(request: Request) -> None:
    await report_form.start_report(request)


async def status_command(request: Request) -> None:
    # "/status 1234 5678 ..." works too; the code is read, never kept in chat data.
    await status.start_status(request, " ".join(request.args))


async def menu_button(request: Request) -> None:
    query = request.query
    if query is None:
        return
    await answer_press(query)
    if query.data == data(Prefix.MENU, "status"):
        await status.start_status(request)
    else:
        await report_form.start_report(request)


async def cancel_command(request: Request) -> None:
    """Cancel what the reporter is doing: a status check waiting for input, else the draft."""
    if not request.private:
        return
    if await status.cancel_check(request):
        await request.send(request.t("status.done"))
        return
    await status.end_check(request)
    if not await report_form.cancel_command(request):
        await request.send(request.t("reporter.nothing_to_cancel"))


async def back_command(request: Request) -> None:
    if not request.private:
        return
    if not await report_form.back_command(request):
        await request.send(request.t("reporter.nothing_to_cancel"))
