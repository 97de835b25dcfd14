"""Inspectors and the registry: ``/institution N``, the registry line of cards and details, the
status a resolution sets, and the institutions with the most substantiated tickets in /stats."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

from bot.i18n import text
from bot.inspection.figures import Period
from bot.inspection.model import Action, Denied
from bot.registry.model import (
    RESOLUTION_PREFIXES,
    ChangeItem,
    InstitutionHistory,
    InstitutionStatus,
    TicketItem,
    resolution_status,
)
from handlers.context import HotlineContext
from handlers.registry import describe
from handlers.request import Request
from handlers.staff_requests import refused, reply
from handlers.staff_views import disposition_name, local_time, staff_name, status_name

TOP_INSTITUTIONS = 5


def institution_status_arg(args: Sequence[str]) -> tuple[bool, InstitutionStatus | None]:
    """Whether the word after the disposition names an institution status ("机构:黑名单"),
    and which (None when named but not a status the registry knows)."""
    if not args:
        return False, None
    folded = unicodedata.normalize("NFKC", args[0]).strip().lower()
    if not folded.startswith(RESOLUTION_PREFIXES):
        return False, None
    return True, resolution_status(args[0])


async def registry_changed(
    context: HotlineContext, language: str, status: InstitutionStatus
) -> str:
    """This instance's lookups see the change at once (other instances at their next check)."""
    await context.services.registry.refresh()
    return text(
        language, "inspector.registry_changed", status=text(language, f"registry.status.{status}")
    )


async def institution_command(request: Request) -> None:
    """``/institution N``: the registry entry, its changes, and the tickets about it that the
    asker may see."""
    language = request.language
    wanted = request.args[0].lstrip("#") if request.args else ""
    if not wanted.isdigit() or len(wanted) > 12:
        await reply(request, text(language, "inspector.usage.institution"))
        return
    history = await request.services.inspection.views.institution(request.user_id, int(wanted))
    if isinstance(history, Denied):
        await refused(request, history)
        return
    await reply(request, await institution_text(request.context, language, history))


async def institution_text(
    context: HotlineContext, language: str, history: InstitutionHistory
) -> str:
    lines = [text(language, "inspector.institution", **describe(language, history.institution))]
    lines += ["", text(language, "inspector.institution_changes")]
    lines += [await _change_line(context, language, change) for change in history.changes]
    lines += ["", text(language, "inspector.institution_tickets", count=len(history.tickets))]
    lines += [_ticket_line(context, language, ticket) for ticket in history.tickets]
    if not history.tickets:
        lines.append(text(language, "inspector.institution_no_tickets"))
    return "\n".join(lines)


async def _change_line(context: HotlineContext, language: str, change: ChangeItem) -> str:
    reason = html.escape(change.reason)
    if change.ticket_number:
        reason = f"{reason} ({html.escape(change.ticket_number)})".strip()
    return text(
        language,
        "inspector.institution_change",
        at=local_time(context.services.config, change.at),
        actor=await _changed_by(context, language, change.actor),
        change=text(language, f"registry.change.{change.change}"),
        status=text(language, f"registry.status.{change.status}"),
        reason=reason,
    )


async def _changed_by(context: HotlineContext, language: str, actor: str) -> str:
    """Who made a change: the list it was imported from, or the staff member by name."""
    kind, _, rest = actor.partition(":")
    if kind == "import":
        return text(language, "registry.changed_by_import", file=html.escape(rest))
    chats = context.services.config.inspection.staff_chat_ids()
    return await staff_name(context.bot, context.services, actor, chats)


def _ticket_line(context: HotlineContext, language: str, ticket: TicketItem) -> str:
    disposition = ticket.disposition
    return text(
        language,
        "inspector.institution_ticket",
        ticket_number=html.escape(ticket.ticket_number),
        received_at=local_time(context.services.config, ticket.received_at),
        status=status_name(language, ticket.status),
        disposition=disposition_name(language, disposition) if disposition else "",
    )


async def top_institutions_text(request: Request, period: Period) -> str | None:
    """The institutions with the most substantiated tickets among those the asker may report
    on, or None when there are none."""
    queues = request.services.inspection.access.queues(request.user_id, Action.STATS)
    top = await request.services.registry.top_substantiated(
        queues, period.start, period.end, TOP_INSTITUTIONS
    )
    if not top:
        return None
    language = request.language
    lines = [
        text(
            language, "inspector.stats_institution", n=n, count=count, **describe(language, record)
        )
        for n, (record, count) in enumerate(top, 1)
    ]
    return text(language, "inspector.stats_institutions", lines="\n".join(lines))
