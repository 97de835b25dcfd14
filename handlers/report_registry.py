"""The report form's "who" step and the registry: "您说的是 ××(海淀区)吗?".

A name that matches the registry is confirmed with the reporter (yes / no / not sure, or one of
several close names); the answer is kept in the draft (:class:`bot.registry.DraftChoice`) and
the ticket records the matched institution and its status when it is submitted.
"""

from __future__ import annotations

import html
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.registry import DraftChoice, LookupResult, Match
from bot.tickets.model import ReportDraft
from handlers.common import send_html, t
from handlers.context import HotlineContext

# Tip-offs about people or schools, not institutions: the registry has nothing to say.
NOT_ABOUT_INSTITUTIONS = frozenset({"teacher_paid_tutoring", "school_burden"})
# What reporters write when they do not know the name.
NO_NAME = frozenset({"不清楚", "不知道", "不详", "不确定", "无", "没有", "unknown", "not sure"})
# Answers: y<registry id>, no, unsure.
YES_PREFIX = "y"


def registry_consulted(draft: ReportDraft) -> bool:
    name = draft.institution.strip().lower()
    return draft.category not in NOT_ABOUT_INSTITUTIONS and bool(name) and name not in NO_NAME


async def check_institution(
    update: Update, context: HotlineContext, draft: ReportDraft
) -> tuple[ReportDraft, bool]:
    """The draft with what the registry says of its name, and whether the reporter is now
    asked to confirm (the draft then waits at this step)."""
    if not registry_consulted(draft):
        return draft, False
    result = context.services.registry.lookup(draft.institution, draft.district)
    if result.registry_size == 0:
        return draft, False  # no list imported: "not found" would say nothing
    offered = _offered(result)
    if not offered:
        return _with(draft, DraftChoice("not_found")), False
    draft = _with(draft, DraftChoice("ask", tuple(m.institution.id for m in offered)))
    await _ask(update, context, draft, result)
    return draft, True


def _offered(result: LookupResult) -> tuple[Match, ...]:
    return (result.sure,) if result.sure is not None else result.candidates


def _with(draft: ReportDraft, choice: DraftChoice) -> ReportDraft:
    return replace(draft, registry=choice.encode())


async def _ask(
    update: Update, context: HotlineContext, draft: ReportDraft, result: LookupResult
) -> None:
    def button(label: str, answer: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=f"r:{draft.draft_id}:inst:{answer}")

    if result.sure is not None:
        record = result.sure.institution
        body = t(
            update,
            context,
            "report.registry.confirm",
            name=html.escape(record.name),
            district=html.escape(record.district or "-"),
        )
        rows = [
            [
                button(
                    t(update, context, "report.registry.button.yes"), f"{YES_PREFIX}{record.id}"
                ),
                button(t(update, context, "report.registry.button.no"), "no"),
                button(t(update, context, "report.registry.button.unsure"), "unsure"),
            ]
        ]
    else:
        body = t(update, context, "report.registry.choose")
        rows = [
            [
                button(
                    f"{m.institution.name}({m.institution.district or '-'})",
                    f"{YES_PREFIX}{m.institution.id}",
                )
            ]
            for m in result.candidates
        ]
        rows.append(
            [
                button(t(update, context, "report.registry.button.none"), "no"),
                button(t(update, context, "report.registry.button.unsure"), "unsure"),
            ]
        )
    assert update.effective_chat is not None
    await send_html(context, update.effective_chat.id, body, InlineKeyboardMarkup(rows))


def answered(
    update: Update, context: HotlineContext, draft: ReportDraft, answer: str
) -> ReportDraft | None:
    """The draft with the reporter's answer kept, or None for an answer the question did not
    offer (an old button, forged data)."""
    asked = DraftChoice.parse(draft.registry)
    if asked.state != "ask":
        return None
    if answer == "no":
        return _with(draft, DraftChoice("not_found"))
    if answer == "unsure":
        return _with(draft, DraftChoice("unsure", asked.ids))
    chosen = answer.removeprefix(YES_PREFIX)
    if not answer.startswith(YES_PREFIX) or not chosen.isdigit() or int(chosen) not in asked.ids:
        return None
    return _with(draft, DraftChoice("id", (int(chosen),)))


def noted(update: Update, context: HotlineContext, draft: ReportDraft) -> str:
    """What the reporter is told their answer was taken as."""
    choice = DraftChoice.parse(draft.registry)
    record = context.services.registry.institution(choice.ids[0]) if choice.state == "id" else None
    if record is None:
        return ""
    return t(update, context, "report.registry.noted", name=html.escape(record.name))
