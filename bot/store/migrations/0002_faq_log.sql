-- Parents' questions the knowledge base could not answer well, so staff can grow it.
-- asker_key is a keyed hash (never a Telegram id): it only tells repeats of one person apart.
CREATE TABLE faq_log (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('unanswered', 'unsure', 'disliked', 'for_staff')),
    question TEXT NOT NULL,
    entry_id TEXT,
    reason TEXT,
    language TEXT NOT NULL,
    asker_key TEXT NOT NULL
);
CREATE INDEX faq_log_by_time ON faq_log (asked_at);
