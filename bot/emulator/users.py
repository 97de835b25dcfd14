"""The user side: simulated people who write to the bot, and what they see it answer."""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

from bot.emulator.api_service import chat_member
from bot.emulator.html_check import utf16_len
from bot.emulator.state import (
    BotActivity,
    CallbackRecord,
    ChatRecord,
    EmulatorState,
    FakeUser,
    JsonDict,
    now,
)
from bot.emulator.updates import UpdateQueue

ChatRef = JsonDict | int  # a chat object (as returned by private_chat/group) or its id
MessageRef = JsonDict | int  # a message object or its message_id

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
# A placeholder WebP: the emulator never decodes stickers.
_STICKER_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10"


def text_entities(text: str) -> list[JsonDict]:
    """The entities Telegram's clients attach: a leading command, @mentions, links."""
    entities: list[JsonDict] = []
    command = _COMMAND.match(text)
    if command:
        entities.append(_entity(text, "bot_command", command))
    for pattern, kind in ((_MENTION, "mention"), (_URL, "url")):
        entities.extend(_entity(text, kind, match) for match in pattern.finditer(text))
    return sorted(entities, key=lambda entity: entity["offset"])


def _entity(text: str, kind: str, match: re.Match[str]) -> JsonDict:
    return {
        "type": kind,
        "offset": utf16_len(text[: match.start()]),
        "length": utf16_len(match.group()),
    }


