"""Every button's callback data: ``<prefix>:<payload>``, the prefix saying which handler takes
the press. The prefixes are declared once, here: the buttons are built with :func:`data` and the
handlers registered with :func:`pattern`, so a press always finds the handler of its keyboard
(tests/unit/test_callbacks.py checks that no two prefixes overlap and that every registered
pattern comes from this table).
"""

from __future__ import annotations

from enum import StrEnum

from telegram.constants import InlineKeyboardButtonLimit

SEPARATOR = ":"
MAX_DATA_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # Telegram's limit: 64


class Prefix(StrEnum):
    MENU = "m"  # the parents' menu: m:ask, m:human, m:report, m:status
    TOPIC = "faq"  # faq:<entry>: a "did you mean" or related topic
    FEEDBACK = "fb"  # fb:up|down:<entry>, fb:w:<reason>:<entry>
    LANGUAGE = "lang"  # lang:zh|en
    ASK_STAFF = "staff"  # staff:ask: leave a question for staff
    REPORT = "r"  # r:<draft>:<action>[:<argument>]: the tip-off form
    STATUS = "s"  # s:<action>...: a status check
    VERDICT = "v"  # v:<ticket>:<round>:<token>:<choice>: 回访
    REGISTRY = "g"  # g:<institution>: "did you mean" in the registry
    TEACH = "tch"  # tch:<log>:<entry>
    UNTEACH = "tchu"  # tchu:<taught>
    TICKET = "t"  # t:<verb>:<ticket>...: inspectors' cards, pages, transfers
    STAFF = "st"  # st:<verb>...: invitations, removals, roles
    DUTY = "d"  # d:<verb>...: the duty rota


class TooLong(ValueError):
    """Callback data over Telegram's 64 bytes (the button would be refused)."""


def data(prefix: Prefix, *parts: object) -> str:
    """``prefix:part:part...``, checked against Telegram's limit."""
    built = SEPARATOR.join([prefix.value, *(str(part) for part in parts)])
    if len(built.encode()) > MAX_DATA_BYTES:
        raise TooLong(f"callback data for {prefix.name} is {len(built.encode())} bytes")
    return built


def pattern(prefix: Prefix, payload: str = "") -> str:
    """The regular expression a handler of ``prefix`` is registered with: the prefix, then
    ``payload`` (a regular expression of its own; by default anything)."""
    return f"^{prefix.value}{SEPARATOR}{payload}"


def payload(prefix: Prefix, callback_data: str | None) -> list[str] | None:
    """The parts after ``prefix``; None if the data does not start with it."""
    head = prefix.value + SEPARATOR
    if callback_data is None or not callback_data.startswith(head):
        return None
    return callback_data.removeprefix(head).split(SEPARATOR)
