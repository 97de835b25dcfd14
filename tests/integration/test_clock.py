"""One clock: the services' clock (a test sets its own) is the "now" of every handler, the
flood gate and the report form alike, so moving it moves them all, with no real waiting."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.emulator import BotApiEmulator
from bot.i18n import text
from bot.store.throttle import RateLimit
from tests.integration.reporting import Reporter, bot_running, reporting_config

FLOOD_WINDOW_SECONDS = 60


@dataclass
class StoppedClock:
    """A clock that moves only when the test moves it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def start_of_a_window() -> StoppedClock:
    """Now, moved back to a second after the start of a flood window: what the test sends
    before moving the clock all falls in one window."""
    now = datetime.now(UTC).replace(microsecond=0)
    into_window = int(now.timestamp()) % FLOOD_WINDOW_SECONDS
    return StoppedClock(now - timedelta(seconds=into_window - 1))


async def test_a_draft_left_idle_past_its_timeout_welcomes_the_reporter_back(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = reporting_config(tmp_path, emu)
    clock = start_of_a_window()
    idle = timedelta(minutes=config.report_form.idle_minutes)
    async with bot_running(emu, config, clock=clock) as bot:
        reporter = Reporter(bot, bot.parent())
        await reporter.say("/report")

        clock.advance(seconds=idle.total_seconds() - 1)
        still_there = await reporter.say("周末补课")
        assert still_there["text"].startswith(text("zh", "report.use_buttons"))

        clock.advance(seconds=2)  # now idle for longer than the timeout
        back = await reporter.say("周末补课")
        assert back["text"].startswith(text("zh", "report.welcome_back", number=1))


async def test_a_flood_window_ends_when_the_clock_moves_past_it(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = reporting_config(tmp_path, emu)
    limit = RateLimit(3, FLOOD_WINDOW_SECONDS)
    config = replace(config, telegram=replace(config.telegram, flood_limit=limit))
    clock = start_of_a_window()
    slow_down = text("zh", "reporter.slow_down")
    async with bot_running(emu, config, clock=clock) as bot:
        user = bot.parent()
        for n in range(limit.count + 2):
            await emu.send_text(user, f"周末补课{n}")
        await emu.wait_for_messages(user.id, limit.count + 1)
        await bot.settle(0.2)
        texts = [m["text"] for m in emu.messages(user.id)]
        assert len(texts) == limit.count + 1 and texts[-1] == slow_down

        await emu.send_text(user, "周六日还能送孩子去上数学补习班吗")
        await bot.settle(0.2)
        assert len(emu.messages(user.id)) == len(texts)  # the same window: refused quietly

        clock.advance(seconds=FLOOD_WINDOW_SECONDS)
        [answer] = await bot.say(user, "周六日还能送孩子去上数学补习班吗")
        assert "来源" in answer["text"]
