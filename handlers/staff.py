"""Staff managed from Telegram: /invite, the join link, /staff, /remove, /role, /whoami.

Managing staff passes the staff gate like every staff command; the staff desk
(:mod:`bot.inspection.staff`) then checks who may manage whom, and audits every change and
every refusal. Removals and role changes are confirmed with a button, whose data the desk
checks again when it is pressed (it may have been forged). The join link and /whoami work for
anyone: a new member is not staff yet, and /whoami shows a person only themselves.
"""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import Language, text
from bot.inspection.model import Denied
from bot.inspection.organisation import Membership, Scope
from bot.inspection.parsing import parse_role, parse_scope, parse_user_id
from bot.inspection.settings import Role
from bot.inspection.staff import JOIN_PREFIX, InviteIssued, Joined, StaffChange, StaffEntry
from bot.store.staff_tables import InviteRecord
from handlers.callbacks import Prefix, pattern
from handlers.callbacks import data as callback_data
from handlers.common import answer_press, reply_html, send_html
from handlers.context import HotlineContext
from handlers.inspector_buttons import refuse_button
from handlers.request import Request, answering
from handlers.staff_requests import (
    StaffHandler,
    admitted,
    denial,
    plain,
    refresh_cards,
    refused,
    reply,
    staff_only,
)
from handlers.staff_views import local_time, place_name, role_name, staff_name

log = logging.getLogger(__name__)

JOIN_LINK = rf"^/start(@\w+)?\s+{JOIN_PREFIX}[A-Za-z0-9_-]*\s*$"
# Roles in button data, one letter each.
ROLE_CODES: dict[Role, str] = {"inspector": "i", "supervisor": "s", "admin": "a", "auditor": "u"}
CODE_ROLES = {code: role for role, code in ROLE_CODES.items()}
# Words between a member and the colleague their tickets go to: "/remove 123 to 456".
TO_WORDS = frozenset({"to", "给", "交给", "转给", "->", "→"})


def register(app: Application, group: int) -> None:  # type: ignore[type-arg]
    new = filters.UpdateType.MESSAGE
    join = new & filters.ChatType.PRIVATE & filters.Regex(JOIN_LINK)
    app.add_handler(CommandHandler("start", answering(join_link), filters=join), group)
    app.add_handler(CommandHandler("whoami", answering(whoami_command), filters=new), group)
    for name, handler in COMMANDS.items():
        app.add_handler(CommandHandler(name, staff_only(name, handler), filters=new), group)
    app.add_handler(CallbackQueryHandler(staff_button, pattern=pattern(Prefix.STAFF)), group)


# --- names -------------------------------------------------------------------------------------


def where(context: HotlineContext, language: str, scope: Scope) -> str:
    return place_name(context.services.config, language, scope.level, scope.id)


async def member_name(context: HotlineContext, user_id: int) -> str:
    chats = context.services.inspection.settings.staff_chat_ids()
    return await staff_name(context.bot, context.services, user_id, chats)


# --- joining -----------------------------------------------------------------------------------


async def join_link(request: Request) -> None:
    """``t.me/<bot>?start=join-<token>``: the one who taps it becomes a member, once."""
    message = request.message
    user = message.from_user if message is not None else None  # their name is shown to staff
    if user is None or message is None:
        return
    context, language = request.context, request.language
    token = (request.args or ("",))[0].removeprefix(JOIN_PREFIX)
    result = await context.services.inspection.staff.join(user.id, user.full_name, token)
    if isinstance(result, Denied):
        await reply_html(message, text(language, f"denied.{result.reason}"))
        return
    await reply_html(message, await _welcome(context, language, result))
    context.services.wake_outbox()  # the inviter is told, the menu follows
    log.info("update %d: someone joined the staff", request.update_id)


async def _welcome(context: HotlineContext, language: Language, joined: Joined) -> str:
    key = "staff.joined_again" if joined.again else "staff.joined"
    inviter = await member_name(context, joined.invited_by) if joined.invited_by else "-"
    return text(
        language,
        key,
        role=role_name(language, joined.role),
        place=where(context, language, joined.scope),
        inviter=inviter,
    )


# --- /whoami -----------------------------------------------------------------------------------


