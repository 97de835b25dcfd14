"""Waiting for a condition without polling: waiters sleep until someone notifies their key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable


class KeyedSignal:
    """Wake-ups grouped by key, so a change in one chat only wakes that chat's waiters."""

    def __init__(self) -> None:
        self._waiters: dict[Hashable, list[asyncio.Future[None]]] = {}

    async def wait_until(
        self, key: Hashable, condition: Callable[[], bool], seconds: float | None
    ) -> bool:
        """Wait until ``condition()`` holds; False if ``seconds`` pass first (None: no limit)."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while not condition():
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(key, []).append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                return condition()
            finally:
                self._discard(key, waiter)
        return True

    def notify(self, key: Hashable) -> None:
        for waiter in self._waiters.pop(key, []):
            if not waiter.done():
                waiter.set_result(None)

    def notify_all(self) -> None:
        for key in list(self._waiters):
            self.notify(key)

    def _discard(self, key: Hashable, waiter: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(key)
        if waiters and waiter in waiters:
            waiters.remove(waiter)
            if not waiters:
                del self._waiters[key]
