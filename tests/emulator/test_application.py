"""A real python-telegram-bot Application, polling the emulator over HTTP."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import BotApiEmulator
from tests.emulator.conftest import png, polling_application


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(
        f"<b>你说</b>：{html.escape(update.effective_message.text)}", parse_mode=ParseMode.HTML
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    buttons = [[InlineKeyboardButton("周末能上课吗？", callback_data="faq:weekend")]]
    await update.effective_message.reply_text("请选择", reply_markup=InlineKeyboardMarkup(buttons))


async def answer_faq(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("已收到")
    await query.edit_message_text(f"问题：{query.data}")


async def measure_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    data = await (await message.photo[-1].get_file()).download_as_bytearray()
    await message.reply_text(f"收到 {len(data)} 字节")


async def test_application_echoes_user_text(emu: BotApiEmulator) -> None:
    user = emu.user(first_name="王五")
    handler = MessageHandler(filters.TEXT & ~filters.COMMAND, echo)
    async with polling_application(emu, [handler]) as errors:
        await emu.send_text(user, "a<b>&c")
        [reply] = await emu.wait_for_messages(user.id, 1)
        await emu.wait_until_delivered()
    assert errors == []
    assert reply["text"] == "你说：a<b>&c"
    assert reply["entities"] == [{"type": "bold", "offset": 0, "length": 2}]


async def test_application_handles_a_button_press(emu: BotApiEmulator) -> None:
    user = emu.user()
    handlers = [CommandHandler("start", start), CallbackQueryHandler(answer_faq, pattern="^faq:")]
    async with polling_application(emu, handlers) as errors:
        await emu.send_text(user, "/start")
        [menu] = await emu.wait_for_messages(user.id, 1)
        await emu.press_button(user, menu, button_text="周末能上课吗？")
        await emu.wait_until_delivered()
        await emu.wait_for_chat(user.id, lambda: "edit_date" in emu.messages(user.id)[0])
    assert errors == []
    assert emu.messages(user.id)[0]["text"] == "问题：faq:weekend"
    assert [answer["text"] for answer in emu.callback_answers] == ["已收到"]


async def test_application_downloads_a_users_photo(emu: BotApiEmulator) -> None:
    user = emu.user()
    image = png(100, 50)
    async with polling_application(emu, [MessageHandler(filters.PHOTO, measure_photo)]) as errors:
        await emu.send_photo(user, image)
        [reply] = await emu.wait_for_messages(user.id, 1)
    assert errors == []
    assert reply["text"] == f"收到 {len(image)} 字节"


async def test_many_users_are_served_in_one_run(emu: BotApiEmulator) -> None:
    users = [emu.user() for _ in range(20)]
    handler = MessageHandler(filters.TEXT, echo)
    async with polling_application(emu, [handler]) as errors:
        for round_number in range(3):
            for user in users:
                await emu.send_text(user, f"第{round_number}条")
        for user in users:
            replies = await emu.wait_for_messages(user.id, 3)
            assert [r["text"] for r in replies] == [f"你说：第{n}条" for n in range(3)]
    assert errors == []
