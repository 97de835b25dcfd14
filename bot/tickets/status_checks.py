"""Status checks in progress (/status): what the reporter is expected to send next.

A check lives in the person's chat state (:mod:`bot.updates.chat_state`), so the reporter's next
message may reach any instance. It holds the receipt code, so the reporter need not retype it
for every button: sealed with the bot's key (never readable from the database alone), gone
after ``ttl`` or when the check ends, and never in PTB's own user_data persistence, the logs
or a ticket. A check that expired or cannot be opened simply asks for the code again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from bot.updates.chat_state import PersonState

STATUS_CHECK = "status_check"


class Awaiting(StrEnum):
    CODE = "code"  # the receipt code
    ANSWER = "answer"  # the answer to an inspector's question
    EVIDENCE = "evidence"  # more photos or files
    NOTHING = "nothing"  # the status was shown; buttons only


@dataclass(frozen=True)
class StatusCheck:
    awaiting: Awaiting
    code: str | None = field(default=None, repr=False)
    question_id: int | None = None


class StatusChecks:
    """A check is read and changed in one person's state (:class:`PersonState`), which knows the
    person, the update and its "now"."""

    def __init__(self, ttl: timedelta = timedelta(minutes=10)) -> None:
        self.ttl = ttl

    def get(self, state: PersonState) -> StatusCheck | None:
        raw = state.get(STATUS_CHECK, sealed=True)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return StatusCheck(Awaiting(data["awaiting"]), data.get("code"), data.get("question"))
        except (ValueError, KeyError, TypeError):
            return None

    async def open(
        self,
        state: PersonState,
        awaiting: Awaiting,
        *,
        code: str | None = None,
        question_id: int | None = None,
    ) -> StatusCheck:
        check = StatusCheck(awaiting, code, question_id)
        value = json.dumps({"awaiting": awaiting.value, "code": code, "question": question_id})
        await state.set(STATUS_CHECK, value, ttl=self.ttl, sealed=True)
        return check

    async def end(self, state: PersonState) -> bool:
        return await state.forget(STATUS_CHECK)
