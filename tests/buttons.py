"""Which handler a button press reaches: the callback patterns an Application registered."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from telegram.ext import Application, CallbackQueryHandler

from bot.emulator.state import JsonDict


def callback_patterns(app: Application) -> list[re.Pattern[str]]:  # type: ignore[type-arg]
    """Every pattern a button handler was registered with, in every group (the catch-all for
    unknown presses has none and is left out)."""
    found = []
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                assert isinstance(handler.pattern, re.Pattern)
                found.append(handler.pattern)
    return found


def buttons_sent(requests: Iterable[tuple[str, JsonDict]]) -> Iterator[str]:
    """The callback data of every inline button in the Bot API calls the bot made."""
    for _, params in requests:
        markup = params.get("reply_markup")
        if not isinstance(markup, dict):
            continue
        for row in markup.get("inline_keyboard") or ():
            for button in row:
                if "callback_data" in button:
                    yield str(button["callback_data"])


def unrouted(app: Application, data: Iterable[str]) -> dict[str, int]:  # type: ignore[type-arg]
    """The callback data that not exactly one registered pattern matches, and how many do."""
    patterns = callback_patterns(app)
    counts = {d: sum(1 for p in patterns if p.match(d)) for d in set(data)}
    return {d: n for d, n in counts.items() if n != 1}
