"""The services as the running bot holds them: one frozen container, opened at start with the
clock the test gave, and background loops that all end when the bot stops."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from tests.integration.conftest import bot_running, make_config

LOOPS = {"outbox", "tidy-up", "deadline-watch", "organisation", "registry-refresh", "replay"}


def running_tasks() -> set[str]:
    return {task.get_name() for task in asyncio.all_tasks() if not task.done()}


async def test_one_container_one_clock_and_loops_that_end_with_the_bot(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    then = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    async with bot_running(emu, make_config(tmp_path, emu), clock=lambda: then) as bot:
        services = bot.services
        with pytest.raises(dataclasses.FrozenInstanceError):
            services.store = services.store  # type: ignore[misc]
        # The clock the bot was given is the one every part reads.
        assert services.clock() == then
        assert services.inspection.clock() == then
        assert running_tasks() >= LOOPS

    assert not LOOPS & running_tasks()
    with pytest.raises(RuntimeError, match="not open"):
        assert bot.services
    with pytest.raises(RuntimeError, match="not running"):
        assert bot.background
