"""Driving the tip-off conversation as a citizen would, and reading what the bot stored."""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image

from bot.config import Config
from bot.emulator import BotApiEmulator, FakeUser, inline_buttons
from bot.emulator.state import JsonDict
from bot.store.throttle import RateLimit
from tests.integration.conftest import Harness, make_config
from tests.integration.conftest import bot_running as bot_running  # tests import it from here

CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")
NUMBER = re.compile(r"SJ-\d{4}-\d{6}")

INSTITUTION = "星光学堂"
ADDRESS = "海淀区学院路12号3层"
WHEN = "每周六上午9点到11点"
WHAT = "以托管名义在周末开设初二数学、英语培训班,约30名学生,每期收费3000元。"


def photo(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (120, 90)) -> bytes:
    """A small JPEG, different for each colour (the store keeps one copy of identical files)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def reporting_config(tmp_path: Path, emu: BotApiEmulator, **store: Any) -> Config:
    """The test config, with a flood gate wide enough for several reports in a row."""
    config = make_config(tmp_path, emu)
    telegram = replace(config.telegram, flood_limit=RateLimit(500, 10))
    return replace(config, telegram=telegram, storage=replace(config.storage, **store))


async def until_handled(harness: Harness, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait until the bot has finished every update it fetched (replies are sent before the
    last bookkeeping of an update is done)."""
    await harness.emu.wait_until_delivered(timeout)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while harness.services.inbox.updates_in_hand or harness.app.update_queue.qsize():
        assert loop.time() < deadline, "the bot did not finish its updates"
        await asyncio.sleep(0.01)


def data_ending(message: JsonDict, suffix: str) -> str:
    """The callback data of the button whose data ends with ``suffix`` (draft ids vary)."""
    for button in inline_buttons(message):
        data = str(button.get("callback_data", ""))
        if data.endswith(suffix):
            return data
    offered = [b.get("callback_data") for b in inline_buttons(message)]
    raise AssertionError(f"no button ending {suffix!r}; offered {offered}")


@dataclass
class Reporter:
    """One citizen in a private chat with the bot."""

    harness: Harness
    user: FakeUser

    @property
    def last(self) -> JsonDict:
        return self.harness.latest(self.user)

    async def say(self, text: str, expect: int = 1) -> JsonDict:
        return (await self.harness.say(self.user, text, expect))[-1]

    async def press(self, suffix: str, message: JsonDict | None = None) -> JsonDict:
        """Press the button ending ``suffix`` on ``message`` (default: the latest)."""
        message = message or self.last
        sent = await self.harness.press(self.user, message, data_ending(message, suffix))
        return sent[-1]

    async def send_and_wait(self, sending: Any) -> JsonDict:
        """Send a photo, sticker, file ... (an awaitable from the emulator); the next reply."""
        before = self.harness.sent_count(self.user)
        await sending
        sent = await self.harness.emu.wait_for_messages(self.user.id, before + 1)
        return sent[-1]

    async def begin_report(self, category: str, district: str) -> JsonDict:
        """/report, then the type and district buttons; the question that follows."""
        await self.say("/report")
        await self.press(f":cat:{category}")
        return await self.press(f":dist:{district}")

    async def answer_until_review(
        self,
        *,
        evidence: tuple[bytes, ...] = (),
        contact: str | None = None,
        category: str = "disguised_tutoring",
        district: str = "haidian",
    ) -> JsonDict:
        await self.begin_report(category, district)
        await self.say(INSTITUTION)
        await self.say(ADDRESS)
        await self.say(WHEN)
        await self.say(WHAT)
        for photo in evidence:
            await self.send_and_wait(self.harness.emu.send_photo(self.user, photo))
        await self.press(":evdone")
        if contact is None:
            return await self.press(":nocontact")
        return await self.say(contact)

    async def file_report(self, **answers: Any) -> JsonDict:
        """The whole conversation; returns the receipt message."""
        await self.answer_until_review(**answers)
        return await self.press(":ok")


def receipt_of(message: JsonDict) -> tuple[str, str]:
    """(ticket number, receipt code) shown in a receipt message."""
    number, code = NUMBER.search(message["text"]), CODE.search(message["text"])
    assert number and code, message["text"]
    return number.group(), code.group()


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def db_path(config: Config) -> Path:
    return config.resolve(str(config.storage.sqlite_path))


def messages_with(harness: Harness, user: FakeUser, fragment: str) -> list[JsonDict]:
    return [m for m in harness.emu.messages(user.id) if fragment in m.get("text", "")]
