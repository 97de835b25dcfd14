"""``python -m bot run``: Telegram with a token, else the offline emulator and a terminal chat."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import replace

from bot.app import build_application
from bot.config import Config
from bot.kb.loader import load_knowledge_strict
from bot.preflight import startup_problems
from bot.store.base import StoreError
from bot.store.opening import opened_store

log = logging.getLogger(__name__)

OFFLINE_TOKEN = "1000001:OFFLINE-EMULATOR"


def setup_logging(config: Config, *, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else getattr(logging, config.logging.level)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # At DEBUG these log what they carry: python-telegram-bot every request's parameters (chat
    # ids, message texts), the database drivers every query's parameters (report texts,
    # questions), httpcore each connection. The log holds no texts at any level.
    for talkative in ("telegram", "aiosqlite", "asyncpg", "httpcore"):
        logging.getLogger(talkative).setLevel(max(level, logging.INFO))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run_bot(config: Config, *, offline: bool = False) -> int:
    """Serve until stopped. 2: a mistake in the config or the secrets (restarting cannot help;
    the systemd unit does not retry it); 1: the database could not be opened."""
    # Offline only when asked: with --offline, or with no token and a person at a terminal.
    # A service (systemd: no terminal) without a token is a mistake, not a demo.
    offline = offline or (not config.telegram.token and sys.stdin.isatty())
    kb = load_knowledge_strict(list(config.knowledge_paths))
    problems = startup_problems(config, os.environ, kb, offline=offline)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        if offline:
            setup_logging(config, quiet=True)
            asyncio.run(run_offline(config))
        else:
            setup_logging(config)
            serve(config)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def serve(config: Config) -> None:
    app = build_application(config)
    if config.telegram.mode == "webhook":
        # Our own server, not PTB's: it stores each update before Telegram gets its 200.
        from bot.webhook import run_webhook

        asyncio.run(run_webhook(config, app))
    else:
        from bot.polling import run_polling

        asyncio.run(run_polling(app))


async def _next_update_id(config: Config) -> int:
    """Past every update the database still remembers: an id seen before is dropped as a
    repeat delivery, and Telegram's update ids keep growing across restarts (a fresh emulator's
    would start again at the same number, and the next run's messages would go unanswered)."""
    from bot.emulator.updates import FIRST_UPDATE_ID

    async with (
        opened_store(config.storage, config.base_dir) as store,
        store.transaction(readonly=True) as tx,
    ):
        last = await tx.last_update_id()
    return max(FIRST_UPDATE_ID, (last or 0) + 1)


async def run_offline(config: Config) -> None:
    """The whole bot against the built-in Bot API emulator, chatting in this terminal."""
    # Imported here: a bot serving Telegram should not carry the emulator (and aiohttp) in memory.
    from bot.emulator.server import BotApiEmulator
    from bot.emulator.terminal import run_terminal_chat
    from bot.polling import running

    first_update_id = await _next_update_id(config)
    async with BotApiEmulator(token=OFFLINE_TOKEN, first_update_id=first_update_id) as emulator:
        offline = replace(
            config,
            telegram=replace(
                config.telegram,
                token=OFFLINE_TOKEN,
                base_url=emulator.base_url,
                base_file_url=emulator.base_file_url,
            ),
        )
        print("离线模式:未设置 TELEGRAM_BOT_TOKEN,机器人连接内置的 Bot API 模拟器。")
        print("Offline mode: no token set; the bot talks to the built-in Bot API emulator.\n")
        parent = emulator.user(id=424242, first_name="家长", language_code="zh-hans")
        async with running(build_application(offline)):
            await emulator.send_text(parent, "/start")
            await run_terminal_chat(emulator, user=parent)
