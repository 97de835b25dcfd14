"""Inspectors: the commands that work the tickets, in staff groups and private chats.

Each command passes the staff gate (:mod:`handlers.staff_requests`) before anything else, then
calls :mod:`bot.inspection`, which checks the ticket and the queue; the cards and buttons are in
:mod:`handlers.inspector_buttons` and :mod:`handlers.delivery`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import CATALOGS, Language, text
from bot.inspection.figures import FIGURE_IDS, Period, StatsFigures
from bot.inspection.model import Changed, Denied, Merged, QuestionSent, QueuePage
from bot.inspection.parsing import last_month, parse_disposition, parse_period, parse_queue
from bot.inspection.texts import FIGURE_NAMES, headline_values, shift_lines
from handlers.callbacks import Prefix, pattern
from handlers.context import HotlineContext
from handlers.inspector_buttons import staff_button
from handlers.registry_staff import (
    institution_command,
    institution_status_arg,
    registry_changed,
    top_institutions_text,
)
from handlers.request import Request
from handlers.staff_requests import (
    StaffHandler,
    after_transfer,
    details_privately,
    number_arg,
    refresh_cards,
    refused,
    reply,
    staff_only,
    transferred_text,
    usage,
)
from handlers.staff_views import (
    category_name,
    disposition_name,
    district_name,
    page_markup,
    page_text,
    queue_name,
    status_name,
)

if TYPE_CHECKING:
    from bot.inspection.charts import ChartNames

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
    "brief",
    "institution",
)
# Parents use "/ask <question>" too: only "/ask <ticket number> ..." is the inspectors'.
ASK_THE_REPORTER = re.compile(r"^/ask(@\w+)?\s+[A-Za-z]{1,8}-?\d{4}-?\d{1,6}(\s|$)", re.IGNORECASE)


def register(app: Application, group: int) -> None:  # type: ignore[type-arg]
    """Registered before the parents' handlers of the same group (``/ask`` is shared)."""
    # New messages only: editing a sent "/note ..." must not add a second note.
    new = filters.UpdateType.MESSAGE
    for name, handler in COMMANDS.items():
        wanted = new & filters.Regex(ASK_THE_REPORTER) if name == "ask" else new
        app.add_handler(CommandHandler(name, staff_only(name, handler), filters=wanted), group)
    app.add_handler(CallbackQueryHandler(staff_button, pattern=pattern(Prefix.TICKET)), group)


# --- lists --------------------------------------------------------------------------------------


async def queue_command(request: Request) -> None:
    """``/queue [queue]``: open tickets; in a queue's group, that queue's."""
    queue = request.args[0] if request.args else _queue_of_chat(request)
    views = request.services.inspection.views
    page = await views.open_tickets(request.user_id, queue=queue)
    await _show_page(request, page, scope=f"q:{queue or '*'}")


async def mine_command(request: Request) -> None:
    page = await request.services.inspection.views.my_tickets(request.user_id)
    await _show_page(request, page, scope="m")


def _queue_of_chat(request: Request) -> str | None:
    if request.private:
        return None
    for department in request.services.inspection.settings.departments:
        for queue in department.queues:
            if queue.chat_id == request.chat_id:
                return queue.id
    return None  # the supervisors' group: every queue the asker may see


async def _show_page(request: Request, page: QueuePage | Denied, *, scope: str) -> None:
    if isinstance(page, Denied):
        await refused(request, page)
        return
    config, language = request.services.config, request.language
    body = page_text(config, language, page, mine=scope == "m")
    await reply(request, body, page_markup(language, page, scope=scope))


# --- one ticket ---------------------------------------------------------------------------------


async def ticket_command(request: Request) -> None:
    """``/ticket N``: details, timeline and evidence, always in the asker's private chat."""
    number = number_arg(request)
    if number is None:
        await usage(request, "ticket")
        return
    said = await details_privately(request, number)
    if said is not None:
        await reply(request, text(request.language, said))


