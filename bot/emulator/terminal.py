"""Chat with the bot from a terminal, through the emulator: no Telegram account needed."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bot.emulator.state import BotActivity, FakeUser, JsonDict
from bot.emulator.users import inline_buttons

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator

BOT_PREFIX = "🤖 "
_INDENT = " " * 3
_KEEP_RUNNING_CHECK_SECONDS = 0.2  # how soon a cleared keep_running event is noticed
_SETTLE_LIMIT_SECONDS = 10.0
HELP = (
    "输入文字发给机器人；数字 N 按第 N 个按钮，\\N 发送数字本身；"
    "/photo 路径、/file 路径 发送文件；/quit 或 Ctrl-D 退出。"
)
_MEDIA_LABELS = {
    "photo": "[图片]",
    "video": "[视频]",
    "voice": "[语音]",
    "audio": "[音频]",
    "animation": "[动图]",
    "location": "[位置]",
    "contact": "[联系人]",
}


def format_bot_message(message: JsonDict, *, edited: bool = False) -> list[str]:
    """The lines a person reads for one bot message: text, media label, numbered buttons."""
    body = str(message.get("text") or message.get("caption") or "")
    label = _media_label(message)
    lines = body.splitlines() or [""]
    if label:
        lines[0] = f"{label} {lines[0]}".rstrip()
    marker = BOT_PREFIX + ("✏️ " if edited else "")
    printed = [marker + lines[0]] + [_INDENT + line for line in lines[1:]]
    for number, button in enumerate(inline_buttons(message), start=1):
        target = button.get("url")
        printed.append(
            f"{_INDENT}[{number}] {button.get('text', '')}" + (f" → {target}" if target else "")
        )
    return printed


def format_callback_answer(answer: JsonDict) -> list[str]:
    text = str(answer.get("text") or "")
    if not text:
        return []
    return [BOT_PREFIX + ("⚠️ " if answer.get("show_alert") else "💬 ") + text]


def format_reply_keyboard(markup: JsonDict | None) -> list[str]:
    if not markup:
        return [f"{_INDENT}⌨ (键盘已收起)"]
    rows = markup.get("keyboard") or []
    labels = [" | ".join(_key_label(key) for key in row) for row in rows]
    return [f"{_INDENT}⌨ {row}" for row in labels]


def _key_label(key: object) -> str:
    return str(key.get("text", "")) if isinstance(key, dict) else str(key)


def _media_label(message: JsonDict) -> str:
    document = message.get("document")
    if isinstance(document, dict):
        return f"[文件: {document.get('file_name', '')}]"
    return next((label for kind, label in _MEDIA_LABELS.items() if kind in message), "")


class _Printer:
    """Prints the bot's activity in one chat as it happens."""

    def __init__(self, emu: BotApiEmulator, chat_id: int, output: IO[str]) -> None:
        self.emu = emu
        self.chat_id = chat_id
        self.output = output
        self.activity_count = 0
        self._shown_keyboard: JsonDict | None = None

    def __call__(self, activity: BotActivity) -> None:
        if activity.chat_id != self.chat_id:
            return
        self.activity_count += 1
        if activity.kind == "sent":
            self.write(format_bot_message(activity.payload))
            self._show_keyboard_change()
        elif activity.kind == "edited":
            self.write(format_bot_message(activity.payload, edited=True))
        elif activity.kind == "deleted":
            self.write([f"{BOT_PREFIX}🗑 (删除了一条消息)"])
        elif activity.kind == "callback_answer":
            self.write(format_callback_answer(activity.payload))

    def _show_keyboard_change(self) -> None:
        keyboard = self.emu.reply_keyboard(self.chat_id)
        if keyboard != self._shown_keyboard:
            self._shown_keyboard = keyboard
            self.write(format_reply_keyboard(keyboard))

    def write(self, lines: list[str]) -> None:
        for line in lines:
            self.output.write(line + "\n")
        self.output.flush()


