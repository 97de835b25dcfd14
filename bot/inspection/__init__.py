"""Inspection: routing, queues, claims, the ticket's life with inspectors, deadlines, reports.

Plain async services over :mod:`bot.store`; none of them knows about Telegram.

Names are loaded on first use: the config needs only the settings, and the chart (matplotlib)
and the spreadsheet (openpyxl) would otherwise load with it, slowing every command's start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.inspection.access import Access, Action
    from bot.inspection.cards import Cards, TicketCard
    from bot.inspection.charts import render_stats_png
    from bot.inspection.deadlines import DeadlineNotice, DeadlineWatch, NoticeKind
    from bot.inspection.desk import InspectionDesk
    from bot.inspection.figures import Compliance, Durations, Period, StatsFigures, compute_stats
    from bot.inspection.model import (
        Changed,
        Denial,
        Denied,
        Disposition,
        EvidenceFile,
        Merged,
        NoteAdded,
        PossibleDuplicate,
        QuestionSent,
        QueuePage,
        TicketDetails,
        TicketSummary,
        Transferred,
        staff_user_id,
    )
    from bot.inspection.parsing import parse_disposition, parse_period, parse_ticket_number
    from bot.inspection.reports import Reports
    from bot.inspection.routing import Router
    from bot.inspection.services import InspectionServices, build_inspection_services
    from bot.inspection.settings import (
        CATEGORIES,
        Deadlines,
        Department,
        District,
        DuplicateSettings,
        InspectionSettings,
        Member,
        QueueSettings,
        RoutingRule,
    )
    from bot.inspection.views import QueueViews
    from bot.inspection.workdays import WorkingCalendar

_SOURCES = {
    "Access": "bot.inspection.access",
    "Action": "bot.inspection.access",
    "Cards": "bot.inspection.cards",
    "TicketCard": "bot.inspection.cards",
    "render_stats_png": "bot.inspection.charts",
    "DeadlineNotice": "bot.inspection.deadlines",
    "DeadlineWatch": "bot.inspection.deadlines",
    "NoticeKind": "bot.inspection.deadlines",
    "InspectionDesk": "bot.inspection.desk",
    "Compliance": "bot.inspection.figures",
    "Durations": "bot.inspection.figures",
    "Period": "bot.inspection.figures",
    "StatsFigures": "bot.inspection.figures",
    "compute_stats": "bot.inspection.figures",
    "Changed": "bot.inspection.model",
    "Denial": "bot.inspection.model",
    "Denied": "bot.inspection.model",
    "Disposition": "bot.inspection.model",
    "EvidenceFile": "bot.inspection.model",
    "Merged": "bot.inspection.model",
    "NoteAdded": "bot.inspection.model",
    "PossibleDuplicate": "bot.inspection.model",
    "QuestionSent": "bot.inspection.model",
    "QueuePage": "bot.inspection.model",
    "TicketDetails": "bot.inspection.model",
    "TicketSummary": "bot.inspection.model",
    "Transferred": "bot.inspection.model",
    "staff_user_id": "bot.inspection.model",
    "parse_disposition": "bot.inspection.parsing",
    "parse_period": "bot.inspection.parsing",
    "parse_ticket_number": "bot.inspection.parsing",
    "Reports": "bot.inspection.reports",
    "Router": "bot.inspection.routing",
    "InspectionServices": "bot.inspection.services",
    "build_inspection_services": "bot.inspection.services",
    "CATEGORIES": "bot.inspection.settings",
    "Deadlines": "bot.inspection.settings",
    "Department": "bot.inspection.settings",
    "District": "bot.inspection.settings",
    "DuplicateSettings": "bot.inspection.settings",
    "InspectionSettings": "bot.inspection.settings",
    "Member": "bot.inspection.settings",
    "QueueSettings": "bot.inspection.settings",
    "RoutingRule": "bot.inspection.settings",
    "QueueViews": "bot.inspection.views",
    "WorkingCalendar": "bot.inspection.workdays",
}


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module 'bot.inspection' has no attribute {name!r}")
    return getattr(importlib.import_module(source), name)


__all__ = [
    "CATEGORIES",
    "Access",
    "Action",
    "Cards",
    "Changed",
    "Compliance",
    "DeadlineNotice",
    "DeadlineWatch",
    "Deadlines",
    "Denial",
    "Denied",
    "Department",
    "Disposition",
    "District",
    "DuplicateSettings",
    "Durations",
    "EvidenceFile",
    "InspectionDesk",
    "InspectionServices",
    "InspectionSettings",
    "Member",
    "Merged",
    "NoteAdded",
    "NoticeKind",
    "Period",
    "PossibleDuplicate",
    "QuestionSent",
    "QueuePage",
    "QueueSettings",
    "QueueViews",
    "Reports",
    "Router",
    "RoutingRule",
    "StatsFigures",
    "TicketCard",
    "TicketDetails",
    "TicketSummary",
    "Transferred",
    "WorkingCalendar",
    "build_inspection_services",
    "compute_stats",
    "parse_disposition",
    "parse_period",
    "parse_ticket_number",
    "render_stats_png",
    "staff_user_id",
]
