"""Bot API methods about the bot itself, update delivery, commands and chats."""

from __future__ import annotations

import re
from typing import Any

from bot.emulator.api import ApiContext, ApiResult, api_method
from bot.emulator.params import Params, bad_request
from bot.emulator.state import ChatRecord, JsonDict
from bot.emulator.updates import Webhook

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WEBHOOK_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_MAX_COMMANDS = 100
_MAX_COMMAND_DESCRIPTION = 256
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)
_RESTRICTED_RIGHTS = (
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_send_messages",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_manage_topics",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_edit_tag",
)


# -- the bot -----------------------------------------------------------------------------


@api_method("getMe")
async def get_me(ctx: ApiContext, p: Params) -> JsonDict:
    return ctx.state.bot_user


@api_method("logOut")
async def log_out(ctx: ApiContext, p: Params) -> bool:
    return True


@api_method("close")
async def close(ctx: ApiContext, p: Params) -> bool:
    return True


async def _accept_setting(ctx: ApiContext, p: Params) -> bool:
    return True  # profile settings have no visible effect in the emulator


for _setting in (
    "setMyName",
    "setMyDescription",
    "setMyShortDescription",
    "setMyDefaultAdministratorRights",
    "setMessageReaction",
):
    api_method(_setting)(_accept_setting)


# -- updates -----------------------------------------------------------------------------


def _allowed_updates(p: Params) -> list[str] | None:
    if "allowed_updates" not in p.values:
        return None
    return [str(kind) for kind in p.list_("allowed_updates")]


def _poll_seconds(p: Params) -> float:
    try:
        return max(float(p.str_("timeout", "0") or 0), 0.0)
    except ValueError:
        raise bad_request("invalid timeout specified") from None


@api_method("getUpdates")
async def get_updates(ctx: ApiContext, p: Params) -> list[JsonDict]:
    return await ctx.updates.get_updates(
        offset=p.int_("offset", 0),
        limit=p.int_("limit", 100),
        poll_seconds=_poll_seconds(p),
        allowed=_allowed_updates(p),
    )


@api_method("setWebhook")
async def set_webhook(ctx: ApiContext, p: Params) -> ApiResult:
    url = p.str_("url")
    if not url:
        return _delete_webhook(ctx, p)
    if not _WEBHOOK_URL.fullmatch(url):
        raise bad_request("bad webhook: Wrong HTTP URL specified")
    secret = p.str_or_none("secret_token") or None
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.int_("max_connections", 1)
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    ctx.updates.set_allowed(_allowed_updates(p))
    if p.bool_("drop_pending_updates"):
        ctx.updates.drop_pending()
    current = ctx.updates.webhook
    if current and (current.url, current.secret_token, current.max_connections) == (
        url,
        secret,
        max_connections,
    ):
        return ApiResult(True, "Webhook is already set")
    ctx.updates.set_webhook(Webhook(url, secret, max_connections))
    return ApiResult(True, "Webhook was set")


@api_method("deleteWebhook")
async def delete_webhook(ctx: ApiContext, p: Params) -> ApiResult:
    return _delete_webhook(ctx, p)


def _delete_webhook(ctx: ApiContext, p: Params) -> ApiResult:
    if p.bool_("drop_pending_updates"):
        ctx.updates.drop_pending()
    if ctx.updates.webhook is None:
        return ApiResult(True, "Webhook is already deleted")
    ctx.updates.delete_webhook()
    return ApiResult(True, "Webhook was deleted")


@api_method("getWebhookInfo")
async def get_webhook_info(ctx: ApiContext, p: Params) -> dict[str, Any]:
    return ctx.updates.webhook_info()


# -- commands and menu -------------------------------------------------------------------


def command_scope_key(scope: JsonDict | None) -> str:
    """A readable key per scope: "default", "all_private_chats", "chat:42", "chat_member:42:7"."""
    if not scope:
        return "default"
    kind = str(scope.get("type", ""))
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return kind
    if kind in ("chat", "chat_administrators"):
        return f"{kind}:{scope.get('chat_id')}"
    if kind == "chat_member":
        return f"chat_member:{scope.get('chat_id')}:{scope.get('user_id')}"
    raise bad_request("wrong bot command scope type specified")


