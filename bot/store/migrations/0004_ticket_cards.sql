-- Where each ticket's card was posted in a staff group, so a claim, transfer or decision made
-- by command (or by a button on another card) can update every card of that ticket.
CREATE TABLE ticket_cards (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, chat_id, message_id)
);