async def whoami_command(request: Request) -> None:
    """A person's own Telegram id, roles and queues, in a private chat; nothing about anyone
    else (and nothing in a group, where others would read it)."""
    message, user_id = request.message, request.user_id
    if message is None:
        return
    context, language = request.context, request.language
    if not request.private:
        await reply_html(message, text(language, "staff.whoami_private"))
        return
    organisation = context.services.inspection.organisation
    await organisation.refresh_for(user_id)
    held = context.services.inspection.staff.whoami(user_id)
    lines = [text(language, "staff.whoami", user_id=user_id)]
    if not held:
        lines.append(text(language, "staff.whoami_nobody"))
    for membership in held:
        lines.append(_held_line(context, language, membership))
    if held:
        queues = organisation.access.queues(user_id)
        names = ", ".join(_queue_name(context, q) for q in queues) or "-"
        lines.append(text(language, "staff.whoami_queues", queues=names))
    await reply_html(message, "\n".join(lines))


def _held_line(context: HotlineContext, language: str, membership: Membership) -> str:
    return text(
        language,
        "staff.whoami_role",
        role=role_name(language, membership.role),
        place=where(context, language, membership.scope),
    )


def _queue_name(context: HotlineContext, queue_id: str) -> str:
    queue = context.services.inspection.organisation.config.queue(queue_id)
    return html.escape(queue.name if queue else queue_id)


# --- /invite -----------------------------------------------------------------------------------


async def invite_command(request: Request) -> None:
    """``/invite <queue|department|all> [role]``: a one-time link, sent privately."""
    staff = request.services.inspection.staff
    if not request.args:
        await _open_invites(request)
        return
    settings = request.services.inspection.settings
    scope = parse_scope(request.args[0], settings)
    role = parse_role(request.args[1]) if len(request.args) > 1 else "inspector"
    if scope is None or role is None:
        key = "staff.unknown_place" if scope is None else "staff.unknown_role"
        await reply(request, text(request.language, key, wanted=_wanted(request)))
        return
    issued = await staff.invite(request.user_id, scope, role, once=request.once)
    if isinstance(issued, Denied):
        await refused(request, issued)
        return
    body = _invite_text(request.context, request.language, issued)
    try:
        await send_html(
            request.context, request.user_id, body, _revoke_markup(request.language, issued)
        )
    except (Forbidden, BadRequest):
        await reply(request, text(request.language, "inspector.start_private"))
        return
    if not request.private:
        await reply(request, text(request.language, "staff.invite_private"))


def _wanted(request: Request) -> str:
    return html.escape(" ".join(request.args[:2]))


def _invite_text(context: HotlineContext, language: str, issued: InviteIssued) -> str:
    link = f"https://t.me/{context.bot.username}?start={issued.start_parameter}"
    return text(
        language,
        "staff.invite_link",
        link=html.escape(link),
        role=role_name(language, issued.role),
        place=where(context, language, issued.scope),
        expires=local_time(context.services.config, issued.expires_at),
        number=issued.invite_id,
    )


def _revoke_markup(language: str, issued: InviteIssued | InviteRecord) -> InlineKeyboardMarkup:
    invite_id = issued.invite_id if isinstance(issued, InviteIssued) else issued.id
    label = text(language, "staff.button.revoke", number=invite_id)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=callback_data(Prefix.STAFF, "rv", invite_id))]]
    )


async def _open_invites(request: Request) -> None:
    """Usage, and the invitations still open that the asker may revoke (a button each)."""
    language = request.language
    found = await request.services.inspection.staff.open_invites(request.user_id)
    lines = [text(language, "staff.usage.invite")]
    if found:
        lines.append(text(language, "staff.open_invites"))
    rows = []
    for invite in found:
        scope = Scope.of(invite.level, invite.scope)
        lines.append(
            text(
                language,
                "staff.open_invite",
                number=invite.id,
                role=role_name(language, invite.role),
                place=where(request.context, language, scope),
                expires=local_time(request.services.config, invite.expires_at),
            )
        )
        label = text(language, "staff.button.revoke", number=invite.id)
        rows.append(
            [
                InlineKeyboardButton(
                    label, callback_data=callback_data(Prefix.STAFF, "rv", invite.id)
                )
            ]
        )
    markup = InlineKeyboardMarkup(rows) if rows else None
    await reply(request, "\n".join(lines), markup)


# --- /staff ------------------------------------------------------------------------------------


