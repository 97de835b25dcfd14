"""Outbox messages rendered from the catalogs: every kind, both audiences, values escaped."""

from __future__ import annotations

import pytest

from bot.config import Config
from bot.tickets.model import MessageKind
from bot.tickets.outbox import OutgoingMessage
from handlers.delivery import render

CONFIG = Config()
SAMPLE_DATA = {
    MessageKind.RECEIPT: {"ticket_number": "SJ-2026-000001", "receipt_code": "1234 5678 9012 3456"},
    MessageKind.NEW_TICKET: {
        "ticket_number": "SJ-2026-000001",
        "category": "disguised_tutoring",
        "district": "haidian",
    },
    MessageKind.STATUS_CHANGED: {"ticket_number": "SJ-2026-000001", "status": "investigating"},
    MessageKind.DEADLINE_REMINDER: {
        "ticket_number": "SJ-2026-000001",
        "queue": "edu-haidian",
        "deadline": "claim",
        "due_at": "2026-03-02T09:00:00+00:00",
    },
    MessageKind.DAILY_DIGEST: {"department": "education", "text": "3 <new>"},
}


def outgoing(kind: str, data: dict[str, object]) -> OutgoingMessage:
    return OutgoingMessage(1, kind, -100, data, 0)


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_renders(kind: MessageKind) -> None:
    data = SAMPLE_DATA.get(kind, {"ticket_number": "SJ-2026-000001"})
    assert "SJ-2026-000001" in render(outgoing(kind, data), CONFIG) or kind == "daily_digest"


def test_reporters_read_both_languages_staff_read_chinese() -> None:
    receipt = render(outgoing("receipt", SAMPLE_DATA[MessageKind.RECEIPT]), CONFIG)
    assert "举报已受理" in receipt and "Report received" in receipt
    status = render(outgoing("status_changed", SAMPLE_DATA[MessageKind.STATUS_CHANGED]), CONFIG)
    assert "核查中" in status and "being investigated" in status
    staff = render(outgoing("new_ticket", SAMPLE_DATA[MessageKind.NEW_TICKET]), CONFIG)
    assert "海淀区" in staff and "变相培训" in staff and "New report" not in staff


def test_values_are_escaped_and_unknown_kinds_still_say_something() -> None:
    digest = render(outgoing("daily_digest", SAMPLE_DATA[MessageKind.DAILY_DIGEST]), CONFIG)
    assert digest == "3 &lt;new&gt;"
    unknown = render(outgoing("something_new", {"ticket_number": "SJ-1", "x": 1}), CONFIG)
    assert "SJ-1" in unknown and "something_new" in unknown
    missing = render(outgoing("ticket_transferred", {"ticket_number": "SJ-2"}), CONFIG)
    assert "SJ-2" in missing  # data short of what the text needs: the plain fallback


def test_deadline_notices_read_as_staff_speak() -> None:
    data = {**SAMPLE_DATA[MessageKind.DEADLINE_REMINDER], "holder_name": "Alice <A>"}
    reminder = render(outgoing("deadline_reminder", data), CONFIG)
    assert "认领时限 2026-03-02 17:00 到期" in reminder  # Beijing time, not UTC
    assert "海淀区教育局" in reminder and "认领人:Alice &lt;A&gt;" in reminder
    assert "claim" not in reminder and "edu-haidian" not in reminder
