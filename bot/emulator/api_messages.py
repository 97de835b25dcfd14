"""Bot API methods that send, edit and delete messages, answer buttons and serve files."""

from __future__ import annotations

import mimetypes
from typing import Any

from bot.emulator.api import ApiContext, Handler, api_method
from bot.emulator.html_check import utf16_len
from bot.emulator.media import MAX_DOWNLOAD_BYTES, photo_refusal
from bot.emulator.message_content import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION,
    CONTENT_FIELDS,
    EDITED_TEXT,
    MESSAGE_TEXT,
    WRONG_FILE,
    FormattedText,
    apply_chat_keyboard,
    check_reply_markup,
    format_raw,
    format_text,
    input_file,
    link_preview_options,
    reply_target,
    resolve_input_file,
)
from bot.emulator.params import Params, UploadedFile, bad_request
from bot.emulator.state import BotActivity, ChatRecord, JsonDict, now

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_MESSAGE_ID_MISSING = "message identifier is not specified"
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_MEDIA_KINDS = ("photo", "document", "video", "voice", "audio", "animation", "sticker")
_ALBUM_KINDS = frozenset({"photo", "video", "document", "audio"})
_MEDIA_GROUP_SIZE = range(2, 11)


def _sendable_chat(ctx: ApiContext, chat_id: int) -> ChatRecord:
    record = ctx.state.chat(chat_id)
    record.check_bot_can_send()
    return record


def _deliver(
    ctx: ApiContext,
    record: ChatRecord,
    p: Params,
    content: JsonDict,
    markup: JsonDict | None,
) -> JsonDict:
    """Create the bot's message in ``record`` the way Telegram returns it."""
    reply = reply_target(ctx.state, record, p)
    message: JsonDict = {
        "message_id": record.next_message_id(),
        "from": ctx.state.bot_user,
        "chat": record.chat,
        "date": now(),
        **content,
    }
    if reply is not None:
        message["reply_to_message"] = reply
    if markup is not None:
        message["reply_markup"] = markup
    apply_chat_keyboard(record, p)
    ctx.state.add_bot_message(record, message)
    return message


# -- text messages -----------------------------------------------------------------------


@api_method("sendMessage")
async def send_message(ctx: ApiContext, p: Params) -> JsonDict:
    chat_id = p.chat_id()
    markup = check_reply_markup(p)
    text = format_text(p, MESSAGE_TEXT, strict_html=ctx.strict_html)
    record = _sendable_chat(ctx, chat_id)
    content: JsonDict = {}
    text.put_into(content, "text", "entities")
    preview = link_preview_options(p)
    if preview is not None:
        content["link_preview_options"] = preview
    return _deliver(ctx, record, p, content, markup)


def _message_to_edit(ctx: ApiContext, p: Params) -> tuple[ChatRecord, JsonDict]:
    if p.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the emulator has no inline mode
    record = ctx.state.chat(p.chat_id())
    message = record.messages.get(p.required_int("message_id", _MESSAGE_ID_MISSING))
    if message is None:
        raise bad_request("message to edit not found")
    if message["from"]["id"] != ctx.state.bot_id:
        raise bad_request("message can't be edited")
    return record, message


def _finish_edit(ctx: ApiContext, record: ChatRecord, message: JsonDict) -> JsonDict:
    message["edit_date"] = now()
    ctx.state.announce(BotActivity("edited", record.id, message))
    return message


def _set_markup(message: JsonDict, markup: JsonDict | None) -> None:
    # An edit without reply_markup removes the inline keyboard, as in Telegram.
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup


def _unchanged(message: JsonDict, field: str, text: FormattedText, markup: JsonDict | None) -> bool:
    entities_field = "entities" if field == "text" else "caption_entities"
    return (
        message.get(field, "") == text.text
        and message.get(entities_field, []) == text.entities
        and message.get("reply_markup") == markup
    )


@api_method("editMessageText")
async def edit_message_text(ctx: ApiContext, p: Params) -> JsonDict:
    markup = check_reply_markup(p)
    text = format_text(p, EDITED_TEXT, strict_html=ctx.strict_html)
    record, message = _message_to_edit(ctx, p)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    if _unchanged(message, "text", text, markup):
        raise bad_request(NOT_MODIFIED)
    text.put_into(message, "text", "entities")
    _set_markup(message, markup)
    preview = link_preview_options(p)
    if preview is not None:
        message["link_preview_options"] = preview
    return _finish_edit(ctx, record, message)