async def staff_command(request: Request) -> None:
    """``/staff [queue|department]``: who works there, as what, since when, last active."""
    scope = None
    if request.args:
        scope = parse_scope(request.args[0], request.services.inspection.settings)
        if scope is None:
            wanted = html.escape(request.args[0])
            await reply(request, text(request.language, "staff.unknown_place", wanted=wanted))
            return
    listed = await request.services.inspection.staff.staff_list(request.user_id, scope)
    if isinstance(listed, Denied):
        await refused(request, listed)
        return
    await reply(request, await _staff_text(request.context, request.language, listed, scope))


async def _staff_text(
    context: HotlineContext, language: str, listed: tuple[StaffEntry, ...], scope: Scope | None
) -> str:
    if scope is None:  # everyone the asker may see, which is not always everywhere
        lines = [text(language, "staff.list_title_yours", count=len(listed))]
    else:
        shown = where(context, language, scope)
        lines = [text(language, "staff.list_title", place=shown, count=len(listed))]
    config = context.services.config
    for entry in listed:
        membership = entry.membership
        added = local_time(config, membership.added_at) if membership.added_at else "-"
        active = local_time(config, entry.last_active) if entry.last_active else None
        lines.append(
            text(
                language,
                "staff.list_item",
                name=await member_name(context, membership.user_id),
                user_id=membership.user_id,
                role=role_name(language, membership.role),
                place=where(context, language, membership.scope),
                added=added,
                active=active or text(language, "staff.never_active"),
            )
        )
    return "\n".join(lines)


# --- /remove and /role -------------------------------------------------------------------------


async def remove_command(request: Request) -> None:
    """``/remove <member id> [to <colleague id>]``: asks to confirm, then removes."""
    words = [w for w in request.args if w.lower() not in TO_WORDS]
    member = parse_user_id(words[0]) if words else None
    hand_to = parse_user_id(words[1]) if len(words) > 1 else None
    if member is None or (len(words) > 1 and hand_to is None):
        await reply(request, text(request.language, "staff.usage.remove"))
        return
    plan = await request.services.inspection.staff.plan_removal(request.user_id, member, hand_to)
    if isinstance(plan, Denied):
        await refused(request, plan)
        return
    data = callback_data(Prefix.STAFF, "rm", member, hand_to or 0)
    body = await _change_text(request.context, request.language, plan, planned=True)
    await reply(request, body, _confirm_markup(request.language, data))


async def role_command(request: Request) -> None:
    """``/role <member id> <role> [queue|department|all]``: asks to confirm, then changes."""
    settings = request.services.inspection.settings
    member = parse_user_id(request.args[0]) if request.args else None
    role = parse_role(request.args[1]) if len(request.args) > 1 else None
    scope = parse_scope(request.args[2], settings) if len(request.args) > 2 else None
    if member is None or role is None or (len(request.args) > 2 and scope is None):
        await reply(request, text(request.language, "staff.usage.role"))
        return
    staff = request.services.inspection.staff
    plan = await staff.plan_role(request.user_id, member, role, scope)
    if isinstance(plan, Denied):
        await refused(request, plan)
        return
    held = plan.memberships[0].scope
    data = callback_data(Prefix.STAFF, "role", member, ROLE_CODES[role], held.key)
    body = await _change_text(request.context, request.language, plan, planned=True)
    await reply(request, body, _confirm_markup(request.language, data))


def _confirm_markup(language: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(text(language, "staff.button.confirm"), callback_data=data),
                InlineKeyboardButton(
                    text(language, "staff.button.cancel"),
                    callback_data=callback_data(Prefix.STAFF, "x"),
                ),
            ]
        ]
    )


async def _change_text(
    context: HotlineContext, language: str, change: StaffChange, *, planned: bool
) -> str:
    name = await member_name(context, change.member)
    places = ", ".join(
        f"{role_name(language, m.role)} · {where(context, language, m.scope)}"
        for m in change.memberships
    )
    if change.role is None:
        key = "staff.remove_plan" if planned else "staff.removed"
        lines = [text(language, key, name=name, user_id=change.member, places=places)]
    else:
        key = "staff.role_plan" if planned else "staff.role_changed"
        role = role_name(language, change.role)
        lines = [text(language, key, name=name, user_id=change.member, places=places, role=role)]
    lines.append(await _tickets_line(context, language, change, planned=planned))
    return "\n".join(lines)


