"""回访 in the reporter's chat: the question's buttons (pushed, or shown by /status), the answer,
and the optional comment that may follow it.

A button carries ``v:<ticket id>:<round>:<token>:<s|m|d|n>``; the service checks the token, so
a forged or repeated press changes nothing and is answered politely. After an answer the
reporter may type one short comment: the round waits for it in their chat state (sealed, for
``followup.comment_minutes``), never in a button.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, text
from bot.inspection.followups import VerdictRef, VerdictSaved
from bot.tickets.form import AnswerProblem, Problem
from bot.tickets.model import Refused, TicketView, VerdictQuestion
from bot.tickets.receipts import normalize_code
from bot.tickets.verdicts import VERDICT_CODES, Verdict
from handlers.callbacks import Prefix, data, pattern
from handlers.common import answer_press
from handlers.refusals import refusal
from handlers.request import Request

NO_COMMENT = "n"
COMMENT_STATE = "verdict_comment"
_DATA = re.compile(pattern(Prefix.VERDICT, r"(\d{1,18}):(\d{1,4}):([A-Za-z0-9_-]{16}):([smdn])$"))


def button_data(ticket_id: int, round_number: int, token: str, choice: str) -> str:
    return data(Prefix.VERDICT, ticket_id, round_number, token, choice)


def parse_button(data: str) -> tuple[VerdictRef, str] | None:
    match = _DATA.match(data)
    if match is None:
        return None
    return VerdictRef(int(match[1]), int(match[2]), match[3]), match[4]


def _choices(ref: VerdictRef, label: Callable[[str], str]) -> list[list[InlineKeyboardButton]]:
    """One button per verdict, each on its own row (they read as sentences)."""
    return [
        [
            InlineKeyboardButton(
                label(f"verdict.button.{verdict}"),
                callback_data=button_data(ref.ticket_id, ref.round, ref.token, choice),
            )
        ]
        for choice, verdict in VERDICT_CODES.items()
    ]


def _ref(question: VerdictQuestion) -> VerdictRef:
    return VerdictRef(question.ticket_id, question.round, question.token)


# --- the question --------------------------------------------------------------------------------


def pushed_markup(data: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """The buttons under a pushed question (both languages, as its text is)."""
    try:
        ref = VerdictRef(int(data["ticket_id"]), int(data["round"]), str(data["token"]))
    except (KeyError, TypeError, ValueError):
        return None

    def label(key: str) -> str:
        return " / ".join(text(language, key) for language in LANGUAGES)

    return InlineKeyboardMarkup(_choices(ref, label))


def status_lines(request: Request, view: TicketView) -> list[str]:
    """/status shows the open question, or the reporter's latest answer."""
    if view.verdict_question is not None:
        offset = timedelta(hours=request.services.tickets.settings.utc_offset_hours)
        when = view.verdict_question.reply_by.astimezone(timezone(offset))
        return ["", request.t("verdict.question", reply_by=when.strftime("%Y-%m-%d"))]
    if view.verdict is not None:
        name = request.t(f"inspection.followup.{view.verdict}")
        return ["", request.t("verdict.given", verdict=name)]
    return []


def status_rows(request: Request, view: TicketView) -> list[list[InlineKeyboardButton]]:
    if view.verdict_question is None:
        return []
    return _choices(_ref(view.verdict_question), lambda key: request.t(key))


def notice_values(language: str, kind: str, data: dict[str, Any], values: dict[str, str]) -> None:
    """The outbox's words for 回访 messages: the reply days, or a missing comment."""
    if kind == "verdict_asked":
        values["reply_days"] = str(data.get("reply_days", ""))
    if kind == "verdict_dissatisfied" and not data.get("comment"):
        values["comment"] = text(language, "outbox.no_comment")


# --- the answer and the comment ------------------------------------------------------------------