@api_method("editMessageCaption")
async def edit_message_caption(ctx: ApiContext, p: Params) -> JsonDict:
    markup = check_reply_markup(p)
    caption = format_text(p, CAPTION, strict_html=ctx.strict_html)
    record, message = _message_to_edit(ctx, p)
    if "text" in message:
        raise bad_request("there is no caption in the message to edit")
    if _unchanged(message, "caption", caption, markup):
        raise bad_request(NOT_MODIFIED)
    caption.put_into(message, "caption", "caption_entities")
    _set_markup(message, markup)
    return _finish_edit(ctx, record, message)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(ctx: ApiContext, p: Params) -> JsonDict:
    markup = check_reply_markup(p)
    record, message = _message_to_edit(ctx, p)
    if message.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    _set_markup(message, markup)
    return _finish_edit(ctx, record, message)


def _delete(ctx: ApiContext, record: ChatRecord, message_id: int) -> bool:
    message = record.messages.get(message_id)
    if message is None:
        return False
    others_message = message["from"]["id"] != ctx.state.bot_id
    if others_message and not record.is_private and not record.bot_is_admin:
        raise bad_request("message can't be deleted")
    del record.messages[message_id]
    ctx.state.announce(BotActivity("deleted", record.id, message))
    return True


@api_method("deleteMessage")
async def delete_message(ctx: ApiContext, p: Params) -> bool:
    record = ctx.state.chat(p.chat_id())
    if not _delete(ctx, record, p.required_int("message_id", _MESSAGE_ID_MISSING)):
        raise bad_request("message to delete not found")
    return True


@api_method("deleteMessages")
async def delete_messages(ctx: ApiContext, p: Params) -> bool:
    record = ctx.state.chat(p.chat_id())
    for message_id in p.list_("message_ids"):
        _delete(ctx, record, int(message_id))
    return True


# -- buttons and chat actions ------------------------------------------------------------


@api_method("answerCallbackQuery")
async def answer_callback_query(ctx: ApiContext, p: Params) -> bool:
    query_id = p.str_("callback_query_id")
    query = ctx.state.callback_queries.get(query_id)
    if query is None or query.answered:
        raise bad_request(QUERY_TOO_OLD)
    text = p.str_("text")
    if utf16_len(text) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    answer: JsonDict = {
        "callback_query_id": query_id,
        "text": text,
        "show_alert": p.bool_("show_alert"),
        "url": p.str_or_none("url"),
        "cache_time": p.int_("cache_time", 0),
    }
    ctx.state.callback_answers.append(answer)
    if query.chat_id is not None:
        ctx.state.announce(BotActivity("callback_answer", query.chat_id, answer))
    return True


