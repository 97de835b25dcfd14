"""Webhook mode: Telegram (through a reverse proxy) posts each update to one of the instances.

PTB's own webhook server answers Telegram before the update is stored, so an instance killed at
that moment would lose it. This server records the update in the inbox (with the sender's
flood count, see :mod:`bot.front_door`) first, and only then answers 200:

- killed before answering: Telegram got no 200, so the proxy (or Telegram) delivers the update
  again, perhaps to another instance;
- killed after answering: the update is in the database, unfinished, and another instance
  takes it up once ``telegram.replay_after_seconds`` have passed;
- a delivery seen before (a retry whose first answer got lost) is answered 200 and dropped.

Any instance may receive any update: what a person is in the middle of lives in the store.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.app import started
from bot.config import Config
from bot.front_door import receive
from bot.health import monitoring_routes
from bot.store.base import StoreError
from bot.updates.incoming import IncomingUpdate, NotAnUpdate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small; anything much larger is not from Telegram.
MAX_BODY_BYTES = 1024 * 1024
# Deliveries Telegram may have in flight at once, to all instances together. 40 is Telegram's
# own default, said out loud so that a Bot API server with another default (the emulator's
# is 1) does not deliver one update at a time.
MAX_CONNECTIONS = 40


class WebhookServer:
    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], config: Config) -> None:
        self._app = app
        self._settings = config.telegram.webhook
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        server = web.Application(client_max_size=MAX_BODY_BYTES)
        server.router.add_post(f"/{self._settings.path.strip('/')}", self.receive)
        server.router.add_routes(monitoring_routes(self._app.bot_data.services))
        self._runner = web.AppRunner(server, access_log=None)  # access logs would show ids
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.listen, self._settings.port)
        await site.start()
        log.info("webhook listening on %s:%d", self._settings.listen, self._settings.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def receive(self, request: web.Request) -> web.Response:
        secret = self._settings.secret_token
        # No secret, no trust: without one, anyone who finds the URL could post updates.
        if not secret or not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, "").encode(), secret.encode()
        ):
            return web.Response(status=403)
        try:
            incoming = IncomingUpdate.from_json(await request.text())
        except (NotAnUpdate, UnicodeDecodeError):
            return web.Response(status=400)
        try:
            await receive(self._app, [incoming])
        except StoreError:
            # Not recorded: no 200, so it is delivered again rather than lost.
            log.warning("update %d not recorded (database busy); asked again", incoming.update_id)
            return web.Response(status=503)
        return web.Response(status=200)


@asynccontextmanager
async def serving_webhook(
    app: Application[Any, Any, Any, Any, Any, Any], config: Config
) -> AsyncIterator[WebhookServer]:
    """The bot started, its webhook server listening and Telegram told where it is."""
    settings = config.telegram.webhook
    async with started(app):
        server = WebhookServer(app, config)
        await server.start()
        try:
            await app.bot.set_webhook(
                url=settings.url,
                secret_token=settings.secret_token or None,
                allowed_updates=Update.ALL_TYPES,
                max_connections=MAX_CONNECTIONS,
            )
            yield server
        finally:
            # No new deliveries first; then the handlers finish what is queued (app.stop).
            await server.stop()


async def run_webhook(config: Config, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Serve until SIGTERM or SIGINT (systemd's stop, Ctrl+C)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with serving_webhook(app, config):
        await stopping.wait()
        log.info("stopping: finishing the updates in hand")