def _language_code(p: Params) -> str:
    code = p.str_("language_code")
    if code and not (len(code) == 2 and code.isalpha()):
        raise bad_request("invalid language code specified")
    return code


def _checked_commands(p: Params) -> list[JsonDict]:
    commands = p.list_("commands")
    if len(commands) > _MAX_COMMANDS:
        raise bad_request("too many commands specified")
    checked = []
    for command in commands:
        name = str(command.get("command", "")) if isinstance(command, dict) else ""
        description = str(command.get("description", "")) if isinstance(command, dict) else ""
        if not _COMMAND.fullmatch(name.removeprefix("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= _MAX_COMMAND_DESCRIPTION:
            raise bad_request("command description must be 1-256 characters long")
        checked.append({"command": name.removeprefix("/"), "description": description})
    return checked


@api_method("setMyCommands")
async def set_my_commands(ctx: ApiContext, p: Params) -> bool:
    commands = _checked_commands(p)
    key = (command_scope_key(p.object_or_none("scope")), _language_code(p))
    if commands:
        ctx.state.commands[key] = commands
    else:
        ctx.state.commands.pop(key, None)
    return True


@api_method("getMyCommands")
async def get_my_commands(ctx: ApiContext, p: Params) -> list[JsonDict]:
    key = (command_scope_key(p.object_or_none("scope")), _language_code(p))
    return ctx.state.commands.get(key, [])


@api_method("deleteMyCommands")
async def delete_my_commands(ctx: ApiContext, p: Params) -> bool:
    key = (command_scope_key(p.object_or_none("scope")), _language_code(p))
    ctx.state.commands.pop(key, None)
    return True


@api_method("setChatMenuButton")
async def set_chat_menu_button(ctx: ApiContext, p: Params) -> bool:
    button = p.object_or_none("menu_button") or {"type": "default"}
    if button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("wrong menu button type specified")
    if p.has("chat_id"):
        ctx.state.chat(p.chat_id()).menu_button = button
    else:
        ctx.state.default_menu_button = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(ctx: ApiContext, p: Params) -> JsonDict:
    if p.has("chat_id"):
        return ctx.state.chat(p.chat_id()).menu_button or ctx.state.default_menu_button
    return ctx.state.default_menu_button


# -- chats -------------------------------------------------------------------------------


@api_method("getChat")
async def get_chat(ctx: ApiContext, p: Params) -> JsonDict:
    record = ctx.state.chat(p.chat_id())
    return {
        **record.chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def chat_member(user: JsonDict, status: str) -> JsonDict:
    """A ChatMember object with the fields Telegram always sends for ``status``."""
    member: JsonDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False)
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "restricted":
        member.update(is_member=True, until_date=0)
        member.update(dict.fromkeys(_RESTRICTED_RIGHTS, False))
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in ("member", "left"):
        raise ValueError(f"unknown chat member status {status!r}")
    return member


def _member_of(ctx: ApiContext, record: ChatRecord, user_id: int) -> JsonDict:
    if user_id == ctx.state.bot_id:
        status = "administrator" if record.bot_is_admin else "member"
        return chat_member(ctx.state.bot_user, "left" if record.bot_left else status)
    user = ctx.state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if record.is_private and user_id != record.id:
        raise bad_request("user not found")
    return chat_member(user.to_dict(), record.member_status.get(user_id, "member"))


@api_method("getChatMember")
async def get_chat_member(ctx: ApiContext, p: Params) -> JsonDict:
    record = ctx.state.chat(p.chat_id())
    return _member_of(ctx, record, p.required_int("user_id", "user not found"))


@api_method("getChatAdministrators")
async def get_chat_administrators(ctx: ApiContext, p: Params) -> list[JsonDict]:
    record = ctx.state.chat(p.chat_id())
    admins = [
        _member_of(ctx, record, user_id)
        for user_id, status in record.member_status.items()
        if status in ("creator", "administrator")
    ]
    if record.bot_is_admin:
        admins.append(_member_of(ctx, record, ctx.state.bot_id))
    return admins


@api_method("leaveChat")
async def leave_chat(ctx: ApiContext, p: Params) -> bool:
    record = ctx.state.chat(p.chat_id())
    if record.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    record.check_bot_can_send()
    record.bot_left = True
    return True
