"""The duty rota in Telegram: /duty (who is on duty now and next), /duty take, /duty swap.

Shifts are named in buttons by the rota's place in the config and the shift's start
(``d:take:<rota>:<unix start>``); the duty desk checks every press again, as if typed.
"""

from __future__ import annotations

import contextlib
import html
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import Language, text
from bot.inspection.duty import DutyChanged, DutyView, OnDuty
from bot.inspection.model import Denial, Denied
from bot.inspection.rota import ShiftTime
from bot.inspection.shifts import Rota
from handlers.callbacks import Prefix, pattern
from handlers.callbacks import data as callback_data
from handlers.common import answer_press
from handlers.context import HotlineContext
from handlers.inspector_buttons import refuse_button
from handlers.request import Request
from handlers.staff_requests import admitted, denial, plain, refused, reply, staff_only
from handlers.staff_views import staff_name

COLLEAGUES_PER_ROW = 2
TIME = "%m-%d %H:%M"


def register(app: Application, group: int) -> None:  # type: ignore[type-arg]
    new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("duty", staff_only("duty", duty_command), filters=new), group)
    app.add_handler(CallbackQueryHandler(duty_button, pattern=pattern(Prefix.DUTY)), group)


async def duty_command(request: Request) -> None:
    """``/duty [queue|department]``, ``/duty take [next] [...]``, ``/duty swap [...]``."""
    words = [w.lower() for w in request.args]
    verb = words[0] if words and words[0] in ("take", "swap", "接班", "换班") else ""
    rest = request.args[1:] if verb else request.args
    rotas = _rotas(request, rest)
    if isinstance(rotas, Denied):
        await refused(request, rotas)
        return
    if verb in ("take", "接班"):
        await _take(request, rotas, following="next" in (w.lower() for w in rest))
    elif verb in ("swap", "换班"):
        await _swap_choices(request, rotas)
    else:
        await _show(request, rotas)


def _rotas(request: Request, args: tuple[str, ...]) -> tuple[Rota, ...] | Denied:
    """The rotas the asker may see, or the one they named."""
    duty = request.services.inspection.duty
    mine = duty.rotas_of(request.user_id)
    named = [a for a in args if a.lower() != "next"]
    if named:
        wanted = named[0].casefold()
        mine = tuple(r for r in mine if wanted in _names_of(duty.rota_name(r), r))
    return mine or Denied(Denial.NO_ROTA)


def _names_of(name: str, rota: Rota) -> tuple[str, ...]:
    return (rota.department.casefold(), rota.queue.casefold(), name.casefold())


async def _show(request: Request, rotas: tuple[Rota, ...]) -> None:
    duty = request.services.inspection.duty
    blocks, rows = [], []
    for rota in rotas:
        view = duty.view(rota)
        blocks.append(await _view_text(request.context, request.language, view))
        rows += _take_buttons(request.context, request.language, view)
    markup = InlineKeyboardMarkup(rows) if rows else None
    body = "\n\n".join(blocks)
    await reply(request, body, markup)


async def _view_text(context: HotlineContext, language: Language, view: DutyView) -> str:
    duty = context.services.inspection.duty
    lines = [text(language, "duty.title", rota=html.escape(duty.rota_name(view.rota)))]
    lines.append(await _duty_line(context, language, "duty.now", view.now))
    lines.append(await _duty_line(context, language, "duty.next", view.next))
    return "\n".join(lines)


async def _duty_line(
    context: HotlineContext, language: Language, key: str, on_duty: OnDuty | None
) -> str:
    if on_duty is None:
        nobody = text(language, "duty.nobody")
        return text(language, key, shift=text(language, "duty.gap"), people=nobody)
    names = [await _name(context, p) for p in on_duty.people]
    people = " → ".join(names) if names else text(language, "duty.nobody")
    return text(language, key, shift=_shift_text(context, language, on_duty.shift), people=people)


def _shift_text(context: HotlineContext, language: Language, shift: ShiftTime) -> str:
    tz = context.services.inspection.calendar.tz
    start, end = shift.start.astimezone(tz), shift.end.astimezone(tz)
    return text(
        language,
        "duty.shift",
        name=html.escape(shift.name),
        start=start.strftime(TIME),
        end=end.strftime(TIME),
    )


async def _name(context: HotlineContext, user_id: int) -> str:
    chats = context.services.inspection.settings.staff_chat_ids()
    return await staff_name(context.bot, context.services, user_id, chats)


def _take_buttons(
    context: HotlineContext, language: Language, view: DutyView
) -> list[list[InlineKeyboardButton]]:
    duty = context.services.inspection.duty
    index = duty.clock_of_rotas.index_of(view.rota)
    buttons = []
    for key, shown in (("duty.button.take_now", view.now), ("duty.button.take_next", view.next)):
        if shown is not None:
            label = text(language, key, shift=shown.shift.name)
            data = callback_data(Prefix.DUTY, "take", index, _epoch(shown.shift.start))
            buttons.append(InlineKeyboardButton(label, callback_data=data))
    return [buttons] if buttons else []