async def verdict_button(request: Request) -> None:
    query = request.query
    if query is None:
        return
    await answer_press(query)
    parsed = parse_button(query.data or "")
    if parsed is None:
        await request.send(request.t("refused.verdict_unknown"))
        return
    ref, choice = parsed
    followups = request.services.inspection.followups
    if choice == NO_COMMENT:
        await _end_comment(request)
        await _answered(request, await followups.no_comment(ref), "verdict.no_comment")
        return
    saved = await followups.give(ref, VERDICT_CODES[choice])
    if isinstance(saved, Refused):
        await request.send(refusal(request, saved))
        return
    await _drop_buttons(query.message)
    await _await_comment(request, ref)
    markup = _no_comment_markup(request, ref)
    await request.send(_thanks(request, saved), markup)


async def take_comment(request: Request) -> bool:
    """A private message while a round waits for a comment: the comment. False otherwise (or
    for a receipt code, which starts a status check instead)."""
    message = request.message
    ref = _waiting(request)
    if message is None or ref is None:
        return False
    if message.text and _looks_like_code(request, message.text):
        return False
    if message.text is None:
        await request.send(request.t("verdict.comment_text_only"))
        return True
    result = await request.services.inspection.followups.comment(ref, message.text)
    if isinstance(result, AnswerProblem):
        await request.send(_problem(request, result))
        return True
    await _end_comment(request)
    await _answered(request, result, "verdict.comment_saved")
    return True


async def _answered(request: Request, result: VerdictSaved | Refused, done_key: str) -> None:
    """Say it was taken (and send a 不满意 on its way), or why not."""
    if isinstance(result, Refused):
        await request.send(refusal(request, result))
        return
    await request.send(request.t(done_key))
    if result.supervisors_told:
        request.services.wake_outbox()


def _thanks(request: Request, saved: VerdictSaved) -> str:
    followup = request.services.config.followup
    limit, minutes = followup.comment_chars, followup.comment_minutes
    if saved.verdict == Verdict.DISSATISFIED:
        return request.t("verdict.thanks_dissatisfied", limit=limit, minutes=minutes)
    name = html.escape(request.t(f"inspection.followup.{saved.verdict}"))
    return request.t("verdict.thanks", verdict=name, limit=limit, minutes=minutes)


def _problem(request: Request, problem: AnswerProblem) -> str:
    if problem.problem == Problem.EMPTY:
        return request.t("report.empty")
    return request.t("report.too_long", limit=problem.limit, length=problem.length)


def _no_comment_markup(request: Request, ref: VerdictRef) -> InlineKeyboardMarkup:
    data = button_data(ref.ticket_id, ref.round, ref.token, NO_COMMENT)
    label = request.t("verdict.button.no_comment")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


def _looks_like_code(request: Request, text_in: str) -> bool:
    digits = request.services.tickets.settings.receipts.digits
    return normalize_code(text_in, digits) is not None


async def _drop_buttons(message: object) -> None:
    """The question's buttons go once it is answered (a press on an old copy is refused)."""
    if isinstance(message, Message):
        with contextlib.suppress(TelegramError):
            await message.edit_reply_markup(reply_markup=None)


# --- the round waiting for a comment, in the person's chat state ---------------------------------


def _waiting(request: Request) -> VerdictRef | None:
    raw = request.state.get(COMMENT_STATE, sealed=True)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return VerdictRef(int(data["ticket_id"]), int(data["round"]), str(data["token"]))
    except (ValueError, KeyError, TypeError):
        return None


async def _await_comment(request: Request, ref: VerdictRef) -> None:
    value = json.dumps({"ticket_id": ref.ticket_id, "round": ref.round, "token": ref.token})
    ttl = timedelta(minutes=request.services.config.followup.comment_minutes)
    await request.state.set(COMMENT_STATE, value, ttl=ttl, sealed=True)


async def _end_comment(request: Request) -> None:
    await request.state.forget(COMMENT_STATE)