# --- working a ticket ---------------------------------------------------------------------------


async def claim_command(request: Request) -> None:
    number = number_arg(request)
    if number is None:
        await usage(request, "claim")
        return
    result = await request.services.inspection.desk.claim(
        request.user_id, number, once=request.once
    )
    await _changed(request, result, "inspector.claimed")


async def release_command(request: Request) -> None:
    number = number_arg(request)
    if number is None:
        await usage(request, "release")
        return
    result = await request.services.inspection.desk.release(
        request.user_id, number, once=request.once
    )
    await _changed(request, result, "inspector.released")


async def _changed(request: Request, result: Changed | Denied, key: str) -> None:
    if isinstance(result, Denied):
        await refused(request, result)
        return
    number = html.escape(result.ticket_number)
    await reply(request, text(request.language, key, ticket_number=number))
    await refresh_cards(request.context, result.ticket_number)


async def note_command(request: Request) -> None:
    number, note = number_arg(request), request.rest(1)
    if number is None or not note:
        await usage(request, "note")
        return
    result = await request.services.inspection.desk.add_note(
        request.user_id, number, note, once=request.once
    )
    if isinstance(result, Denied):
        await refused(request, result)
        return
    done = text(request.language, "inspector.noted", ticket_number=html.escape(number))
    await reply(request, done)


async def ask_command(request: Request) -> None:
    """``/ask N question``: relayed to the reporter's /status (and pushed if they opted in)."""
    number, question = number_arg(request), request.rest(1)
    if number is None or not question:
        await usage(request, "ask")
        return
    desk = request.services.inspection.desk
    result = await desk.ask_reporter(request.user_id, number, question, once=request.once)
    if isinstance(result, Denied):
        await refused(request, result)
        return
    await reply(request, _question_sent(request.language, result))
    request.services.wake_outbox()
    await refresh_cards(request.context, number)


def _question_sent(language: Language, sent: QuestionSent) -> str:
    how = "inspector.asked_pushed" if sent.reporter_notified else "inspector.asked_waiting"
    number = html.escape(sent.ticket_number)
    return text(language, "inspector.asked", ticket_number=number, how=text(language, how))


async def transfer_command(request: Request) -> None:
    """``/transfer N queue [reason]``."""
    number = number_arg(request)
    if number is None or len(request.args) < 2:
        queues = ", ".join(request.services.inspection.settings.queue_ids())
        usage = text(request.language, "inspector.usage.transfer", queues=html.escape(queues))
        await reply(request, usage)
        return
    reason = request.rest(2) or None
    desk = request.services.inspection.desk
    queue = parse_queue(request.args[1], request.services.inspection.settings)
    result = await desk.transfer(request.user_id, number, queue, reason, once=request.once)
    if isinstance(result, Denied):
        await refused(request, result)
        return
    await reply(request, transferred_text(request.context, request.language, result))
    await after_transfer(request.context, number)


async def resolve_command(request: Request) -> None:
    """``/resolve N disposition outcome``: the outcome is what the reporter reads."""
    number = number_arg(request)
    disposition = parse_disposition(request.args[1]) if len(request.args) > 1 else None
    named, institution = institution_status_arg(request.args[2:3])
    outcome = request.rest(3 if named else 2)
    if number is None or disposition is None or not outcome or (named and not institution):
        await usage(request, "resolve")
        return
    desk = request.services.inspection.desk
    result = await desk.resolve(
        request.user_id,
        number,
        disposition,
        outcome,
        institution_status=institution,
        once=request.once,
    )
    if isinstance(result, Denied):
        await refused(request, result)
        return
    label = disposition_name(request.language, disposition)
    done = text(
        request.language, "inspector.resolved", ticket_number=html.escape(number), disposition=label
    )
    if institution is not None:
        done += "\n" + await registry_changed(request.context, request.language, institution)
    await reply(request, done)
    request.services.wake_outbox()  # the reporter's notice, if they opted in
    await refresh_cards(request.context, number)


