"""The one storage interface the services use, whatever database sits behind it.

A unit of work is explicit: ``async with store.transaction() as tx:`` and every write inside is
committed together or not at all; leaving the block normally commits, an exception rolls back.
Methods that return nothing may hold their write back until the next read or the end of the
unit, so a refused write can surface a little later; the whole unit is rolled back either way,
and a unit that cannot be committed raises :class:`NotSaved`.

Only standard SQL lives behind this interface (``ON CONFLICT``, ``RETURNING``, no row ids), so a
PostgreSQL store can implement it as well. Timestamps are timezone-aware ``datetime`` values.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.store.staff_tables import StaffTables


class StoreError(Exception):
    """Something went wrong in the database."""


class NotSaved(StoreError):
    """The transaction was rolled back: nothing of it was written. Safe to retry."""


class StoreBusy(NotSaved):
    """Another writer held the database longer than the busy timeout."""


class SchemaError(StoreError):
    """The database's schema does not match the migrations this code knows."""


# --- Records: what comes back from the store ---------------------------------------------------


@dataclass(frozen=True)
class TicketRecord:
    id: int
    number: str
    status: str
    queue: str
    category: str
    district: str
    institution: str
    description: str
    details: str  # JSON object of further answers
    disposition: str | None
    claimed_by: str | None
    claimed_at: datetime | None
    claim_due_at: datetime | None
    resolve_due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    resolved_at: datetime | None = None  # when it reached an outcome
    outcome: str | None = None  # the outcome text the reporter is told
    # What the registry said of the institution when the ticket came in (see TicketInstitution).
    institution_id: int | None = None
    institution_status: str | None = None
    institution_snapshot: str | None = None  # JSON object


@dataclass(frozen=True)
class TicketInstitution:
    """The registry's word on a ticket's institution at one moment: the institution matched
    (None if none was), its status then ('not_found', 'unconfirmed' without one), and what
    the card shows of it (JSON)."""

    institution_id: int | None
    status: str
    snapshot: str = "{}"


@dataclass(frozen=True)
class NewTicket:
    number_prefix: str  # "SJ" gives SJ-2026-000123
    year: int  # the numbers count per year
    idempotency_key: str
    queue: str
    category: str
    district: str
    institution: str
    description: str
    details: str
    claim_due_at: datetime | None
    created_at: datetime
    resolve_due_at: datetime | None = None
    registry: TicketInstitution | None = None  # the registry's word, when it had one


@dataclass(frozen=True)
class EventRecord:
    id: int
    ticket_id: int
    at: datetime
    actor: str  # opaque: "reporter", "system", "inspector:<staff id>"
    kind: str
    public: bool
    details: str  # JSON object


@dataclass(frozen=True)
class NewEvent:
    ticket_id: int
    at: datetime
    actor: str
    kind: str
    public: bool
    details: str = "{}"


@dataclass(frozen=True)
class StoredFile:
    """A cleaned file ready to keep: never Telegram's ids, only what the bytes are."""

    filename: str
    mime: str
    sha256: str
    cleaned: bool  # True when no metadata we know of is left (EXIF, GPS, authors ...)
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class FileInfo:
    id: int
    filename: str
    mime: str
    size: int
    sha256: str
    cleaned: bool
    added_at: datetime


@dataclass(frozen=True)
class DraftRecord:
    reporter_key: str
    draft_id: str
    step: str
    body: str  # JSON object
    updated_at: datetime


@dataclass(frozen=True)
class ReceiptRecord:
    ticket_id: int
    code_hash: str
    # The filing account, hashed with the code itself as part of the input (see receipts).
    owner_tag: str | None = None


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    ticket_id: int
    asked_at: datetime
    asked_by: str
    question: str
    answer: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class InboxRecord:
    update_id: int
    payload: str
    status: str  # received / done / failed
    attempts: int
    received_at: datetime


@dataclass(frozen=True)
class NewMessage:
    kind: str
    target: str  # a chat id, or a sealed one when ``sealed``
    payload: str  # JSON, or sealed JSON when ``sealed``
    sealed: bool
    dedupe_key: str | None
    not_before: datetime
    created_at: datetime
    ticket_id: int | None = None


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    kind: str
    target: str
    payload: str
    sealed: bool
    dedupe_key: str | None
    ticket_id: int | None
    created_at: datetime
    not_before: datetime
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    given_up_at: datetime | None


