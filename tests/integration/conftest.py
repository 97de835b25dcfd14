"""The real Application, built by build_application, polling the emulator over HTTP.

Any exception inside a handler fails the test: the error handler records it and the fixture
re-raises it at teardown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.background import Background
from bot.bot_data import BotData
from bot.config import Config, PrivacyConfig, RateLimitConfig, load_config
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.state import JsonDict
from bot.faq import FaqService
from bot.polling import running
from bot.services import Services
from tests.buttons import buttons_sent, unrouted

if TYPE_CHECKING:
    from tests.integration.inspecting import Staffroom

TOKEN = "123456:TEST-TOKEN"


@dataclass
class Harness:
    emu: BotApiEmulator
    app: Application  # type: ignore[type-arg]
    config: Config
    errors: list[BaseException]

    def parent(self, language_code: str | None = "zh-hans", **names: str) -> FakeUser:
        return self.emu.user(language_code=language_code, **names)

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def background(self) -> Background:
        return self.bot_data.background

    @property
    def bot_data(self) -> BotData:
        return self.app.bot_data  # type: ignore[no-any-return]

    def sent_count(self, user: FakeUser) -> int:
        return len(self.emu.state.chat(user.id).bot_messages)

    def latest(self, user: FakeUser) -> JsonDict:
        return self.emu.messages(user.id)[-1]

    async def say(self, user: FakeUser, text: str, expect: int = 1) -> list[JsonDict]:
        """Send ``text`` and return the bot's next ``expect`` messages to that chat."""
        before = self.sent_count(user)
        await self.emu.send_text(user, text)
        sent = await self.emu.wait_for_messages(user.id, before + expect)
        return sent[before:]

    async def press(
        self, user: FakeUser, message: JsonDict, data: str, expect: int = 1
    ) -> list[JsonDict]:
        before = self.sent_count(user)
        await self.emu.press_button(user, message, data)
        if expect == 0:
            await self.emu.wait_until_delivered()
            return []
        sent = await self.emu.wait_for_messages(user.id, before + expect)
        return sent[before:]

    async def settle(self, seconds: float = 0.3) -> None:
        """Let the bot finish what it fetched, for assertions that nothing (more) happens."""
        await self.emu.wait_until_delivered()
        await asyncio.sleep(seconds)


def make_config(tmp_path: Path, emu: BotApiEmulator) -> Config:
    config = load_config(None, environ={})
    telegram = replace(
        config.telegram,
        token=TOKEN,
        base_url=emu.base_url,
        base_file_url=emu.base_file_url,
        rate_limits=RateLimitConfig(overall_per_second=0, group_per_minute=0, max_retries=5),
    )
    return replace(
        config,
        telegram=telegram,
        storage=replace(config.storage, url=f"sqlite:///{tmp_path / 'hotline.sqlite3'}"),
        privacy=PrivacyConfig(keys_file=str(tmp_path / "keys.json")),
    )


_FAQ_BUILT: dict[object, FaqService] = {}


@pytest.fixture(autouse=True)
def faq_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the FAQ index takes a third of a second and it is read-only afterwards: the
    tests share one per configuration instead of building it for every Application."""
    build = FaqService.from_config.__func__  # type: ignore[attr-defined]

    def shared(
        cls: type[FaqService], config: Config, paths: list[Path] | None = None
    ) -> FaqService:
        key = (
            config.knowledge_paths,
            config.matching,
            tuple(sorted(config.local.items())),
            tuple(paths or ()),
        )
        if key not in _FAQ_BUILT:
            _FAQ_BUILT[key] = build(cls, config, paths)
        return _FAQ_BUILT[key]

    monkeypatch.setattr(FaqService, "from_config", classmethod(shared))


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="shuangjian_bot") as emulator:
        yield emulator


def record_handler_errors(app: Application, errors: list[BaseException]) -> None:  # type: ignore[type-arg]
    """Every exception a handler raises lands in ``errors``; the test raises the first."""

    async def record(update: object, context: object) -> None:
        errors.append(getattr(context, "error", None) or RuntimeError("unknown handler error"))

    app.add_error_handler(record)


@asynccontextmanager
async def bot_running(
    emu: BotApiEmulator, config: Config, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[Harness]:
    """The real Application on ``config`` (its services reading ``clock`` if given); any
    handler exception fails the test."""
    app = build_application(config)
    if clock is not None:
        app.bot_data.clock = clock
    errors: list[BaseException] = []
    record_handler_errors(app, errors)
    async with running(app):
        yield Harness(emu, app, config, errors)
    if errors:
        raise errors[0]
    # Every button the bot sent reaches exactly one handler (see handlers/callbacks.py).
    assert unrouted(app, buttons_sent(emu.requests)) == {}


@pytest.fixture
async def room(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Staffroom]:
    """A bureau in the emulator (see :mod:`tests.integration.inspecting`), the bot running."""
    from tests.integration.inspecting import bot_running_with_clock, staffroom

    room = staffroom(emu)
    async with bot_running_with_clock(room, room.config(tmp_path)):
        yield room


@pytest.fixture
async def harness(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Harness]:
    async with bot_running(emu, make_config(tmp_path, emu)) as running_bot:
        yield running_bot
