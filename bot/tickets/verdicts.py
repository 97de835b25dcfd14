"""回访: once a ticket is decided, its reporter is asked whether they are satisfied.

The question is asked once per resolution (a "round"): when a ticket reaches one of
:data:`ASKED_AFTER`, in the same unit of work, a round opens with ``reply_by`` days to answer,
and a reporter who turned notifications on gets it pushed through the outbox; everyone else
sees it at their next /status. A reopened ticket (二次办理) is asked again when it is decided
again.

The answer is stored against the ticket and round only. The buttons carry a token derived
from the pepper, the ticket and the round: unforgeable without the pepper, it names no person,
and lets a pushed question be answered without the receipt code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum

from bot.store.base import TicketRecord, Transaction, VerdictRecord
from bot.tickets.model import OPEN_STATUSES, TicketStatus, VerdictQuestion
from bot.tickets.settings import FollowupSettings


class Verdict(StrEnum):
    SATISFIED = "satisfied"  # 满意
    MOSTLY_SATISFIED = "mostly_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


# What counts as satisfied in the figures (满意率).
SATISFIED_VERDICTS = frozenset({Verdict.SATISFIED, Verdict.MOSTLY_SATISFIED})
# One letter per verdict in callback data.
VERDICT_CODES = {"s": Verdict.SATISFIED, "m": Verdict.MOSTLY_SATISFIED, "d": Verdict.DISSATISFIED}

# Decided by the bureau: resolved (查实 / 不属实), not taken up (不予受理), referred elsewhere
# (移交). A report merged into another (重复) is not asked: the ticket it joined carries on.
ASKED_AFTER = frozenset({TicketStatus.RESOLVED, TicketStatus.REJECTED, TicketStatus.TRANSFERRED})
TOKEN_BYTES = 12  # 96 bits, 16 characters in a button


def verdict_token(pepper: bytes, ticket_id: int, round_number: int) -> str:
    digest = hmac.new(pepper, f"verdict:{ticket_id}:{round_number}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:TOKEN_BYTES]).decode("ascii")


def token_matches(pepper: bytes, ticket_id: int, round_number: int, token: str) -> bool:
    return hmac.compare_digest(verdict_token(pepper, ticket_id, round_number), token)


async def ask_in(
    tx: Transaction, ticket: TicketRecord, now: datetime, settings: FollowupSettings, pepper: bytes
) -> VerdictQuestion:
    """Open the next round for ``ticket``, just decided."""
    reply_by = now + timedelta(days=settings.reply_days)
    round_number = await tx.ask_verdict(ticket.id, now, reply_by)
    token = verdict_token(pepper, ticket.id, round_number)
    return VerdictQuestion(ticket.id, round_number, token, reply_by)


def open_question(
    ticket: TicketRecord, rounds: list[VerdictRecord], now: datetime, pepper: bytes
) -> VerdictQuestion | None:
    """The round the reporter may still answer: the latest, unanswered, in time, and the
    ticket not being handled again."""
    if not rounds or ticket.status in OPEN_STATUSES:
        return None
    latest = rounds[-1]
    if latest.verdict is not None or latest.reply_by <= now:
        return None
    token = verdict_token(pepper, ticket.id, latest.round)
    return VerdictQuestion(ticket.id, latest.round, token, latest.reply_by)


def latest_answer(rounds: list[VerdictRecord]) -> str | None:
    answered = [r.verdict for r in rounds if r.verdict is not None]
    return answered[-1] if answered else None


def round_state(verdict: str | None, reply_by: datetime, as_of: datetime) -> str:
    """A round as the figures count it: its verdict, "not_reached" once its days are up
    without one, else "pending"."""
    if verdict is not None:
        return verdict
    return "not_reached" if reply_by <= as_of else "pending"
