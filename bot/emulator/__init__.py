"""An offline Telegram Bot API for tests, benchmarks and trying the bot in a terminal.

The emulator is a plain HTTP server speaking the Bot API's JSON; it does not use
python-telegram-bot, so the bot under test talks to it exactly as to api.telegram.org.
"""

from bot.emulator.faults import Fault, FaultKind
from bot.emulator.server import BotApiEmulator
from bot.emulator.state import BotActivity, FakeUser
from bot.emulator.terminal import format_bot_message, run_terminal_chat
from bot.emulator.users import inline_buttons, text_entities

__all__ = [
    "BotActivity",
    "BotApiEmulator",
    "FakeUser",
    "Fault",
    "FaultKind",
    "format_bot_message",
    "inline_buttons",
    "run_terminal_chat",
    "text_entities",
]
