"""The tip-off's vocabulary: statuses, reason codes, drafts and the results services return."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from bot.store.base import FileInfo


class TicketStatus(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    INVESTIGATING = "investigating"
    AWAITING_REPORTER = "awaiting_reporter"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    TRANSFERRED = "transferred"
    CLOSED = "closed"


_OUTCOMES = frozenset(
    {TicketStatus.RESOLVED, TicketStatus.REJECTED, TicketStatus.DUPLICATE, TicketStatus.TRANSFERRED}
)

# new → claimed → investigating ⇄ awaiting_reporter → an outcome → closed.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset({TicketStatus.CLAIMED} | _OUTCOMES),
    TicketStatus.CLAIMED: frozenset(
        {TicketStatus.NEW, TicketStatus.INVESTIGATING, TicketStatus.AWAITING_REPORTER} | _OUTCOMES
    ),
    TicketStatus.INVESTIGATING: frozenset({TicketStatus.AWAITING_REPORTER} | _OUTCOMES),
    TicketStatus.AWAITING_REPORTER: frozenset({TicketStatus.INVESTIGATING} | _OUTCOMES),
    **{outcome: frozenset({TicketStatus.CLOSED}) for outcome in _OUTCOMES},
    TicketStatus.CLOSED: frozenset(),
}

# Statuses a supervisor can reopen from (back to new).
REOPENABLE = _OUTCOMES | {TicketStatus.CLOSED}

# Statuses in which the reporter can still add answers and evidence.
OPEN_STATUSES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.CLAIMED,
        TicketStatus.INVESTIGATING,
        TicketStatus.AWAITING_REPORTER,
    }
)


def can_change(current: TicketStatus, new: TicketStatus) -> bool:
    return new in TRANSITIONS[current]


class EventKind(StrEnum):
    """What happened to a ticket, as kept in the audit trail."""

    RECEIVED = "received"
    CLAIMED = "claimed"
    STATUS_CHANGED = "status_changed"
    QUESTION_ASKED = "question_asked"
    QUESTION_ANSWERED = "question_answered"
    EVIDENCE_ADDED = "evidence_added"
    NOTE = "note"  # internal note, staff only
    NOTIFY_ON = "notify_on"
    NOTIFY_OFF = "notify_off"
    # inspection
    RELEASED = "released"  # internal: the claim was given back
    REASSIGNED = "reassigned"  # internal: the claim handed to a colleague (its holder left)
    TRANSFERRED = "transferred"  # public: moved to another queue (转办)
    REOPENED = "reopened"  # public: a supervisor reopened a decided ticket
    MERGED = "merged"  # public, on the merged report: kept as a supporting report of another
    REPORT_MERGED_IN = "report_merged_in"  # internal, on the ticket that received it
    POSSIBLE_DUPLICATES = "possible_duplicates"  # internal: similar open tickets
    DEADLINE_REMINDER = "deadline_reminder"  # internal
    DEADLINE_ESCALATION = "deadline_escalation"  # internal
    # 回访
    VERDICT_ASKED = "verdict_asked"  # internal: the reporter was asked whether they are satisfied
    VERDICT_GIVEN = "verdict_given"  # public: their answer (details: verdict, round)
    VERDICT_COMMENTED = "verdict_commented"  # internal: a comment came with it


class MessageKind(StrEnum):
    """Outbox messages; the send function renders each kind from the catalog."""

    RECEIPT = "receipt"  # to the reporter: ticket_number, receipt_code
    NEW_TICKET = "new_ticket"  # to the duty chat: ticket_number, category, district
    REPORTER_ANSWERED = "reporter_answered"  # to the duty chat: ticket_number
    REPORTER_EVIDENCE = "reporter_evidence"  # to the duty chat: ticket_number
    STATUS_CHANGED = "status_changed"  # to the reporter (opt-in): ticket_number, status
    QUESTION = "question"  # to the reporter (opt-in): ticket_number
    # to a queue's chat: ticket_number, from_queue, to_queue
    TICKET_TRANSFERRED = "ticket_transferred"
    # to a queue's chat: ticket_number, queue, deadline (claim/resolve), due_at (ISO)
    DEADLINE_REMINDER = "deadline_reminder"
    # to the supervisors' chat: ticket_number, queue, deadline (claim/resolve), due_at (ISO)
    DEADLINE_ESCALATION = "deadline_escalation"
    DAILY_DIGEST = "daily_digest"  # to the supervisors' chat: department, text (rendered)
    # to the reporter (opt-in): ticket_number, status, ticket_id, round, token (for the buttons)
    VERDICT_ASKED = "verdict_asked"
    # to the supervisors' chat: ticket_number, queue, comment (may be empty)
    VERDICT_DISSATISFIED = "verdict_dissatisfied"


# Update ids a draft remembers as applied: more than one person can send before a restart.
APPLIED_KEPT = 16

REPORTER = "reporter"  # the only name a reporter has in the audit trail
SYSTEM = "system"


def inspector(staff_id: str) -> str:
    return f"inspector:{staff_id}"


class Reason(StrEnum):
    """Why something was refused; the message catalogs have one text per reason."""

    # receipt codes
    CODE_MALFORMED = "code_malformed"
    CODE_UNKNOWN = "code_unknown"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    # limits per reporter
    TOO_MANY_REPORTS_HOUR = "too_many_reports_hour"
    TOO_MANY_REPORTS_DAY = "too_many_reports_day"
    TEXT_TOO_LONG = "text_too_long"
    DESCRIPTION_MISSING = "description_missing"
    TOO_MANY_ATTACHMENTS = "too_many_attachments"
    # evidence files
    EMPTY_FILE = "empty_file"
    TOO_LARGE = "too_large"
    EXECUTABLE = "executable"
    ARCHIVE = "archive"
    MACROS = "macros"
    EMBEDDED_FILES = "embedded_files"
    ENCRYPTED = "encrypted"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_MANY_PIXELS = "too_many_pixels"
    CORRUPT = "corrupt"
    DUPLICATE_FILE = "duplicate_file"
    # follow-up on an existing ticket
    NO_DRAFT = "no_draft"
    TICKET_CLOSED = "ticket_closed"
    QUESTION_NOT_OPEN = "question_not_open"
    # lifecycle
    TICKET_UNKNOWN = "ticket_unknown"
    STATUS_NOT_ALLOWED = "status_not_allowed"
    STATUS_CHANGED_MEANWHILE = "status_changed_meanwhile"
    ALREADY_CLAIMED = "already_claimed"
    # 回访
    VERDICT_UNKNOWN = "verdict_unknown"  # a forged or garbled button
    VERDICT_GIVEN = "verdict_given"  # answered already
    VERDICT_CLOSED = "verdict_closed"  # its days are up, or the ticket is being handled again
    COMMENT_CLOSED = "comment_closed"  # a comment was given already, or its time is up


@dataclass(frozen=True)
class Cleaned:
    """An evidence file's bytes after cleaning."""

    data: bytes
    complete: bool  # False: metadata may remain that could not be removed (the reporter is told)


