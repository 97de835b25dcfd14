-- What must happen once per update, however often the update is handled: an update handled
-- but not marked done before a crash is replayed, and a replayed "/note" must not add a second
-- note. The unit of work that applies such an effect records its key here (e.g. "update:123");
-- finding the key already there, it applies nothing. Kept as long as handled updates are.
CREATE TABLE applied_once (
    key TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
);
CREATE INDEX applied_once_by_time ON applied_once (applied_at);

-- The account that filed a report, as a hash keyed by the report's own receipt code: nobody
-- without the code can compute it, so it links no one to the report, but a correct code typed
-- from the filing account still opens the ticket while the overall limit on wrong codes is full.
ALTER TABLE receipt_codes ADD COLUMN owner_tag TEXT;
