"""What the emulated Telegram knows: users, chats, their messages, files, callback queries."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.emulator.media import FileStore, extension_of, file_fields, photo_sizes
from bot.emulator.params import ApiError, bad_request
from bot.emulator.waiting import KeyedSignal

JsonDict = dict[str, Any]
ActivityKind = Literal["sent", "edited", "deleted", "callback_answer", "chat_action"]

# Fields Telegram always fills for each kind of media (besides file ids and size).
_MEDIA_DEFAULTS: dict[str, JsonDict] = {
    "document": {},
    "video": {"width": 640, "height": 360, "duration": 1},
    "voice": {"duration": 1, "mime_type": "audio/ogg"},
    "audio": {"duration": 1},
    "animation": {"width": 320, "height": 240, "duration": 1},
    "sticker": {"width": 512, "height": 512, "is_animated": False, "is_video": False},
}
_DEFAULT_EXTENSIONS = {
    "document": "bin",
    "video": "mp4",
    "voice": "oga",
    "audio": "mp3",
    "animation": "mp4",
    "sticker": "webp",
}
_KINDS_WITH_FILE_NAME = frozenset({"document", "video", "audio", "animation"})


@dataclass(frozen=True)
class FakeUser:
    """A simulated Telegram user who talks to the bot."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "zh-hans"
    is_bot: bool = False

    def to_dict(self) -> JsonDict:
        user: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass
class ChatRecord:
    """One chat as Telegram stores it, seen from the bot."""

    chat: JsonDict  # the Chat object embedded in messages
    messages: dict[int, JsonDict] = field(default_factory=dict)  # message_id -> Message
    bot_messages: list[JsonDict] = field(default_factory=list)  # sent by the bot, in order
    last_message_id: int = 0
    member_status: dict[int, str] = field(default_factory=dict)  # user id -> status
    bot_is_admin: bool = False
    bot_blocked: bool = False  # private chat whose user blocked the bot
    bot_left: bool = False
    menu_button: JsonDict | None = None
    reply_keyboard: JsonDict | None = None  # the custom keyboard the user currently sees

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    @property
    def is_private(self) -> bool:
        return bool(self.chat["type"] == "private")

    def next_message_id(self) -> int:
        # Private chats and basic groups number messages per chat for both sides.
        self.last_message_id += 1
        return self.last_message_id

    def check_bot_can_send(self) -> None:
        if self.bot_blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.bot_left:
            kind = "supergroup" if self.chat["type"] == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")


@dataclass(frozen=True)
class BotActivity:
    """Something the bot did that a watcher (a test, the terminal) may want to see."""

    kind: ActivityKind
    chat_id: int
    payload: JsonDict  # the message (current state), the callback answer or the chat action


@dataclass
class CallbackRecord:
    chat_id: int | None
    answered: bool = False


def now() -> int:
    return int(time.time())


class EmulatorState:
    """All stored data plus the notifications raised when the bot changes it."""

    def __init__(self, bot_user: JsonDict) -> None:
        self.bot_user = bot_user
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files = FileStore()
        self.media_by_file_id: dict[str, tuple[str, Any]] = {}  # file_id -> (kind, object)
        self.callback_queries: dict[str, CallbackRecord] = {}
        self.callback_answers: list[JsonDict] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.default_menu_button: JsonDict = {"type": "commands"}
        self.requests: list[tuple[str, JsonDict]] = []
        self.bot_activity = KeyedSignal()  # keyed by chat id
        self.listeners: list[Callable[[BotActivity], None]] = []

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def chat(self, chat_id: int) -> ChatRecord:
        record = self.chats.get(chat_id)
        if record is None:
            raise bad_request("chat not found")
        return record

    def store_media(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        **details: Any,
    ) -> Any:
        """Keep the bytes and return the object a message carries: PhotoSize list or dict."""
        if kind == "photo":
            sizes = photo_sizes(self.files, data)
            for size in sizes:
                self.media_by_file_id[size["file_id"]] = (kind, sizes)
            return sizes
        extension = extension_of(file_name or "", _DEFAULT_EXTENSIONS.get(kind, "bin"))
        stored = self.files.add(data, kind, extension)
        media: JsonDict = {**file_fields(stored), **_MEDIA_DEFAULTS.get(kind, {}), **details}
        if kind == "sticker":
            media.setdefault("type", "regular")
        if file_name and kind in _KINDS_WITH_FILE_NAME:
            media["file_name"] = file_name
        if mime_type and kind != "sticker":
            media["mime_type"] = mime_type
        self.media_by_file_id[stored.file_id] = (kind, media)
        return media

    def add_bot_message(self, record: ChatRecord, message: JsonDict) -> None:
        record.messages[message["message_id"]] = message
        record.bot_messages.append(message)
        self.announce(BotActivity("sent", record.id, message))

    def announce(self, activity: BotActivity) -> None:
        self.bot_activity.notify(activity.chat_id)
        for listener in list(self.listeners):
            listener(activity)
