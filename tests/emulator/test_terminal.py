"""The terminal chat: how bot messages read, and a scripted conversation."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path
from typing import IO, cast

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.emulator import BotApiEmulator, format_bot_message, run_terminal_chat
from tests.emulator.conftest import png, polling_application
from tests.emulator.test_application import answer_faq, echo, measure_photo, start


def test_printer_shows_text_and_numbered_buttons() -> None:
    message = {
        "message_id": 1,
        "text": "请选择问题\n第二行",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "周末能上课吗？", "callback_data": "faq:1"}],
                [{"text": "政策原文", "url": "https://www.moe.gov.cn/"}],
            ]
        },
    }
    assert format_bot_message(message) == [
        "🤖 请选择问题",
        "   第二行",
        "   [1] 周末能上课吗？",
        "   [2] 政策原文 → https://www.moe.gov.cn/",
    ]


def test_printer_labels_media_and_edits() -> None:
    photo = {"message_id": 2, "photo": [{"file_id": "x"}], "caption": "证据"}
    document = {"message_id": 3, "document": {"file_name": "通知.pdf"}}
    assert format_bot_message(photo) == ["🤖 [图片] 证据"]
    assert format_bot_message(document) == ["🤖 [文件: 通知.pdf]"]
    assert format_bot_message({"message_id": 4, "text": "改"}, edited=True) == ["🤖 ✏️ 改"]


async def test_a_scripted_terminal_conversation(emu: BotApiEmulator, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence.png"
    evidence.write_bytes(png(40, 40))
    script = io.StringIO(f"/start\n1\n\\1\n/photo {evidence}\n/quit\nnever sent\n")
    output = io.StringIO()
    user = emu.user()
    handlers = [
        CommandHandler("start", start),
        CallbackQueryHandler(answer_faq, pattern="^faq:"),
        MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
        MessageHandler(filters.PHOTO, measure_photo),
    ]
    async with polling_application(emu, handlers) as errors:
        await run_terminal_chat(
            emu, user=user, input_stream=script, output=output, settle_seconds=0.2
        )
    assert errors == []
    lines = output.getvalue().splitlines()
    assert lines[1:] == [
        "🤖 请选择",
        "   [1] 周末能上课吗？",
        "🤖 💬 已收到",
        "🤖 ✏️ 问题：faq:weekend",
        "🤖 你说：1",
        f"🤖 收到 {len(png(40, 40))} 字节",
    ]
    sent = [params.get("text") for method, params in emu.requests if method == "sendMessage"]
    assert "never sent" not in str(sent)


class _SilentInput:
    """Input that never arrives until released, like a person who walked away."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def readline(self) -> str:
        self.release.wait(5)
        return ""

    def isatty(self) -> bool:
        return False


async def test_clearing_keep_running_ends_the_chat(emu: BotApiEmulator) -> None:
    keep_running = asyncio.Event()
    keep_running.set()
    silent = _SilentInput()
    chat = asyncio.create_task(
        run_terminal_chat(
            emu,
            user=emu.user(),
            input_stream=cast(IO[str], silent),
            output=io.StringIO(),
            keep_running=keep_running,
            settle_seconds=0,
        )
    )
    await asyncio.sleep(0.05)
    assert not chat.done()
    keep_running.clear()
    await asyncio.wait_for(chat, 1)
    silent.release.set()


async def test_end_of_input_clears_keep_running(emu: BotApiEmulator) -> None:
    keep_running = asyncio.Event()
    keep_running.set()
    await run_terminal_chat(
        emu,
        user=emu.user(),
        input_stream=io.StringIO(""),
        output=io.StringIO(),
        keep_running=keep_running,
        settle_seconds=0,
    )
    assert not keep_running.is_set()


async def test_answers_sent_before_the_chat_opened_are_shown(emu: BotApiEmulator) -> None:
    user = emu.user()
    async with polling_application(emu, [CommandHandler("start", start)]) as errors:
        await emu.send_text(user, "/start")
        await emu.wait_for_messages(user.id, 1)
        output = io.StringIO()
        await run_terminal_chat(
            emu, user=user, input_stream=io.StringIO(""), output=output, settle_seconds=0
        )
    assert errors == []
    assert output.getvalue().splitlines()[1:] == ["🤖 请选择", "   [1] 周末能上课吗？"]