async def _tickets_line(
    context: HotlineContext, language: str, change: StaffChange, *, planned: bool
) -> str:
    if planned:
        if not change.tickets:
            return text(language, "staff.no_tickets")
        numbers = html.escape(", ".join(change.tickets))
        if change.hand_to is None:
            return text(language, "staff.tickets_back", tickets=numbers)
        colleague = await member_name(context, change.hand_to)
        return text(language, "staff.tickets_to", tickets=numbers, name=colleague)
    handed = change.handed_back
    lines = []
    if handed is not None and handed.released:
        numbers = html.escape(", ".join(handed.released))
        lines.append(text(language, "staff.tickets_released", tickets=numbers))
    if handed is not None and handed.handed and change.hand_to is not None:
        colleague = await member_name(context, change.hand_to)
        numbers = html.escape(", ".join(handed.handed))
        lines.append(text(language, "staff.tickets_handed", tickets=numbers, name=colleague))
    return "\n".join(lines) or text(language, "staff.no_tickets")


# --- buttons -----------------------------------------------------------------------------------


async def staff_button(update: Update, context: HotlineContext) -> None:
    """``st:rv:<invite>``, ``st:rm:<member>:<colleague or 0>``, ``st:role:<member>:<role>:
    <scope>``, ``st:x``: each authorised again, as if typed."""
    query = update.callback_query
    if query is None:
        return
    parts = (query.data or "").split(":")
    verb = parts[1] if len(parts) > 1 else ""
    request = await admitted(update, context, f"button:st:{verb or 'unknown'}")
    if request is None:
        return
    if verb == "x" and len(parts) == 2:
        await answer_press(query)
        await _drop_buttons(query.message)
        return
    done = await _pressed(request, verb, parts[2:])
    if done is None:
        await refuse_button(request, query, f"button:st:{verb or 'unknown'}")
        return
    said, final = done
    await answer_press(query, plain(said), alert=not final)
    if final and isinstance(query.message, Message):
        await _edit(query.message, said)


async def _pressed(request: Request, verb: str, args: list[str]) -> tuple[str, bool] | None:
    """What to say, and whether the change was made; None for data no button carries."""
    staff, language = request.services.inspection.staff, request.language
    numbers = [parse_user_id(a) if a != "0" else 0 for a in args]
    if verb == "rv" and len(args) == 1 and args[0].isdigit():
        revoked = await staff.revoke(request.user_id, int(args[0]))
        if isinstance(revoked, Denied):
            return await _denial(request, revoked), False
        return text(language, "staff.revoked", number=revoked.id), True
    if verb == "rm" and len(args) == 2 and None not in numbers:
        member, colleague = int(numbers[0] or 0), numbers[1] or None
        result = await staff.remove(request.user_id, member, colleague, once=request.once)
        return await _made(request, result)
    if verb == "role" and len(args) >= 3 and numbers[0] and args[1] in CODE_ROLES:
        scope = Scope.from_key(":".join(args[2:]))
        if scope is None:
            return None
        role = CODE_ROLES[args[1]]
        result = await staff.change_role(
            request.user_id, int(numbers[0]), role, scope, once=request.once
        )
        return await _made(request, result)
    return None


async def _made(request: Request, result: StaffChange | Denied) -> tuple[str, bool]:
    if isinstance(result, Denied):
        return await _denial(request, result), False
    for number in result.tickets:
        await refresh_cards(request.context, number)
    request.services.wake_outbox()  # the queues told, the menu follows
    return await _change_text(request.context, request.language, result, planned=False), True


async def _denial(request: Request, denied: Denied) -> str:
    return await denial(request, denied)


async def _edit(message: Message, said: str) -> None:
    try:
        await message.edit_text(said, parse_mode="HTML", reply_markup=None)
    except BadRequest:
        log.info("a confirmation was not updated")


async def _drop_buttons(message: object) -> None:
    if isinstance(message, Message):
        try:
            await message.edit_reply_markup(reply_markup=None)
        except BadRequest:
            log.info("buttons not removed")


COMMANDS: dict[str, StaffHandler] = {
    "invite": invite_command,
    "staff": staff_command,
    "remove": remove_command,
    "role": role_command,
}
