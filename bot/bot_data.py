"""What the running Application holds as its ``bot_data``."""

from __future__ import annotations

from bot.background import Background
from bot.clock import Clock, utc_now
from bot.metrics import Metrics
from bot.services import Services


class BotData:
    """The Application's ``bot_data``: the clock and the metrics from the start (tests set a
    clock of their own before the bot opens), the services and their background loops once
    it has."""

    def __init__(self) -> None:
        self.clock: Clock = utc_now
        self.metrics = Metrics()
        self._services: Services | None = None
        self._background: Background | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the services are not open yet: they open in post_init")
        return self._services

    @property
    def background(self) -> Background:
        if self._background is None:
            raise RuntimeError("the background loops are not running: they start in post_init")
        return self._background

    @property
    def is_open(self) -> bool:
        return self._services is not None

    def opened(self, services: Services, background: Background) -> None:
        self._services, self._background = services, background

    def closed(self) -> tuple[Services | None, Background | None]:
        """Forget both, handing them to whoever closes them."""
        parts = (self._services, self._background)
        self._services = self._background = None
        return parts
