-- Several bot instances may share one database (PostgreSQL): what one instance started, any
-- other can finish, and what a person is in the middle of follows them to whichever instance
-- receives their next message.

-- When an unfinished update was last handed to a handler. One that stays unfinished long
-- after that (its instance stopped or crashed) is taken up again by whichever instance looks.
ALTER TABLE inbox ADD COLUMN taken_at TEXT;

-- Per person (keyed hash, never a Telegram id): chosen language, a /status check in progress,
-- a question for staff being typed, the questions behind recent answers. Values that could
-- identify a ticket are sealed; each row may expire.
CREATE TABLE chat_state (
    person_key TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT,
    PRIMARY KEY (person_key, name)
);
CREATE INDEX chat_state_expiry ON chat_state (expires_at) WHERE expires_at IS NOT NULL;