@api_method("sendChatAction")
async def send_chat_action(ctx: ApiContext, p: Params) -> bool:
    chat_id = p.chat_id()
    action = p.str_("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    record = _sendable_chat(ctx, chat_id)
    ctx.state.chat_actions.append((record.id, action))
    ctx.state.announce(BotActivity("chat_action", record.id, {"action": action}))
    return True


# -- media -------------------------------------------------------------------------------


def _media_object(ctx: ApiContext, p: Params, kind: str, file: UploadedFile | str) -> Any:
    """Store an upload, or look up the file_id being reused, as media of ``kind``."""
    if isinstance(file, UploadedFile):
        details: JsonDict = {}
        for name in ("width", "height", "duration"):
            if p.has(name):
                details[name] = p.int_(name, 0)
        mime_type = file.content_type
        if mime_type in ("", "application/octet-stream"):
            mime_type = mimetypes.guess_type(file.filename)[0] or "application/octet-stream"
        return ctx.state.store_media(
            kind, file.data, file_name=file.filename, mime_type=mime_type, **details
        )
    known = ctx.state.media_by_file_id.get(file)
    if known is None:
        raise bad_request(WRONG_FILE)
    known_kind, media = known
    if known_kind != kind:
        raise bad_request("type of file mismatch")
    return media


def _check_upload(kind: str, file: UploadedFile | str) -> None:
    """Refuse, as Telegram does, an uploaded photo it would not take as one."""
    refused = (
        photo_refusal(file.data) if isinstance(file, UploadedFile) and kind == "photo" else None
    )
    if refused is not None:
        raise bad_request(refused)


def _send_media(ctx: ApiContext, p: Params, kind: str) -> JsonDict:
    chat_id = p.chat_id()
    markup = check_reply_markup(p)
    caption = FormattedText("", [])
    if kind != "sticker":
        caption = format_text(p, CAPTION, strict_html=ctx.strict_html)
    file = input_file(p, kind)
    _check_upload(kind, file)
    record = _sendable_chat(ctx, chat_id)
    content: JsonDict = {kind: _media_object(ctx, p, kind, file)}
    caption.put_into(content, "caption", "caption_entities")
    if p.bool_("has_spoiler"):
        content["has_media_spoiler"] = True
    return _deliver(ctx, record, p, content, markup)


def _media_sender(kind: str) -> Handler:
    async def send(ctx: ApiContext, p: Params) -> JsonDict:
        return _send_media(ctx, p, kind)

    return send


for _kind in _MEDIA_KINDS:
    api_method(f"send{_kind.capitalize()}")(_media_sender(_kind))


@api_method("sendMediaGroup")
async def send_media_group(ctx: ApiContext, p: Params) -> list[JsonDict]:
    chat_id = p.chat_id()
    items = p.list_("media")
    if len(items) not in _MEDIA_GROUP_SIZE:
        raise bad_request("wrong number of media in the media group: must be 2-10")
    planned: list[tuple[str, UploadedFile | str, FormattedText]] = []
    for item in items:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in _ALBUM_KINDS:
            raise bad_request("unsupported media type in the media group")
        caption = format_raw(
            str(item.get("caption", "")),
            str(item.get("parse_mode", "")),
            list(item.get("caption_entities", [])),
            CAPTION,
            strict_html=ctx.strict_html,
        )
        file = resolve_input_file(p, item.get("media"))
        _check_upload(str(kind), file)
        planned.append((str(kind), file, caption))
    record = _sendable_chat(ctx, chat_id)
    group_id = str(13_000_000_000_000_000 + record.last_message_id + 1)
    messages = []
    for kind, file, caption in planned:
        content: JsonDict = {"media_group_id": group_id, kind: _media_object(ctx, p, kind, file)}
        caption.put_into(content, "caption", "caption_entities")
        messages.append(_deliver(ctx, record, p, content, None))
    return messages


@api_method("sendLocation")
async def send_location(ctx: ApiContext, p: Params) -> JsonDict:
    chat_id = p.chat_id()
    markup = check_reply_markup(p)
    try:
        location = {"latitude": float(p.str_("latitude")), "longitude": float(p.str_("longitude"))}
    except ValueError:
        raise bad_request("wrong latitude or longitude specified") from None
    return _deliver(ctx, _sendable_chat(ctx, chat_id), p, {"location": location}, markup)


@api_method("getFile")
async def get_file(ctx: ApiContext, p: Params) -> JsonDict:
    stored = ctx.state.files.get(p.str_("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


# -- copies and forwards -----------------------------------------------------------------


def _source_message(ctx: ApiContext, p: Params, missing: str) -> JsonDict:
    source_chat = ctx.state.chat(p.chat_id("from_chat_id"))
    message = source_chat.messages.get(p.required_int("message_id", _MESSAGE_ID_MISSING))
    if message is None:
        raise bad_request(missing)
    return message


@api_method("copyMessage")
async def copy_message(ctx: ApiContext, p: Params) -> JsonDict:
    chat_id = p.chat_id()
    markup = check_reply_markup(p)
    source = _source_message(ctx, p, "message to copy not found")
    content = {key: source[key] for key in CONTENT_FIELDS if key in source}
    if "caption" in p.values and "text" not in content:
        caption = format_text(p, CAPTION, strict_html=ctx.strict_html)
        caption.put_into(content, "caption", "caption_entities")
    copy = _deliver(ctx, _sendable_chat(ctx, chat_id), p, content, markup)
    return {"message_id": copy["message_id"]}


@api_method("forwardMessage")
async def forward_message(ctx: ApiContext, p: Params) -> JsonDict:
    chat_id = p.chat_id()
    source = _source_message(ctx, p, "message to forward not found")
    content = {key: source[key] for key in CONTENT_FIELDS if key in source}
    content["forward_origin"] = source.get("forward_origin") or {
        "type": "user",
        "sender_user": source["from"],
        "date": source["date"],
    }
    return _deliver(ctx, _sendable_chat(ctx, chat_id), p, content, None)
