"""The services handlers reach through ``context.services``: opened in post_init, closed after.

Plain Python: nothing here knows Telegram. Accessing a service before it is opened is a bug in
the wiring, so it fails loudly instead of returning None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from bot.config import Config
from bot.faq import FaqService

T = TypeVar("T")


def _ready(value: T | None, name: str) -> T:
    if value is None:
        raise RuntimeError(f"{name} is not open yet: services open in post_init")
    return value


@dataclass
class Services:
    """One per Application (it is the Application's ``bot_data``)."""

    _config: Config | None = None
    _faq: FaqService | None = None
    bot_username: str = ""

    @property
    def config(self) -> Config:
        return _ready(self._config, "config")

    @property
    def faq(self) -> FaqService:
        return _ready(self._faq, "FAQ service")

    def open(self, config: Config) -> None:
        self._config = config
        self._faq = FaqService.from_config(config)
