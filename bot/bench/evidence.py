"""``bench evidence``: reporters sending large images at once while a parent asks a question.

As in ``bench e2e``, the emulator and the simulated people run in this process and the bot in a
child process of its own, so its peak RSS is its own. ``reporters`` reporters are walked to the
evidence step of /report, then all send the same ``megapixels`` PNG at once, as a file (as scans
and long screenshots are sent). Meanwhile a parent asks a question, waits for the answer and
asks again, until every reporter has been told their file was received.

Two runs side by side: the bot as configured (``tickets.evidence.processing_memory_mb``), and
the same bot with that budget lifted, so that every file is decoded at once, as it was before
the budget. Figures for each: the bot's peak RSS before and during the burst, the parent's reply
latency (p50 and slowest) and the seconds until the last reporter was answered.

Targets: with the budget, the bot's peak RSS grows by at most 1.5 times ``processing_memory_mb``
during the burst (the estimate leaves out encoders' buffers); the parent's slowest reply stays
under a second.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bot.bench.e2e import TOKEN, BotProcess, bench_config, write_settings
from bot.bench.report import percentiles, print_table
from bot.config import Config
from bot.emulator import BotApiEmulator, FakeUser, inline_buttons
from bot.emulator.state import JsonDict
from bot.store.throttle import RateLimit

QUESTION = "周末能上英语补习班吗"
ANSWERS = ("星光学堂", "学院路12号", "每周六上午", "以托管名义上数学课")
UNBOUNDED_MB = 1_000_000
ASK_EVERY_SECONDS = 0.25
STEP_TIMEOUT_SECONDS = 30.0
# Eight reporters' 40-megapixel images, decoded one after the other on a shared machine.
BURST_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class Burst:
    reporters: int
    image: bytes
    megapixels: float


def bench_evidence(config: Config, *, reporters: int = 8, megapixels: float = 39.7) -> None:
    figures = asyncio.run(
        run_evidence_benchmark(config, reporters=reporters, megapixels=megapixels)
    )
    title = (
        f"bench evidence: {reporters} reporters each send a {megapixels:g}-megapixel PNG at once"
        " (RSS: the bot process's own)"
    )
    print_table(title, figures)


async def run_evidence_benchmark(
    config: Config, *, reporters: int = 8, megapixels: float = 39.7
) -> dict[str, float]:
    """The bot as configured, then with its evidence memory budget lifted; figures by name."""
    burst = Burst(reporters, await asyncio.to_thread(large_png, megapixels), megapixels)
    budget = config.tickets.evidence.processing_memory_mb
    figures: dict[str, float] = {
        "reporters": reporters,
        "megapixels": megapixels,
        "file MB": len(burst.image) / 1e6,
    }
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as folder:
        for name, memory_mb in (("budget", budget), ("unbounded", UNBOUNDED_MB)):
            measured = await measure(with_budget(config, memory_mb), burst, Path(folder) / name)
            figures |= {f"{name} {key}": value for key, value in measured.items()}
    figures["budget MB"] = budget
    figures["peak RSS unbounded/budget"] = figures["unbounded peak RSS MB"] / max(
        1.0, figures["budget peak RSS MB"]
    )
    return figures


def with_budget(config: Config, memory_mb: int) -> Config:
    evidence = replace(config.tickets.evidence, processing_memory_mb=memory_mb)
    tickets = replace(config.tickets, evidence=evidence)
    # Each reporter sends seven messages in a row to reach the evidence step.
    telegram = replace(config.telegram, flood_limit=RateLimit(500, 10))
    return replace(config, tickets=tickets, telegram=telegram)


def large_png(megapixels: float) -> bytes:
    """A scan-like page: dark lines of "text" on a light background, a few MB as PNG."""
    from PIL import Image, ImageDraw

    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(megapixels * 1e6 / width)
    image = Image.new("RGB", (width, height), (246, 244, 238))
    draw = ImageDraw.Draw(image)
    for top in range(60, height - 60, 48):
        draw.rectangle((80, top, 80 + (top * 37) % (width - 160), top + 20), fill=(40, 40, 48))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


async def measure(config: Config, burst: Burst, folder: Path) -> dict[str, float]:
    async with BotApiEmulator(token=TOKEN) as emu:
        settings = write_settings(bench_config(config, emu, folder), folder)
        bot = BotProcess("bot", settings, folder / "bot.log")
        await bot.start()
        try:
            people = [emu.user() for _ in range(burst.reporters)]
            for person in people:
                await walk_to_evidence(emu, person)
            parent = emu.user()
            started = time.perf_counter()
            received = asyncio.gather(*(send_file(emu, p, burst.image) for p in people))
            latencies = await ask_until_done(emu, parent, received)
            answered = await received
            elapsed = time.perf_counter() - started
        finally:
            figures = await bot.stop()
    latency = percentiles(latencies, (50, 100))
    return {
        "files received": sum(answered),
        "seconds to the last file": elapsed,
        "parent questions": len(latencies),
        "parent p50 ms": latency[50],
        "parent slowest ms": latency[100],
        "peak RSS before burst MB": figures["ready_rss_mb"],
        "peak RSS MB": figures["peak_rss_mb"],
        "handler errors": figures["handler_errors"],
    }


async def walk_to_evidence(emu: BotApiEmulator, person: FakeUser) -> None:
    """/report, a type, a district and the four text answers: the bot now asks for files."""
    message = await say(emu, person, "/report")
    message = await press(emu, person, message, ":cat:unlicensed")
    await press(emu, person, message, ":dist:haidian")
    for answer in ANSWERS:
        await say(emu, person, answer)


async def say(emu: BotApiEmulator, person: FakeUser, text: str) -> JsonDict:
    before = len(emu.state.chat(person.id).bot_messages)
    await emu.send_text(person, text)
    sent = await emu.wait_for_messages(person.id, before + 1, STEP_TIMEOUT_SECONDS)
    return sent[-1]


async def press(emu: BotApiEmulator, person: FakeUser, message: JsonDict, suffix: str) -> JsonDict:
    [data] = [
        str(b["callback_data"])
        for b in inline_buttons(message)
        if str(b.get("callback_data", "")).endswith(suffix)
    ]
    before = len(emu.state.chat(person.id).bot_messages)
    await emu.press_button(person, message, data)
    sent = await emu.wait_for_messages(person.id, before + 1, STEP_TIMEOUT_SECONDS)
    return sent[-1]


async def send_file(emu: BotApiEmulator, person: FakeUser, image: bytes) -> bool:
    """Send the image as a file; whether the bot said it was received."""
    before = len(emu.state.chat(person.id).bot_messages)
    await emu.send_document(person, image, "scan.png", "image/png")
    sent = await emu.wait_for_messages(person.id, before + 1, BURST_TIMEOUT_SECONDS)
    return "✅" in sent[-1].get("text", "")


async def ask_until_done(
    emu: BotApiEmulator, parent: FakeUser, received: asyncio.Future[list[bool]]
) -> list[float]:
    """The parent's reply latencies in ms, one question at a time until ``received`` is done."""
    latencies: list[float] = []
    while not received.done():
        asked = time.perf_counter()
        await say(emu, parent, QUESTION)
        latencies.append(1000 * (time.perf_counter() - asked))
        await asyncio.wait([received], timeout=ASK_EVERY_SECONDS)
    return latencies
