-- Phrasings staff taught the bot with /teach: a parent's question added to an entry of the
-- knowledge base, as a local overlay every instance reads. Rows are never deleted: an undo
-- marks the row, so the audit trail and the overlay's history stay whole.
CREATE TABLE taught_phrasings (
    id INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL,
    phrasing TEXT NOT NULL,
    taught_by TEXT NOT NULL,  -- 'inspector:<staff id>'
    taught_at TEXT NOT NULL,
    undone_by TEXT,
    undone_at TEXT
);
-- One live phrasing of each text (an entry per question).
CREATE UNIQUE INDEX taught_phrasings_live ON taught_phrasings (phrasing) WHERE undone_at IS NULL;

-- Bumped by every teach and undo: instances compare it with the one their matcher was built
-- from, and rebuild when it moved (a teach on another instance).
CREATE TABLE taught_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    changed_at TEXT
);
INSERT INTO taught_version (id, version, changed_at) VALUES (1, 0, NULL);
