"""Spacing messages to one group chat: Telegram allows a bot about 20 a minute per group.

Each message is planned no earlier than the last unsent one to the same chat plus 60/20 s, so
a burst of reminders drips out instead of being refused with 429s. Messages already sent do not
count, which is safe: the ones planned before them were spaced the same way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.store.base import NewMessage, Transaction


async def enqueue_paced(tx: Transaction, message: NewMessage, per_minute: int) -> NewMessage | None:
    """Queue ``message`` after the chat's last planned one; returns it as queued, or None if
    one with the same dedupe key was queued before (by this instance or another)."""
    last = await tx.last_planned_message(message.target)
    gap = timedelta(seconds=60 / per_minute)
    if last is not None and last + gap > message.not_before:
        message = replace(message, not_before=last + gap)
    return message if await tx.enqueue_if_new(message) else None
