"""Webhook mode: the emulator pushes updates to the bot's own HTTP server, secret checked."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from dataclasses import replace
from pathlib import Path

import httpx

from bot.app import build_application
from bot.config import Config, WebhookConfig
from bot.emulator import BotApiEmulator
from bot.webhook import serving_webhook
from tests.integration.conftest import make_config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_config(tmp_path: Path, emu: BotApiEmulator) -> Config:
    port = free_port()
    config = make_config(tmp_path, emu)
    webhook = WebhookConfig(
        listen="127.0.0.1",
        port=port,
        url=f"http://127.0.0.1:{port}/telegram",
        path="telegram",
        secret_token="s3cret-token",
    )
    return replace(config, telegram=replace(config.telegram, mode="webhook", webhook=webhook))


async def test_webhook_mode_answers_and_checks_the_secret(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, emu)
    url = config.telegram.webhook.url
    async with serving_webhook(build_application(config), config):
        parent = emu.user()
        await emu.send_text(parent, "周六日还能送孩子去上数学补习班吗")
        [answer] = await emu.wait_for_messages(parent.id, 1)
        assert "来源" in answer["text"]
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                url,
                json={"update_id": 999, "message": answer},
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            assert forged.status_code == 403
            garbage = await client.post(
                url,
                content=b"{not json",
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
            )
            assert garbage.status_code == 400


async def test_an_update_is_stored_before_telegram_gets_its_answer(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    """While the database cannot take the update, Telegram is not told it arrived (503): it
    delivers the update again, and it is answered once the database is back."""
    config = webhook_config(tmp_path, emu)
    config = replace(config, storage=replace(config.storage, busy_timeout_ms=50))
    db = config.storage.sqlite_path
    async with serving_webhook(build_application(config), config):
        parent = emu.user()
        blocker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        # In a thread: waiting here must not stop the bot finishing what it holds.
        await asyncio.to_thread(blocker.execute, "BEGIN IMMEDIATE")
        try:
            await emu.send_text(parent, "周六日还能送孩子去上数学补习班吗")
            await asyncio.sleep(0.5)
            assert emu.messages(parent.id) == []
            info = emu.updates.webhook_info()
            assert "503" in info.get("last_error_message", "")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        [answer] = await emu.wait_for_messages(parent.id, 1)
        assert "来源" in answer["text"]
        # The same update delivered again (its first 200 lost on the way) is dropped.
        update = {"update_id": 1, "message": emu.new_message(parent, text="又一次")}
        recorded = sqlite3.connect(db).execute("SELECT MIN(update_id) FROM inbox").fetchone()
        update["update_id"] = recorded[0]
        async with httpx.AsyncClient() as client:
            again = await client.post(
                config.telegram.webhook.url,
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
            )
        assert again.status_code == 200
        await asyncio.sleep(0.3)
        assert len(emu.messages(parent.id)) == 1
