"""How the outbox's staff notices read: who joined, who left, a group moved or lost, a shift
taken or handed over, the organisation's warnings, the line above a duty ping's card.

Values arrive HTML-escaped from the outbox's data; the ones that need more than escaping
(names of places, lists of tickets, local times) are filled in here.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.config import Config
from bot.i18n import text
from bot.inspection.checks import Problem
from bot.inspection.model import StaffNotice
from handlers.staff_views import group_target_name, place_name, role_name

# People named by id in a notice's data; the sender puts their names beside them.
NAMED = ("by", "hand_to", "member")
TIME_FORMAT = "%m-%d %H:%M"
PING_REASONS = ("on_duty", "next", "supervisors")


def notice_values(
    language: str, kind: str, data: dict[str, Any], values: dict[str, str], config: Config
) -> None:
    if kind == StaffNotice.MEMBER_JOINED:
        values["role"] = role_name(language, str(data.get("role", "")))
        values["place"] = place_name(
            config, language, str(data.get("level", "")), str(data.get("scope", ""))
        )
    elif kind == StaffNotice.MEMBER_REMOVED:
        _removed(language, data, values)
    elif kind == StaffNotice.GROUP_MOVED:
        values["target"] = group_target_name(
            config, language, str(data.get("bound_as", "")), str(data.get("target", ""))
        )
    elif kind == StaffNotice.GROUP_LOST:
        values["targets"] = "、".join(
            group_target_name(config, language, str(b.get("kind")), str(b.get("target")))
            for b in _dicts(data.get("bindings"))
        )
    elif kind in (StaffNotice.DUTY_TAKEN, StaffNotice.DUTY_HANDED):
        for field in ("start", "end"):
            values[field] = _local(str(data.get(field, "")), config)
    elif kind == StaffNotice.ORGANISATION_WARNINGS:
        values["problems"] = "\n".join(
            "• " + Problem(str(p.get("key")), dict(p.get("values") or {})).text(language, True)
            for p in _dicts(data.get("problems"))
        )


def duty_ping_line(language: str, data: dict[str, Any]) -> str:
    """Why this card came to this person: they are on duty, next on the rota, or a
    supervisor of a ticket nobody on duty took."""
    reason = str(data.get("reason", "on_duty"))
    key = (
        f"duty.ping.{reason}"
        if reason in ("on_duty", "next", "supervisors")
        else "duty.ping.on_duty"
    )
    return text(language, key, minutes=int(data.get("minutes", 0) or 0))


def _removed(language: str, data: dict[str, Any], values: dict[str, str]) -> None:
    name = values.get("member_name") or html.escape(str(data.get("name") or ""))
    key = "outbox.member_removed.left" if data.get("left") else "outbox.member_removed.role"
    parts = [text(language, key, name=name or html.escape(f"#{data.get('member', '')}"))]
    released = [str(n) for n in data.get("released") or ()]
    handed = [str(n) for n in data.get("handed") or ()]
    if released:
        shown = html.escape(", ".join(released))
        parts.append(text(language, "outbox.member_removed.released", tickets=shown))
    if handed:
        shown = html.escape(", ".join(handed))
        colleague = values.get("hand_to_name") or html.escape(f"#{data.get('hand_to', '')}")
        parts.append(text(language, "outbox.member_removed.handed", tickets=shown, name=colleague))
    values["body"] = "\n".join(parts)


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _local(iso: str, config: Config) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return html.escape(iso)
    tz = timezone(timedelta(hours=config.tickets.utc_offset_hours))
    return moment.astimezone(tz).strftime(TIME_FORMAT)