@dataclass(frozen=True)
class FaqLogEntry:
    asked_at: datetime
    kind: str  # unanswered / unsure / disliked / for_staff
    question: str
    language: str
    asker_key: str
    entry_id: str | None = None
    reason: str | None = None
    id: int | None = None  # the log row's id, once stored


@dataclass(frozen=True)
class TaughtPhrasing:
    """A parent's question staff added to a knowledge-base entry with /teach."""

    id: int
    entry_id: str
    phrasing: str
    taught_by: str
    taught_at: datetime


@dataclass(frozen=True)
class TicketTiming:
    """The few fields reports need, for many tickets at once."""

    status: str
    queue: str
    category: str
    district: str
    created_at: datetime
    claimed_at: datetime | None
    claim_due_at: datetime | None
    resolved_at: datetime | None
    resolve_due_at: datetime | None
    number: str = ""
    institution: str = ""
    disposition: str | None = None
    reopened: int = 0  # times reopened (二次办理)
    # The ticket's latest 回访, if its reporter was asked: until when, and what they said.
    verdict_reply_by: datetime | None = None
    verdict: str | None = None
    institution_id: int | None = None  # the registry's entry it was linked to, if any


@dataclass(frozen=True)
class VerdictRecord:
    """One 回访 of a ticket: asked after a resolution, answered or not. Nothing in it says who
    answered."""

    ticket_id: int
    round: int
    asked_at: datetime
    reply_by: datetime
    verdict: str | None
    answered_at: datetime | None
    comment: str | None
    supervisors_told_at: datetime | None


@dataclass(frozen=True)
class DissatisfiedVerdict:
    """A 不满意 with the ticket it is about, for supervisors."""

    ticket: TicketRecord
    verdict: VerdictRecord


@dataclass(frozen=True)
class QueueCounts:
    queue: str
    open: int
    unclaimed: int
    claim_overdue: int
    resolve_overdue: int
    received: int  # since the ``since`` given
    resolved: int  # since the ``since`` given


@dataclass(frozen=True)
class PostedCard:
    """A ticket's card in a staff group chat."""

    chat_id: int
    message_id: int


@dataclass(frozen=True)
class NewAuditEntry:
    at: datetime
    actor: str
    action: str
    allowed: bool
    ticket_id: int | None = None
    queue: str | None = None
    details: str = "{}"  # JSON object


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    allowed: bool
    ticket_id: int | None
    queue: str | None
    details: str


@dataclass(frozen=True)
class SealedColumn:
    """A column holding values sealed with the sealing keys (``keys rotate`` re-seals them).
    ``key`` is an SQL expression naming a row as text; ``where`` picks the rows that hold one."""

    table: str
    column: str
    key: str
    where: str


# Every place a sealed value is kept. chat_state holds plain values too (a chosen language):
# key rotation tells them apart by their form.
SEALED_COLUMNS = (
    SealedColumn("notify_links", "sealed_chat", "CAST(ticket_id AS TEXT)", "sealed_chat <> ''"),
    SealedColumn("inbox", "payload", "CAST(update_id AS TEXT)", "payload <> ''"),
    SealedColumn("outbox", "payload", "CAST(id AS TEXT)", "sealed = TRUE AND payload <> ''"),
    SealedColumn("chat_state", "value", "person_key || ' ' || name", "value <> ''"),
)


@dataclass(frozen=True)
class OperationsFigures:
    """What monitoring reads from the database when it is scraped: counts only."""

    inbox_unfinished: int
    outbox_due: int
    outbox_oldest_due_at: datetime | None
    tickets_by_status: dict[str, int]
    claim_overdue: int
    resolve_overdue: int


@dataclass(frozen=True, slots=True)
class InstitutionRecord:
    """One institution of the bureau's registry (白名单 / 黑名单)."""

    id: int
    match_key: str
    name: str
    aliases: tuple[str, ...]
    credit_code: str | None
    licence_number: str | None
    licence_issuer: str
    kind: str
    form: str
    district: str
    address: str
    status: str
    status_since: str | None  # YYYY-MM-DD
    status_reason: str
    supervised_fees: bool | None
    source: str
    listed_on: str | None  # YYYY-MM-DD
    updated_at: datetime


@dataclass(frozen=True)
class InstitutionChange:
    """One entry of the registry's audit trail; ``match_key`` names the institution (it may
    be added in the same unit of work, before it has an id)."""

    match_key: str
    at: datetime
    actor: str
    change: str  # added / updated / status
    status: str
    reason: str = ""
    ticket_id: int | None = None
    details: str = "{}"  # JSON: field -> [before, after]


