"""``bench crashes``: the bot killed at random moments under real work, then started again.

The bot runs as production runs it (``python -m bot --config FILE run``, polling, SQLite) in
a child process against the emulator in this one. Two kinds of trial:

- a *burst*: 40 parents ask at once; the process is SIGKILLed when a random number of replies
  (0 to 39) has gone out, and started again. Counted: questions never answered, and questions
  answered twice (an update handled but not marked done is handled again after a restart: at
  most the updates in hand at the kill);
- a *walk*: several citizens fill in the report form step by step at once, pressing buttons
  and typing answers as a person would; the process is killed after a random number of the
  bot's messages. Counted per walk: the ticket filed once, lost, or filed twice; a ticket
  whose answers are not the ones typed (a replayed answer applied to another step: a
  corrupted draft); the receipt code shown more than once.

Every restart is the next trial's bot, so each trial costs one start. The figures are what a
person would see; nothing is read from inside the bot but the database at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.bench.e2e import parent_questions
from bot.config import PROJECT_ROOT, Config
from bot.emulator import BotActivity, BotApiEmulator, FakeUser, inline_buttons
from bot.emulator.state import JsonDict

TOKEN = "1000003:CRASH-BENCH"
BURST_SIZE = 40
# A restart (interpreter, knowledge base, migrations) and catching up, with room to spare.
RECOVERY_TIMEOUT_SECONDS = 60.0
# After the last expected message, how long a late repeat may still turn up and be counted.
GRACE_SECONDS = 0.5
STEP = re.compile(r"第 (\d)/8 步")
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


@dataclass
class CrashFigures:
    bursts: int = 0
    questions: int = 0
    unanswered: int = 0
    answered_twice: int = 0
    walks: int = 0
    tickets_filed_once: int = 0
    tickets_lost: int = 0
    tickets_doubled: int = 0
    drafts_corrupted: int = 0
    receipts_shown_twice: int = 0
    kills: int = 0
    restart_seconds: list[float] = field(default_factory=list)

    def table(self) -> dict[str, object]:
        restarts = sorted(self.restart_seconds) or [0.0]
        return {
            "kills (SIGKILL, then a restart)": self.kills,
            "bursts": self.bursts,
            "questions asked": self.questions,
            "questions never answered": self.unanswered,
            "questions answered twice": self.answered_twice,
            "report walks": self.walks,
            "tickets filed once": self.tickets_filed_once,
            "tickets lost": self.tickets_lost,
            "tickets filed twice": self.tickets_doubled,
            "tickets whose answers are not the ones typed": self.drafts_corrupted,
            "receipt codes shown twice": self.receipts_shown_twice,
            "restart to polling, median s": restarts[len(restarts) // 2],
        }


def bench_crashes(config: Config, *, bursts: int, walks: int, walkers: int, seed: int) -> int:
    """Run the trials and print the figures; 1 if anything was lost, doubled or corrupted."""
    import tempfile

    from bot.bench.report import print_table

    with tempfile.TemporaryDirectory(prefix="bench-crashes-") as folder:
        figures = asyncio.run(run_crash_trials(config, Path(folder), bursts, walks, walkers, seed))
    print_table("bench crashes", figures.table())
    broken = figures.unanswered + figures.tickets_lost + figures.tickets_doubled
    return 1 if broken + figures.drafts_corrupted else 0


async def run_crash_trials(
    config: Config, folder: Path, bursts: int, walks: int, walkers: int, seed: int
) -> CrashFigures:
    rng = random.Random(seed)
    figures = CrashFigures()
    async with BotApiEmulator(token=TOKEN) as emu:
        bot = ChildBot(emu, write_config(config, emu, folder))
        await bot.start(figures)
        try:
            questions = parent_questions(config, seed)
            for _ in range(bursts):
                await burst_trial(emu, bot, rng, questions, figures)
            for first in range(0, walks, walkers):
                count = min(walkers, walks - first)
                await walk_trial(emu, bot, rng, first, count, figures)
        finally:
            await bot.stop()
        count_tickets(folder / "hotline.sqlite3", walks, figures)
    return figures


# --- the bot in a child process --------------------------------------------------------------


class ChildBot:
    def __init__(self, emu: BotApiEmulator, config_file: Path) -> None:
        self._emu = emu
        self._config_file = config_file
        self._process: asyncio.subprocess.Process | None = None
        self._log = config_file.with_suffix(".log")

    async def start(self, figures: CrashFigures) -> None:
        """Start ``python -m bot run`` and wait for its first poll."""
        polls = len(self._emu.calls("getUpdates"))
        started = time.perf_counter()
        with self._log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--config",
                str(self._config_file),
                "run",
                cwd=PROJECT_ROOT,
                env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        await until(lambda: len(self._emu.calls("getUpdates")) > polls, self._died)
        figures.restart_seconds.append(time.perf_counter() - started)

    def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()

    async def restart(self, figures: CrashFigures) -> None:
        """After a kill: reap the dead process, start the next."""
        assert self._process is not None
        await self._process.wait()
        figures.kills += 1
        await self.start(figures)

    async def stop(self) -> None:
        if self._process is None:
            return
        if self._process.returncode is None:
            self._process.terminate()
        await self._process.wait()

    def _died(self) -> str | None:
        if self._process is not None and self._process.returncode is not None:
            tail = self._log.read_text(encoding="utf-8", errors="replace")[-2000:]
            return f"the bot exited with {self._process.returncode}:\n{tail}"
        return None


def write_config(config: Config, emu: BotApiEmulator, folder: Path) -> Path:
    path = folder / "bot.yaml"
    knowledge = [str(p) for p in config.knowledge_paths]
    path.write_text(
        f"""
