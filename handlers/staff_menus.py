"""The commands menus of staff: each member's private chat lists what their roles allow, each
bound group the work commands. Set for everyone at start, and again for a chat whenever a
change touches it (the outbox's ``staff_menu`` message), so menus follow joins, removals, role
changes and bindings on every instance.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import BadRequest, Forbidden

from bot.i18n import LANGUAGES, text
from bot.inspection.access import Access, Action
from bot.services import Services
from handlers.inspector import STAFF_COMMANDS

log = logging.getLogger(__name__)

# Everyone's menus: in a private chat, and in a group.
PRIVATE_COMMANDS = (
    "start",
    "report",
    "status",
    "cancel",
    "ask",
    "check",
    "help",
    "lang",
    "about",
)
GROUP_COMMANDS = ("ask", "check", "help")

# Each staff command, and what one must be allowed somewhere to see it in one's own menu.
PRIVATE_STAFF: dict[str, Action | None] = {
    "queue": Action.VIEW,
    "mine": Action.CLAIM,
    "ticket": Action.VIEW,
    "claim": Action.CLAIM,
    "release": Action.RELEASE,
    "note": Action.NOTE,
    "ask": Action.ASK_REPORTER,
    "transfer": Action.TRANSFER,
    "resolve": Action.RESOLVE,
    "reopen": Action.REOPEN,
    "merge": Action.MERGE,
    "stats": Action.STATS,
    "export": Action.EXPORT,
    "brief": Action.BRIEF,
    "duty": Action.VIEW,
    "staff": Action.VIEW_STAFF,
    "invite": Action.MANAGE_STAFF,
    "remove": Action.MANAGE_STAFF,
    "role": Action.MANAGE_STAFF,
    "whoami": None,
}
# A bound group: the work on its tickets, the rota, and undoing the binding.
GROUP_STAFF = (*STAFF_COMMANDS, "duty", "unbind")


def private_menu(access: Access, user_id: int) -> tuple[str, ...]:
    """The staff commands ``user_id`` may use; empty for someone with no role."""
    if not access.is_staff(user_id):
        return ()
    return tuple(
        name
        for name, action in PRIVATE_STAFF.items()
        if action is None or access.may_anywhere(user_id, action)
    )


async def publish_all(bot: Bot, services: Services) -> None:
    """Every member's private chat and every bound group, at start. A chat the bot cannot
    reach yet (a member who never started it) is skipped."""
    organisation = services.inspection.organisation
    members = sorted({m.user_id for m in organisation.snapshot.memberships})
    for user_id in members:
        await _set(bot, user_id, PRIVATE_COMMANDS, private_menu(organisation.access, user_id))
    for chat_id in organisation.settings.staff_chat_ids():
        await _set(bot, chat_id, GROUP_COMMANDS, GROUP_STAFF)


async def publish_chat(bot: Bot, services: Services, chat_id: int) -> None:
    """One chat's menu as it should be now (after a change): staff commands, or back to
    everyone's."""
    organisation = services.inspection.organisation
    await organisation.refresh(force=True)
    if chat_id > 0:
        await _set(bot, chat_id, PRIVATE_COMMANDS, private_menu(organisation.access, chat_id))
    else:
        bound = chat_id in organisation.settings.staff_chat_ids()
        await _set(bot, chat_id, GROUP_COMMANDS, GROUP_STAFF if bound else ())


async def _set(bot: Bot, chat_id: int, everyone: tuple[str, ...], staff: tuple[str, ...]) -> None:
    try:
        for language in LANGUAGES:
            code = None if language == "zh" else language
            scope = BotCommandScopeChat(chat_id)
            if not staff:  # nothing of its own: the menu everyone in such a chat has
                await bot.delete_my_commands(scope=scope, language_code=code)
                continue
            names = dict.fromkeys((*everyone, *staff))
            commands = [BotCommand(n, text(language, _key(n, staff))) for n in names]
            await bot.set_my_commands(commands, scope=scope, language_code=code)
    except (BadRequest, Forbidden) as exc:
        log.info("staff commands not set for a chat (%s)", type(exc).__name__)


def _key(name: str, staff: tuple[str, ...]) -> str:
    return f"command.staff.{name}" if name in staff else f"command.{name}"