async def _take(request: Request, rotas: tuple[Rota, ...], *, following: bool) -> None:
    if len(rotas) > 1:
        duty = request.services.inspection.duty
        names = "、".join(html.escape(duty.rota_name(r)) for r in rotas)
        await reply(request, text(request.language, "duty.which", rotas=names))
        return
    duty = request.services.inspection.duty
    view = duty.view(rotas[0])
    shown = view.next if following else view.now
    if shown is None:
        await refused(request, Denied(Denial.NO_SHIFT))
        return
    index = duty.clock_of_rotas.index_of(rotas[0])
    result = await duty.take(request.user_id, index, shown.shift.start, once=request.once)
    await reply(request, await _changed(request, result))


async def _changed(request: Request, result: DutyChanged | Denied) -> str:
    if isinstance(result, Denied):
        return await denial(request, result)
    request.services.wake_outbox()  # whoever the change surprises is told
    return text(
        request.language,
        "duty.changed",
        name=await _name(request.context, result.user_id),
        shift=_shift_text(request.context, request.language, result.shift),
        rota=html.escape(request.services.inspection.duty.rota_name(result.rota)),
    )


async def _swap_choices(request: Request, rotas: tuple[Rota, ...]) -> None:
    """The asker's shifts of the coming week, a button each, to hand one over."""
    duty = request.services.inspection.duty
    rows = []
    for rota in rotas:
        index = duty.clock_of_rotas.index_of(rota)
        for mine in duty.my_shifts(request.user_id, rota):
            label = html.unescape(_shift_text(request.context, request.language, mine.shift))
            data = callback_data(Prefix.DUTY, "give", index, _epoch(mine.shift.start))
            rows.append([InlineKeyboardButton(label, callback_data=data)])
    if not rows:
        await reply(request, text(request.language, "duty.no_shifts"))
        return
    choose = text(request.language, "duty.swap_choose")
    await reply(request, choose, InlineKeyboardMarkup(rows))


# --- buttons -----------------------------------------------------------------------------------


async def duty_button(update: Update, context: HotlineContext) -> None:
    """``d:take:<rota>:<start>``, ``d:give:<rota>:<start>``, ``d:to:<rota>:<start>:<who>``."""
    query = update.callback_query
    if query is None:
        return
    parts = (query.data or "").split(":")
    verb = parts[1] if len(parts) > 1 else "unknown"
    request = await admitted(update, context, f"button:d:{verb}")
    if request is None:
        return
    numbers = [int(p) for p in parts[2:] if p.isdigit()]
    if len(numbers) != len(parts) - 2 or not numbers:
        await refuse_button(request, query, f"button:d:{verb}")
        return
    duty = context.services.inspection.duty
    if verb == "give" and len(numbers) == 2:
        await answer_press(query)
        await _colleague_choices(request, numbers[0], numbers[1])
        return
    if verb == "take" and len(numbers) == 2:
        start = _moment(numbers[1])
        result = await duty.take(request.user_id, numbers[0], start, once=request.once)
    elif verb == "to" and len(numbers) == 3:
        start = _moment(numbers[1])
        result = await duty.hand_over(
            request.user_id, numbers[0], start, numbers[2], once=request.once
        )
    else:
        await refuse_button(request, query, f"button:d:{verb}")
        return
    said = await _changed(request, result)
    await answer_press(query, plain(said), alert=isinstance(result, Denied))
    if not isinstance(result, Denied) and isinstance(query.message, Message):
        with contextlib.suppress(BadRequest):
            await query.message.edit_text(said, parse_mode="HTML", reply_markup=None)


async def _colleague_choices(request: Request, rota_index: int, start: int) -> None:
    duty = request.services.inspection.duty
    rota = duty.rota(rota_index)
    if rota is None:
        await reply(request, await denial(request, Denied(Denial.NO_ROTA)))
        return
    buttons = [
        InlineKeyboardButton(
            html.unescape(await _name(request.context, colleague)),
            callback_data=callback_data(Prefix.DUTY, "to", rota_index, start, colleague),
        )
        for colleague in duty.colleagues(request.user_id, rota)
    ]
    rows = [buttons[i : i + COLLEAGUES_PER_ROW] for i in range(0, len(buttons), COLLEAGUES_PER_ROW)]
    if not rows:
        await reply(request, text(request.language, "duty.no_colleagues"))
        return
    prompt = text(request.language, "duty.swap_to")
    await request.send(prompt, InlineKeyboardMarkup(rows))


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