telegram:
  base_url: "{emu.base_url}"
  base_file_url: "{emu.base_file_url}"
  rate_limits: {{overall_per_second: 0, group_per_minute: 0, max_retries: 5}}
  flood_limit: {{count: 1000, window_seconds: 10}}
knowledge:
  paths: {json.dumps(knowledge)}
storage:
  url: "sqlite:///{folder / "hotline.sqlite3"}"
privacy:
  keys_file: "{folder / "keys.json"}"
local: {json.dumps(dict(config.local), ensure_ascii=False)}
""",
        encoding="utf-8",
    )
    return path


# --- bursts ----------------------------------------------------------------------------------


async def burst_trial(
    emu: BotApiEmulator,
    bot: ChildBot,
    rng: random.Random,
    questions: tuple[str, ...],
    figures: CrashFigures,
) -> None:
    parents = [emu.user(language_code="zh-hans") for _ in range(BURST_SIZE)]
    replies_before_kill = rng.randrange(BURST_SIZE)
    killed = kill_after(emu, bot, replies_before_kill, {p.id for p in parents})
    for parent in parents:
        await emu.send_text(parent, rng.choice(questions))
    await killed.wait()
    await bot.restart(figures)
    await until(lambda: all(emu.messages(p.id) for p in parents), timeout=RECOVERY_TIMEOUT_SECONDS)
    await settled(emu)
    figures.bursts += 1
    figures.questions += len(parents)
    figures.unanswered += sum(1 for p in parents if not emu.messages(p.id))
    figures.answered_twice += sum(1 for p in parents if len(emu.messages(p.id)) > 1)


def kill_after(emu: BotApiEmulator, bot: ChildBot, messages: int, chats: set[int]) -> asyncio.Event:
    """Kill the bot once it has sent ``messages`` messages to ``chats`` (0: at once)."""
    killed = asyncio.Event()
    seen = 0

    def count(activity: BotActivity) -> None:
        nonlocal seen
        if killed.is_set() or activity.kind != "sent" or activity.chat_id not in chats:
            return
        seen += 1
        if seen >= messages:
            bot.kill()
            killed.set()
            unsubscribe()

    unsubscribe = emu.add_listener(count)
    if messages == 0:
        bot.kill()
        killed.set()
        unsubscribe()
    return killed


# --- report walks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """What walk ``n`` types: unique, so its ticket is known by them."""

    n: int

    @property
    def institution(self) -> str:
        return f"第{self.n}号学堂"

    @property
    def address(self) -> str:
        return f"学院路{self.n}号3层"

    @property
    def when(self) -> str:
        return f"每周六上午,第{self.n}期"

    @property
    def what(self) -> str:
        return f"以托管名义开设数学培训班,约{self.n + 10}名学生。"


# Messages the bot sends in one walk: the form's eight steps, the review and the receipt.
MESSAGES_PER_WALK = 10


async def walk_trial(
    emu: BotApiEmulator,
    bot: ChildBot,
    rng: random.Random,
    first: int,
    count: int,
    figures: CrashFigures,
) -> None:
    citizens = [emu.user(language_code="zh-hans") for _ in range(count)]
    answers = [Answers(first + i) for i in range(count)]
    killed = kill_after(
        emu, bot, rng.randrange(count * MESSAGES_PER_WALK), {c.id for c in citizens}
    )
    walking = [
        asyncio.create_task(walk(emu, citizen, answer))
        for citizen, answer in zip(citizens, answers, strict=True)
    ]
    await killed.wait()
    await bot.restart(figures)
    await asyncio.gather(*walking)
    await settled(emu)
    figures.walks += count
    for citizen in citizens:
        receipts = [m for m in emu.messages(citizen.id) if RECEIPT.search(m.get("text", ""))]
        figures.receipts_shown_twice += len(receipts) > 1


async def walk(emu: BotApiEmulator, citizen: FakeUser, answers: Answers) -> None:
    """The report form, as a person fills it in: each step answered once its question shows."""
    seen = 0

    async def next_message(wanted: Callable[[JsonDict], bool]) -> JsonDict:
        nonlocal seen
        found: list[JsonDict] = []

        def arrived() -> bool:
            found[:] = [m for m in emu.messages(citizen.id)[seen:] if wanted(m)]
            return bool(found)

        await until(arrived, timeout=RECOVERY_TIMEOUT_SECONDS)
        seen = len(emu.messages(citizen.id))
        return found[-1]

    def step(number: int) -> Callable[[JsonDict], bool]:
        return lambda m: bool((s := STEP.search(m.get("text", ""))) and s.group(1) == str(number))

    def button(suffix: str) -> Callable[[JsonDict], bool]:
        return lambda m: any(
            str(b.get("callback_data", "")).endswith(suffix) for b in inline_buttons(m)
        )

    async def press(message: JsonDict, suffix: str) -> None:
        [data] = [
            str(b["callback_data"])
            for b in inline_buttons(message)
            if str(b.get("callback_data", "")).endswith(suffix)
        ]
        await emu.press_button(citizen, message, data)

    await emu.send_text(citizen, "/report")
    await press(await next_message(button(":cat:holiday_classes")), ":cat:holiday_classes")
    await press(await next_message(step(2)), ":dist:haidian")
    for number, text in (
        (3, answers.institution),
        (4, answers.address),
        (5, answers.when),
        (6, answers.what),
    ):
        await next_message(step(number))
        await emu.send_text(citizen, text)
    await press(await next_message(step(7)), ":evdone")
    await press(await next_message(step(8)), ":nocontact")
    await press(await next_message(button(":ok")), ":ok")
    await next_message(lambda m: bool(RECEIPT.search(m.get("text", ""))))


def count_tickets(database: Path, walks: int, figures: CrashFigures) -> None:
    conn = sqlite3.connect(database)
    try:
        rows = conn.execute("SELECT institution, description, details FROM tickets").fetchall()
    finally:
        conn.close()
    for n in range(walks):
        answers = Answers(n)
        mine = [r for r in rows if r[0] == answers.institution]
        figures.tickets_lost += not mine
        figures.tickets_doubled += len(mine) > 1
        figures.tickets_filed_once += len(mine) == 1
        if len(mine) == 1 and not typed_as(answers, mine[0]):
            figures.drafts_corrupted += 1
    expected = {Answers(n).institution for n in range(walks)}
    figures.drafts_corrupted += sum(1 for r in rows if r[0] not in expected)


def typed_as(answers: Answers, row: tuple[str, str, str]) -> bool:
    _, description, details = row
    further = json.loads(details)
    typed = (further.get("address"), further.get("when"), description)
    return typed == (answers.address, answers.when, answers.what)


# --- waiting ---------------------------------------------------------------------------------


async def until(
    condition: Callable[[], bool],
    failure: Callable[[], str | None] | None = None,
    *,
    timeout: float = RECOVERY_TIMEOUT_SECONDS,  # noqa: ASYNC109 - a deadline for the condition
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        problem = failure() if failure is not None else None
        if problem is not None:
            raise RuntimeError(problem)
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not catch up in time")
        await asyncio.sleep(0.02)


async def settled(emu: BotApiEmulator) -> None:
    """Until the bot has taken every update, and a moment more for late repeats."""
    await emu.wait_until_delivered(RECOVERY_TIMEOUT_SECONDS)
    await asyncio.sleep(GRACE_SECONDS)
