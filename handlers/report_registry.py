"""The report form's "who" step and the registry: "您说的是 ××(海淀区)吗?".

A name that matches the registry is confirmed with the reporter (yes / no / not sure, or one of
several close names); the answer is kept in the draft (:class:`bot.registry.DraftChoice`) and
the ticket records the matched institution and its status when it is submitted.
"""

from __future__ import annotations

import html
from dataclasses import replace

from telegram import InlineKeyboardButton

from bot.registry.service import DraftChoice
from bot.tickets.model import ReportDraft
from handlers.callbacks import Prefix, data
from handlers.request import Request

# Tip-offs about people or schools, not institutions: the registry has nothing to say.
NOT_ABOUT_INSTITUTIONS = frozenset({"teacher_paid_tutoring", "school_burden"})
# What reporters write when they do not know the name.
NO_NAME = frozenset({"不清楚", "不知道", "不详", "不确定", "无", "没有", "unknown", "not sure"})
# Answers: y<registry id>, no, unsure.
YES_PREFIX = "y"


def registry_consulted(draft: ReportDraft) -> bool:
    name = draft.institution.strip().lower()
    return draft.category not in NOT_ABOUT_INSTITUTIONS and bool(name) and name not in NO_NAME


def check_institution(request: Request, draft: ReportDraft) -> tuple[ReportDraft, bool]:
    """The draft with what the registry says of its name, and whether the reporter is to be
    asked to confirm (the draft then waits at this step: see :func:`confirmation`)."""
    if not registry_consulted(draft):
        return draft, False
    result = request.services.registry.lookup(draft.institution, draft.district)
    if result.registry_size == 0:
        return draft, False  # no list imported: "not found" would say nothing
    offered = (result.sure,) if result.sure is not None else result.candidates
    if not offered:
        return _with(draft, DraftChoice("not_found")), False
    return _with(draft, DraftChoice("ask", tuple(m.institution.id for m in offered))), True


def _with(draft: ReportDraft, choice: DraftChoice) -> ReportDraft:
    return replace(draft, registry=choice.encode())


def confirmation(
    request: Request, draft: ReportDraft
) -> tuple[str, list[list[InlineKeyboardButton]]] | None:
    """What a draft waiting for the reporter's confirmation asks, and its buttons: "您说的是
    ××(海淀区)吗?" for one institution, a button each for several; None when it waits for
    none. Made from the draft alone, so a reply lost in a crash is asked again as it was."""
    asked = DraftChoice.parse(draft.registry)
    if asked.state != "ask":
        return None
    registry = request.services.registry
    offered = [r for r in map(registry.institution, asked.ids) if r is not None]
    if not offered:
        return None

    def button(label: str, answer: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=data(Prefix.REPORT, draft.draft_id, "inst", answer)
        )

    unsure = button(request.t("report.registry.button.unsure"), "unsure")
    if len(offered) == 1:
        record = offered[0]
        name, district = html.escape(record.name), html.escape(record.district or "-")
        body = request.t("report.registry.confirm", name=name, district=district)
        yes = button(request.t("report.registry.button.yes"), f"{YES_PREFIX}{record.id}")
        return body, [[yes, button(request.t("report.registry.button.no"), "no"), unsure]]
    rows = [[button(f"{r.name}({r.district or '-'})", f"{YES_PREFIX}{r.id}")] for r in offered]
    rows.append([button(request.t("report.registry.button.none"), "no"), unsure])
    return request.t("report.registry.choose"), rows


def answered(request: Request, draft: ReportDraft, answer: str) -> ReportDraft | None:
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


def noted(request: Request, draft: ReportDraft) -> str:
    """What the reporter is told their answer was taken as."""
    choice = DraftChoice.parse(draft.registry)
    record = request.services.registry.institution(choice.ids[0]) if choice.state == "id" else None
    if record is None:
        return ""
    return request.t("report.registry.noted", name=html.escape(record.name))