@dataclass(frozen=True)
class InstitutionChangeRecord:
    id: int
    institution_id: int
    at: datetime
    actor: str
    change: str
    status: str
    reason: str
    ticket_id: int | None
    details: str


# --- The unit of work --------------------------------------------------------------------------


class TicketTables(Protocol):
    async def add_ticket(self, ticket: NewTicket) -> tuple[int, str] | None:
        """Take the year's next number and insert the ticket: ``(id, number)``, or None when the
        idempotency key already has a ticket (the number taken is then given back only if the
        caller rolls back)."""
        ...

    async def ticket_by_id(self, ticket_id: int) -> TicketRecord | None: ...
    async def ticket_by_number(self, number: str) -> TicketRecord | None: ...
    async def ticket_by_idempotency_key(self, key: str) -> TicketRecord | None: ...
    async def count_tickets(self) -> int: ...

    async def change_status(
        self, ticket_id: int, expected: str, new: str, now: datetime, disposition: str | None
    ) -> bool:
        """Compare-and-set: False when the ticket is no longer in ``expected``."""
        ...

    async def claim_ticket(self, ticket_id: int, actor: str, now: datetime) -> bool:
        """Compare-and-set on ``claimed_by IS NULL``: False when someone else was first."""
        ...

    async def add_receipt_code(
        self,
        ticket_id: int,
        lookup: str,
        code_hash: str,
        now: datetime,
        *,
        owner_tag: str | None = None,
    ) -> None: ...
    async def receipt_candidates(self, lookup: str) -> list[ReceiptRecord]: ...

    async def add_event(self, event: NewEvent) -> None: ...
    async def events(self, ticket_id: int, *, public_only: bool) -> list[EventRecord]: ...

    async def add_attachment(
        self, ticket_id: int, file: StoredFile, added_by: str, now: datetime
    ) -> bool:
        """False when the ticket already holds a file with the same bytes."""
        ...

    async def attachments(self, ticket_id: int) -> list[FileInfo]: ...
    async def attachment_data(self, attachment_id: int) -> bytes | None: ...

    async def add_question(
        self, ticket_id: int, question: str, asked_by: str, now: datetime
    ) -> int: ...
    async def open_questions(self, ticket_id: int) -> list[QuestionRecord]: ...
    async def answer_question(
        self, question_id: int, ticket_id: int, answer: str, now: datetime
    ) -> bool: ...

    async def set_notify_link(self, ticket_id: int, sealed_chat: str, now: datetime) -> None: ...
    async def notify_link(self, ticket_id: int) -> str | None: ...
    async def delete_notify_link(self, ticket_id: int) -> None: ...


class DraftTables(Protocol):
    async def save_draft(self, draft: DraftRecord) -> None: ...
    async def load_draft(self, reporter_key: str) -> DraftRecord | None: ...
    async def delete_draft(self, reporter_key: str) -> None: ...
    async def add_draft_file(self, reporter_key: str, file: StoredFile, now: datetime) -> bool: ...
    async def draft_files(self, reporter_key: str) -> list[FileInfo]: ...

    async def move_draft_files(self, reporter_key: str, ticket_id: int, added_by: str) -> None:
        """Copy the draft's files to the ticket without passing the bytes through Python
        (deleting the draft then deletes its files)."""
        ...

    async def purge_drafts(self, updated_before: datetime) -> int: ...


