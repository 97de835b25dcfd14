"""What inspection services return: outcomes of actions, refusals and what staff see.

Nothing here names a reporter: they are "reporter" in a timeline and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.clock import Clock as Clock  # the type every service's clock has
from bot.registry.model import RegistryNote
from bot.store.base import FileInfo
from bot.tickets.model import TicketStatus


class Action(StrEnum):
    VIEW = "view"  # queue lists and ticket details
    CLAIM = "claim"
    RELEASE = "release"
    INVESTIGATE = "investigate"
    NOTE = "note"
    ASK_REPORTER = "ask_reporter"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    CLOSE = "close"
    MERGE = "merge"
    REOPEN = "reopen"
    # Act on a ticket someone else has claimed (release it, resolve it, ask for them).
    OVERRIDE_CLAIM = "override_claim"
    STATS = "stats"
    EXPORT = "export"
    BRIEF = "brief"  # the leadership report (PDF)
    AUDIT_LOG = "audit_log"
    TEACH = "teach"  # add a parent's question to the knowledge base (/teach)
    # Staff: who works a queue (/staff), and inviting, removing, changing roles.
    VIEW_STAFF = "view_staff"
    MANAGE_STAFF = "manage_staff"
    BIND_GROUP = "bind_group"  # which group a queue's cards go to


class Disposition(StrEnum):
    SUBSTANTIATED = "substantiated"  # 查实
    UNSUBSTANTIATED = "unsubstantiated"  # 不属实
    REFERRED = "referred"  # 移交 (to a body outside this bot)
    DUPLICATE = "duplicate"  # 重复
    NOT_IN_SCOPE = "not_in_scope"  # 不予受理


# The status a ticket ends in for each disposition.
DISPOSITION_STATUS: dict[Disposition, TicketStatus] = {
    Disposition.SUBSTANTIATED: TicketStatus.RESOLVED,
    Disposition.UNSUBSTANTIATED: TicketStatus.RESOLVED,
    Disposition.REFERRED: TicketStatus.TRANSFERRED,
    Disposition.DUPLICATE: TicketStatus.DUPLICATE,
    Disposition.NOT_IN_SCOPE: TicketStatus.REJECTED,
}


class Denial(StrEnum):
    """Why an action was refused; a refused action changes nothing (and is audited)."""

    TICKET_UNKNOWN = "ticket_unknown"
    QUEUE_UNKNOWN = "queue_unknown"
    NOT_ALLOWED = "not_allowed"  # the role or the queue does not allow it
    NOT_YOURS = "not_yours"  # someone else holds the claim
    ALREADY_CLAIMED = "already_claimed"
    NOT_CLAIMED = "not_claimed"
    STATUS_NOT_ALLOWED = "status_not_allowed"
    STATUS_CHANGED_MEANWHILE = "status_changed_meanwhile"
    TICKET_CLOSED = "ticket_closed"
    SAME_QUEUE = "same_queue"
    QUEUE_UNSTAFFED = "queue_unstaffed"  # nobody there to claim, and the default is where it is
    TEXT_MISSING = "text_missing"
    TEXT_TOO_LONG = "text_too_long"
    MERGE_INTO_ITSELF = "merge_into_itself"
    NOTHING_TO_MERGE = "nothing_to_merge"
    ALREADY_DONE = "already_done"  # the same command, handled again after a restart
    BUTTON_INVALID = "button_invalid"  # callback data no keyboard of ours carries
    # an institution's registry status changes only with a substantiated outcome ...
    REGISTRY_NEEDS_SUBSTANTIATED = "registry_needs_substantiated"
    # ... of a ticket that names an institution
    REGISTRY_NO_INSTITUTION = "registry_no_institution"
    INSTITUTION_UNKNOWN = "institution_unknown"  # no such registry entry
    # staff, invitations and groups
    INVITE_UNKNOWN = "invite_unknown"  # never issued (mistyped, cut short or forged)
    INVITE_USED = "invite_used"
    INVITE_EXPIRED = "invite_expired"
    INVITE_REVOKED = "invite_revoked"
    SCOPE_UNKNOWN = "scope_unknown"  # no such queue or department
    SCOPE_AMBIGUOUS = "scope_ambiguous"  # the person works in several places: name one
    ROLE_UNKNOWN = "role_unknown"
    MEMBER_UNKNOWN = "member_unknown"  # nobody with that id works there
    SAME_ROLE = "same_role"
    LAST_ADMIN = "last_admin"  # nobody would be left to run the organisation
    CONFIG_ADMIN = "config_admin"  # an admin the config lists: changed in the config
    NOT_A_GROUP = "not_a_group"
    NOT_BOUND = "not_bound"
    # the duty rota
    NO_ROTA = "no_rota"
    NO_SHIFT = "no_shift"  # the shift named is over, or never was
    ALREADY_ON_DUTY = "already_on_duty"
    COLLEAGUE_CANNOT_CLAIM = "colleague_cannot_claim"


class StaffNotice(StrEnum):
    """Outbox messages about staff, groups and the rota (the send function renders each)."""

    DUTY_PING = "duty_ping"  # to whoever is on duty (or a supervisor): a new ticket's card
    STAFF_MENU = "staff_menu"  # no text: the chat's commands menu, set again as it is now
    MEMBER_JOINED = "member_joined"  # to the inviter: who joined, where, as what
    MEMBER_REMOVED = "member_removed"  # to a queue's group: who left, which tickets came back
    GROUP_MOVED = "group_moved"  # to a group the queue's cards no longer go to
    GROUP_LOST = "group_lost"  # to the admins: the bot was removed from a group
    DUTY_TAKEN = "duty_taken"  # to whoever was on duty: a colleague took the shift
    DUTY_HANDED = "duty_handed"  # to a colleague: a shift handed over to them
    ORGANISATION_WARNINGS = "organisation_warnings"  # to the admins: queues nobody would see


@dataclass(frozen=True)
class Denied:
    reason: Denial
    ticket_number: str | None = None
    # Who holds the ticket, when that is why (a staff actor: "inspector:<user id>").
    claimed_by: str | None = None


@dataclass(frozen=True)
class Changed:
    ticket_number: str
    action: Action
    old: TicketStatus
    new: TicketStatus


@dataclass(frozen=True)
class NoteAdded:
    ticket_number: str


@dataclass(frozen=True)
class Transferred:
    ticket_number: str
    from_queue: str
    to_queue: str
    # True when the chosen queue had nobody to claim tickets and the default queue took it.
    redirected: bool = False


@dataclass(frozen=True)
class Merged:
    ticket_number: str  # the ticket that carries on
    merged: tuple[str, ...]  # now its supporting reports


@dataclass(frozen=True)
class QuestionSent:
    ticket_number: str
    question_id: int
    # Whether the reporter opted in to notices (otherwise they see it at their next /status).
    reporter_notified: bool


@dataclass(frozen=True)
class TicketSummary:
    ticket_number: str
    status: TicketStatus
    queue: str
    category: str
    district: str
    institution: str
    received_at: datetime
    claimed_by: str | None
    claim_due_at: datetime | None
    resolve_due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    items: tuple[TicketSummary, ...]
    page: int  # from 0
    pages: int
    total: int
    queues: tuple[str, ...]


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    actor: str  # "reporter", "system" or "inspector:<user id>"
    kind: str
    public: bool  # whether the reporter sees it too
    details: dict[str, Any]


@dataclass(frozen=True)
class QuestionItem:
    asked_at: datetime
    asked_by: str
    question: str
    answer: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class VerdictItem:
    """One 回访 of the ticket as staff see it: what was said, never who said it."""

    round: int
    asked_at: datetime
    reply_by: datetime
    state: str  # the verdict, "pending" (within its days) or "not_reached"
    answered_at: datetime | None
    comment: str | None


@dataclass(frozen=True)
class SupportingReport:
    """A report merged into this ticket, kept whole."""

    ticket_number: str
    received_at: datetime
    institution: str
    description: str
    evidence: tuple[FileInfo, ...]


@dataclass(frozen=True)
class TicketDetails:
    summary: TicketSummary
    description: str
    answers: dict[str, str]  # further answers from the report conversation
    disposition: str | None
    outcome: str | None
    timeline: tuple[TimelineItem, ...]
    evidence: tuple[FileInfo, ...]
    questions: tuple[QuestionItem, ...]
    supporting: tuple[SupportingReport, ...] = ()
    merged_into: str | None = None
    # Whether the reporter opted in to notices; who they are is never known here.
    reporter_notified: bool = False
    verdicts: tuple[VerdictItem, ...] = ()
    # What the registry said of the institution when the ticket came in.
    registry: RegistryNote | None = None


@dataclass(frozen=True)
class EvidenceFile:
    """One stored evidence file with its bytes (images were re-encoded when stored)."""

    ticket_number: str  # the ticket itself, or a report merged into it
    info: FileInfo
    data: bytes


@dataclass(frozen=True)
class PossibleDuplicate:
    ticket_number: str
    score: float  # 0-100
    matched_on: str  # "institution" or "address"


def staff_user_id(actor: str | None) -> int | None:
    """The Telegram user id in ``inspector:<id>``, so a handler can show a name."""
    if actor is None or not actor.startswith("inspector:"):
        return None
    try:
        return int(actor.split(":", 1)[1])
    except ValueError:
        return None