class UserSimulation:
    """Creating users and chats, sending updates as they would, reading what the bot sent."""

    state: EmulatorState
    updates: UpdateQueue
    bot_username: str
    group_privacy: bool

    def _init_user_simulation(self) -> None:
        self._user_ids = itertools.count(7_100_000_001)
        self._supergroup_ids = itertools.count(-1_002_000_000_001, -1)
        self._group_ids = itertools.count(-4_000_000_001, -1)
        self._callback_ids = itertools.count(4_620_000_000_000_000_001)

    # -- people and chats ----------------------------------------------------------------

    def user(
        self,
        id: int | None = None,
        first_name: str = "测试用户",
        username: str | None = None,
        language_code: str | None = "zh-hans",
        last_name: str | None = None,
    ) -> FakeUser:
        """A user who has started the bot (so the bot may write to them)."""
        user = FakeUser(
            id=next(self._user_ids) if id is None else id,
            first_name=first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
        )
        self.state.users[user.id] = user
        if user.id not in self.state.chats:
            chat: JsonDict = {"id": user.id, "type": "private", "first_name": first_name}
            if last_name:
                chat["last_name"] = last_name
            if username:
                chat["username"] = username
            self.state.chats[user.id] = ChatRecord(chat)
        return user

    def private_chat(self, user: FakeUser) -> JsonDict:
        return dict(self._record(user.id).chat)

    def group(
        self,
        title: str = "测试群",
        id: int | None = None,
        *,
        supergroup: bool = True,
        bot_is_admin: bool = False,
        members: Iterable[FakeUser] = (),
    ) -> JsonDict:
        """A group the bot has been added to; ``members`` are reported as "member"."""
        if id is None:
            id = next(self._supergroup_ids if supergroup else self._group_ids)
        chat: JsonDict = {"id": id, "title": title, "type": "supergroup" if supergroup else "group"}
        record = ChatRecord(chat, bot_is_admin=bot_is_admin)
        record.member_status.update((member.id, "member") for member in members)
        self.state.chats[id] = record
        return dict(chat)

    def set_member_status(self, chat: ChatRef, user: FakeUser, status: str) -> None:
        """What getChatMember reports: creator, administrator, member, restricted, left, kicked."""
        chat_member(user.to_dict(), status)  # rejects unknown statuses early
        self._record(chat).member_status[user.id] = status

    async def add_bot_to_group(
        self, chat: ChatRef, by: FakeUser, *, admin: bool = False
    ) -> JsonDict:
        """``by`` adds the bot to the group: it can post there again, and gets the
        ``my_chat_member`` update Telegram sends."""
        record = self._record(chat)
        before = "left" if record.bot_left else "member"
        record.bot_left, record.bot_is_admin = False, admin
        return self._bot_membership(record, by, before, "administrator" if admin else "member")

    async def remove_bot_from_group(self, chat: ChatRef, by: FakeUser) -> JsonDict:
        """``by`` removes the bot from the group: sends there fail with 403 from now on."""
        record = self._record(chat)
        before = "administrator" if record.bot_is_admin else "member"
        record.bot_left = True
        return self._bot_membership(record, by, before, "kicked")

    def _bot_membership(
        self, record: ChatRecord, by: FakeUser, before: str, after: str
    ) -> JsonDict:
        bot = self.state.bot_user
        change: JsonDict = {
            "chat": copy.deepcopy(record.chat),
            "from": by.to_dict(),
            "date": now(),
            "old_chat_member": chat_member(bot, before),
            "new_chat_member": chat_member(bot, after),
        }
        update: JsonDict = {"my_chat_member": change}
        self.updates.enqueue(update)
        return update

    def block_bot(self, user: FakeUser, blocked: bool = True) -> None:
        """The user blocks the bot: sends to them fail with 403 as in Telegram."""
        self._record(user.id).bot_blocked = blocked

    def _record(self, chat: ChatRef) -> ChatRecord:
        chat_id = chat if isinstance(chat, int) else int(chat["id"])
        record = self.state.chats.get(chat_id)
        if record is None:
            raise LookupError(f"chat {chat_id} is unknown: create it with user() or group()")
        return record

    def _chat_of(self, user: FakeUser, chat: ChatRef | None) -> ChatRecord:
        return self._record(user.id if chat is None else chat)

    # -- what users send -----------------------------------------------------------------

    def new_message(self, user: FakeUser, chat: ChatRef | None = None, **content: Any) -> JsonDict:
        """A message from ``user`` with the next id in the chat, stored but not yet sent.

        For unusual updates: build the message, adjust it, then pass it to send_update.
        """
        record = self._chat_of(user, chat)
        message: JsonDict = {
            "message_id": record.next_message_id(),
            "from": user.to_dict(),
            "chat": record.chat,
            "date": now(),
            **content,
        }
        record.messages[message["message_id"]] = message
        return message

    async def send_text(
        self,
        user: FakeUser,
        text: str,
        chat: ChatRef | None = None,
        entities: list[JsonDict] | None = None,
        reply_to: MessageRef | None = None,
    ) -> JsonDict:
        message = self.new_message(user, chat, text=text)
        found = text_entities(text) if entities is None else entities
        if found:
            message["entities"] = found
        if reply_to is not None:
            message["reply_to_message"] = self._reply_copy(user, chat, reply_to)
        self._send_message_update(message)
        return message

    async def send_photo(
        self,
        user: FakeUser,
        image_bytes: bytes,
        caption: str | None = None,
        chat: ChatRef | None = None,
    ) -> JsonDict:
        sizes = self.state.store_media("photo", image_bytes)
        return self._send_media_message(user, chat, {"photo": sizes}, caption)

    async def send_document(
        self,
        user: FakeUser,
        data: bytes,
        file_name: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat: ChatRef | None = None,
    ) -> JsonDict:
        document = self.state.store_media(
            "document", data, file_name=file_name, mime_type=mime_type
        )
        return self._send_media_message(user, chat, {"document": document}, caption)

    async def send_video(
        self,
        user: FakeUser,
        data: bytes = b"\x00\x00\x00\x18ftypmp42",
        duration: int = 1,
        width: int = 640,
        height: int = 360,
        caption: str | None = None,
        chat: ChatRef | None = None,
    ) -> JsonDict:
        video = self.state.store_media(
            "video",
            data,
            file_name="video.mp4",
            mime_type="video/mp4",
            duration=duration,
            width=width,
            height=height,
        )
        return self._send_media_message(user, chat, {"video": video}, caption)

    async def send_voice(
        self,
        user: FakeUser,
        data: bytes = b"OggS\x00\x02",
        duration: int = 1,
        chat: ChatRef | None = None,
    ) -> JsonDict:
        voice = self.state.store_media("voice", data, duration=duration)
        return self._send_media_message(user, chat, {"voice": voice}, None)

    async def send_sticker(
        self, user: FakeUser, emoji: str = "👍", chat: ChatRef | None = None
    ) -> JsonDict:
        sticker = self.state.store_media("sticker", _STICKER_BYTES, emoji=emoji)
        return self._send_media_message(user, chat, {"sticker": sticker}, None)

    async def send_location(
        self, user: FakeUser, latitude: float, longitude: float, chat: ChatRef | None = None
    ) -> JsonDict:
        location = {"latitude": latitude, "longitude": longitude}
        message = self.new_message(user, chat, location=location)
        self._send_message_update(message)
        return message

    async def send_contact(
        self,
        user: FakeUser,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        chat: ChatRef | None = None,
    ) -> JsonDict:
        contact: JsonDict = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        message = self.new_message(user, chat, contact=contact)
        self._send_message_update(message)
        return message

    async def edit_text(self, user: FakeUser, message: JsonDict, new_text: str) -> JsonDict:
        """The user edits an earlier text message: an ``edited_message`` update."""
        record = self._record(message["chat"])
        stored = record.messages[message["message_id"]]
        stored["text"] = new_text
        stored["edit_date"] = now()
        entities = text_entities(new_text)
        stored.pop("entities", None)
        if entities:
            stored["entities"] = entities
        if self._bot_sees(record, stored):
            self.updates.enqueue({"edited_message": copy.deepcopy(stored)})
        return copy.deepcopy(stored)

    async def press_button(
        self,
        user: FakeUser,
        message: MessageRef,
        callback_data: str | None = None,
        *,
        button_text: str | None = None,
        chat: ChatRef | None = None,
    ) -> JsonDict:
        """Press an inline button on a bot message, chosen by its data or its label."""
        record = self._message_chat(user, message, chat)
        message_id = message if isinstance(message, int) else int(message["message_id"])
        current = record.messages.get(message_id)
        if current is None:
            raise LookupError(f"message {message_id} is not in chat {record.id} (deleted?)")
        data = _find_callback_data(current, callback_data, button_text)
        return self._queue_press(user, record, current, data)

    async def forge_button_press(self, user: FakeUser, message: MessageRef, data: str) -> JsonDict:
        """A press carrying callback data the message never offered, as a modified client can
        send: the bot must refuse it, since only the server's own checks are trustworthy."""
        record = self._message_chat(user, message, None)
        message_id = message if isinstance(message, int) else int(message["message_id"])
        current = record.messages.get(message_id)
        if current is None:
            raise LookupError(f"message {message_id} is not in chat {record.id} (deleted?)")
        return self._queue_press(user, record, current, data)

    def _queue_press(
        self, user: FakeUser, record: ChatRecord, current: JsonDict, data: str
    ) -> JsonDict:
        query_id = str(next(self._callback_ids))
        self.state.callback_queries[query_id] = CallbackRecord(chat_id=record.id)
        query: JsonDict = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(current),
            "chat_instance": str(abs(record.id) * 31 + 7),
            "data": data,
        }
        self.updates.enqueue({"callback_query": query})
        return query

    async def send_update(self, update: JsonDict) -> JsonDict:
        """Queue any update as given (its update_id is assigned); returns it."""
        update = copy.deepcopy(update)
        update.pop("update_id", None)
        self.updates.enqueue(update)
        return update

    def _send_media_message(
        self, user: FakeUser, chat: ChatRef | None, content: JsonDict, caption: str | None
    ) -> JsonDict:
        message = self.new_message(user, chat, **content)
        if caption:
            message["caption"] = caption
            entities = text_entities(caption)
            if entities:
                message["caption_entities"] = entities
        self._send_message_update(message)
        return message

    def _send_message_update(self, message: JsonDict) -> None:
        record = self._record(message["chat"])
        if self._bot_sees(record, message):
            self.updates.enqueue({"message": message})

    def _bot_sees(self, record: ChatRecord, message: JsonDict) -> bool:
        """Privacy mode: in groups a bot gets commands, replies to it and mentions only."""
        if record.is_private or not self.group_privacy or record.bot_is_admin:
            return True
        text = str(message.get("text") or message.get("caption") or "")
        replied = message.get("reply_to_message") or {}
        command = _COMMAND.match(text)
        addressee = command.group().partition("@")[2].lower() if command else ""
        return (
            (command is not None and addressee in ("", self.bot_username.lower()))
            or f"@{self.bot_username}".lower() in text.lower()
            or replied.get("from", {}).get("id") == self.state.bot_id
        )

    def _message_chat(
        self, user: FakeUser, message: MessageRef, chat: ChatRef | None
    ) -> ChatRecord:
        if isinstance(message, dict):
            return self._record(message["chat"])
        return self._chat_of(user, chat)

    def _reply_copy(self, user: FakeUser, chat: ChatRef | None, reply_to: MessageRef) -> JsonDict:
        record = self._message_chat(user, reply_to, chat)
        message_id = reply_to if isinstance(reply_to, int) else int(reply_to["message_id"])
        target = record.messages.get(message_id)
        if target is None:
            raise LookupError(f"message {message_id} is not in chat {record.id}")
        return {
            key: value for key, value in copy.deepcopy(target).items() if key != "reply_to_message"
        }

    # -- what the bot did ----------------------------------------------------------------

    def messages(self, chat: ChatRef) -> list[JsonDict]:
        """The bot's messages still in the chat, oldest first, as they look now."""
        record = self._record(chat)
        return [
            copy.deepcopy(message)
            for message in record.bot_messages
            if message["message_id"] in record.messages
        ]

    async def wait_for_messages(
        self,
        chat: ChatRef,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the condition, not for I/O
    ) -> list[JsonDict]:
        """Wait until the bot has sent ``count`` messages to the chat; return all it sent.

        Deleted messages are included, in their last state.
        """
        record = self._record(chat)
        arrived = await self.state.bot_activity.wait_until(
            record.id, lambda: len(record.bot_messages) >= count, timeout
        )
        sent = [copy.deepcopy(message) for message in record.bot_messages]
        if not arrived:
            texts = [message.get("text", message.get("caption", "<media>")) for message in sent]
            raise AssertionError(
                f"expected {count} bot message(s) in chat {record.id} within {timeout} s, "
                f"got {len(sent)}: {texts!r}"
            )
        return sent

    async def wait_for_chat(
        self,
        chat: ChatRef,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the condition, not for I/O
    ) -> None:
        """Wait until ``condition()`` holds, checking again whenever the bot acts in the chat."""
        record = self._record(chat)
        if not await self.state.bot_activity.wait_until(record.id, condition, timeout):
            texts = [m.get("text", m.get("caption", "<media>")) for m in self.messages(chat)]
            raise AssertionError(
                f"condition not met in chat {record.id} within {timeout} s; "
                f"bot messages now: {texts!r}"
            )

    @property
    def callback_answers(self) -> list[JsonDict]:
        return self.state.callback_answers

    @property
    def my_commands(self) -> dict[tuple[str, str], list[JsonDict]]:
        """Commands per (scope, language_code): ("default", ""), ("chat:42", "en") ..."""
        return self.state.commands

    def reply_keyboard(self, chat: ChatRef) -> JsonDict | None:
        """The custom keyboard the user currently sees in the chat, if any."""
        return self._record(chat).reply_keyboard

    def file_bytes(self, file_id: str) -> bytes:
        stored = self.state.files.get(file_id)
        if stored is None:
            raise LookupError(f"unknown file_id {file_id!r}")
        return stored.data

    def add_listener(self, listener: Callable[[BotActivity], None]) -> Callable[[], None]:
        """Call ``listener`` for everything the bot does; returns a function that unsubscribes."""
        self.state.listeners.append(listener)
        return lambda: self.state.listeners.remove(listener)


def inline_buttons(message: JsonDict) -> list[JsonDict]:
    """The inline keyboard's buttons, row by row, left to right."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def _find_callback_data(
    message: JsonDict, callback_data: str | None, button_text: str | None
) -> str:
    buttons = inline_buttons(message)
    for button in buttons:
        matches_data = callback_data is not None and button.get("callback_data") == callback_data
        matches_text = button_text is not None and button.get("text") == button_text
        if (matches_data or matches_text) and "callback_data" in button:
            return str(button["callback_data"])
    offered = [(button.get("text"), button.get("callback_data")) for button in buttons]
    wanted = callback_data if callback_data is not None else button_text
    raise LookupError(
        f"no callback button {wanted!r} on message {message['message_id']}; it has {offered}"
    )
