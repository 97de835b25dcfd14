"""What an inspector's /ticket sends of a ticket's evidence: every file, whatever Telegram
refuses to show as a photo, and a note for a file that could not be sent at all."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from bot import app
from bot.emulator import BotApiEmulator
from bot.emulator.state import JsonDict
from handlers import staff_requests
from tests.integration.inspecting import Staffroom, bot_running_with_clock, staffroom
from tests.integration.reporting import Reporter, photo, receipt_of


@pytest.fixture
async def room(emu: BotApiEmulator, tmp_path: Path) -> AsyncIterator[Staffroom]:
    room = staffroom(emu)
    async with bot_running_with_clock(room, room.config(tmp_path)):
        yield room


def long_screenshot(width: int = 1080, height: int = 24000) -> bytes:
    """A chat log captured as one long image: lines of "text" on white."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for top in range(40, height - 40, 120):
        draw.rectangle((40, top, 40 + (top * 7) % (width - 80), top + 36), fill=(60, 60, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def ticket_with_long_screenshot(room: Staffroom) -> str:
    """A report whose evidence is a photo, a long screenshot sent as a file, and a photo."""
    reporter = Reporter(room.bot, room.emu.user(first_name="家长"))
    await reporter.begin_report("teacher_paid_tutoring", "haidian")
    for answer in ("星光学堂", "学院路12号", "周六上午", "周末上数学课"):
        await reporter.say(answer)
    emu, user = room.emu, reporter.user
    await reporter.send_and_wait(emu.send_photo(user, photo((200, 30, 30))))
    await reporter.send_and_wait(emu.send_document(user, long_screenshot(), "聊天记录.png"))
    await reporter.send_and_wait(emu.send_photo(user, photo((30, 30, 200))))
    await reporter.press(":evdone")
    await reporter.press(":nocontact")
    number, _ = receipt_of(await reporter.press(":ok"))
    return number


async def ticket_sent_to_alice(room: Staffroom, number: str, expect: int) -> list[JsonDict]:
    await room.card(room.haidian, number)
    return await room.command(room.alice, f"/ticket {number}", expect=expect)


async def test_a_long_screenshot_goes_as_a_document_between_the_photos(room: Staffroom) -> None:
    number = await ticket_with_long_screenshot(room)

    details, first, screenshot, last = await ticket_sent_to_alice(room, number, expect=4)

    assert number in details["text"]
    assert "photo" in first and "photo" in last
    assert screenshot["document"]["file_name"] == "聊天记录.png"
    assert number in screenshot["caption"]
    stored = room.emu.state.files.get(screenshot["document"]["file_id"])
    assert stored is not None
    with Image.open(io.BytesIO(stored.data)) as image:
        assert image.size == (1080, 24000)  # as sent: the text in it stays readable
    await room.settle()
    assert not any("/start" in m.get("text", "") for m in room.emu.messages(room.alice.id))


async def test_a_refused_photo_falls_back_and_a_failed_file_is_named(
    room: Staffroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = await ticket_with_long_screenshot(room)
    # Telegram's limits are stricter than the bot believes: the screenshot is tried as a photo,
    # refused, and tried as a document, which fails however often it is retried.
    monkeypatch.setattr(staff_requests, "MAX_PHOTO_SIDES", 100_000)
    monkeypatch.setattr(staff_requests, "MAX_PHOTO_RATIO", 100)
    monkeypatch.setattr(app, "NETWORK_BACKOFF_SECONDS", 0.01)
    attempts = app.NETWORK_RETRIES + 1
    room.emu.faults.fail_next("sendDocument", "502", times=attempts)

    _, first, note, last = await ticket_sent_to_alice(room, number, expect=4)

    assert "photo" in first and "photo" in last
    assert note["text"].startswith(f"⚠️ {number} 的文件 聊天记录.png 未能发送")
    assert room.emu.faults.injected == [("sendDocument", "502")] * attempts
    assert not any("/start" in m.get("text", "") for m in room.emu.messages(room.alice.id))

    # Asked again, the screenshot arrives (as a document, once the photo was refused).
    again = await room.command(room.alice, f"/ticket {number}", expect=4)
    assert again[2]["document"]["file_name"] == "聊天记录.png"


async def test_only_an_inspector_who_closed_the_chat_is_asked_to_start_it(
    room: Staffroom,
) -> None:
    number = (await room.file_ticket()).ticket_number
    await room.card(room.haidian, number)
    room.emu.state.chat(room.alice.id).bot_blocked = True

    [told] = await room.command(room.alice, f"/ticket {number}", chat=room.haidian)

    assert told["text"] == "请先私聊本机器人并发送 /start,然后再试。"
