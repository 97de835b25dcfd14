"""Tip-offs: drafts, intake, receipt codes, follow-up, lifecycle and the outbox.

Plain async services over :mod:`bot.store`; none of them knows about Telegram.
"""

from bot.tickets.drafts import ReportDrafts
from bot.tickets.evidence import EvidenceCleaner, EvidenceResult, inspect_evidence
from bot.tickets.followup import ReporterDesk
from bot.tickets.intake import Intake
from bot.tickets.lifecycle import Lifecycle, QuestionAsked, StatusChanged
from bot.tickets.model import (
    FollowupSaved,
    MessageKind,
    Reason,
    Refused,
    ReportAccepted,
    ReportDraft,
    ReportRepeated,
    TicketStatus,
    TicketView,
)
from bot.tickets.outbox import (
    Outbox,
    OutboxDispatcher,
    OutgoingMessage,
    RetryLater,
    Undeliverable,
)
from bot.tickets.services import TicketServices, build_ticket_services
from bot.tickets.settings import TicketSettings

__all__ = [
    "EvidenceCleaner",
    "EvidenceResult",
    "FollowupSaved",
    "Intake",
    "Lifecycle",
    "MessageKind",
    "Outbox",
    "OutboxDispatcher",
    "OutgoingMessage",
    "QuestionAsked",
    "Reason",
    "Refused",
    "ReportAccepted",
    "ReportDraft",
    "ReportDrafts",
    "ReportRepeated",
    "ReporterDesk",
    "RetryLater",
    "StatusChanged",
    "TicketServices",
    "TicketSettings",
    "TicketStatus",
    "TicketView",
    "Undeliverable",
    "build_ticket_services",
    "inspect_evidence",
]
