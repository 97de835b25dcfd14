"""The services handlers reach through ``context.services``: opened in post_init, closed after.

Plain Python: nothing here knows Telegram. Using a service before it is opened is a wiring bug,
so it fails loudly instead of returning None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.config import Config
from bot.faq import FaqService
from bot.privacy import keyed_hash, load_privacy_keys
from bot.questions import QuestionLog
from bot.store import Store, open_sqlite_store
from bot.tickets.services import TicketServices, build_ticket_services

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
    _store: Store | None = None
    _tickets: TicketServices | None = None
    _questions: QuestionLog | None = None

    @property
    def config(self) -> Config:
        return _ready(self._config, "config")

    @property
    def faq(self) -> FaqService:
        return _ready(self._faq, "FAQ service")

    @property
    def store(self) -> Store:
        return _ready(self._store, "store")

    @property
    def tickets(self) -> TicketServices:
        return _ready(self._tickets, "ticket services")

    @property
    def questions(self) -> QuestionLog:
        return _ready(self._questions, "question log")

    async def open(self, config: Config) -> None:
        self._config = config
        self._faq = FaqService.from_config(config)
        self._store = await open_store(config)
        keys = load_privacy_keys(config.resolve(config.privacy.keys_file))
        self._tickets = build_ticket_services(self._store, config.tickets, keys)
        self._questions = QuestionLog(self._store)

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
            self._store = None

    def pseudonym(self, telegram_user_id: int) -> str:
        """A keyed hash of someone asking questions: tells repeats apart, names nobody."""
        return keyed_hash(self.tickets.keys.pepper, "asker", str(telegram_user_id))


async def open_store(config: Config) -> Store:
    path = Path(config.resolve(config.store.path))
    path.parent.mkdir(parents=True, exist_ok=True)
    return await open_sqlite_store(path, config.store)
