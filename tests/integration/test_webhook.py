"""Webhook mode: the emulator pushes updates to the bot's own HTTP server, secret checked."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import httpx

from bot.app import build_application
from bot.config import WebhookConfig
from bot.emulator import BotApiEmulator
from tests.integration.conftest import make_config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_answers_and_checks_the_secret(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    config = make_config(tmp_path, emu)
    webhook = WebhookConfig(
        listen="127.0.0.1",
        port=port,
        url=f"http://127.0.0.1:{port}/telegram",
        path="telegram",
        secret_token="s3cret-token",
    )
    config = replace(config, telegram=replace(config.telegram, mode="webhook", webhook=webhook))
    app = build_application(config)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen=webhook.listen,
        port=webhook.port,
        url_path=webhook.path,
        webhook_url=webhook.url,
        secret_token=webhook.secret_token,
    )
    try:
        parent = emu.user()
        await emu.send_text(parent, "周六日还能送孩子去上数学补习班吗")
        [answer] = await emu.wait_for_messages(parent.id, 1)
        assert "来源" in answer["text"]
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                webhook.url,
                json={"update_id": 999, "message": answer},
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
        assert forged.status_code == 403
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
