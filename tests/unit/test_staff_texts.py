"""Inspectors meet a text for every refusal, event, disposition and command."""

from __future__ import annotations

from bot.i18n import CATALOGS
from bot.inspection.model import Denial, Disposition
from bot.tickets.model import EventKind, TicketStatus
from handlers.inspector import STAFF_COMMANDS
from handlers.staff_menus import GROUP_STAFF, PRIVATE_STAFF


def test_every_refusal_event_status_and_command_has_a_staff_text() -> None:
    zh = CATALOGS["zh"]
    assert all(f"denied.{reason}" in zh for reason in Denial)
    assert all(f"staff.event.{kind}" in zh for kind in EventKind)
    assert all(f"inspection.status.{status}" in zh for status in TicketStatus)
    assert all(f"inspection.disposition.{d}" in zh for d in Disposition)
    assert all(f"command.staff.{name}" in zh for name in STAFF_COMMANDS)
    assert all(f"command.staff.{name}" in zh for name in (*PRIVATE_STAFF, *GROUP_STAFF))
    assert all(
        f"staff.role.{role}" in zh for role in ("inspector", "supervisor", "admin", "auditor")
    )
    assert all(
        f"inspector.usage.{name}" in zh
        for name in STAFF_COMMANDS
        if name not in ("queue", "mine", "stats", "export", "brief")
    )
