"""The catalogs: same keys and placeholders in every language, a text for every case."""

from __future__ import annotations

import string

import pytest

from bot.i18n import CATALOGS
from bot.tickets.form import EDITABLE, Step
from bot.tickets.model import Reason, TicketStatus
from handlers.refusals import CODE_REASONS, FILE_REASONS, reason_key

# Reasons only inspectors meet (claims and status changes); reporters never see them.
STAFF_ONLY = {
    Reason.STATUS_NOT_ALLOWED,
    Reason.STATUS_CHANGED_MEANWHILE,
    Reason.ALREADY_CLAIMED,
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    zh, en = CATALOGS["zh"], CATALOGS["en"]
    assert set(zh) == set(en)
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


@pytest.mark.parametrize("reason", [r for r in Reason if r not in STAFF_ONLY])
def test_every_refusal_a_reporter_can_meet_has_its_own_text(reason: Reason) -> None:
    key = reason_key(reason)
    assert key != "error.generic" and key in CATALOGS["zh"]
    assert (reason in FILE_REASONS) == key.startswith("evidence.")
    assert (reason in CODE_REASONS) == key.startswith("status.")


def test_every_status_step_and_field_has_a_text() -> None:
    zh = CATALOGS["zh"]
    assert all(f"status.name.{status}" in zh for status in TicketStatus)
    assert all(f"report.ask.{step}" in zh for step in Step if step != Step.REVIEW)
    assert all(f"report.field.{step}" in zh for step in EDITABLE)
