"""The queue between the front door and the handlers, which says when it has room.

python-telegram-bot turns each queued update into a task at once, so a burst fetched as fast
as Telegram hands it over sits in memory whole (2,000 updates: some 10 MB) while the handlers
work through it. The poller asks for more only once the updates in hand drop below the
limit; the rest wait at Telegram, where they are as safe and in the same order.
"""

from __future__ import annotations

import asyncio


class UpdateQueue(asyncio.Queue[object]):
    """An unbounded queue (putting never waits) counting what was put and not yet done."""

    def __init__(self, room_below: int) -> None:
        super().__init__()
        self._room_below = room_below
        self._in_hand = 0
        self._has_room = asyncio.Event()
        self._has_room.set()

    @property
    def in_hand(self) -> int:
        """Put and not yet marked done (queued, or being handled)."""
        return self._in_hand

    def put_nowait(self, item: object) -> None:  # put() ends here too
        super().put_nowait(item)
        self._in_hand += 1
        if self._in_hand >= self._room_below:
            self._has_room.clear()

    def task_done(self) -> None:
        super().task_done()
        self._in_hand -= 1
        if self._in_hand < self._room_below:
            self._has_room.set()

    async def room(self) -> None:
        """Return once fewer than the limit are in hand."""
        await self._has_room.wait()
