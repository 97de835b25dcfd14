"""Checks and conversions shared by the methods that send or edit messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.emulator.html_check import HtmlParseError, parse_html, strip_text, utf16_len
from bot.emulator.params import ApiError, Params, UploadedFile, bad_request
from bot.emulator.state import ChatRecord, EmulatorState, JsonDict

# Bot API limits (telegram.constants.MessageLimit and friends).
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200

# Message fields that are content rather than envelope; copied by copyMessage.
CONTENT_FIELDS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "video",
    "voice",
    "audio",
    "animation",
    "sticker",
    "location",
    "contact",
    "link_preview_options",
)

_INLINE_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
WRONG_FILE = "wrong file identifier/HTTP URL specified"
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class TextRules:
    """Where a text lives in the request and how Telegram limits it."""

    field: str
    entities_field: str
    limit: int
    too_long: str
    empty: str | None  # None: the text may be absent (a caption)


MESSAGE_TEXT = TextRules(
    "text", "entities", TEXT_LIMIT, "message is too long", "message text is empty"
)
EDITED_TEXT = TextRules("text", "entities", TEXT_LIMIT, "MESSAGE_TOO_LONG", "message text is empty")
CAPTION = TextRules(
    "caption", "caption_entities", CAPTION_LIMIT, "message caption is too long", None
)


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: list[JsonDict]

    def put_into(self, message: JsonDict, text_field: str, entities_field: str) -> None:
        """Set (or, for an empty caption, remove) the text and its entities on a message."""
        message.pop(text_field, None)
        message.pop(entities_field, None)
        if self.text:
            message[text_field] = self.text
        if self.entities:
            message[entities_field] = self.entities


def format_text(p: Params, rules: TextRules, *, strict_html: bool) -> FormattedText:
    return format_raw(
        p.str_(rules.field),
        p.str_("parse_mode"),
        p.list_(rules.entities_field),
        rules,
        strict_html=strict_html,
    )


def format_raw(
    raw: str,
    parse_mode: str,
    entities: list[JsonDict],
    rules: TextRules,
    *,
    strict_html: bool,
) -> FormattedText:
    """Parse the markup, trim, and check length the way the Bot API does."""
    mode = parse_mode.lower()
    if mode == "html":
        try:
            text, entities = parse_html(raw, strict_ampersand=strict_html)
        except HtmlParseError as exc:
            raise ApiError(400, exc.description) from None
    elif mode in ("", "markdown", "markdownv2"):
        text = raw  # Markdown is passed through unchecked; this project writes HTML
    else:
        raise bad_request("unsupported parse_mode")
    text, entities = strip_text(text, entities)
    if not text and rules.empty is not None:
        raise bad_request(rules.empty)
    if utf16_len(text) > rules.limit:
        raise bad_request(rules.too_long)
    return FormattedText(text, entities)


# -- keyboards ---------------------------------------------------------------------------


def check_inline_keyboard(markup: JsonDict) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    actions = _INLINE_BUTTON_ACTIONS.intersection(button)
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not _URL.match(str(button["url"])):
        raise bad_request(f"inline keyboard button URL '{button['url']}' is invalid: Wrong URL")


def apply_chat_keyboard(record: ChatRecord, p: Params) -> None:
    """Remember which custom (reply) keyboard the user now sees in this chat."""
    markup = p.object_or_none("reply_markup")
    if markup is None:
        return
    if "keyboard" in markup:
        record.reply_keyboard = markup
    elif markup.get("remove_keyboard"):
        record.reply_keyboard = None


def check_reply_markup(p: Params) -> JsonDict | None:
    """Check ``reply_markup``; return it if it is an inline keyboard (stored on the message)."""
    markup = p.object_or_none("reply_markup")
    if markup is None:
        return None
    known = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")
    if not any(key in markup for key in known):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None
    check_inline_keyboard(markup)
    return markup


# -- replies, previews -------------------------------------------------------------------


def reply_target(state: EmulatorState, record: ChatRecord, p: Params) -> JsonDict | None:
    """The message being replied to, as embedded in the new message (one level deep)."""
    params = p.object_or_none("reply_parameters") or {}
    message_id = params.get("message_id", p.int_or_none("reply_to_message_id"))
    if message_id is None:
        return None
    allow_missing = bool(
        params.get("allow_sending_without_reply", p.bool_("allow_sending_without_reply"))
    )
    target_chat = record
    if params.get("chat_id") not in (None, record.id):
        target_chat = state.chat(int(params["chat_id"]))
    target = target_chat.messages.get(int(message_id))
    if target is None:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return {key: value for key, value in target.items() if key != "reply_to_message"}


def link_preview_options(p: Params) -> JsonDict | None:
    options = p.object_or_none("link_preview_options")
    if options is None and p.bool_("disable_web_page_preview"):
        options = {"is_disabled": True}
    return options


# -- files -------------------------------------------------------------------------------


def input_file(p: Params, field: str) -> UploadedFile | str:
    """An uploaded file (direct part or ``attach://``) or the file_id string to reuse."""
    value = p.values.get(field)
    return resolve_input_file(p, value)


def resolve_input_file(p: Params, value: Any) -> UploadedFile | str:
    if isinstance(value, UploadedFile):
        return value
    if not isinstance(value, str) or not value:
        raise bad_request("there is no file in the request")
    if value.startswith("attach://"):
        attached = p.values.get(value.removeprefix("attach://"))
        if not isinstance(attached, UploadedFile):
            raise bad_request(WRONG_FILE)
        return attached
    return value