class DeliveryTables(Protocol):
    async def record_updates(self, updates: Sequence[tuple[int, str]], now: datetime) -> set[int]:
        """Record (update id, sealed payload) pairs not seen before; the ids that were new."""
        ...

    async def last_update_id(self) -> int | None:
        """The highest update id the inbox remembers (None: none)."""
        ...

    async def record_failed_update(self, update_id: int, now: datetime) -> None:
        """An update that cannot be handled: kept as failed, without its payload."""
        ...

    async def finish_update(self, update_id: int, status: str, now: datetime) -> None: ...
    async def finish_updates(
        self, update_ids: Sequence[int], status: str, now: datetime
    ) -> None: ...
    async def take_unfinished_updates(
        self, taken_before: datetime, now: datetime, limit: int
    ) -> list[InboxRecord]:
        """Unfinished updates last handed out before ``taken_before``, oldest first, marked as
        handed out now (``attempts`` counts it). Rows another instance is taking are skipped."""
        ...

    async def purge_updates(self, finished_before: datetime) -> int: ...

    async def first_application(self, key: str, now: datetime) -> bool:
        """Record that the effect named ``key`` is applied in this unit of work; False if it
        was applied before (then the caller applies nothing)."""
        ...

    async def applied_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` name effects already applied."""
        ...

    async def purge_applied_once(self, applied_before: datetime) -> int: ...

    async def enqueue(self, message: NewMessage) -> None:
        """Queue a message; skipped when a row with the same dedupe key exists."""
        ...

    async def enqueue_if_new(self, message: NewMessage) -> bool:
        """``enqueue``, saying whether it was queued (False: a twin with its dedupe key was
        there). Costs a trip to the database where ``enqueue`` may wait for the next one."""
        ...

    async def message_by_dedupe_key(self, dedupe_key: str) -> OutboxRecord | None: ...
    async def hurry_message(self, message_id: int, now: datetime) -> None: ...
    async def due_messages(self, now: datetime, limit: int) -> list[OutboxRecord]: ...
    async def take_due_messages(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[OutboxRecord]:
        """Due messages, held back until ``lease_until`` for this sender: no other instance
        sends them meanwhile; if this one dies, they fall due again then."""
        ...

    async def mark_sent(self, message_id: int, now: datetime) -> None: ...
    async def mark_failed(self, message_id: int, error: str, retry_at: datetime) -> None: ...
    async def mark_given_up(self, message_id: int, error: str, now: datetime) -> None: ...
    async def outbox_message(self, message_id: int) -> OutboxRecord | None: ...


class ChatStateTables(Protocol):
    async def chat_state(
        self, person_key: str, now: datetime
    ) -> dict[str, tuple[str, datetime | None]]:
        """Everything kept for this person that has not expired: name -> (value, expiry)."""
        ...

    async def set_chat_state(
        self, person_key: str, name: str, value: str, now: datetime, expires_at: datetime | None
    ) -> None: ...
    async def delete_chat_state(self, person_key: str, name: str) -> None: ...
    async def purge_chat_state(self, now: datetime) -> int: ...

    async def set_chat_states(
        self, values: Sequence[tuple[str, str, str, datetime, datetime | None]]
    ) -> None:
        """Several (person, name, value, now, expires at) in one statement; each (person,
        name) at most once."""
        ...


@dataclass(frozen=True)
class ThrottleSlot:
    """One fixed window of one counter."""

    key: str
    window_seconds: int
    window_start: int  # Unix seconds


class PendingCounts(Protocol):
    """Throttle counts read along with the unit's next trip to the database, there once that
    trip is back (a read that can wait saves a trip of its own)."""

    def result(self) -> dict[ThrottleSlot, int]: ...


class ThrottleTables(Protocol):
    async def throttle_counts(self, slots: Sequence[ThrottleSlot]) -> list[int]:
        """The counts for ``slots``, in the same order (0 where nothing was counted yet)."""
        ...

    async def add_to_throttles(self, slots: Sequence[ThrottleSlot], amount: int) -> None:
        """Add ``amount`` (negative to give back) to every slot's count."""
        ...

    async def count_in_throttles(
        self, amounts: Sequence[tuple[ThrottleSlot, int]]
    ) -> dict[ThrottleSlot, int]:
        """Add each amount to its slot (each slot once) and return every slot's count now."""
        ...

    def count_in_throttles_later(
        self, amounts: Sequence[tuple[ThrottleSlot, int]]
    ) -> PendingCounts:
        """:meth:`count_in_throttles`, sent with this unit's next read: its result is there
        once that read returns."""
        ...

    async def purge_throttles(self, window_start_before: int) -> int: ...

    def commit_without_waiting(self) -> None:
        """This unit writes only counts a crash may lose (wrong codes guessed): commit it
        without waiting for the disk, so the counter rows it locks are let go at once."""
        ...


class FaqLogTables(Protocol):
    async def log_faq_question(self, entry: FaqLogEntry) -> None: ...
    async def faq_log(self, since: datetime, kinds: Sequence[str]) -> list[FaqLogEntry]: ...
    async def faq_question(self, log_id: int) -> FaqLogEntry | None: ...


class TaughtTables(Protocol):
    """Phrasings taught with /teach: the knowledge base's local overlay in the database."""

    async def taught_version(self) -> int:
        """Moves with every teach and undo."""
        ...

    async def live_taught_phrasings(self) -> list[TaughtPhrasing]:
        """Every phrasing taught and not undone, oldest first."""
        ...

    async def add_taught_phrasing(
        self, entry_id: str, phrasing: str, actor: str, now: datetime
    ) -> int | None:
        """The new row's id; None if the same text is already a live taught phrasing."""
        ...

    async def undo_taught_phrasing(
        self, taught_id: int, actor: str, now: datetime
    ) -> TaughtPhrasing | None:
        """The phrasing undone; None if there is no live one with that id."""
        ...


class InspectionTables(Protocol):
    """Queues, claims, merges, deadlines and the staff audit log. "Open" means new, claimed,
    investigating or awaiting the reporter; ``queues`` arguments must not be empty."""

    async def queue_tickets(
        self, queues: Sequence[str], limit: int, offset: int
    ) -> list[TicketRecord]:
        """Open tickets of ``queues``, oldest first."""
        ...

    async def count_queue_tickets(self, queues: Sequence[str]) -> int: ...
    async def claimed_tickets(self, claimed_by: str, limit: int, offset: int) -> list[TicketRecord]:
        """Open tickets ``claimed_by`` holds, oldest first."""
        ...

    async def count_claimed_tickets(self, claimed_by: str) -> int: ...

    async def release_claim(self, ticket_id: int, claimed_by: str, now: datetime) -> bool:
        """Compare-and-set: back to 'new' only if ``claimed_by`` still holds an open ticket."""
        ...

    async def move_ticket(
        self,
        ticket_id: int,
        from_queue: str,
        to_queue: str,
        claim_due_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Compare-and-set on the queue: the open ticket goes to ``to_queue`` unclaimed."""
        ...

    async def reopen_ticket(
        self,
        ticket_id: int,
        expected: str,
        claim_due_at: datetime | None,
        resolve_due_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Compare-and-set: a decided or closed ticket back to 'new', outcome cleared."""
        ...

    async def set_outcome(self, ticket_id: int, outcome: str | None) -> None: ...

    async def add_merge(
        self, ticket_id: int, merged_into: int, merged_by: str, now: datetime
    ) -> None: ...
    async def remove_merge(self, ticket_id: int) -> None: ...
    async def merge_target(self, ticket_id: int) -> TicketRecord | None: ...
    async def supporting_tickets(self, ticket_id: int) -> list[TicketRecord]: ...

    async def questions(self, ticket_id: int) -> list[QuestionRecord]:
        """All of them, answered or not."""
        ...

    async def tickets_near_deadline(
        self, kind: str, before: datetime, limit: int
    ) -> list[TicketRecord]:
        """Tickets whose claim (``kind`` ``*_claim``) or resolve deadline falls before ``before``
        and that have no notice of ``kind`` for that deadline yet; earliest deadline first."""
        ...

    async def record_deadline_notice(
        self, ticket_id: int, kind: str, due_at: datetime, outcome: str, now: datetime
    ) -> bool:
        """False when this notice was already recorded (someone else handled it)."""
        ...

    async def last_planned_message(self, target: str) -> datetime | None:
        """The latest ``not_before`` of unsent messages to ``target``."""
        ...

    async def open_tickets_except(self, ticket_id: int) -> list[TicketRecord]: ...
    async def tickets_created_between(
        self, start: datetime, end: datetime
    ) -> list[TicketRecord]: ...
    async def ticket_timings(self, start: datetime, end: datetime) -> list[TicketTiming]: ...
    async def queue_counts(
        self, queues: Sequence[str], now: datetime, since: datetime
    ) -> list[QueueCounts]: ...
    async def overdue_tickets(
        self, queues: Sequence[str], now: datetime, limit: int
    ) -> list[TicketRecord]: ...

    async def dissatisfied_verdicts(
        self, answered_from: datetime, answered_before: datetime, *, untold_only: bool
    ) -> list[DissatisfiedVerdict]:
        """不满意 answered in [from, before), oldest first; ``untold_only``: only those the
        supervisors were not told of yet."""
        ...

    async def add_card(self, ticket_id: int, card: PostedCard, now: datetime) -> None: ...
    async def cards(self, ticket_id: int) -> list[PostedCard]:
        """Every card of the ticket, oldest first."""
        ...

    async def add_audit(self, entry: NewAuditEntry) -> None: ...
    async def audit_entries(
        self, since: datetime, until: datetime, limit: int
    ) -> list[AuditRecord]: ...


class OperationsTables(Protocol):
    async def sealed_values(
        self, place: SealedColumn, after: str, limit: int
    ) -> list[tuple[str, str]]:
        """``(row key, sealed value)`` of rows whose key sorts after ``after``, in key order."""
        ...

    async def reseal(self, place: SealedColumn, row_key: str, old: str, new: str) -> bool:
        """Replace ``old`` with ``new`` unless the row changed meanwhile; whether it did."""
        ...

    async def operations_figures(self, now: datetime) -> OperationsFigures: ...


class VerdictTables(Protocol):
    """回访: one row per ticket and resolution (round)."""

    async def ask_verdict(self, ticket_id: int, asked_at: datetime, reply_by: datetime) -> int:
        """Open the ticket's next round; returns its number (1, 2 ...)."""
        ...

    async def verdicts(self, ticket_id: int) -> list[VerdictRecord]:
        """Every round, first to last."""
        ...

    async def verdict_round(self, ticket_id: int, round_number: int) -> VerdictRecord | None: ...

    async def give_verdict(
        self, ticket_id: int, round_number: int, verdict: str, now: datetime
    ) -> bool:
        """Compare-and-set: False when the round was answered already or its time is up."""
        ...

    async def add_verdict_comment(
        self, ticket_id: int, round_number: int, comment: str, answered_after: datetime
    ) -> bool:
        """Compare-and-set: False when the round has a comment already, has no verdict, or
        was answered before ``answered_after`` (its time for a comment is up)."""
        ...

    async def mark_supervisors_told(self, ticket_id: int, round_number: int, now: datetime) -> bool:
        """Compare-and-set: False when they were told already (by another instance, say)."""
        ...


class RegistryTables(Protocol):
    """The registry of institutions; every change bumps the registry's version."""

    async def registry_version(self) -> int: ...
    async def bump_registry_version(self, now: datetime) -> int:
        """The registry's next version, first in a unit that changes it (the version row stays
        locked until the commit, so versions follow the order changes are committed in)."""
        ...

    async def institutions_page(
        self, after_id: int, limit: int, *, changed_after: int = 0
    ) -> list[InstitutionRecord]:
        """Up to ``limit`` institutions with ids above ``after_id``, in id order; only those
        changed after the registry version ``changed_after``."""
        ...

    async def institution_by_id(self, institution_id: int) -> InstitutionRecord | None: ...
    async def institution_by_match_key(self, match_key: str) -> InstitutionRecord | None: ...
    async def add_institutions(self, rows: Sequence[InstitutionRecord], version: int) -> None:
        """Insert many at once (their ``id`` is ignored: the database numbers them), as changed
        in the registry version ``version``."""
        ...

    async def update_institutions(self, rows: Sequence[InstitutionRecord], version: int) -> None:
        """Overwrite many at once, by ``id``, as changed in the registry version ``version``."""
        ...

    async def add_institution_changes(self, changes: Sequence[InstitutionChange]) -> None: ...
    async def institution_changes(self, institution_id: int) -> list[InstitutionChangeRecord]: ...
    async def tickets_about_institution(
        self, institution_id: int, limit: int, queues: Sequence[str] | None = None
    ) -> list[TicketRecord]:
        """Tickets linked to the institution (in ``queues``, if given), newest first."""
        ...

    async def set_ticket_institution(self, ticket_id: int, registry: TicketInstitution) -> None: ...
    async def most_substantiated_institutions(
        self, queues: Sequence[str], start: datetime, end: datetime, limit: int
    ) -> list[tuple[int, int]]:
        """``(institution id, substantiated tickets)`` for tickets of ``queues`` received in
        [start, end), most first."""
        ...


class Transaction(
    OperationsTables,
    TicketTables,
    VerdictTables,
    RegistryTables,
    DraftTables,
    DeliveryTables,
    ThrottleTables,
    FaqLogTables,
    TaughtTables,
    InspectionTables,
    ChatStateTables,
    StaffTables,
    Protocol,
):
    """Everything a service may read or write inside one unit of work."""


class Store(Protocol):
    """Units of work run one at a time: keep them short (no network calls inside) and never
    open one inside another."""

    def transaction(self, *, readonly: bool = False) -> AbstractAsyncContextManager[Transaction]:
        """One unit of work; raises :class:`NotSaved` (or :class:`StoreBusy`) if not committed."""
        ...

    def chat_turn(self, chat_key: int) -> AbstractAsyncContextManager[None]:
        """While inside, no other instance sharing the database handles this chat."""
        ...

    @property
    def exclusive(self) -> bool:
        """True when this process is the database's only writer (one SQLite file, one bot):
        what it last wrote is what the database holds, so it may remember instead of read."""
        ...

    async def schema_version(self) -> int: ...
    async def close(self) -> None: ...
