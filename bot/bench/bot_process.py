"""The bot under test in ``bench e2e``, alone in its own process.

``python -m bot.bench.bot_process bot|echo SETTINGS`` polls the emulator named in the pickled
config at SETTINGS until its stdin closes; a bot whose config says ``telegram.mode: webhook``
serves its webhook instead (one of several instances behind a proxy), as ``python -m bot run``
would. Running apart from the emulator and the simulated users means its peak RSS and CPU time
are the bot's own. It speaks to the benchmark in ``PROTOCOL_PREFIX`` lines on stdout: one when
it is taking updates, one with its figures at exit.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import resource
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.bench.report import peak_rss_mb
from bot.config import Config

BotKind = Literal["bot", "echo"]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
# Polling, or serving a webhook: either way the bot takes updates while inside it.
Serving = Callable[[AnyApplication], AbstractAsyncContextManager[object]]
BOT_KINDS: tuple[BotKind, ...] = ("bot", "echo")
# Other output on stdout (a library's print) must not be mistaken for the benchmark's.
PROTOCOL_PREFIX = "e2e-bench "


def main(argv: list[str]) -> int:
    kind, settings = argv
    if kind not in BOT_KINDS:
        print(f"usage: python -m bot.bench.bot_process {'|'.join(BOT_KINDS)} SETTINGS")
        return 2
    # Written by the benchmark itself, moments ago, in its own temporary folder.
    config: Config = pickle.loads(Path(settings).read_bytes())
    asyncio.run(serve(kind, config))
    return 0


async def serve(kind: BotKind, config: Config) -> None:
    app, serving = real_bot(config) if kind == "bot" else (echo_bot(config), echo_polling)
    failures = 0

    async def count_failure(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal failures
        failures += 1

    app.add_error_handler(count_failure)
    async with serving(app):
        report(ready=True, cpu_s=cpu_seconds(), peak_rss_mb=peak_rss_mb())
        # The benchmark closes our stdin once every reply has arrived (or it gave up).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    report(cpu_s=cpu_seconds(), peak_rss_mb=peak_rss_mb(), handler_errors=failures)


def real_bot(config: Config) -> tuple[AnyApplication, Serving]:
    """The bot as ``python -m bot run`` builds it, with the same logging set-up."""
    # Imported only here, so that the echo baseline's memory is python-telegram-bot's alone.
    from bot.app import build_application
    from bot.polling import running
    from bot.run import setup_logging

    setup_logging(config, quiet=True)
    if config.telegram.mode != "webhook":
        return build_application(config), running
    from bot.webhook import serving_webhook

    def webhook(app: AnyApplication) -> AbstractAsyncContextManager[object]:
        # What `python -m bot run` serves in webhook mode, less its signal handling.
        return serving_webhook(app, config)

    return build_application(config), webhook


def echo_bot(config: Config) -> AnyApplication:
    """The baseline: bare PTB with the bot's concurrency and no rate limiter."""
    telegram = config.telegram
    app = (
        ApplicationBuilder()
        .token(telegram.token)
        .base_url(telegram.base_url)
        .concurrent_updates(telegram.concurrent_updates)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@asynccontextmanager
async def echo_polling(app: AnyApplication) -> AsyncIterator[AnyApplication]:
    """PTB's own polling around the echo bot: no inbox, no post_init to call."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(**figures: Any) -> None:
    print(PROTOCOL_PREFIX + json.dumps(figures), flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