async def reopen_command(request: Request) -> None:
    """``/reopen N [reason]`` (supervisors)."""
    number = number_arg(request)
    if number is None:
        await usage(request, "reopen")
        return
    reason = request.rest(1) or text(request.language, "inspector.reopen_reason")
    result = await request.services.inspection.desk.reopen(
        request.user_id, number, reason, once=request.once
    )
    await _changed(request, result, "inspector.reopened")
    if not isinstance(result, Denied):
        request.services.wake_outbox()


async def merge_command(request: Request) -> None:
    """``/merge N M [M2 ...]``: the reports M ... are kept with N, which carries on."""
    numbers = [number_arg(request, i) for i in range(len(request.args))]
    if len(numbers) < 2 or any(n is None for n in numbers):
        await usage(request, "merge")
        return
    into, *others = [n for n in numbers if n is not None]
    result = await request.services.inspection.desk.merge(
        request.user_id, into, others, once=request.once
    )
    if isinstance(result, Denied):
        await refused(request, result)
        return
    await reply(request, _merged(request.language, result))
    request.services.wake_outbox()
    for number in (result.ticket_number, *result.merged):
        await refresh_cards(request.context, number)


def _merged(language: Language, merged: Merged) -> str:
    return text(
        language,
        "inspector.merged",
        ticket_number=html.escape(merged.ticket_number),
        merged=html.escape(", ".join(merged.merged)),
    )


# --- reports ------------------------------------------------------------------------------------


def _period(request: Request) -> Period | None:
    inspection = request.services.inspection
    wanted = request.args[0] if request.args else ""
    return parse_period(wanted, request.now, inspection.calendar.tz)


async def stats_command(request: Request) -> None:
    """``/stats [7d|30d|2026-11]``: the figures as text and as a chart."""
    period = _period(request)
    if period is None:
        await reply(request, text(request.language, "inspector.bad_period"))
        return
    inspection = request.services.inspection
    figures = await inspection.reports.stats(request.user_id, period)
    if isinstance(figures, Denied):
        await refused(request, figures)
        return
    await reply(request, stats_text(request.context, request.language, figures))
    top = await top_institutions_text(request, period)
    if top:
        await reply(request, top)
    # matplotlib is loaded only when a chart is first asked for (it weighs tens of MB), and
    # drawing takes a moment of CPU: off the event loop, so other chats are not held up.
    from bot.inspection.charts import render_stats_png

    names = chart_names_for(request.context, request.language)
    png = await asyncio.to_thread(render_stats_png, figures, names)
    await request.bot.send_photo(request.chat_id, photo=png, filename="stats.png")


def chart_names_for(context: HotlineContext, language: Language) -> ChartNames:
    """Charts name districts as the report form does, in the reader's language."""
    from bot.inspection.charts import chart_names

    form = context.services.config.report_form

    def district_label(district_id: str, lang: str) -> str | None:
        choice = form.district(district_id)
        return choice.label(lang) if choice else None

    return chart_names(context.services.inspection.settings, language, district_label)


