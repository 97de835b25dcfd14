"""The bot's Bot API calls: JSON bodies, except calls that carry files."""

from __future__ import annotations

import json

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.app import JsonBodyRequest

SENT_MESSAGE = {
    "message_id": 7,
    "date": 0,
    "chat": {"id": 42, "type": "private"},
    "text": "ok",
}


async def calls_made(send: object) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True, "result": SENT_MESSAGE})

    request = JsonBodyRequest(4)
    await request.initialize()
    request._client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    bot = Bot("1:T", request=request, get_updates_request=JsonBodyRequest(1))
    bot._bot_user = None  # no getMe: the calls below are all that is sent
    try:
        await send(bot)  # type: ignore[operator]
    finally:
        await request.shutdown()
    return seen


async def test_a_message_goes_as_json_with_its_html_escaped_text_and_buttons() -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("收费标准", callback_data="t:fees")]])

    async def send(bot: Bot) -> None:
        await bot.send_message(42, "<b>周末</b> &lt;补课&gt;", ParseMode.HTML, reply_markup=markup)

    (call,) = await calls_made(send)
    assert call.headers["Content-Type"] == "application/json"
    body = json.loads(call.content)
    assert body["text"] == "<b>周末</b> &lt;补课&gt;"
    assert body["parse_mode"] == "HTML"
    assert body["chat_id"] == 42
    assert body["reply_markup"]["inline_keyboard"][0][0]["text"] == "收费标准"
    assert "收费标准".encode() in call.content  # UTF-8, not escaped


async def test_a_file_still_goes_as_a_multipart_form() -> None:
    async def send(bot: Bot) -> None:
        await bot.send_document(42, b"%PDF-1.4 tip-off", filename="tip.pdf", caption="证据")

    (call,) = await calls_made(send)
    assert call.headers["Content-Type"].startswith("multipart/form-data")
    assert b"%PDF-1.4 tip-off" in call.content
    assert "证据".encode() in call.content


async def test_half_a_surrogate_pair_is_escaped_rather_than_failing() -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("a\ud800", callback_data="x")]])

    async def send(bot: Bot) -> None:
        await bot.send_message(42, "ok", reply_markup=markup)

    (call,) = await calls_made(send)
    assert json.loads(call.content)["reply_markup"]["inline_keyboard"][0][0]["text"] == "a\ud800"
