"""Limits per reporter: how often, how much text, how many files."""

from __future__ import annotations

from datetime import datetime

from bot.store.throttle import Blocked, LimitedSlot, RateLimit, slots_for
from bot.tickets.model import Reason, Refused, ReportDraft
from bot.tickets.settings import DAY, HOUR, ReportLimits


def check_text(text: str, limits: ReportLimits) -> Reason | None:
    """For one answer, as the reporter types it."""
    return Reason.TEXT_TOO_LONG if len(text) > limits.max_text_chars else None


def check_draft(draft: ReportDraft, limits: ReportLimits) -> Reason | None:
    """For the whole draft, before it becomes a ticket."""
    if not draft.description.strip():
        return Reason.DESCRIPTION_MISSING
    if draft.text_length() > limits.max_text_chars:
        return Reason.TEXT_TOO_LONG
    if len(draft.evidence) > limits.max_attachments:
        return Reason.TOO_MANY_ATTACHMENTS
    return None


def report_slots(reporter_key: str, limits: ReportLimits, now: datetime) -> list[LimitedSlot]:
    rates = [RateLimit(limits.reports_per_hour, HOUR), RateLimit(limits.reports_per_day, DAY)]
    return slots_for(f"reports:{reporter_key}", rates, now)


def quota_refusal(full: Blocked) -> Refused:
    reason = (
        Reason.TOO_MANY_REPORTS_HOUR
        if full.limit.window_seconds <= HOUR
        else Reason.TOO_MANY_REPORTS_DAY
    )
    return Refused(reason, retry_after_minutes=full.minutes)
