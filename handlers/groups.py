"""Groups: the bot added to or removed from a group, /bind and /unbind there.

Added to a group, the bot says how to bind it; removed (a ``my_chat_member`` update), it
unbinds the group at once and tells the admins, so cards are never posted into a group the
bot can no longer write to. The group desk (:mod:`bot.inspection.groups`) decides who may
bind, and audits every change and refusal.
"""

from __future__ import annotations

import contextlib
import html
import logging

from telegram import ChatMember, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ChatMemberHandler, CommandHandler, MessageHandler, filters

from bot.i18n import text
from bot.inspection.groups import Bound
from bot.inspection.model import Denied
from bot.inspection.organisation import GroupBinding, GroupKind
from bot.inspection.parsing import parse_queue
from handlers.common import reply_html, send_html
from handlers.context import HotlineContext
from handlers.request import Request, answering
from handlers.staff_views import denial_text, group_target_name

log = logging.getLogger(__name__)

IN_GROUP = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.RESTRICTED})
GONE = frozenset({ChatMember.LEFT, ChatMember.BANNED})
SUPERVISORS_WORDS = frozenset({"supervisors", "督导", "督导群"})


def register(app: Application, group: int) -> None:  # type: ignore[type-arg]
    new = filters.UpdateType.MESSAGE
    app.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER), group)
    app.add_handler(CommandHandler("bind", answering(bind_command), filters=new), group)
    app.add_handler(CommandHandler("unbind", answering(unbind_command), filters=new), group)
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated), group)


async def bot_membership(update: Update, context: HotlineContext) -> None:
    """The bot's own membership of a group changed."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    before, after = change.old_chat_member.status, change.new_chat_member.status
    chat = change.chat
    if after in IN_GROUP and before in GONE:
        body = text("zh", "group.added", title=html.escape(chat.title or ""))
        await send_html(context, chat.id, body)
    elif after in GONE:
        lost = await context.services.inspection.groups.bot_removed(chat.id, chat.title or "")
        if lost:
            log.info("update %d: removed from a bound group; unbound", update.update_id)
            context.services.wake_outbox()  # the admins are told


async def group_migrated(update: Update, context: HotlineContext) -> None:
    """A group became a supergroup (Telegram gives it a new id): its bindings follow."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    groups = context.services.inspection.groups
    await groups.chat_migrated(message.chat.id, message.migrate_to_chat_id)


async def _in_a_group(request: Request) -> Message | None:
    """The group command's message; in a private chat the sender is told to send it in the
    group instead."""
    message = request.message
    if message is None:
        return None
    if request.private:
        await reply_html(message, request.t("group.bind_in_group"))
        return None
    return message


async def bind_command(request: Request) -> None:
    """``/bind <queue>`` or ``/bind supervisors <department>``, by an admin, in the group."""
    message = await _in_a_group(request)
    if message is None:
        return
    user_id, language, context = request.user_id, request.language, request.context
    target = _target(context, list(request.args))
    if target is None:
        await reply_html(message, text(language, "group.usage.bind"))
        return
    kind, ident = target
    groups = context.services.inspection.groups
    result = await groups.bind(
        user_id, message.chat.id, message.chat.title or "", kind, ident, once=request.once
    )
    if isinstance(result, Denied):
        said = await denial_text(context.bot, context.services, language, result)
        await reply_html(message, said)
        return
    await reply_html(message, await _bound_text(context, language, result))
    context.services.wake_outbox()  # the group it left is told; menus follow


def _target(context: HotlineContext, args: list[str]) -> tuple[GroupKind, str] | None:
    config = context.services.inspection.organisation.config
    if len(args) == 2 and args[0].lower() in SUPERVISORS_WORDS:
        for department in config.departments:
            if args[1].casefold() in (department.id.casefold(), department.name.casefold()):
                return "supervisors", department.id
        return "supervisors", args[1]  # refused as unknown by the desk, and audited
    if len(args) == 1:
        return "queue", parse_queue(args[0], config)
    return None


def target_name(context: HotlineContext, language: str, kind: str, target: str) -> str:
    return group_target_name(context.services.config, language, kind, target)


async def _bound_text(context: HotlineContext, language: str, bound: Bound) -> str:
    name = target_name(context, language, bound.kind, bound.target)
    if bound.already:
        return text(language, "group.bound_already", target=name)
    lines = [text(language, f"group.bound_{bound.kind}", target=name)]
    if bound.moved_from is not None:
        title = html.escape(await _title_of(context, bound.moved_from))
        lines.append(text(language, "group.moved_here", title=title))
    return "\n".join(lines)


async def _title_of(context: HotlineContext, binding: GroupBinding) -> str:
    """A group's name: as kept when it was bound, else as Telegram has it (a group from the
    config was bound without one)."""
    if binding.title:
        return binding.title
    with contextlib.suppress(TelegramError):
        chat = await context.bot.get_chat(binding.chat_id)
        return chat.title or str(binding.chat_id)
    return str(binding.chat_id)


async def unbind_command(request: Request) -> None:
    message = await _in_a_group(request)
    if message is None:
        return
    user_id, language, context = request.user_id, request.language, request.context
    groups = context.services.inspection.groups
    result = await groups.unbind(user_id, message.chat.id, once=request.once)
    if isinstance(result, Denied):
        await reply_html(
            message, await denial_text(context.bot, context.services, language, result)
        )
        return
    await reply_html(
        message, text(language, "group.unbound", targets=_names(context, language, result))
    )
    context.services.wake_outbox()


def _names(context: HotlineContext, language: str, bindings: tuple[GroupBinding, ...]) -> str:
    return "、".join(target_name(context, language, b.kind, b.target) for b in bindings)
