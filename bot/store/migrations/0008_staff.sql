-- Staff, their groups and the duty rota's changes, kept in the database: a change made from
-- Telegram reaches every instance within seconds, without a restart. The config's members and
-- chat ids seed these tables, each entry once (organisation_seeds); after that the database is
-- what counts.

-- Who works where: a role in the whole organisation (scope ''), a department or a queue.
CREATE TABLE staff_members (
    user_id INTEGER NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('organisation', 'department', 'queue')),
    scope TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('inspector', 'supervisor', 'admin', 'auditor')),
    -- As Telegram showed them when they joined (staff are named; reporters never are).
    name TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (user_id, level, scope)
);

-- A queue's group (cards, reminders) and a department's supervisors' group (escalations,
-- digests): one group each; binding another moves it.
CREATE TABLE group_bindings (
    kind TEXT NOT NULL CHECK (kind IN ('queue', 'supervisors')),
    target TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    bound_at TEXT NOT NULL,
    bound_by TEXT NOT NULL,
    PRIMARY KEY (kind, target)
);
CREATE INDEX group_bindings_by_chat ON group_bindings (chat_id);

-- One-time invitations (deep links). Only a keyed hash of the link's token is kept; using one
-- is a compare-and-set on used_at, so two taps of the same link make one member.
CREATE TABLE staff_invites (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL CHECK (level IN ('organisation', 'department', 'queue')),
    scope TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('inspector', 'supervisor', 'admin', 'auditor')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by INTEGER,
    used_at TEXT,
    revoked_at TEXT,
    revoked_by TEXT
);

-- A shift of the rota taken or handed over (/duty take, /duty swap): who is on duty in that
-- occurrence instead of the first person the config lists.
CREATE TABLE duty_overrides (
    rota TEXT NOT NULL,
    shift_start TEXT NOT NULL,
    shift_end TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (rota, shift_start)
);
CREATE INDEX duty_overrides_by_end ON duty_overrides (shift_end);

-- Who was pinged about a new ticket, step by step along the rota: once each, whichever
-- instance gets there first.
CREATE TABLE duty_pings (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    step INTEGER NOT NULL,
    pinged_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, step)
);

-- The config's entries already copied in ("member:queue:edu-haidian:123", "chat:queue:..."),
-- so a member removed from Telegram is not brought back by the next start.
CREATE TABLE organisation_seeds (
    key TEXT PRIMARY KEY,
    seeded_at TEXT NOT NULL
);

-- Bumped by every change above: instances compare it (one row, one read) to know when to
-- reload what they hold in memory.
CREATE TABLE organisation_version (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    version INTEGER NOT NULL
);
INSERT INTO organisation_version (one, version) VALUES (1, 0);

-- /staff: each member's last action.
CREATE INDEX staff_audit_by_actor ON staff_audit (actor, at);
