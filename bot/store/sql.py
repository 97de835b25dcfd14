"""The SQL both stores share: every query of the store interface, written once.

Standard SQL only (``ON CONFLICT``, ``RETURNING``, no row ids), with ``?`` placeholders; the
PostgreSQL store rewrites them as ``$1, $2 ...``. Times are fixed-width UTC text in both
databases ('YYYY-MM-DDTHH:MM:SS.ffffffZ'), so comparing the text compares the time and the same
statements serve both. A backend supplies :meth:`SqlTransaction._run`: how a list of statements
reaches its database in one go.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from bot.store.base import (
    AuditRecord,
    DissatisfiedVerdict,
    DraftRecord,
    EventRecord,
    FaqLogEntry,
    FileInfo,
    InboxRecord,
    InstitutionChange,
    InstitutionChangeRecord,
    InstitutionRecord,
    NewAuditEntry,
    NewEvent,
    NewMessage,
    NewTicket,
    OperationsFigures,
    OutboxRecord,
    PostedCard,
    QuestionRecord,
    QueueCounts,
    ReceiptRecord,
    SealedColumn,
    StoredFile,
    TaughtPhrasing,
    ThrottleSlot,
    TicketInstitution,
    TicketRecord,
    TicketTiming,
    VerdictRecord,
)

# Re-exported: the backends and tools import these from here.
from bot.store.sql_values import Params as Params
from bot.store.sql_values import Row, from_db_time
from bot.store.sql_values import to_db_time as to_db_time
from bot.store.staff_sql import StaffStatements


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _faq_log_entry(row: Row) -> FaqLogEntry:
    return FaqLogEntry(
        asked_at=_time(row[0]),
        kind=row[1],
        question=row[2],
        entry_id=row[3],
        reason=row[4],
        language=row[5],
        asker_key=row[6],
        id=row[7],
    )


# A statement as a unit holds it back: SQL, parameters, and where a read riding along puts
# its rows (None for a write).
Statement = tuple[str, Params, "RowsLater | None"]


class RowsLater:
    """The rows of a read sent along with the unit's next trip, once that trip is back."""

    def __init__(self) -> None:
        self.rows: list[Row] | None = None

    def fill(self, rows: list[Row]) -> None:
        self.rows = rows


class _CountsLater:
    def __init__(self, later: RowsLater | None) -> None:
        self._later = later

    def result(self) -> dict[ThrottleSlot, int]:
        if self._later is None:
            return {}
        if self._later.rows is None:
            raise RuntimeError("throttle counts read before the trip that carries them")
        return _slot_counts(self._later.rows)


def _counting(amounts: Sequence[tuple[ThrottleSlot, int]]) -> tuple[str, list[Any]]:
    values = ", ".join(["(?, ?, ?, ?)"] * len(amounts))
    return (
        f"INSERT INTO throttles (key, window_seconds, window_start, count) VALUES {values}"
        " ON CONFLICT (key, window_seconds, window_start)"
        " DO UPDATE SET count = throttles.count + excluded.count"
        " RETURNING key, window_seconds, window_start, count",
        [v for s, n in amounts for v in (s.key, s.window_seconds, s.window_start, n)],
    )


def _slot_counts(rows: Sequence[Row]) -> dict[ThrottleSlot, int]:
    return {ThrottleSlot(r[0], r[1], r[2]): int(r[3]) for r in rows}


