"""Sending, editing and deleting messages, buttons and commands, with Telegram's errors."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.emulator import BotApiEmulator


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d)] for d in data])


async def test_sent_message_is_returned_and_recorded_as_telegram_would(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user(first_name="张三", username="zhangsan")
    first = await bot.send_message(user.id, "<b>您好</b>，张三", parse_mode=ParseMode.HTML)
    second = await bot.send_message(user.id, "第二条")

    assert first.text == "您好，张三" and first.entities[0].type == "bold"
    assert first.from_user is not None and first.from_user.username == "shuangjian_bot"
    assert first.chat.id == user.id and first.chat.type == "private"
    assert second.message_id == first.message_id + 1
    assert [m["text"] for m in emu.messages(user.id)] == ["您好，张三", "第二条"]


async def test_html_errors_surface_as_bad_request(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(user.id, "<foo>x</foo>", parse_mode=ParseMode.HTML)
    # PTB drops "Bad Request: " and capitalises the rest.
    assert raised.value.message == (
        'Can\'t parse entities: unsupported start tag "foo" at byte offset 0'
    )
    assert emu.messages(user.id) == []


async def test_text_limit_is_4096_utf16_units_after_parsing(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    await bot.send_message(user.id, "好" * 4096)
    await bot.send_message(user.id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(user.id, "好" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(user.id, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(user.id, "   ")
    assert len(emu.messages(user.id)) == 2


async def test_callback_data_may_be_64_bytes_but_not_65(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    await bot.send_message(user.id, "ok", reply_markup=keyboard("x" * 64))
    await bot.send_message(user.id, "ok", reply_markup=keyboard("双" * 21))  # 63 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(user.id, "no", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(user.id, "no", reply_markup=keyboard("双" * 22))


async def test_unknown_chat_and_blocked_user(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(42, "hello")
    user = emu.user()
    emu.block_bot(user)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user.id, "hello")


async def test_replies_quote_the_original_message(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    question = await emu.send_text(user, "周末能补课吗？")
    answer = await bot.send_message(
        user.id, "不能", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "周末能补课吗？"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(user.id, "?", reply_parameters=ReplyParameters(999))


async def test_edit_text_markup_and_not_modified(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    sent = await bot.send_message(user.id, "处理中", reply_markup=keyboard("t:claim:1"))

    edited = await bot.edit_message_text("已认领", user.id, sent.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "已认领" and edited.edit_date is not None
    assert edited.reply_markup is None  # an edit without markup drops the keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("已认领", user.id, sent.message_id)
    await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard("a"))
    assert emu.messages(user.id)[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", user.id, 999)


async def test_delete_removes_the_message_but_wait_still_counts_it(
    emu: BotApiEmulator, bot: Bot
) -> None:
    user = emu.user()
    sent = await bot.send_message(user.id, "临时")
    assert await bot.delete_message(user.id, sent.message_id)
    assert emu.messages(user.id) == []
    assert [m["text"] for m in await emu.wait_for_messages(user.id, 1)] == ["临时"]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user.id, sent.message_id)


async def test_wait_for_messages_explains_a_timeout(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    await bot.send_message(user.id, "只有一条")
    with pytest.raises(AssertionError, match=r"expected 2 bot message\(s\).*只有一条"):
        await emu.wait_for_messages(user.id, 2, timeout=0.05)


async def test_callback_queries_are_answerable_once(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    sent = await bot.send_message(user.id, "选择", reply_markup=keyboard("q:1", "q:2"))
    query = await emu.press_button(user, emu.messages(user.id)[0], "q:2")

    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.data == "q:2"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id

    assert await bot.answer_callback_query(query["id"], text="好的")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query["id"])
    assert emu.callback_answers[0]["text"] == "好的"
    with pytest.raises(LookupError, match="no callback button"):
        await emu.press_button(user, sent.message_id, "q:3")


async def test_callback_answer_text_is_limited_to_200(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    await bot.send_message(user.id, "选择", reply_markup=keyboard("q"))
    query = await emu.press_button(user, emu.messages(user.id)[0], button_text="q")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query["id"], text="长" * 201)
    assert await bot.answer_callback_query(query["id"], text="长" * 200)


async def test_reply_keyboards_are_tracked_per_chat(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    await bot.send_message(
        user.id, "选择身份", reply_markup=ReplyKeyboardMarkup([[KeyboardButton("我是家长")]])
    )
    shown = emu.reply_keyboard(user.id)
    assert shown is not None and shown["keyboard"] == [[{"text": "我是家长"}]]
    await bot.send_message(user.id, "好的", reply_markup=ReplyKeyboardRemove())
    assert emu.reply_keyboard(user.id) is None


async def test_commands_are_stored_per_scope_and_language(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("report", "举报")])
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("queue", "待办")], scope=BotCommandScopeChat(user.id))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "report"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Start"]
    assert set(emu.my_commands) == {("default", ""), ("default", "en"), (f"chat:{user.id}", "")}
    await bot.delete_my_commands(language_code="en")
    assert await bot.get_my_commands(language_code="en") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "x")])


async def test_chat_info_and_membership(emu: BotApiEmulator, bot: Bot) -> None:
    parent, inspector = emu.user(first_name="家长"), emu.user(first_name="督查员")
    group = emu.group("督查组", members=[parent])
    emu.set_member_status(group, inspector, "administrator")

    chat = await bot.get_chat(group["id"])
    assert chat.title == "督查组" and chat.type == "supergroup"
    assert (await bot.get_chat_member(group["id"], parent.id)).status == "member"
    assert (await bot.get_chat_member(group["id"], inspector.id)).status == "administrator"
    assert await bot.leave_chat(group["id"])
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(group["id"], "hello")


async def test_group_privacy_hides_ordinary_group_chatter(emu: BotApiEmulator, bot: Bot) -> None:
    user = emu.user()
    group = emu.group("家长群", members=[user])
    await emu.send_text(user, "大家好", chat=group)
    await emu.send_text(user, "/help@shuangjian_bot", chat=group)
    await emu.send_text(user, "/help@other_bot", chat=group)
    await emu.send_text(user, "@shuangjian_bot 在吗", chat=group)
    texts = [u.message.text for u in await bot.get_updates() if u.message]
    assert texts == ["/help@shuangjian_bot", "@shuangjian_bot 在吗"]


async def test_user_commands_and_mentions_carry_entities(emu: BotApiEmulator) -> None:
    message = await emu.send_text(emu.user(), "/start 你好 @shuangjian_bot https://t.me/x")
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 6},
        {"type": "mention", "offset": 10, "length": 15},
        {"type": "url", "offset": 26, "length": 14},
    ]
