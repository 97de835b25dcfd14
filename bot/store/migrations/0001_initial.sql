-- Tip-offs, their audit trail and everything needed to deliver messages reliably.
-- Standard SQL where possible; a PostgreSQL twin would change only the column types
-- (BIGINT GENERATED ALWAYS AS IDENTITY, TIMESTAMPTZ, BYTEA) and the append-only triggers.
-- Times are UTC text 'YYYY-MM-DDTHH:MM:SS.ffffffZ', so text order is time order.

CREATE TABLE ticket_counters (
    year INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN (
        'new', 'claimed', 'investigating', 'awaiting_reporter',
        'resolved', 'rejected', 'duplicate', 'transferred', 'closed')),
    queue TEXT NOT NULL,
    category TEXT NOT NULL,
    district TEXT NOT NULL DEFAULT '',
    institution TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    disposition TEXT,
    claimed_by TEXT,
    claimed_at TEXT,
    claim_due_at TEXT,
    resolve_due_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (year, seq)
);
CREATE INDEX tickets_by_queue ON tickets (queue, status, created_at);
CREATE INDEX tickets_unclaimed_due ON tickets (claim_due_at) WHERE claimed_by IS NULL;

-- Append-only audit trail: actor is opaque ('reporter', 'system', 'inspector:<id>').
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;

-- Cleaned evidence: what the bytes are, never where they came from.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    filename TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    cleaned BOOLEAN NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (ticket_id, sha256)
);

-- Receipt codes: a slow salted hash, found through a short keyed prefix.
CREATE TABLE receipt_codes (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),
    lookup TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX receipt_codes_by_lookup ON receipt_codes (lookup);

-- Questions an inspector relays to the reporter through the receipt code.
CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    asked_at TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT,
    answered_at TEXT
);
CREATE INDEX questions_by_ticket ON questions (ticket_id, id);

-- Opt-in status notices: the reporter's chat, encrypted with a key kept outside the database.
CREATE TABLE notify_links (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),
    sealed_chat TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Report drafts, one per reporter (keyed hash), so a restart resumes where they were.
CREATE TABLE drafts (
    reporter_key TEXT PRIMARY KEY,
    draft_id TEXT NOT NULL,
    step TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE draft_files (
    id INTEGER PRIMARY KEY,
    reporter_key TEXT NOT NULL REFERENCES drafts (reporter_key) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    filename TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    cleaned BOOLEAN NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (reporter_key, sha256)
);

-- Telegram updates recorded before they are handled, replayed if unfinished after a crash.
CREATE TABLE inbox (
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX inbox_unfinished ON inbox (update_id) WHERE status = 'received';

-- Messages to send, written in the same transaction as the change they announce.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    sealed BOOLEAN NOT NULL,
    dedupe_key TEXT UNIQUE,
    ticket_id INTEGER REFERENCES tickets (id),
    created_at TEXT NOT NULL,
    not_before TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT,
    given_up_at TEXT
);
CREATE INDEX outbox_due ON outbox (not_before, id) WHERE sent_at IS NULL AND given_up_at IS NULL;

-- Fixed-window counters for rate limits and brute-force protection.
CREATE TABLE throttles (
    key TEXT NOT NULL,
    window_seconds INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, window_seconds, window_start)
);