class SqlTransaction(StaffStatements):
    """One unit of work. Writes that return nothing are held back and sent with the next read
    (or at the end of the unit): one trip to the database instead of several."""

    # Added to a SELECT that picks rows to take: PostgreSQL's " FOR UPDATE SKIP LOCKED" lets
    # instances take different rows at once; SQLite has one writer at a time and needs nothing.
    SKIP_LOCKED = ""

    def __init__(self) -> None:
        self._writes: list[Statement] = []
        self.started = False  # whether anything reached the database

    async def _run(self, statements: list[Statement]) -> list[Row]:
        """Run the statements in order, in this unit's transaction; the last one's rows (and
        each read riding along, its own rows in its :class:`RowsLater`)."""
        raise NotImplementedError

    def discard_pending(self) -> None:
        self._writes.clear()

    def commit_without_waiting(self) -> None:
        """SQLite: as any unit (one writer at a time; nobody queues on a row lock)."""

    async def flush(self) -> None:
        """Send the writes still held back."""
        if self._writes:
            statements, self._writes = self._writes, []
            self.started = True
            await self._run(statements)

    def _write(self, sql: str, params: Params = ()) -> None:
        """Hold a write back until the next read; its error surfaces there (or at the end)."""
        self._writes.append((sql, params, None))

    def _read_later(self, sql: str, params: Params = ()) -> RowsLater:
        """A read whose rows can wait: held back like a write, they come with the next read."""
        later = RowsLater()
        self._writes.append((sql, params, later))
        return later

    async def _rows(self, sql: str, params: Params = ()) -> list[Row]:
        statements, self._writes = [*self._writes, (sql, params, None)], []
        self.started = True
        return await self._run(statements)

    async def _one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    async def _changed(self, sql: str, params: Params = ()) -> bool:
        """Run an UPDATE/INSERT ... RETURNING and say whether it touched a row."""
        return bool(await self._rows(sql, params))

    # --- tickets ---

    async def add_ticket(self, ticket: NewTicket) -> tuple[int, str] | None:
        self._write(
            "INSERT INTO ticket_counters (year, last_seq) VALUES (?, 1)"
            " ON CONFLICT (year) DO UPDATE SET last_seq = ticket_counters.last_seq + 1",
            (ticket.year,),
        )
        created = to_db_time(ticket.created_at)
        due = _db_time_or_none(ticket.claim_due_at)
        # Number and sequence come from the counter in the same statement (one trip, not two);
        # substr('00000', len) pads the sequence to six digits without cutting longer ones.
        row = await self._one(
            "INSERT INTO tickets (number, year, seq, idempotency_key, status, queue, category,"
            " district, institution, description, details, claim_due_at, resolve_due_at,"
            " created_at, updated_at, institution_id, institution_status, institution_snapshot)"
            " SELECT ? || '-' || CAST(year AS TEXT) || '-'"
            " || substr('00000', length(CAST(last_seq AS TEXT))) || CAST(last_seq AS TEXT),"
            " year, last_seq, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
            " FROM ticket_counters WHERE year = ?"
            " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, number",
            (
                ticket.number_prefix,
                ticket.idempotency_key,
                ticket.queue,
                ticket.category,
                ticket.district,
                ticket.institution,
                ticket.description,
                ticket.details,
                due,
                _db_time_or_none(ticket.resolve_due_at),
                created,
                created,
                *_registry_values(ticket.registry),
                ticket.year,
            ),
        )
        return None if row is None else (int(row[0]), str(row[1]))

    async def ticket_by_id(self, ticket_id: int) -> TicketRecord | None:
        return _ticket(await self._one(f"{TICKET_SELECT} WHERE id = ?", (ticket_id,)))

    async def ticket_by_number(self, number: str) -> TicketRecord | None:
        return _ticket(await self._one(f"{TICKET_SELECT} WHERE number = ?", (number,)))

    async def ticket_by_idempotency_key(self, key: str) -> TicketRecord | None:
        return _ticket(await self._one(f"{TICKET_SELECT} WHERE idempotency_key = ?", (key,)))

    async def count_tickets(self) -> int:
        row = await self._one("SELECT COUNT(*) FROM tickets")
        return int(row[0]) if row else 0

    async def change_status(
        self, ticket_id: int, expected: str, new: str, now: datetime, disposition: str | None
    ) -> bool:
        at = to_db_time(now)
        # Back to 'new' means unclaimed: the claim fields are cleared for the next claim.
        return await self._changed(
            "UPDATE tickets SET status = ?, updated_at = ?,"
            " disposition = COALESCE(?, disposition),"
            " closed_at = CASE WHEN ? = 'closed' THEN ? ELSE closed_at END,"
            f" resolved_at = CASE WHEN ? IN {OUTCOMES} THEN ? ELSE resolved_at END,"
            " claimed_by = CASE WHEN ? = 'new' THEN NULL ELSE claimed_by END,"
            " claimed_at = CASE WHEN ? = 'new' THEN NULL ELSE claimed_at END"
            " WHERE id = ? AND status = ? RETURNING id",
            (new, at, disposition, new, at, new, at, new, new, ticket_id, expected),
        )

    async def claim_ticket(self, ticket_id: int, actor: str, now: datetime) -> bool:
        at = to_db_time(now)
        return await self._changed(
            "UPDATE tickets SET claimed_by = ?, claimed_at = ?, status = 'claimed', updated_at = ?"
            " WHERE id = ? AND claimed_by IS NULL AND status = 'new' RETURNING id",
            (actor, at, at, ticket_id),
        )

    # --- receipt codes ---

    async def add_receipt_code(
        self,
        ticket_id: int,
        lookup: str,
        code_hash: str,
        now: datetime,
        *,
        owner_tag: str | None = None,
    ) -> None:
        self._write(
            "INSERT INTO receipt_codes (ticket_id, lookup, code_hash, created_at, owner_tag)"
            " VALUES (?, ?, ?, ?, ?)",
            (ticket_id, lookup, code_hash, to_db_time(now), owner_tag),
        )

    async def receipt_candidates(self, lookup: str) -> list[ReceiptRecord]:
        rows = await self._rows(
            "SELECT ticket_id, code_hash, owner_tag FROM receipt_codes WHERE lookup = ?",
            (lookup,),
        )
        return [ReceiptRecord(ticket_id=r[0], code_hash=r[1], owner_tag=r[2]) for r in rows]

    # --- audit events ---

    async def add_event(self, event: NewEvent) -> None:
        self._write(
            "INSERT INTO ticket_events (ticket_id, at, actor, kind, public, details)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                event.ticket_id,
                to_db_time(event.at),
                event.actor,
                event.kind,
                event.public,
                event.details,
            ),
        )

    async def events(self, ticket_id: int, *, public_only: bool) -> list[EventRecord]:
        where = "ticket_id = ? AND public = TRUE" if public_only else "ticket_id = ?"
        rows = await self._rows(
            "SELECT id, ticket_id, at, actor, kind, public, details FROM ticket_events"
            f" WHERE {where} ORDER BY id",
            (ticket_id,),
        )
        return [EventRecord(r[0], r[1], _time(r[2]), r[3], r[4], bool(r[5]), r[6]) for r in rows]

    # --- attachments ---

    async def add_attachment(
        self, ticket_id: int, file: StoredFile, added_by: str, now: datetime
    ) -> bool:
        return await self._changed(
            "INSERT INTO attachments (ticket_id, added_at, added_by, filename, mime, size,"
            " sha256, cleaned, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (ticket_id, sha256) DO NOTHING RETURNING id",
            (ticket_id, to_db_time(now), added_by, *_file_values(file)),
        )

    async def attachments(self, ticket_id: int) -> list[FileInfo]:
        rows = await self._rows(
            f"SELECT {FILE_INFO} FROM attachments WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [_file_info(r) for r in rows]

    async def attachment_data(self, attachment_id: int) -> bytes | None:
        row = await self._one("SELECT data FROM attachments WHERE id = ?", (attachment_id,))
        return None if row is None else bytes(row[0])

    # --- questions to the reporter ---

    async def add_question(
        self, ticket_id: int, question: str, asked_by: str, now: datetime
    ) -> int:
        row = await self._one(
            "INSERT INTO questions (ticket_id, asked_at, asked_by, question)"
            " VALUES (?, ?, ?, ?) RETURNING id",
            (ticket_id, to_db_time(now), asked_by, question),
        )
        assert row is not None
        return int(row[0])

    async def open_questions(self, ticket_id: int) -> list[QuestionRecord]:
        rows = await self._rows(
            "SELECT id, ticket_id, asked_at, asked_by, question, answer, answered_at"
            " FROM questions WHERE ticket_id = ? AND answer IS NULL ORDER BY id",
            (ticket_id,),
        )
        return [
            QuestionRecord(r[0], r[1], _time(r[2]), r[3], r[4], r[5], from_db_time(r[6]))
            for r in rows
        ]

    async def answer_question(
        self, question_id: int, ticket_id: int, answer: str, now: datetime
    ) -> bool:
        return await self._changed(
            "UPDATE questions SET answer = ?, answered_at = ?"
            " WHERE id = ? AND ticket_id = ? AND answer IS NULL RETURNING id",
            (answer, to_db_time(now), question_id, ticket_id),
        )

    # --- opt-in notices ---

    async def set_notify_link(self, ticket_id: int, sealed_chat: str, now: datetime) -> None:
        self._write(
            "INSERT INTO notify_links (ticket_id, sealed_chat, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (ticket_id) DO UPDATE SET sealed_chat = excluded.sealed_chat",
            (ticket_id, sealed_chat, to_db_time(now)),
        )

    async def notify_link(self, ticket_id: int) -> str | None:
        row = await self._one(
            "SELECT sealed_chat FROM notify_links WHERE ticket_id = ?", (ticket_id,)
        )
        return None if row is None else str(row[0])

    async def delete_notify_link(self, ticket_id: int) -> None:
        self._write("DELETE FROM notify_links WHERE ticket_id = ?", (ticket_id,))

    # --- drafts ---

    async def save_draft(self, draft: DraftRecord) -> None:
        self._write(
            "INSERT INTO drafts (reporter_key, draft_id, step, body, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (reporter_key) DO UPDATE SET"
            " draft_id = excluded.draft_id, step = excluded.step, body = excluded.body,"
            " updated_at = excluded.updated_at",
            (
                draft.reporter_key,
                draft.draft_id,
                draft.step,
                draft.body,
                to_db_time(draft.updated_at),
            ),
        )

    async def load_draft(self, reporter_key: str) -> DraftRecord | None:
        row = await self._one(
            "SELECT reporter_key, draft_id, step, body, updated_at FROM drafts"
            " WHERE reporter_key = ?",
            (reporter_key,),
        )
        return None if row is None else DraftRecord(row[0], row[1], row[2], row[3], _time(row[4]))

    async def delete_draft(self, reporter_key: str) -> None:
        self._write("DELETE FROM drafts WHERE reporter_key = ?", (reporter_key,))

    async def add_draft_file(self, reporter_key: str, file: StoredFile, now: datetime) -> bool:
        return await self._changed(
            "INSERT INTO draft_files (reporter_key, added_at, filename, mime, size, sha256,"
            " cleaned, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (reporter_key, sha256) DO NOTHING RETURNING id",
            (reporter_key, to_db_time(now), *_file_values(file)),
        )

    async def draft_files(self, reporter_key: str) -> list[FileInfo]:
        rows = await self._rows(
            f"SELECT {FILE_INFO} FROM draft_files WHERE reporter_key = ? ORDER BY id",
            (reporter_key,),
        )
        return [_file_info(r) for r in rows]

    async def move_draft_files(self, reporter_key: str, ticket_id: int, added_by: str) -> None:
        self._write(
            "INSERT INTO attachments (ticket_id, added_at, added_by, filename, mime, size,"
            " sha256, cleaned, data) SELECT ?, added_at, ?, filename, mime, size, sha256,"
            " cleaned, data FROM draft_files WHERE reporter_key = ? ORDER BY id",
            (ticket_id, added_by, reporter_key),
        )

    async def purge_drafts(self, updated_before: datetime) -> int:
        rows = await self._rows(
            "DELETE FROM drafts WHERE updated_at < ? RETURNING reporter_key",
            (to_db_time(updated_before),),
        )
        return len(rows)

    # --- inbox ---

    async def last_update_id(self) -> int | None:
        row = await self._one("SELECT MAX(update_id) FROM inbox")
        return None if row is None or row[0] is None else int(row[0])

    async def record_updates(self, updates: Sequence[tuple[int, str]], now: datetime) -> set[int]:
        if not updates:
            return set()
        received = to_db_time(now)
        rows = await self._rows(
            "INSERT INTO inbox (update_id, payload, status, attempts, received_at) VALUES "
            + ", ".join(["(?, ?, 'received', 0, ?)"] * len(updates))
            + " ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
            [v for update_id, payload in updates for v in (update_id, payload, received)],
        )
        return {int(r[0]) for r in rows}

    async def record_failed_update(self, update_id: int, now: datetime) -> None:
        at = to_db_time(now)
        self._write(
            "INSERT INTO inbox (update_id, payload, status, attempts, received_at, finished_at)"
            " VALUES (?, '', 'failed', 0, ?, ?) ON CONFLICT (update_id) DO UPDATE SET"
            " status = 'failed', payload = '', finished_at = excluded.finished_at",
            (update_id, at, at),
        )

    async def finish_update(self, update_id: int, status: str, now: datetime) -> None:
        # The payload holds who sent the update: drop it as soon as it is handled.
        self._write(
            "UPDATE inbox SET status = ?, payload = '', finished_at = ? WHERE update_id = ?",
            (status, to_db_time(now), update_id),
        )

    async def finish_updates(self, update_ids: Sequence[int], status: str, now: datetime) -> None:
        if update_ids:
            self._write(
                "UPDATE inbox SET status = ?, payload = '', finished_at = ?"
                f" WHERE update_id IN ({_marks(update_ids)})",
                (status, to_db_time(now), *update_ids),
            )

    async def take_unfinished_updates(
        self, taken_before: datetime, now: datetime, limit: int
    ) -> list[InboxRecord]:
        rows = await self._rows(
            "UPDATE inbox SET attempts = attempts + 1, taken_at = ? WHERE update_id IN ("
            " SELECT update_id FROM inbox WHERE status = 'received'"
            " AND COALESCE(taken_at, received_at) < ?"
            f" ORDER BY update_id LIMIT ?{self.SKIP_LOCKED})"
            " RETURNING update_id, payload, status, attempts, received_at",
            (to_db_time(now), to_db_time(taken_before), limit),
        )
        records = [InboxRecord(r[0], r[1], r[2], r[3], _time(r[4])) for r in rows]
        return sorted(records, key=lambda r: r.update_id)

    async def purge_updates(self, finished_before: datetime) -> int:
        rows = await self._rows(
            "DELETE FROM inbox WHERE status <> 'received' AND finished_at < ? RETURNING update_id",
            (to_db_time(finished_before),),
        )
        return len(rows)

    # --- effects applied once per update ---

    async def first_application(self, key: str, now: datetime) -> bool:
        return await self._changed(
            "INSERT INTO applied_once (key, applied_at) VALUES (?, ?)"
            " ON CONFLICT (key) DO NOTHING RETURNING key",
            (key, to_db_time(now)),
        )

    async def applied_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        marks = ", ".join("?" * len(keys))
        rows = await self._rows(f"SELECT key FROM applied_once WHERE key IN ({marks})", keys)
        return {str(r[0]) for r in rows}

    async def purge_applied_once(self, applied_before: datetime) -> int:
        rows = await self._rows(
            "DELETE FROM applied_once WHERE applied_at < ? RETURNING key",
            (to_db_time(applied_before),),
        )
        return len(rows)

    # --- outbox ---

    async def enqueue(self, message: NewMessage) -> None:
        self._write(ENQUEUE, _message_values(message))

    async def enqueue_if_new(self, message: NewMessage) -> bool:
        return await self._changed(f"{ENQUEUE} RETURNING id", _message_values(message))

    async def message_by_dedupe_key(self, dedupe_key: str) -> OutboxRecord | None:
        return _outbox(await self._one(f"{OUTBOX_SELECT} WHERE dedupe_key = ?", (dedupe_key,)))

    async def outbox_message(self, message_id: int) -> OutboxRecord | None:
        return _outbox(await self._one(f"{OUTBOX_SELECT} WHERE id = ?", (message_id,)))

    async def hurry_message(self, message_id: int, now: datetime) -> None:
        at = to_db_time(now)
        self._write(
            "UPDATE outbox SET not_before = ?"
            " WHERE id = ? AND sent_at IS NULL AND given_up_at IS NULL AND not_before > ?",
            (at, message_id, at),
        )

    async def due_messages(self, now: datetime, limit: int) -> list[OutboxRecord]:
        rows = await self._rows(
            f"{OUTBOX_SELECT} WHERE sent_at IS NULL AND given_up_at IS NULL AND not_before <= ?"
            " ORDER BY not_before, id LIMIT ?",
            (to_db_time(now), limit),
        )
        return [r for r in map(_outbox, rows) if r is not None]

    async def take_due_messages(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[OutboxRecord]:
        rows = await self._rows(
            "UPDATE outbox SET not_before = ? WHERE id IN (SELECT id FROM outbox"
            " WHERE sent_at IS NULL AND given_up_at IS NULL AND not_before <= ?"
            f" ORDER BY not_before, id LIMIT ?{self.SKIP_LOCKED})"
            f" RETURNING {OUTBOX_COLUMNS}",
            (to_db_time(lease_until), to_db_time(now), limit),
        )
        return sorted((r for r in map(_outbox, rows) if r is not None), key=lambda r: r.id)

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        # Delivered messages are not kept: a receipt code or a chat id must not linger.
        self._write(
            "UPDATE outbox SET sent_at = ?, target = '', payload = '', last_error = NULL"
            " WHERE id = ?",
            (to_db_time(now), message_id),
        )

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, not_before = ?"
            " WHERE id = ?",
            (error, to_db_time(retry_at), message_id),
        )

    async def mark_given_up(self, message_id: int, error: str, now: datetime) -> None:
        self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, given_up_at = ?,"
            " target = '', payload = '' WHERE id = ?",
            (error, to_db_time(now), message_id),
        )

    # --- throttles ---

    async def throttle_counts(self, slots: Sequence[ThrottleSlot]) -> list[int]:
        if not slots:
            return []
        match = " OR ".join(["(key = ? AND window_seconds = ? AND window_start = ?)"] * len(slots))
        params = [v for s in slots for v in (s.key, s.window_seconds, s.window_start)]
        rows = await self._rows(
            f"SELECT key, window_seconds, window_start, count FROM throttles WHERE {match}", params
        )
        counts = {ThrottleSlot(r[0], r[1], r[2]): int(r[3]) for r in rows}
        return [counts.get(slot, 0) for slot in slots]

    async def add_to_throttles(self, slots: Sequence[ThrottleSlot], amount: int) -> None:
        if not slots:
            return
        values = ", ".join(["(?, ?, ?, ?)"] * len(slots))
        params = [v for s in slots for v in (s.key, s.window_seconds, s.window_start, amount)]
        self._write(
            f"INSERT INTO throttles (key, window_seconds, window_start, count) VALUES {values}"
            " ON CONFLICT (key, window_seconds, window_start)"
            " DO UPDATE SET count = throttles.count + excluded.count",
            params,
        )

    async def count_in_throttles(
        self, amounts: Sequence[tuple[ThrottleSlot, int]]
    ) -> dict[ThrottleSlot, int]:
        if not amounts:
            return {}
        return _slot_counts(await self._rows(*_counting(amounts)))

    def count_in_throttles_later(self, amounts: Sequence[tuple[ThrottleSlot, int]]) -> _CountsLater:
        return _CountsLater(self._read_later(*_counting(amounts)) if amounts else None)

    async def purge_throttles(self, window_start_before: int) -> int:
        rows = await self._rows(
            "DELETE FROM throttles WHERE window_start < ? RETURNING key", (window_start_before,)
        )
        return len(rows)

    # --- parents' questions the knowledge base missed ---

    async def log_faq_question(self, entry: FaqLogEntry) -> None:
        self._write(
            "INSERT INTO faq_log (asked_at, kind, question, entry_id, reason, language, asker_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                to_db_time(entry.asked_at),
                entry.kind,
                entry.question,
                entry.entry_id,
                entry.reason,
                entry.language,
                entry.asker_key,
            ),
        )

    _FAQ_LOG_COLUMNS = "asked_at, kind, question, entry_id, reason, language, asker_key, id"

    async def faq_log(self, since: datetime, kinds: Sequence[str]) -> list[FaqLogEntry]:
        marks = ", ".join("?" * len(kinds))
        rows = await self._rows(
            f"SELECT {self._FAQ_LOG_COLUMNS} FROM faq_log"
            f" WHERE asked_at >= ? AND kind IN ({marks}) ORDER BY asked_at, id",
            (to_db_time(since), *kinds),
        )
        return [_faq_log_entry(r) for r in rows]

    async def faq_question(self, log_id: int) -> FaqLogEntry | None:
        row = await self._one(
            f"SELECT {self._FAQ_LOG_COLUMNS} FROM faq_log WHERE id = ?", (log_id,)
        )
        return _faq_log_entry(row) if row is not None else None

    # --- taught phrasings ---

    async def taught_version(self) -> int:
        row = await self._one("SELECT version FROM taught_version WHERE id = 1")
        return int(row[0]) if row is not None else 0

    async def live_taught_phrasings(self) -> list[TaughtPhrasing]:
        rows = await self._rows(
            "SELECT id, entry_id, phrasing, taught_by, taught_at FROM taught_phrasings"
            " WHERE undone_at IS NULL ORDER BY id"
        )
        return [TaughtPhrasing(r[0], r[1], r[2], r[3], _time(r[4])) for r in rows]

    async def add_taught_phrasing(
        self, entry_id: str, phrasing: str, actor: str, now: datetime
    ) -> int | None:
        row = await self._one(
            "INSERT INTO taught_phrasings (entry_id, phrasing, taught_by, taught_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (phrasing) WHERE undone_at IS NULL DO NOTHING"
            " RETURNING id",
            (entry_id, phrasing, actor, to_db_time(now)),
        )
        if row is None:
            return None
        self._bump_taught_version(now)
        return int(row[0])

    async def undo_taught_phrasing(
        self, taught_id: int, actor: str, now: datetime
    ) -> TaughtPhrasing | None:
        row = await self._one(
            "UPDATE taught_phrasings SET undone_by = ?, undone_at = ?"
            " WHERE id = ? AND undone_at IS NULL"
            " RETURNING id, entry_id, phrasing, taught_by, taught_at",
            (actor, to_db_time(now), taught_id),
        )
        if row is None:
            return None
        self._bump_taught_version(now)
        return TaughtPhrasing(row[0], row[1], row[2], row[3], _time(row[4]))

    def _bump_taught_version(self, now: datetime) -> None:
        self._write(
            "UPDATE taught_version SET version = version + 1, changed_at = ? WHERE id = 1",
            (to_db_time(now),),
        )

    # --- chat state ---

    async def chat_state(
        self, person_key: str, now: datetime
    ) -> dict[str, tuple[str, datetime | None]]:
        rows = await self._rows(
            "SELECT name, value, expires_at FROM chat_state WHERE person_key = ?"
            " AND (expires_at IS NULL OR expires_at > ?)",
            (person_key, to_db_time(now)),
        )
        return {r[0]: (r[1], from_db_time(r[2])) for r in rows}

    async def set_chat_state(
        self, person_key: str, name: str, value: str, now: datetime, expires_at: datetime | None
    ) -> None:
        self._write(
            "INSERT INTO chat_state (person_key, name, value, updated_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_key, name) DO UPDATE SET"
            " value = excluded.value, updated_at = excluded.updated_at,"
            " expires_at = excluded.expires_at",
            (person_key, name, value, to_db_time(now), _db_time_or_none(expires_at)),
        )

    async def set_chat_states(
        self, values: Sequence[tuple[str, str, str, datetime, datetime | None]]
    ) -> None:
        if not values:
            return
        self._write(
            "INSERT INTO chat_state (person_key, name, value, updated_at, expires_at) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?)"] * len(values))
            + " ON CONFLICT (person_key, name) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at, expires_at = excluded.expires_at",
            [
                v
                for person, name, value, now, expires in values
                for v in (person, name, value, to_db_time(now), _db_time_or_none(expires))
            ],
        )

    async def delete_chat_state(self, person_key: str, name: str) -> None:
        self._write("DELETE FROM chat_state WHERE person_key = ? AND name = ?", (person_key, name))

    async def purge_chat_state(self, now: datetime) -> int:
        rows = await self._rows(
            "DELETE FROM chat_state WHERE expires_at IS NOT NULL AND expires_at <= ?"
            " RETURNING person_key",
            (to_db_time(now),),
        )
        return len(rows)

    # --- 回访: the reporter's verdict ---

    async def ask_verdict(self, ticket_id: int, asked_at: datetime, reply_by: datetime) -> int:
        row = await self._one(
            "INSERT INTO ticket_verdicts (ticket_id, round, asked_at, reply_by)"
            " SELECT ?, COALESCE(MAX(round), 0) + 1, ?, ? FROM ticket_verdicts"
            " WHERE ticket_id = ? RETURNING round",
            (ticket_id, to_db_time(asked_at), to_db_time(reply_by), ticket_id),
        )
        assert row is not None
        return int(row[0])

    async def verdicts(self, ticket_id: int) -> list[VerdictRecord]:
        rows = await self._rows(
            f"{VERDICT_SELECT} WHERE ticket_id = ? ORDER BY round", (ticket_id,)
        )
        return [_verdict(r) for r in rows]

    async def verdict_round(self, ticket_id: int, round_number: int) -> VerdictRecord | None:
        row = await self._one(
            f"{VERDICT_SELECT} WHERE ticket_id = ? AND round = ?", (ticket_id, round_number)
        )
        return None if row is None else _verdict(row)

    async def give_verdict(
        self, ticket_id: int, round_number: int, verdict: str, now: datetime
    ) -> bool:
        at = to_db_time(now)
        return await self._changed(
            "UPDATE ticket_verdicts SET verdict = ?, answered_at = ?"
            " WHERE ticket_id = ? AND round = ? AND verdict IS NULL AND reply_by > ?"
            " RETURNING round",
            (verdict, at, ticket_id, round_number, at),
        )

    async def add_verdict_comment(
        self, ticket_id: int, round_number: int, comment: str, answered_after: datetime
    ) -> bool:
        return await self._changed(
            "UPDATE ticket_verdicts SET comment = ? WHERE ticket_id = ? AND round = ?"
            " AND verdict IS NOT NULL AND comment IS NULL AND answered_at >= ? RETURNING round",
            (comment, ticket_id, round_number, to_db_time(answered_after)),
        )

    async def mark_supervisors_told(self, ticket_id: int, round_number: int, now: datetime) -> bool:
        return await self._changed(
            "UPDATE ticket_verdicts SET supervisors_told_at = ? WHERE ticket_id = ? AND round = ?"
            " AND supervisors_told_at IS NULL RETURNING round",
            (to_db_time(now), ticket_id, round_number),
        )

    async def dissatisfied_verdicts(
        self, answered_from: datetime, answered_before: datetime, *, untold_only: bool
    ) -> list[DissatisfiedVerdict]:
        untold = " AND v.supervisors_told_at IS NULL" if untold_only else ""
        verdict = ", ".join(f"v.{c}" for c in VERDICT_COLUMNS.split(", "))
        ticket = TICKET_SELECT.removeprefix("SELECT ").replace(" FROM tickets", "")
        ticket = ", ".join(f"t.{c.strip()}" for c in ticket.split(","))
        rows = await self._rows(
            f"SELECT {verdict}, {ticket} FROM ticket_verdicts v JOIN tickets t"
            f" ON t.id = v.ticket_id WHERE v.verdict = 'dissatisfied'{untold}"
            " AND v.answered_at >= ? AND v.answered_at < ? ORDER BY v.answered_at, t.id",
            (to_db_time(answered_from), to_db_time(answered_before)),
        )
        found = []
        for row in rows:
            record = _ticket(row)
            assert record is not None
            found.append(DissatisfiedVerdict(record, _verdict(row)))
        return found

    # --- inspection: queues and claims ---

    async def queue_tickets(
        self, queues: Sequence[str], limit: int, offset: int
    ) -> list[TicketRecord]:
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE queue IN ({_marks(queues)}) AND status IN {OPEN}"
            " ORDER BY created_at, id LIMIT ? OFFSET ?",
            (*queues, limit, offset),
        )
        return _tickets(rows)

    async def count_queue_tickets(self, queues: Sequence[str]) -> int:
        row = await self._one(
            f"SELECT COUNT(*) FROM tickets WHERE queue IN ({_marks(queues)}) AND status IN {OPEN}",
            tuple(queues),
        )
        return int(row[0]) if row else 0

    async def claimed_tickets(self, claimed_by: str, limit: int, offset: int) -> list[TicketRecord]:
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE claimed_by = ? AND status IN {OPEN}"
            " ORDER BY created_at, id LIMIT ? OFFSET ?",
            (claimed_by, limit, offset),
        )
        return _tickets(rows)

    async def count_claimed_tickets(self, claimed_by: str) -> int:
        row = await self._one(
            f"SELECT COUNT(*) FROM tickets WHERE claimed_by = ? AND status IN {OPEN}",
            (claimed_by,),
        )
        return int(row[0]) if row else 0

    async def release_claim(self, ticket_id: int, claimed_by: str, now: datetime) -> bool:
        return await self._changed(
            "UPDATE tickets SET status = 'new', claimed_by = NULL, claimed_at = NULL,"
            " updated_at = ? WHERE id = ? AND claimed_by = ?"
            " AND status IN ('claimed', 'investigating', 'awaiting_reporter') RETURNING id",
            (to_db_time(now), ticket_id, claimed_by),
        )

    async def move_ticket(
        self,
        ticket_id: int,
        from_queue: str,
        to_queue: str,
        claim_due_at: datetime | None,
        now: datetime,
    ) -> bool:
        return await self._changed(
            "UPDATE tickets SET queue = ?, status = 'new', claimed_by = NULL, claimed_at = NULL,"
            " claim_due_at = ?, updated_at = ?"
            f" WHERE id = ? AND queue = ? AND status IN {OPEN} RETURNING id",
            (to_queue, _db_time_or_none(claim_due_at), to_db_time(now), ticket_id, from_queue),
        )

    async def reopen_ticket(
        self,
        ticket_id: int,
        expected: str,
        claim_due_at: datetime | None,
        resolve_due_at: datetime | None,
        now: datetime,
    ) -> bool:
        return await self._changed(
            "UPDATE tickets SET status = 'new', claimed_by = NULL, claimed_at = NULL,"
            " disposition = NULL, outcome = NULL, resolved_at = NULL, closed_at = NULL,"
            " claim_due_at = ?, resolve_due_at = ?, updated_at = ?, reopened = reopened + 1"
            f" WHERE id = ? AND status = ? AND status NOT IN {OPEN} RETURNING id",
            (
                _db_time_or_none(claim_due_at),
                _db_time_or_none(resolve_due_at),
                to_db_time(now),
                ticket_id,
                expected,
            ),
        )

    async def set_outcome(self, ticket_id: int, outcome: str | None) -> None:
        self._write("UPDATE tickets SET outcome = ? WHERE id = ?", (outcome, ticket_id))

    # --- inspection: merged reports ---

    async def add_merge(
        self, ticket_id: int, merged_into: int, merged_by: str, now: datetime
    ) -> None:
        self._write(
            "INSERT INTO ticket_merges (ticket_id, merged_into, merged_at, merged_by)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (ticket_id) DO UPDATE SET"
            " merged_into = excluded.merged_into, merged_at = excluded.merged_at,"
            " merged_by = excluded.merged_by",
            (ticket_id, merged_into, to_db_time(now), merged_by),
        )

    async def remove_merge(self, ticket_id: int) -> None:
        self._write("DELETE FROM ticket_merges WHERE ticket_id = ?", (ticket_id,))

    async def merge_target(self, ticket_id: int) -> TicketRecord | None:
        return _ticket(
            await self._one(
                f"{TICKET_SELECT} WHERE id = (SELECT merged_into FROM ticket_merges"
                " WHERE ticket_id = ?)",
                (ticket_id,),
            )
        )

    async def supporting_tickets(self, ticket_id: int) -> list[TicketRecord]:
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE id IN (SELECT ticket_id FROM ticket_merges"
            " WHERE merged_into = ?) ORDER BY id",
            (ticket_id,),
        )
        return _tickets(rows)

    async def questions(self, ticket_id: int) -> list[QuestionRecord]:
        rows = await self._rows(
            "SELECT id, ticket_id, asked_at, asked_by, question, answer, answered_at"
            " FROM questions WHERE ticket_id = ? ORDER BY id",
            (ticket_id,),
        )
        return [
            QuestionRecord(r[0], r[1], _time(r[2]), r[3], r[4], r[5], from_db_time(r[6]))
            for r in rows
        ]

    # --- inspection: deadlines ---

    async def tickets_near_deadline(
        self, kind: str, before: datetime, limit: int
    ) -> list[TicketRecord]:
        if kind.endswith("_claim"):
            # Same condition as the partial index tickets_unclaimed_due.
            column, still_due = "claim_due_at", "claimed_by IS NULL AND status = 'new'"
        else:
            column, still_due = "resolve_due_at", f"status IN {OPEN}"
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE {still_due} AND {column} <= ?"
            " AND NOT EXISTS (SELECT 1 FROM deadline_notices n"
            f" WHERE n.ticket_id = tickets.id AND n.kind = ? AND n.due_at = tickets.{column})"
            f" ORDER BY {column}, id LIMIT ?",
            (to_db_time(before), kind, limit),
        )
        return _tickets(rows)

    async def record_deadline_notice(
        self, ticket_id: int, kind: str, due_at: datetime, outcome: str, now: datetime
    ) -> bool:
        return await self._changed(
            "INSERT INTO deadline_notices (ticket_id, kind, due_at, recorded_at, outcome)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (ticket_id, kind, due_at) DO NOTHING"
            " RETURNING ticket_id",
            (ticket_id, kind, to_db_time(due_at), to_db_time(now), outcome),
        )

    async def last_planned_message(self, target: str) -> datetime | None:
        row = await self._one(
            "SELECT MAX(not_before) FROM outbox"
            " WHERE target = ? AND sent_at IS NULL AND given_up_at IS NULL",
            (target,),
        )
        return None if row is None else from_db_time(row[0])

    # --- inspection: the duty rota, and claims handed on ---

    async def tickets_awaiting_claim(
        self, created_after: datetime, limit: int
    ) -> list[TicketRecord]:
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE created_at > ? AND status = 'new' AND claimed_by IS NULL"
            " ORDER BY created_at, id LIMIT ?",
            (to_db_time(created_after), limit),
        )
        return _tickets(rows)

    async def reassign_claim(
        self, ticket_id: int, from_actor: str, to_actor: str, now: datetime
    ) -> bool:
        at = to_db_time(now)
        return await self._changed(
            "UPDATE tickets SET claimed_by = ?, claimed_at = ?, updated_at = ?"
            f" WHERE id = ? AND claimed_by = ? AND status IN {OPEN} RETURNING id",
            (to_actor, at, at, ticket_id, from_actor),
        )

    # --- inspection: cards in staff groups ---

    async def add_card(self, ticket_id: int, card: PostedCard, now: datetime) -> None:
        self._write(
            "INSERT INTO ticket_cards (ticket_id, chat_id, message_id, posted_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ticket_id, card.chat_id, card.message_id, to_db_time(now)),
        )

    async def cards(self, ticket_id: int) -> list[PostedCard]:
        rows = await self._rows(
            "SELECT chat_id, message_id FROM ticket_cards WHERE ticket_id = ?"
            " ORDER BY posted_at, message_id",
            (ticket_id,),
        )
        return [PostedCard(int(r[0]), int(r[1])) for r in rows]

    # --- inspection: reports ---

    async def open_tickets_except(self, ticket_id: int) -> list[TicketRecord]:
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE status IN {OPEN} AND id <> ? ORDER BY id", (ticket_id,)
        )
        return _tickets(rows)

    async def tickets_created_between(self, start: datetime, end: datetime) -> list[TicketRecord]:
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id",
            (to_db_time(start), to_db_time(end)),
        )
        return _tickets(rows)

    async def ticket_timings(self, start: datetime, end: datetime) -> list[TicketTiming]:
        # The latest 回访 of each ticket comes along (the primary key finds it).
        rows = await self._rows(
            "SELECT t.status, t.queue, t.category, t.district, t.created_at, t.claimed_at,"
            " t.claim_due_at, t.resolved_at, t.resolve_due_at, t.number, t.institution,"
            " t.disposition, t.reopened, v.reply_by, v.verdict, t.institution_id FROM tickets t"
            " LEFT JOIN ticket_verdicts v ON v.ticket_id = t.id AND v.round ="
            " (SELECT MAX(round) FROM ticket_verdicts WHERE ticket_id = t.id)"
            " WHERE t.created_at >= ? AND t.created_at < ?",
            (to_db_time(start), to_db_time(end)),
        )
        # Reports read a whole period at once: parse without a function call per field.
        parse = datetime.fromisoformat
        return [
            TicketTiming(
                r[0],
                r[1],
                r[2],
                r[3],
                parse(r[4]),
                r[5] and parse(r[5]),
                r[6] and parse(r[6]),
                r[7] and parse(r[7]),
                r[8] and parse(r[8]),
                r[9],
                r[10],
                r[11],
                int(r[12]),
                r[13] and parse(r[13]),
                r[14],
                r[15],
            )
            for r in rows
        ]

    async def queue_counts(
        self, queues: Sequence[str], now: datetime, since: datetime
    ) -> list[QueueCounts]:
        at, start = to_db_time(now), to_db_time(since)
        rows = await self._rows(
            "SELECT queue,"
            f" SUM(CASE WHEN status IN {OPEN} THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN status = 'new' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN status = 'new' AND claim_due_at < ? THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN status IN {OPEN} AND resolve_due_at < ? THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN resolved_at >= ? THEN 1 ELSE 0 END)"
            f" FROM tickets WHERE queue IN ({_marks(queues)}) GROUP BY queue ORDER BY queue",
            (at, at, start, start, *queues),
        )
        return [QueueCounts(r[0], *(int(v or 0) for v in r[1:])) for r in rows]

    async def overdue_tickets(
        self, queues: Sequence[str], now: datetime, limit: int
    ) -> list[TicketRecord]:
        at = to_db_time(now)
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE queue IN ({_marks(queues)}) AND status IN {OPEN}"
            " AND ((status = 'new' AND claim_due_at < ?) OR resolve_due_at < ?)"
            " ORDER BY created_at, id LIMIT ?",
            (*queues, at, at, limit),
        )
        return _tickets(rows)

    # --- inspection: the staff audit log ---

    async def add_audit(self, entry: NewAuditEntry) -> None:
        self._write(
            "INSERT INTO staff_audit (at, actor, action, allowed, ticket_id, queue, details)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                to_db_time(entry.at),
                entry.actor,
                entry.action,
                entry.allowed,
                entry.ticket_id,
                entry.queue,
                entry.details,
            ),
        )

    async def audit_entries(
        self, since: datetime, until: datetime, limit: int
    ) -> list[AuditRecord]:
        rows = await self._rows(
            "SELECT id, at, actor, action, allowed, ticket_id, queue, details FROM staff_audit"
            " WHERE at >= ? AND at < ? ORDER BY at, id LIMIT ?",
            (to_db_time(since), to_db_time(until), limit),
        )
        return [
            AuditRecord(r[0], _time(r[1]), r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows
        ]

    # --- operations: re-sealing under the newest key, figures for monitoring ---
    # (Table and column names come from SEALED_COLUMNS, never from input.)

    async def sealed_values(
        self, place: SealedColumn, after: str, limit: int
    ) -> list[tuple[str, str]]:
        rows = await self._rows(
            f"SELECT {place.key}, {place.column} FROM {place.table}"
            f" WHERE {place.where} AND {place.key} > ? ORDER BY {place.key} LIMIT ?",
            (after, limit),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def reseal(self, place: SealedColumn, row_key: str, old: str, new: str) -> bool:
        return await self._changed(
            f"UPDATE {place.table} SET {place.column} = ?"
            f" WHERE {place.key} = ? AND {place.column} = ? RETURNING {place.key}",
            (new, row_key, old),
        )

    async def operations_figures(self, now: datetime) -> OperationsFigures:
        at = to_db_time(now)
        inbox = await self._one("SELECT COUNT(*) FROM inbox WHERE status = 'received'")
        outbox = await self._one(
            "SELECT COUNT(*), MIN(not_before) FROM outbox"
            " WHERE sent_at IS NULL AND given_up_at IS NULL AND not_before <= ?",
            (at,),
        )
        statuses = await self._rows("SELECT status, COUNT(*) FROM tickets GROUP BY status")
        overdue = await self._one(
            "SELECT SUM(CASE WHEN status = 'new' AND claim_due_at < ? THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN status IN {OPEN} AND resolve_due_at < ? THEN 1 ELSE 0 END)"
            " FROM tickets",
            (at, at),
        )
        return OperationsFigures(
            inbox_unfinished=int(inbox[0]) if inbox else 0,
            outbox_due=int(outbox[0]) if outbox else 0,
            outbox_oldest_due_at=from_db_time(outbox[1]) if outbox else None,
            tickets_by_status={str(r[0]): int(r[1]) for r in statuses},
            claim_overdue=int(overdue[0] or 0) if overdue else 0,
            resolve_overdue=int(overdue[1] or 0) if overdue else 0,
        )

    # --- the registry of institutions ---

    async def _many(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement for many rows, in one go (the writes held back are sent first)."""
        if rows:
            await self.flush()
            self.started = True
            await self._run_many(sql, rows)

    async def _run_many(self, sql: str, rows: Sequence[Params]) -> None:
        raise NotImplementedError

    async def registry_version(self) -> int:
        row = await self._one("SELECT version FROM registry_version WHERE id = 1")
        return int(row[0]) if row else 0

    async def bump_registry_version(self, now: datetime) -> int:
        row = await self._one(
            "UPDATE registry_version SET version = version + 1, changed_at = ? WHERE id = 1"
            " RETURNING version",
            (to_db_time(now),),
        )
        assert row is not None, "the registry's migration inserts the row"
        return int(row[0])

    async def institutions_page(
        self, after_id: int, limit: int, *, changed_after: int = 0
    ) -> list[InstitutionRecord]:
        rows = await self._rows(
            f"{INSTITUTION_SELECT} WHERE id > ? AND changed_in > ? ORDER BY id LIMIT ?",
            (after_id, changed_after, limit),
        )
        return [_institution(r) for r in rows]

    async def institution_by_id(self, institution_id: int) -> InstitutionRecord | None:
        row = await self._one(f"{INSTITUTION_SELECT} WHERE id = ?", (institution_id,))
        return None if row is None else _institution(row)

    async def institution_by_match_key(self, match_key: str) -> InstitutionRecord | None:
        row = await self._one(f"{INSTITUTION_SELECT} WHERE match_key = ?", (match_key,))
        return None if row is None else _institution(row)

    async def add_institutions(self, rows: Sequence[InstitutionRecord], version: int) -> None:
        await self._many(
            f"INSERT INTO institutions ({INSTITUTION_FIELDS}, changed_in)"
            f" VALUES ({_marks(_FIELD_NAMES)}, ?)",
            [(*_institution_values(r), version) for r in rows],
        )

    async def update_institutions(self, rows: Sequence[InstitutionRecord], version: int) -> None:
        assignments = ", ".join(f"{name} = ?" for name in _FIELD_NAMES)
        await self._many(
            f"UPDATE institutions SET {assignments}, changed_in = ? WHERE id = ?",
            [(*_institution_values(r), version, r.id) for r in rows],
        )

    async def add_institution_changes(self, changes: Sequence[InstitutionChange]) -> None:
        await self._many(
            "INSERT INTO institution_changes (institution_id, at, actor, change, status, reason,"
            " ticket_id, details) SELECT id, ?, ?, ?, ?, ?, ?, ? FROM institutions"
            " WHERE match_key = ?",
            [
                (
                    to_db_time(c.at),
                    c.actor,
                    c.change,
                    c.status,
                    c.reason,
                    c.ticket_id,
                    c.details,
                    c.match_key,
                )
                for c in changes
            ],
        )

    async def institution_changes(self, institution_id: int) -> list[InstitutionChangeRecord]:
        rows = await self._rows(
            "SELECT id, institution_id, at, actor, change, status, reason, ticket_id, details"
            " FROM institution_changes WHERE institution_id = ? ORDER BY id",
            (institution_id,),
        )
        return [
            InstitutionChangeRecord(r[0], r[1], _time(r[2]), r[3], r[4], r[5], r[6], r[7], r[8])
            for r in rows
        ]

    async def tickets_about_institution(
        self, institution_id: int, limit: int, queues: Sequence[str] | None = None
    ) -> list[TicketRecord]:
        if queues is not None and not queues:
            return []
        in_queues = "" if queues is None else f" AND queue IN ({_marks(queues)})"
        rows = await self._rows(
            f"{TICKET_SELECT} WHERE institution_id = ?{in_queues}"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (institution_id, *(queues or ()), limit),
        )
        return _tickets(rows)

    async def set_ticket_institution(self, ticket_id: int, registry: TicketInstitution) -> None:
        self._write(
            "UPDATE tickets SET institution_id = ?, institution_status = ?,"
            " institution_snapshot = ? WHERE id = ?",
            (*_registry_values(registry), ticket_id),
        )

    async def most_substantiated_institutions(
        self, queues: Sequence[str], start: datetime, end: datetime, limit: int
    ) -> list[tuple[int, int]]:
        rows = await self._rows(
            "SELECT institution_id, COUNT(*) AS substantiated FROM tickets"
            " WHERE institution_id IS NOT NULL AND disposition = 'substantiated'"
            f" AND queue IN ({_marks(queues)}) AND created_at >= ? AND created_at < ?"
            " GROUP BY institution_id ORDER BY substantiated DESC, institution_id LIMIT ?",
            (*queues, to_db_time(start), to_db_time(end), limit),
        )
        return [(int(r[0]), int(r[1])) for r in rows]


TICKET_SELECT = (
    "SELECT id, number, status, queue, category, district, institution, description, details,"
    " disposition, claimed_by, claimed_at, claim_due_at, resolve_due_at, created_at, updated_at,"
    " closed_at, resolved_at, outcome, institution_id, institution_status, institution_snapshot"
    " FROM tickets"
)
# Literal lists, not parameters: SQLite uses a partial index only when the query repeats its
# condition word for word.
OPEN = "('new', 'claimed', 'investigating', 'awaiting_reporter')"
OUTCOMES = "('resolved', 'rejected', 'duplicate', 'transferred')"
ENQUEUE = (
    "INSERT INTO outbox (kind, target, payload, sealed, dedupe_key, ticket_id,"
    " created_at, not_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)
OUTBOX_COLUMNS = (
    "id, kind, target, payload, sealed, dedupe_key, ticket_id, created_at, not_before,"
    " attempts, last_error, sent_at, given_up_at"
)
OUTBOX_SELECT = f"SELECT {OUTBOX_COLUMNS} FROM outbox"
FILE_INFO = "id, filename, mime, size, sha256, cleaned, added_at"
VERDICT_COLUMNS = (
    "ticket_id, round, asked_at, reply_by, verdict, answered_at, comment, supervisors_told_at"
)
VERDICT_SELECT = f"SELECT {VERDICT_COLUMNS} FROM ticket_verdicts"


def _ticket(row: Row | None) -> TicketRecord | None:
    if row is None:
        return None
    return TicketRecord(
        id=row["id"],
        number=row["number"],
        status=row["status"],
        queue=row["queue"],
        category=row["category"],
        district=row["district"],
        institution=row["institution"],
        description=row["description"],
        details=row["details"],
        disposition=row["disposition"],
        claimed_by=row["claimed_by"],
        claimed_at=from_db_time(row["claimed_at"]),
        claim_due_at=from_db_time(row["claim_due_at"]),
        resolve_due_at=from_db_time(row["resolve_due_at"]),
        created_at=_time(row["created_at"]),
        updated_at=_time(row["updated_at"]),
        closed_at=from_db_time(row["closed_at"]),
        resolved_at=from_db_time(row["resolved_at"]),
        outcome=row["outcome"],
        institution_id=row["institution_id"],
        institution_status=row["institution_status"],
        institution_snapshot=row["institution_snapshot"],
    )


def _verdict(row: Row) -> VerdictRecord:
    return VerdictRecord(
        ticket_id=int(row[0]),
        round=int(row[1]),
        asked_at=_time(row[2]),
        reply_by=_time(row[3]),
        verdict=row[4],
        answered_at=from_db_time(row[5]),
        comment=row[6],
        supervisors_told_at=from_db_time(row[7]),
    )


# The institutions' columns after ``id``, in the record's field order (read back by position).
_FIELD_NAMES = tuple(f.name for f in fields(InstitutionRecord))[1:]
INSTITUTION_FIELDS = ", ".join(_FIELD_NAMES)
INSTITUTION_SELECT = f"SELECT id, {INSTITUTION_FIELDS} FROM institutions"


# Aliases are written by json.dumps (no surrounding spaces): decoded without the checks for them.
_JSON = json.JSONDecoder()


def _institution(row: Row) -> InstitutionRecord:
    # By position (the SELECT lists the record's fields in its order): the registry is read
    # a page of hundreds at a time, on the event loop.
    values = list(row)
    aliases, fees = values[3], values[14]
    values[3] = () if aliases == "[]" else tuple(_JSON.raw_decode(aliases)[0])
    values[14] = None if fees is None else bool(fees)
    values[17] = _time(values[17])
    return InstitutionRecord(*values)


def _institution_values(record: InstitutionRecord) -> tuple[Any, ...]:
    return (
        record.match_key,
        record.name,
        json.dumps(list(record.aliases), ensure_ascii=False),
        record.credit_code,
        record.licence_number,
        record.licence_issuer,
        record.kind,
        record.form,
        record.district,
        record.address,
        record.status,
        record.status_since,
        record.status_reason,
        record.supervised_fees,
        record.source,
        record.listed_on,
        to_db_time(record.updated_at),
    )


def _registry_values(registry: TicketInstitution | None) -> tuple[Any, ...]:
    if registry is None:
        return (None, None, None)
    return (registry.institution_id, registry.status, registry.snapshot)


def _tickets(rows: Sequence[Row]) -> list[TicketRecord]:
    return [t for t in map(_ticket, rows) if t is not None]


def _marks(values: Sequence[Any]) -> str:
    if not values:
        raise ValueError("an IN list needs at least one value")
    return ", ".join("?" * len(values))


def _db_time_or_none(value: datetime | None) -> str | None:
    return None if value is None else to_db_time(value)


def _outbox(row: Row | None) -> OutboxRecord | None:
    if row is None:
        return None
    return OutboxRecord(
        id=row["id"],
        kind=row["kind"],
        target=row["target"],
        payload=row["payload"],
        sealed=bool(row["sealed"]),
        dedupe_key=row["dedupe_key"],
        ticket_id=row["ticket_id"],
        created_at=_time(row["created_at"]),
        not_before=_time(row["not_before"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        sent_at=from_db_time(row["sent_at"]),
        given_up_at=from_db_time(row["given_up_at"]),
    )


def _message_values(message: NewMessage) -> tuple[Any, ...]:
    return (
        message.kind,
        message.target,
        message.payload,
        message.sealed,
        message.dedupe_key,
        message.ticket_id,
        to_db_time(message.created_at),
        to_db_time(message.not_before),
    )


def _file_values(file: StoredFile) -> tuple[Any, ...]:
    return (file.filename, file.mime, file.size, file.sha256, file.cleaned, file.data)


def _file_info(row: Row) -> FileInfo:
    return FileInfo(
        id=row[0],
        filename=row[1],
        mime=row[2],
        size=row[3],
        sha256=row[4],
        cleaned=bool(row[5]),
        added_at=_time(row[6]),
    )