@dataclass(frozen=True)
class Refused:
    reason: Reason
    retry_after_minutes: int = 0


@dataclass(frozen=True)
class ReportDraft:
    """What the reporter has told so far; saved after every step of the conversation."""

    draft_id: str
    step: str = "start"
    category: str = ""
    district: str = ""
    institution: str = ""
    description: str = ""
    # Further answers the conversation asks for (when, address, how they learned of it ...).
    answers: dict[str, str] = field(default_factory=dict)
    wants_updates: bool = False
    # What the "who" step settled with the institutions' registry (bot.registry.DraftChoice).
    registry: str = ""
    # Evidence already cleaned and kept with the draft (loaded, not saved, with the draft).
    evidence: tuple[FileInfo, ...] = ()
    # When the reporter last touched the draft (loaded, not saved: saving sets it).
    updated_at: datetime | None = None
    # The updates whose effect this draft already holds, newest last: one replayed after a
    # crash (handled, but not marked done) must not be applied to the step after its own.
    applied: tuple[int, ...] = ()

    def holds(self, update_id: int) -> bool:
        """Whether the update ``update_id`` was applied to this draft already."""
        return update_id in self.applied

    def applying(self, update_id: int) -> ReportDraft:
        """This draft, noting that ``update_id`` is applied in the same save."""
        if update_id in self.applied:
            return self
        return replace(self, applied=(*self.applied, update_id)[-APPLIED_KEPT:])

    def text_length(self) -> int:
        texts = [self.category, self.district, self.institution, self.description]
        return sum(len(t) for t in texts) + sum(len(v) for v in self.answers.values())


@dataclass(frozen=True)
class ReportAccepted:
    ticket_number: str
    # Shown once, grouped for reading ("4821 0937 5562 1184"); never stored in clear.
    receipt_code: str
    # The outbox message that delivers the code if the handler's reply fails: once the reply
    # with the code is sent, call ``Outbox.mark_delivered(receipt_message_key)`` so the message
    # is not sent again and its sealed copy of the code is erased.
    receipt_message_key: str


@dataclass(frozen=True)
class ReportRepeated:
    """The same submission arrived again: the ticket exists, no new code is made."""

    ticket_number: str
    # The receipt message is still waiting in the outbox (it has been moved up to send now).
    receipt_pending: bool


SubmitResult = ReportAccepted | ReportRepeated | Refused


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str  # an event kind: received, claimed, status_changed, question, answered ...
    status: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class OpenQuestion:
    question_id: int
    asked_at: datetime
    text: str


@dataclass(frozen=True)
class VerdictQuestion:
    """A 回访 waiting for an answer: which ticket and round, and the token its buttons carry
    (so a pushed question can be answered without the receipt code)."""

    ticket_id: int
    round: int
    token: str = field(repr=False)
    reply_by: datetime


@dataclass(frozen=True)
class TicketView:
    """What a reporter may see of their ticket."""

    ticket_number: str
    status: TicketStatus
    timeline: tuple[TimelineEntry, ...]
    open_questions: tuple[OpenQuestion, ...]
    notifications_on: bool
    # 回访: the question waiting for the reporter's answer, and their latest answer.
    verdict_question: VerdictQuestion | None = None
    verdict: str | None = None


StatusResult = TicketView | Refused


@dataclass(frozen=True)
class FollowupSaved:
    ticket_number: str
    # False when the same file or answer was already there.
    added: bool = True
