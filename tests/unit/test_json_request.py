"""The bot's Bot API calls: JSON bodies, except calls that carry files."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import NetworkError

from bot.app import JsonBodyRequest, build_application
from bot.config import load_config

BOT_USER = {"id": 1, "is_bot": True, "first_name": "Hotline", "username": "hotline_bot"}
SENT_MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "ok"}
Send = Callable[[Bot], Awaitable[object]]


@dataclass
class Call:
    content_type: str
    body: bytes


@asynccontextmanager
async def bot_api() -> AsyncIterator[tuple[str, list[Call]]]:
    """A Bot API that answers every call with a sent message and keeps what it was sent."""
    calls: list[Call] = []

    async def answer(request: web.Request) -> web.Response:
        if request.match_info["method"] == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        calls.append(Call(request.headers["Content-Type"], await request.read()))
        if request.match_info["method"] == "getUpdates":
            return web.json_response({"ok": True, "result": []})
        return web.json_response({"ok": True, "result": SENT_MESSAGE})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/bot", calls
    finally:
        await runner.cleanup()


async def calls_made(send: Send) -> list[Call]:
    async with bot_api() as (base_url, calls):
        bot = Bot("1:T", base_url=base_url, request=JsonBodyRequest(4))
        async with bot:
            await send(bot)
    return calls


async def send_an_answer(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("收费标准", callback_data="t:fees")]])
    await bot.send_message(42, "<b>周末</b> &lt;补课&gt;", ParseMode.HTML, reply_markup=markup)


def assert_the_answer_as_json(call: Call) -> None:
    assert call.content_type == "application/json"
    body = json.loads(call.body)
    assert body["text"] == "<b>周末</b> &lt;补课&gt;"
    assert body["parse_mode"] == "HTML"
    assert body["chat_id"] == 42
    assert body["reply_markup"]["inline_keyboard"][0][0]["text"] == "收费标准"
    assert "收费标准".encode() in call.body  # UTF-8, not escaped


async def test_a_message_goes_as_json_with_its_html_escaped_text_and_buttons() -> None:
    (call,) = await calls_made(send_an_answer)
    assert_the_answer_as_json(call)


async def test_behind_a_proxy_from_the_environment_calls_go_through_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True, "result": SENT_MESSAGE})

    monkeypatch.setattr("urllib.request.getproxies", lambda: {"https": "http://proxy:3128"})
    request = JsonBodyRequest(4)
    await request.initialize()
    request._client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    bot = Bot("1:T", request=request)
    try:
        await send_an_answer(bot)
    finally:
        await request.shutdown()
    (call,) = seen
    assert_the_answer_as_json(Call(call.headers["Content-Type"], call.content))


async def test_a_file_still_goes_as_a_multipart_form() -> None:
    async def send(bot: Bot) -> None:
        await bot.send_document(42, b"%PDF-1.4 tip-off", filename="tip.pdf", caption="证据")

    (call,) = await calls_made(send)
    assert call.content_type.startswith("multipart/form-data")
    assert b"%PDF-1.4 tip-off" in call.body
    assert "证据".encode() in call.body


async def test_half_a_surrogate_pair_is_escaped_rather_than_failing() -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("a\ud800", callback_data="x")]])

    async def send(bot: Bot) -> None:
        await bot.send_message(42, "ok", reply_markup=markup)

    (call,) = await calls_made(send)
    assert json.loads(call.body)["reply_markup"]["inline_keyboard"][0][0]["text"] == "a\ud800"


async def test_a_refused_connection_is_a_network_error() -> None:
    async with bot_api() as (base_url, _):
        pass  # closed: nothing listens there any more
    request = JsonBodyRequest(4)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await Bot("1:T", base_url=base_url, request=request).send_message(42, "ok")
    finally:
        await request.shutdown()


async def test_the_bots_long_polls_go_as_json_too() -> None:
    config = load_config(None, environ={})
    async with bot_api() as (base_url, calls):
        telegram = replace(config.telegram, token="1:T", base_url=base_url)
        app = build_application(replace(config, telegram=telegram))
        async with app.bot:
            assert await app.bot.get_updates(offset=5, timeout=0) == ()
    (call,) = calls
    assert call.content_type == "application/json"
    assert json.loads(call.body)["offset"] == 5
