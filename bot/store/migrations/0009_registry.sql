-- The bureau's registry of tutoring institutions (白名单 / 黑名单): who is approved, suspended,
-- revoked, blacklisted or under investigation, as the bureau publishes it. Institutions only:
-- nothing here is about a reporter.

CREATE TABLE institutions (
    id INTEGER PRIMARY KEY,
    -- How an imported row finds this one again: 'code:<credit code>', 'licence:<number>', or
    -- 'name:<district>:<name key>' for a listed institution with neither (无证无照).
    match_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',  -- JSON list: brand names, former names
    credit_code TEXT UNIQUE,  -- 统一社会信用代码
    licence_number TEXT UNIQUE,  -- 办学许可证号
    licence_issuer TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN (
        'subject', 'arts', 'sports', 'science', 'other_non_subject', 'unknown')),
    form TEXT NOT NULL CHECK (form IN ('for_profit', 'non_profit', 'unknown')),
    district TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN (
        'approved', 'suspended', 'revoked', 'blacklisted', 'under_investigation')),
    status_since TEXT,  -- YYYY-MM-DD, when the status took effect
    status_reason TEXT NOT NULL DEFAULT '',
    supervised_fees BOOLEAN,  -- prepaid fees in a supervised account; NULL: not said
    source TEXT NOT NULL DEFAULT '',  -- whose list
    listed_on TEXT,  -- YYYY-MM-DD, the list's date
    updated_at TEXT NOT NULL,
    -- The registry version (below) whose change last touched it: an instance whose lookup
    -- index is at version N reads only the institutions changed after N.
    changed_in INTEGER NOT NULL
);
CREATE INDEX institutions_by_change ON institutions (changed_in, id);

-- Every change to the registry, whoever made it (an import, an inspector's resolution).
-- Append-only, like ticket_events.
CREATE TABLE institution_changes (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,  -- 'import:<file name>', 'inspector:<staff id>'
    change TEXT NOT NULL CHECK (change IN ('added', 'updated', 'status')),
    status TEXT NOT NULL,  -- the status after the change
    reason TEXT NOT NULL DEFAULT '',
    ticket_id INTEGER REFERENCES tickets (id),
    details TEXT NOT NULL DEFAULT '{}'  -- JSON: field -> [before, after]
);
CREATE INDEX institution_changes_by_institution ON institution_changes (institution_id, id);
CREATE TRIGGER institution_changes_no_update BEFORE UPDATE ON institution_changes
BEGIN
    SELECT RAISE(ABORT, 'institution_changes is append-only');
END;
CREATE TRIGGER institution_changes_no_delete BEFORE DELETE ON institution_changes
BEGIN
    SELECT RAISE(ABORT, 'institution_changes is append-only');
END;

-- Bumped first by every change to the registry (so the row's lock keeps writers in order):
-- instances compare it with the one their lookup index is at, and read what changed since
-- (an import by another instance or the CLI, a resolution).
CREATE TABLE registry_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    changed_at TEXT
);
INSERT INTO registry_version (id, version, changed_at) VALUES (1, 0, NULL);

-- What the registry said of the reported institution when the tip-off came in: the matched
-- institution, its status then ('not_found' when nothing matched, 'unconfirmed' when the
-- reporter was not sure), and what the card shows of it (JSON).
ALTER TABLE tickets ADD COLUMN institution_id INTEGER REFERENCES institutions (id);
ALTER TABLE tickets ADD COLUMN institution_status TEXT;
ALTER TABLE tickets ADD COLUMN institution_snapshot TEXT;
CREATE INDEX tickets_by_institution ON tickets (institution_id, created_at)
    WHERE institution_id IS NOT NULL;
