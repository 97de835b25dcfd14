"""The registry of Bot API methods and what each method implementation gets to work with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.emulator.params import Params
from bot.emulator.state import EmulatorState
from bot.emulator.updates import UpdateQueue


@dataclass(frozen=True)
class ApiContext:
    state: EmulatorState
    updates: UpdateQueue
    strict_html: bool  # reject a bare "&" that Telegram would show literally


@dataclass(frozen=True)
class ApiResult:
    """A result with the optional ``description`` some methods add (setWebhook ...)."""

    value: Any
    description: str | None = None


Handler = Callable[[ApiContext, Params], Awaitable[Any]]


@dataclass(frozen=True)
class ApiMethod:
    name: str  # as the Bot API documents it, e.g. "sendMessage"
    handler: Handler


_REGISTRY: dict[str, ApiMethod] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the Bot API method ``name`` (matched case-insensitively)."""

    def register(handler: Handler) -> Handler:
        _REGISTRY[name.lower()] = ApiMethod(name, handler)
        return handler

    return register


def find_method(name: str) -> ApiMethod | None:
    return _REGISTRY.get(name.lower())