def stats_text(context: HotlineContext, language: Language, figures: StatsFigures) -> str:
    config = context.services.config
    tz = context.services.inspection.calendar.tz

    def counts(values: dict[str, int], name: Callable[[str], str]) -> str:
        shown = [f"{name(key)} {count}" for key, count in values.items()]
        return ", ".join(shown) or "-"

    start, end = figures.period.local_days(tz)
    lines = [
        text(
            language,
            "inspector.stats",
            start=start,
            end=end,
            total=figures.total,
            by_status=counts(figures.by_status, lambda s: status_name(language, s)),
            by_category=counts(figures.by_category, lambda c: category_name(config, language, c)),
            by_district=counts(figures.by_district, lambda d: district_name(config, language, d)),
            by_queue=counts(figures.by_queue, lambda q: queue_name(config, q)),
        ),
        "",
        text(language, "inspector.stats_figures"),
    ]
    shown, names = headline_values(figures.headline), FIGURE_NAMES[language]
    lines += [
        text(language, "inspector.stats_figure", name=names[f], value=shown[f]) for f in FIGURE_IDS
    ]
    if figures.shifts:
        lines += ["", text(language, "inspector.stats_shifts")]
        template = CATALOGS[language]["inspector.stats_shift"]
        gap = text(language, "inspection.digest.gap")
        escaped = {(html.escape(r), html.escape(s)): f for (r, s), f in figures.shifts.items()}
        lines += shift_lines(escaped, template, gap)
    if len(figures.departments) > 1:
        lines += ["", text(language, "inspector.stats_departments")]
        for department, values in figures.departments.items():
            found = context.services.inspection.settings.department(department)
            name = html.escape(found.name if found else department)
            lines.append(
                text(language, "inspector.stats_department", name=name, **headline_values(values))
            )
    return "\n".join(lines)


async def brief_command(request: Request) -> None:
    """``/brief [period]``: the leadership report as a PDF, sent privately."""
    wanted = request.args[0] if request.args else ""
    inspection = request.services.inspection
    now, tz = request.now, inspection.calendar.tz
    period = parse_period(wanted, now, tz) if wanted else last_month(now, tz)
    if period is None:
        await reply(request, text(request.language, "inspector.bad_period"))
        return
    data = await inspection.reports.brief(request.user_id, period)
    if isinstance(data, Denied):
        await refused(request, data)
        return
    from bot.inspection.brief import render_brief_pdf

    names = chart_names_for(request.context, request.language)
    pdf, pages = await asyncio.to_thread(
        render_brief_pdf, data, names, inspection.calendar.tz, request.now
    )
    start, end = _dates(request.context, period)
    caption = text(
        request.language, "inspector.brief_caption", start=start, end=end, pages=pages.total
    )
    try:
        await request.bot.send_document(
            request.user_id, pdf, filename=f"shuangjian-brief-{start}-{end}.pdf", caption=caption
        )
    except (Forbidden, BadRequest):
        await reply(request, text(request.language, "inspector.start_private"))
        return
    if not request.private:
        await reply(request, text(request.language, "inspector.brief_private"))


def _dates(context: HotlineContext, period: Period) -> tuple[str, str]:
    return period.local_days(context.services.inspection.calendar.tz)


async def export_command(request: Request) -> None:
    """``/export [period]``: CSV and XLSX, sent privately (an export covers every queue the
    asker may export, which a queue's group should not all see)."""
    period = _period(request)
    if period is None:
        await reply(request, text(request.language, "inspector.bad_period"))
        return
    reports = request.services.inspection.reports
    csv_file = await reports.export_csv(request.user_id, period, request.language)
    if isinstance(csv_file, Denied):
        await refused(request, csv_file)
        return
    xlsx_file = await reports.export_xlsx(request.user_id, period, request.language)
    if isinstance(xlsx_file, Denied):
        await refused(request, xlsx_file)
        return
    if not await _send_export(request, period, csv_file, xlsx_file):
        return
    if not request.private:
        await reply(request, text(request.language, "inspector.export_private"))


async def _send_export(request: Request, period: Period, csv_file: bytes, xlsx_file: bytes) -> bool:
    start, end = _dates(request.context, period)
    name = f"shuangjian-{start}-{end}"
    caption = text(request.language, "inspector.export_caption", start=start, end=end)
    try:
        await request.bot.send_document(request.user_id, csv_file, filename=f"{name}.csv")
        await request.bot.send_document(
            request.user_id, xlsx_file, filename=f"{name}.xlsx", caption=caption
        )
    except (Forbidden, BadRequest):
        await reply(request, text(request.language, "inspector.start_private"))
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
    "brief": brief_command,
    "institution": institution_command,
}
