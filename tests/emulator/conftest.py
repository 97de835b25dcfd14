"""Fixtures: a running emulator, a python-telegram-bot client, a polling Application."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, BaseHandler, ContextTypes

from bot.emulator import BotApiEmulator

TOKEN = "123:TEST"


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the opt-in, PTB 22 warns when it builds RetryAfter, and warnings are errors here.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="shuangjian_bot") as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


def build_application(emu: BotApiEmulator) -> Application:  # type: ignore[type-arg]
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )


@asynccontextmanager
async def polling_application(
    emu: BotApiEmulator,
    handlers: Sequence[BaseHandler],  # type: ignore[type-arg]
) -> AsyncIterator[list[object]]:
    """Run a real Application polling the emulator; yields the errors its handlers raised."""
    errors: list[object] = []

    async def record_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app = build_application(emu)
    for handler in handlers:
        app.add_handler(handler)
    app.add_error_handler(record_error)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        try:
            yield errors
        finally:
            await app.updater.stop()
            await app.stop()


def png(width: int, height: int) -> bytes:
    """A small valid PNG of the given size (one grey pixel per row is enough for tests)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
