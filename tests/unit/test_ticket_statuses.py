"""One definition of the ticket statuses: the SQL the store shares between databases spells
some of them out, and this test fails the moment the two disagree."""

from __future__ import annotations

import inspect
import re
from importlib import resources

from bot.store import sql
from bot.tickets.model import OPEN_STATUSES, REOPENABLE, TRANSITIONS, TicketStatus

QUOTED = re.compile(r"'([a-z_]+)'")


def statuses_in(literal: str) -> set[str]:
    return set(QUOTED.findall(literal))


def test_the_open_and_outcome_sets_in_sql_are_the_models() -> None:
    assert statuses_in(sql.OPEN) == set(OPEN_STATUSES)
    outcomes = REOPENABLE - {TicketStatus.CLOSED}
    assert statuses_in(sql.OUTCOMES) == set(outcomes)
    # The outcomes are what a ticket reaches from investigating, other than waiting.
    assert outcomes == TRANSITIONS[TicketStatus.INVESTIGATING] - {TicketStatus.AWAITING_REPORTER}


def test_every_status_the_sql_names_is_one_the_model_knows() -> None:
    source = inspect.getsource(sql)
    named = set(re.findall(r"status (?:=|<>) '([a-z_]+)'", source))
    for listed in re.findall(r"status (?:NOT )?IN \(([^)]*)\)", source):
        named |= statuses_in(listed)
    named -= {"received", "done", "failed"}  # the inbox's, not a ticket's
    assert named and named <= {s.value for s in TicketStatus}


def test_the_database_accepts_exactly_the_models_statuses() -> None:
    initial = resources.files("bot.store.migrations").joinpath("0001_initial.sql").read_text()
    check = re.search(r"status TEXT NOT NULL DEFAULT 'new' CHECK \(status IN \(([^)]*)\)", initial)
    assert check is not None
    assert statuses_in(check.group(1)) == {s.value for s in TicketStatus}
