"""Request parameters as the Bot API receives them, and the errors it answers with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# Clients send these as JSON text inside form fields (python-telegram-bot always does).
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "caption_entities",
        "media",
        "commands",
        "scope",
        "menu_button",
        "allowed_updates",
        "message_ids",
    }
)
_INT_FIELDS = frozenset(
    {
        "from_chat_id",
        "message_id",
        "reply_to_message_id",
        "message_thread_id",
        "offset",
        "limit",
        "max_connections",
        "user_id",
        "cache_time",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "show_alert",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "only_if_banned",
    }
)
# Telegram accepts uploads up to 50 MB; leave room for the rest of the form.
MAX_REQUEST_BYTES = 52 * 1024 * 1024


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": code, "description": description}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


def _coerce(name: str, value: Any) -> Any:
    """Turn form strings into the types the same field has in a JSON body."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in _INT_FIELDS or (name == "chat_id" and value.lstrip("-").isdigit()):
        try:
            return int(value)
        except ValueError:
            return value
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


async def read_params(request: web.Request) -> dict[str, Any]:
    """Collect parameters from the query string and a JSON, urlencoded or multipart body."""
    raw: dict[str, Any] = dict(request.query)
    try:
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict):
                raise bad_request("parameters must be a JSON object")
            raw.update(body)
        elif request.can_read_body:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    raw[name] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[name] = value
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    except ValueError:
        raise bad_request("can't parse request body") from None
    return {name: _coerce(name, value) for name, value in raw.items()}


class Params:
    """Typed access to one request's parameters, failing with Telegram's texts."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def str_or_none(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def str_(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        return default if value is None else str(value)

    def int_or_none(self, name: str) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def int_(self, name: str, default: int) -> int:
        value = self.int_or_none(name)
        return default if value is None else value

    def required_int(self, name: str, missing: str) -> int:
        value = self.int_or_none(name)
        if value is None:
            raise bad_request(missing)
        return value

    def bool_(self, name: str) -> bool:
        return bool(self.values.get(name, False))

    def object_or_none(self, name: str) -> dict[str, Any] | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise bad_request(f'field "{name}" must be of type Object')
        return value

    def list_(self, name: str) -> list[Any]:
        value = self.values.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise bad_request(f'field "{name}" must be of type Array')
        return value

    def chat_id(self, name: str = "chat_id") -> int:
        value = self.values.get(name)
        if value in (None, ""):
            raise bad_request(f"{name} is empty")
        if isinstance(value, int):
            return value
        raise bad_request("chat not found")  # "@username" of a chat the emulator doesn't know
