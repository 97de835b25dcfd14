"""An update as it came from Telegram, before any library has parsed it.

Read as plain JSON so that the inbox can record it (and say who sent it, as a keyed hash) before
anything else happens, whether or not python-telegram-bot can make sense of it afterwards: an
update in a shape the library rejects is set aside by id, not retried forever.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# Left alone by json.loads, refused by every encoder after it (SQLite, hashing, sending).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class NotAnUpdate(ValueError):
    """The data has no update id: nothing can record or acknowledge it."""


@dataclass(frozen=True)
class IncomingUpdate:
    update_id: int
    data: dict[str, Any] = field(repr=False)
    # The Telegram user behind it, to count floods and find chat state by keyed hash; never
    # stored as such.
    sender_id: int | None = field(default=None, repr=False)
    # ``data`` as JSON text, when it was written already.
    text: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_data(cls, data: object) -> IncomingUpdate:
        """One element of a getUpdates result, or a webhook body already decoded."""
        if not isinstance(data, dict):
            raise NotAnUpdate("an update is a JSON object")
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise NotAnUpdate("an update has an integer update_id")
        # Written once: the text the inbox records is also where a lone surrogate shows (the
        # encoder leaves every character as it is), so clean data is not walked at all.
        fields: dict[str, Any] = data
        text = json.dumps(fields, ensure_ascii=False)
        if _LONE_SURROGATE.search(text):
            fields = _without_lone_surrogates(fields)
            text = json.dumps(fields, ensure_ascii=False)
        return cls(update_id, fields, _sender_of(fields), text)

    @classmethod
    def from_json(cls, text: str) -> IncomingUpdate:
        try:
            return cls.from_data(json.loads(text))
        except json.JSONDecodeError as exc:
            raise NotAnUpdate("not JSON") from exc

    def payload(self) -> str:
        """The update as JSON text, for the inbox (which seals it)."""
        return self.text if self.text is not None else json.dumps(self.data, ensure_ascii=False)


def _sender_of(data: dict[str, Any]) -> int | None:
    """Who sent it: ``from`` (messages, presses, member changes) or ``user`` (poll answers,
    reactions) of the update's one content field."""
    for name, content in data.items():
        if name == "update_id" or not isinstance(content, dict):
            continue
        person = content.get("from") or content.get("user")
        if isinstance(person, dict) and isinstance(person.get("id"), int):
            return int(person["id"])
    return None


def _without_lone_surrogates(value: Any) -> Any:
    """Half of a UTF-16 pair on its own (sent by buggy clients) becomes U+FFFD, so the text
    can be stored, matched and answered like any other."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub(REPLACEMENT, value) if _LONE_SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {key: _without_lone_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    return value
