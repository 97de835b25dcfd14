"""Status checks in progress (/status): what the reporter is expected to send next.

Kept in this process's memory only. The receipt code stays here for a few minutes, so the
reporter need not retype it for every button, and is never written to the store, to PTB's
user_data or chat_data (which a persistence class could save), or to the logs. A restart
forgets every check in progress: the reporter is simply asked for the code again, and nothing
about it survives anywhere. Checks are keyed by the reporter's keyed hash, not their Telegram id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Awaiting(StrEnum):
    CODE = "code"  # the receipt code
    ANSWER = "answer"  # the answer to an inspector's question
    EVIDENCE = "evidence"  # more photos or files
    NOTHING = "nothing"  # the status was shown; buttons only


@dataclass
class StatusCheck:
    awaiting: Awaiting
    expires_at: datetime
    code: str | None = field(default=None, repr=False)
    question_id: int | None = None


class StatusChecks:
    def __init__(self, ttl: timedelta = timedelta(minutes=10), max_open: int = 10_000) -> None:
        self.ttl = ttl
        self._max_open = max_open
        self._open: dict[str, StatusCheck] = {}

    def get(self, reporter_key: str, now: datetime) -> StatusCheck | None:
        check = self._open.get(reporter_key)
        if check is not None and check.expires_at <= now:
            del self._open[reporter_key]
            return None
        return check

    def open(
        self,
        reporter_key: str,
        now: datetime,
        awaiting: Awaiting,
        *,
        code: str | None = None,
        question_id: int | None = None,
    ) -> StatusCheck:
        if len(self._open) >= self._max_open:
            self._forget_expired(now)
        check = StatusCheck(awaiting, now + self.ttl, code, question_id)
        self._open[reporter_key] = check
        return check

    def end(self, reporter_key: str) -> bool:
        return self._open.pop(reporter_key, None) is not None

    def _forget_expired(self, now: datetime) -> None:
        for key in [k for k, s in self._open.items() if s.expires_at <= now]:
            del self._open[key]
        while len(self._open) >= self._max_open:  # still full: drop the oldest
            del self._open[next(iter(self._open))]
