-- Inspection: outcomes, merged reports, deadline notices and the staff audit log.
-- Standard SQL; a PostgreSQL twin changes only the column types and the append-only triggers.

-- When the ticket reached an outcome, and the outcome text the reporter is told.
ALTER TABLE tickets ADD COLUMN resolved_at TEXT;
ALTER TABLE tickets ADD COLUMN outcome TEXT;

-- /queue: open tickets of a queue, oldest first, without sorting the whole queue.
CREATE INDEX tickets_open_by_queue ON tickets (queue, created_at, id)
    WHERE status IN ('new', 'claimed', 'investigating', 'awaiting_reporter');
-- "mine": what an inspector has claimed.
CREATE INDEX tickets_by_claimer ON tickets (claimed_by, created_at, id)
    WHERE claimed_by IS NOT NULL;
-- Reports and exports by the day a ticket came in.
CREATE INDEX tickets_by_created ON tickets (created_at);
-- Resolve deadlines of open tickets.
CREATE INDEX tickets_open_resolve_due ON tickets (resolve_due_at)
    WHERE status IN ('new', 'claimed', 'investigating', 'awaiting_reporter');

-- A report merged into another is kept whole as a supporting report of it.
CREATE TABLE ticket_merges (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),
    merged_into INTEGER NOT NULL REFERENCES tickets (id),
    merged_at TEXT NOT NULL,
    merged_by TEXT NOT NULL,
    CHECK (ticket_id <> merged_into)
);
CREATE INDEX ticket_merges_by_target ON ticket_merges (merged_into);

-- Reminders and escalations already handled, one per ticket, kind and deadline: a restart
-- neither repeats nor loses them, and a moved deadline gets notices of its own.
CREATE TABLE deadline_notices (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    kind TEXT NOT NULL CHECK (kind IN (
        'remind_claim', 'escalate_claim', 'remind_resolve', 'escalate_resolve')),
    due_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    -- queued: in the outbox; skipped: too late to remind; no_chat: nowhere to send it
    outcome TEXT NOT NULL CHECK (outcome IN ('queued', 'skipped', 'no_chat')),
    PRIMARY KEY (ticket_id, kind, due_at)
);

-- What staff did or tried to do: every change, every view of a ticket, every export, and
-- every refused attempt. Append-only, like ticket_events.
CREATE TABLE staff_audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    allowed BOOLEAN NOT NULL,
    ticket_id INTEGER REFERENCES tickets (id),
    queue TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX staff_audit_by_time ON staff_audit (at, id);
CREATE TRIGGER staff_audit_no_update BEFORE UPDATE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