class _LineReader:
    """Reads lines in a daemon thread, so neither the event loop nor shutdown waits on input."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        thread = threading.Thread(target=self._read, args=(stream, loop), daemon=True)
        thread.start()

    def _read(self, stream: IO[str], loop: asyncio.AbstractEventLoop) -> None:
        while True:
            line = stream.readline()
            try:
                loop.call_soon_threadsafe(self._lines.put_nowait, line)
            except RuntimeError:  # the loop has closed
                return
            if not line:
                return

    async def next_line(self, keep_running: asyncio.Event | None) -> str | None:
        """The next line, or None at end of input or once keep_running is cleared."""
        if keep_running is None:
            return await self._lines.get() or None
        while keep_running.is_set():
            try:
                line = await asyncio.wait_for(self._lines.get(), _KEEP_RUNNING_CHECK_SECONDS)
            except TimeoutError:
                continue
            return line or None
        return None


async def run_terminal_chat(
    emu: BotApiEmulator,
    *,
    user: FakeUser,
    input_stream: IO[str] = sys.stdin,
    output: IO[str] = sys.stdout,
    keep_running: asyncio.Event | None = None,
    settle_seconds: float | None = None,
) -> None:
    """Relay lines from ``input_stream`` as ``user`` and print the bot's answers.

    Bot messages already in the chat are shown first, so nothing sent before the chat
    opened is missed. Ends at end of input or "/quit" (then clears ``keep_running``), or
    when another task clears ``keep_running``. After each line it waits until the bot has
    been quiet for ``settle_seconds`` (default: 0.3 s when the input is not a terminal, so
    piped scripts see each answer before the next line; 0 for a person typing).
    """
    if settle_seconds is None:
        settle_seconds = 0.0 if _is_terminal(input_stream) else 0.3
    printer = _Printer(emu, user.id, output)
    printer.write([HELP])
    for earlier in emu.messages(user.id):  # answers that arrived before the chat opened
        printer.write(format_bot_message(earlier))
    unsubscribe = emu.add_listener(printer)
    reader = _LineReader(input_stream)
    try:
        while (line := await reader.next_line(keep_running)) is not None:
            if not await _handle_line(emu, user, line.rstrip("\r\n"), printer):
                break
            await _settle(emu, printer, settle_seconds)
    finally:
        unsubscribe()
        if keep_running is not None:
            keep_running.clear()


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


async def _settle(emu: BotApiEmulator, printer: _Printer, quiet_seconds: float) -> None:
    """Wait for the bot to fetch what was sent and then stay quiet for ``quiet_seconds``."""
    if quiet_seconds <= 0:
        return
    with contextlib.suppress(AssertionError):
        await emu.wait_until_delivered(timeout=_SETTLE_LIMIT_SECONDS)
    deadline = asyncio.get_running_loop().time() + _SETTLE_LIMIT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        more = await emu.state.bot_activity.wait_until(
            printer.chat_id, _activity_after(printer, printer.activity_count), quiet_seconds
        )
        if not more:
            return


def _activity_after(printer: _Printer, seen: int) -> Callable[[], bool]:
    return lambda: printer.activity_count != seen


async def _handle_line(emu: BotApiEmulator, user: FakeUser, line: str, printer: _Printer) -> bool:
    """Act on one input line; False when the user wants to leave."""
    stripped = line.strip()
    if not stripped:
        return True
    if stripped == "/quit":
        return False
    if line.startswith("\\"):
        await emu.send_text(user, line[1:])
    elif stripped.isdigit() and await _press_numbered_button(emu, user, int(stripped), printer):
        pass
    elif stripped.startswith(("/photo ", "/file ")):
        await _send_file(emu, user, stripped, printer)
    else:
        await emu.send_text(user, line)
    return True


async def _press_numbered_button(
    emu: BotApiEmulator, user: FakeUser, number: int, printer: _Printer
) -> bool:
    """Press button ``number`` of the latest keyboard; False if there is no such button."""
    with_keyboard = [m for m in emu.messages(user.id) if inline_buttons(m)]
    if not with_keyboard:
        return False
    message = with_keyboard[-1]
    buttons = inline_buttons(message)
    if not 1 <= number <= len(buttons):
        return False
    button = buttons[number - 1]
    if "callback_data" in button:
        await emu.press_button(user, message, button["callback_data"])
    elif "url" in button:
        printer.write([f"{_INDENT}↗ {button['url']}"])
    else:
        printer.write([f"{_INDENT}(这种按钮在终端里无法使用)"])
    return True


async def _send_file(emu: BotApiEmulator, user: FakeUser, command: str, printer: _Printer) -> None:
    kind, _, raw_path = command.partition(" ")
    try:
        file_name, data = await asyncio.to_thread(_read_file, raw_path.strip())
    except OSError as exc:
        printer.write([f"⚠️ 无法读取 {raw_path.strip()}: {exc.strerror or exc}"])
        return
    if kind == "/photo":
        await emu.send_photo(user, data)
    else:
        mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        await emu.send_document(user, data, file_name, mime_type)


def _read_file(raw_path: str) -> tuple[str, bytes]:
    path = Path(raw_path).expanduser()
    return path.name, path.read_bytes()
