-- 回访: after each resolution the reporter is asked whether they are satisfied.
-- A verdict belongs to the ticket and its round, never to a person: nothing here (or anywhere)
-- links it to who gave it.
CREATE TABLE ticket_verdicts (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    -- 1 after the first resolution, 2 after the resolution that follows a reopening ...
    round INTEGER NOT NULL,
    asked_at TEXT NOT NULL,
    -- No answer by then: "not reached" (never counted as satisfied).
    reply_by TEXT NOT NULL,
    verdict TEXT CHECK (verdict IN ('satisfied', 'mostly_satisfied', 'dissatisfied')),
    answered_at TEXT,
    comment TEXT,
    -- When the supervisors were told of a 不满意 (after the comment, or once its time is up).
    supervisors_told_at TEXT,
    PRIMARY KEY (ticket_id, round)
);
-- 不满意 verdicts the supervisors have not been told of yet.
CREATE INDEX ticket_verdicts_untold ON ticket_verdicts (answered_at)
    WHERE verdict = 'dissatisfied' AND supervisors_told_at IS NULL;
-- The digest's list of the day's 不满意.
CREATE INDEX ticket_verdicts_by_answer ON ticket_verdicts (answered_at);

-- How often a ticket was reopened (二次办理), for the reopened share in reports.
ALTER TABLE tickets ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
UPDATE tickets SET reopened = (
    SELECT COUNT(*) FROM ticket_events
    WHERE ticket_events.ticket_id = tickets.id AND ticket_events.kind = 'reopened'
);
