"""Callback data: one table of prefixes (handlers/callbacks.py) that both the buttons and the
handlers' registration come from, so every press reaches the handler of its keyboard. (The
integration harness checks every button the bot actually sent the same way.)"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.config import load_config
from handlers.callbacks import MAX_DATA_BYTES, SEPARATOR, Prefix, TooLong, data, payload
from tests.buttons import callback_patterns, unrouted

DRAFT = "0123456789abcdef0123456789abcdef"
# What the keyboards carry, one or more per prefix (built as the handlers build them).
SAMPLES = [
    data(Prefix.MENU, "ask"),
    data(Prefix.MENU, "human"),
    data(Prefix.MENU, "report"),
    data(Prefix.MENU, "status"),
    data(Prefix.TOPIC, "homework.limits"),
    data(Prefix.FEEDBACK, "up", "homework.limits"),
    data(Prefix.FEEDBACK, "w", "t", "homework.limits"),
    data(Prefix.LANGUAGE, "en"),
    data(Prefix.ASK_STAFF, "ask"),
    data(Prefix.REPORT, DRAFT, "cat", "weekend_class"),
    data(Prefix.REPORT, DRAFT, "inst", "y12"),
    data(Prefix.STATUS, "ans", 7, 1),
    data(Prefix.VERDICT, 12, 1, "A" * 16, "s"),
    data(Prefix.REGISTRY, 42),
    data(Prefix.TEACH, 3, "homework.limits"),
    data(Prefix.UNTEACH, 5),
    data(Prefix.TICKET, "claim", "SJ-2026-000123"),
    data(Prefix.STAFF, "rv", 9),
    data(Prefix.DUTY, "take", 0, 1767225600),
]


AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture(scope="module")
def app() -> AnyApplication:
    config = load_config(None, environ={})
    return build_application(replace(config, telegram=replace(config.telegram, token="1:T")))


def test_every_registered_pattern_comes_from_the_table(app: AnyApplication) -> None:
    patterns = callback_patterns(app)
    assert patterns
    for compiled in patterns:
        owners = [p for p in Prefix if compiled.pattern.startswith(f"^{p.value}{SEPARATOR}")]
        assert len(owners) == 1, compiled.pattern
    registered = {p for p in Prefix for c in patterns if c.pattern.startswith(f"^{p.value}:")}
    assert registered == set(Prefix)  # and no prefix is declared that nothing handles


def test_no_prefix_overlaps_another() -> None:
    heads = [p.value + SEPARATOR for p in Prefix]
    assert len(set(heads)) == len(heads)
    for head in heads:
        assert SEPARATOR not in head[:-1] and head.isascii()
        assert [h for h in heads if h.startswith(head)] == [head]


def test_each_button_reaches_exactly_one_handler(app: AnyApplication) -> None:
    assert {data.split(SEPARATOR)[0] for data in SAMPLES} == {p.value for p in Prefix}
    assert unrouted(app, SAMPLES) == {}


def test_data_over_telegrams_limit_is_refused_when_built() -> None:
    head = f"{Prefix.TICKET.value}{SEPARATOR}"
    fits = data(Prefix.TICKET, "x" * (MAX_DATA_BYTES - len(head)))
    assert len(fits.encode()) == MAX_DATA_BYTES == 64
    with pytest.raises(TooLong):
        data(Prefix.TICKET, "x" * (MAX_DATA_BYTES - len(head) + 1))
    with pytest.raises(TooLong):  # bytes, not characters
        data(Prefix.TOPIC, "问" * 21)


def test_payload_is_read_back_only_under_its_own_prefix() -> None:
    built = data(Prefix.TEACH, 3, "homework.limits")
    assert payload(Prefix.TEACH, built) == ["3", "homework.limits"]
    assert payload(Prefix.UNTEACH, built) is None
    assert payload(Prefix.TICKET, built) is None
    assert payload(Prefix.TEACH, None) is None
