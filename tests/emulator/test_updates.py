"""Update delivery: getUpdates offsets and long polling, webhooks, the HTTP surface."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import Conflict

import bot.emulator as emulator_package
from bot.emulator import BotApiEmulator
from tests.emulator.conftest import TOKEN


async def test_offset_confirms_and_forgets_earlier_updates(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    for text in ("一", "二", "三"):
        await emu.send_text(user, text)

    first = await bot.get_updates()
    assert [u.message.text for u in first if u.message] == ["一", "二", "三"]
    ids = [u.update_id for u in first]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]

    assert len(await bot.get_updates()) == 3  # nothing confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert emu.pending_update_count == 0


async def test_limit_returns_the_oldest_updates_first(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    for n in range(5):
        await emu.send_text(user, str(n))
    assert [u.message.text for u in await bot.get_updates(limit=2) if u.message] == ["0", "1"]


async def test_long_poll_answers_as_soon_as_an_update_arrives(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()

    await emu.send_text(user, "在吗")
    updates = await asyncio.wait_for(poll, 1)
    assert updates[0].message is not None and updates[0].message.text == "在吗"


async def test_long_poll_returns_empty_after_its_timeout(bot: Bot) -> None:
    assert await asyncio.wait_for(bot.get_updates(timeout=1), 3) == ()


async def test_a_second_poll_terminates_the_first(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    async with Bot(TOKEN, base_url=emu.base_url) as second_instance:
        second = asyncio.create_task(second_instance.get_updates(timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 1)
        await emu.send_text(emu.user(), "hi")
        assert len(await asyncio.wait_for(second, 1)) == 1


async def test_allowed_updates_filters_later_updates(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    await bot.get_updates(allowed_updates=["callback_query"])
    await emu.send_text(user, "ignored")
    assert emu.pending_update_count == 0
    await bot.get_updates(allowed_updates=[])
    await emu.send_text(user, "seen")
    assert emu.pending_update_count == 1


async def test_wait_until_delivered_reports_what_is_stuck(emu: BotApiEmulator) -> None:
    await emu.send_text(emu.user(), "nobody polls")
    with pytest.raises(AssertionError, match="1 update"):
        await emu.wait_until_delivered(timeout=0.05)


# -- HTTP surface ------------------------------------------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_wrong_token_and_unknown_method(
    emu: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emu.base_url}999:WRONG/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    async with http.post(f"{emu.base_url}{TOKEN}/flyToMoon") as response:
        assert response.status == 404
        assert (await response.json())["description"] == "Not Found"


async def test_json_form_and_query_parameters_are_all_understood(
    emu: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.user()
    url = f"{emu.base_url}{TOKEN}"
    async with http.post(f"{url}/sendmessage", json={"chat_id": user.id, "text": "json"}) as r:
        assert (await r.json())["result"]["text"] == "json"
    async with http.post(f"{url}/SENDMESSAGE", data={"chat_id": str(user.id), "text": "form"}) as r:
        assert (await r.json())["result"]["text"] == "form"
    async with http.get(f"{url}/sendMessage", params={"chat_id": user.id, "text": "query"}) as r:
        assert (await r.json())["result"]["text"] == "query"
    assert [params["text"] for _, params in emu.requests] == ["json", "form", "query"]
    assert {method for method, _ in emu.requests} == {"sendMessage"}


# -- webhook -----------------------------------------------------------------------------


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[
    tuple[str, list[tuple[str | None, dict[str, object]]]]
]:
    """A small web server that refuses the first delivery, then accepts."""
    received: list[tuple[str | None, dict[str, object]]] = []
    refusals = [web.Response(status=500)]

    async def receive(request: web.Request) -> web.Response:
        if refusals:
            return refusals.pop()
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/hook", received
    await runner.cleanup()


async def test_webhook_delivers_in_order_with_secret_and_retries(
    emu: BotApiEmulator,
    bot: Bot,
    webhook_receiver: tuple[str, list[tuple[str | None, dict[str, object]]]],
) -> None:
    url, received = webhook_receiver
    assert await bot.set_webhook(url, secret_token="s3cret-token")
    user = emu.user()
    for text in ("一", "二", "三"):
        await emu.send_text(user, text)

    await emu.wait_until_delivered(timeout=3)

    assert [secret for secret, _ in received] == ["s3cret-token"] * 3
    assert [update["message"]["text"] for _, update in received] == ["一", "二", "三"]  # type: ignore[index]
    info = await bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()

    assert await bot.delete_webhook()
    await emu.send_text(user, "四")
    assert len(await bot.get_updates()) == 1


async def test_malformed_parameters_get_a_bad_request(
    emu: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.user()
    body = {"chat_id": user.id, "text": "x", "reply_parameters": {"message_id": "abc"}}
    async with http.post(f"{emu.base_url}{TOKEN}/sendMessage", json=body) as response:
        assert response.status == 400
        assert (await response.json())["description"].startswith("Bad Request: invalid param")


def test_the_emulator_does_not_use_python_telegram_bot() -> None:
    package = Path(emulator_package.__file__).parent
    imported: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert "telegram" not in imported


async def test_unusual_updates_pass_through(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    origin = {"type": "hidden_user", "sender_user_name": "某培训机构", "date": 1_700_000_000}
    forwarded = emu.new_message(user, text="转发的招生广告", forward_origin=origin)
    await emu.send_update({"message": forwarded})
    original = await emu.send_text(user, "原文")
    await emu.edit_text(user, original, "改过的")

    forward, _, edit = await bot.get_updates()
    assert forward.message is not None and forward.message.forward_origin is not None
    assert forward.message.forward_origin.type == "hidden_user"
    assert edit.edited_message is not None and edit.edited_message.text == "改过的"
    assert edit.edited_message.message_id == original["message_id"]
