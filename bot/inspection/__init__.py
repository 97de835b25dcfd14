"""Inspection: routing, queues, claims, the ticket's life with inspectors, deadlines, reports.

Plain async services over :mod:`bot.store`; none of them knows about Telegram.
"""

from bot.inspection.access import Access, Action
from bot.inspection.charts import render_stats_png
from bot.inspection.deadlines import DeadlineNotice, DeadlineWatch, NoticeKind
from bot.inspection.desk import InspectionDesk
from bot.inspection.figures import Compliance, Durations, Period, StatsFigures, compute_stats
from bot.inspection.model import (
    Changed,
    Denial,
    Denied,
    Disposition,
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

__all__ = [
    "CATEGORIES",
    "Access",
    "Action",
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
    "TicketDetails",
    "TicketSummary",
    "Transferred",
    "WorkingCalendar",
    "build_inspection_services",
    "compute_stats",
    "render_stats_png",
    "staff_user_id",
]
