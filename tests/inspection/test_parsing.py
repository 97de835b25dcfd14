"""What staff type after a command: numbers, dispositions, periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.inspection.model import Disposition
from bot.inspection.parsing import (
    parse_disposition,
    parse_period,
    parse_queue,
    parse_ticket_number,
)
from bot.inspection.settings import InspectionSettings

BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "typed",
    [
        "SJ-2026-000123",
        "sj-2026-000123",
        " SJ-2026-123 ",
        "ＳＪ－２０２６－０００１２３",
        "SJ2026000123",
    ],
)
def test_ticket_numbers_are_read_leniently(typed: str) -> None:
    assert parse_ticket_number(typed, "SJ") == "SJ-2026-000123"


@pytest.mark.parametrize(
    "typed", ["2026-000123", "XX-2026-000123", "SJ-26-1", "SJ-2026-1234567", ""]
)
def test_a_number_must_be_whole(typed: str) -> None:
    assert parse_ticket_number(typed, "SJ") is None


@pytest.mark.parametrize(
    ("word", "disposition"),
    [
        ("查实", Disposition.SUBSTANTIATED),
        ("不属实", Disposition.UNSUBSTANTIATED),
        ("移交", Disposition.REFERRED),
        ("重复", Disposition.DUPLICATE),
        ("不予受理", Disposition.NOT_IN_SCOPE),
        ("Not-In-Scope", Disposition.NOT_IN_SCOPE),
        ("substantiated", Disposition.SUBSTANTIATED),
    ],
)
def test_dispositions_in_either_language(word: str, disposition: Disposition) -> None:
    assert parse_disposition(word) == disposition


def test_an_unknown_disposition_is_none() -> None:
    assert parse_disposition("大概属实") is None


def test_periods() -> None:
    assert parse_period("", NOW, BEIJING) == parse_period("30d", NOW, BEIJING)
    week = parse_period("7D", NOW, BEIJING)
    assert week is not None and week.end - week.start == timedelta(days=7)
    november = parse_period("2026-11", NOW, BEIJING)
    assert november is not None
    assert november.start == datetime(2026, 11, 1, tzinfo=BEIJING)
    assert november.end == datetime(2026, 12, 1, tzinfo=BEIJING)
    december = parse_period("2026-12", NOW, BEIJING)
    assert december is not None and december.end == NOW  # a month under way ends now
    for wrong in ("2027-01", "2026-13", "0d", "401d", "last week"):
        assert parse_period(wrong, NOW, BEIJING) is None, wrong


def test_queues_by_id_or_name() -> None:
    settings = InspectionSettings()
    assert parse_queue("EDU-Haidian", settings) == "edu-haidian"
    assert parse_queue(" 海淀区教育局 ", settings) == "edu-haidian"
    assert parse_queue("nowhere", settings) == "nowhere"
