"""Who may do what: the role table, and every desk action refused, audited and harmless."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.inspection.access import Access, Action
from bot.inspection.figures import Period
from bot.inspection.model import Denial, Denied, Disposition
from bot.store.base import TicketRecord

from .conftest import (
    ADMIN,
    ALICE,
    AUDITOR,
    BOB,
    CAROL,
    DAN,
    ERIN,
    NOW,
    OUTSIDER,
    Bureau,
    Query,
    organisation,
)

WORK = {
    Action.VIEW,
    Action.CLAIM,
    Action.RELEASE,
    Action.INVESTIGATE,
    Action.NOTE,
    Action.ASK_REPORTER,
    Action.TRANSFER,
    Action.RESOLVE,
    Action.CLOSE,
    Action.MERGE,
}


@pytest.fixture
def access() -> Access:
    return Access(organisation())


def test_inspectors_work_their_own_department_only(access: Access) -> None:
    assert access.actions(ALICE, "edu-haidian") == WORK
    assert access.actions(ALICE, "edu-chaoyang") == set()  # listed in one queue only
    assert access.actions(BOB, "edu-chaoyang") == WORK  # listed in the department
    assert access.actions(BOB, "market") == set()
    assert access.queues(DAN) == ("market",)
    assert access.queues(ERIN) == ("joint",)


def test_supervisors_see_all_department_queues_and_reopen(access: Access) -> None:
    extra = {
        Action.REOPEN,
        Action.OVERRIDE_CLAIM,
        Action.STATS,
        Action.EXPORT,
        Action.BRIEF,
        Action.TEACH,
    }
    extra |= {Action.VIEW_STAFF, Action.MANAGE_STAFF}  # their department's staff
    for queue in ("edu-haidian", "edu-chaoyang", "edu-city"):
        assert access.actions(CAROL, queue) == WORK | extra
    assert access.actions(CAROL, "market") == set()
    assert not access.may(ALICE, Action.REOPEN, "edu-haidian")


def test_admins_may_do_everything_auditors_only_read(access: Access) -> None:
    assert access.may_everywhere(ADMIN, Action.EXPORT)
    assert access.may_everywhere(ADMIN, Action.REOPEN)
    reading = {Action.VIEW, Action.STATS, Action.AUDIT_LOG, Action.VIEW_STAFF}
    assert access.actions(AUDITOR, "market") == reading
    assert not access.may_anywhere(AUDITOR, Action.EXPORT)
    # Supervisors export their own department's queues only.
    assert access.may(CAROL, Action.EXPORT, "edu-haidian")
    assert not access.may(CAROL, Action.EXPORT, "market")
    assert not access.may_anywhere(OUTSIDER, Action.VIEW)
    assert access.roles(CAROL) == {"supervisor"} and access.roles(OUTSIDER) == set()


Attempt = Callable[[Bureau, int, str], Awaitable[Any]]

ATTEMPTS: dict[str, Attempt] = {
    "claim": lambda b, u, n: b.inspection.desk.claim(u, n),
    "release": lambda b, u, n: b.inspection.desk.release(u, n),
    "investigate": lambda b, u, n: b.inspection.desk.investigate(u, n),
    "note": lambda b, u, n: b.inspection.desk.add_note(u, n, "看过了"),
    "ask_reporter": lambda b, u, n: b.inspection.desk.ask_reporter(u, n, "具体地址？"),
    "transfer": lambda b, u, n: b.inspection.desk.transfer(u, n, "market"),
    "resolve": lambda b, u, n: b.inspection.desk.resolve(
        u, n, Disposition.SUBSTANTIATED, "已责令停止"
    ),
    "close": lambda b, u, n: b.inspection.desk.close(u, n),
    "reopen": lambda b, u, n: b.inspection.desk.reopen(u, n, "复查"),
    "merge": lambda b, u, n: b.inspection.desk.merge(u, n, ["SJ-2026-000002"]),
    "view": lambda b, u, n: b.inspection.views.ticket_details(u, n),
    "duplicates": lambda b, u, n: b.inspection.views.possible_duplicates(u, n),
}


def snapshot(query: Query) -> list[tuple[Any, ...]]:
    """Everything an action could change: tickets, events, questions, merges, outbox."""
    return [
        *query("SELECT * FROM tickets ORDER BY id"),
        *query("SELECT * FROM ticket_events ORDER BY id"),
        *query("SELECT * FROM questions ORDER BY id"),
        *query("SELECT * FROM ticket_merges"),
        *query("SELECT id, kind, dedupe_key FROM outbox ORDER BY id"),
    ]


READS = ("view", "duplicates")
FORGERIES = [
    (action, who)
    for action in sorted(ATTEMPTS)
    for who in (OUTSIDER, DAN, AUDITOR)
    if not (who == AUDITOR and action in READS)  # auditors may read
]


@pytest.mark.parametrize(("action", "who"), FORGERIES)
async def test_forged_actions_are_refused_audited_and_change_nothing(
    bureau: Bureau, query: Query, action: str, who: int
) -> None:
    """A button press forged by someone without the role on this queue (a stranger, another
    department's inspector, a read-only auditor)."""
    number = await bureau.report("teacher_paid_tutoring", "海淀区")
    await bureau.report("teacher_paid_tutoring", "海淀区")
    claimed = await bureau.inspection.desk.claim(ALICE, number)
    assert not isinstance(claimed, Denied)
    before = snapshot(query)

    result = await ATTEMPTS[action](bureau, who, number)

    assert result == Denied(Denial.NOT_ALLOWED, number)
    assert snapshot(query) == before
    [(actor, allowed, ticket_id, details)] = query(
        "SELECT actor, allowed, ticket_id, details FROM staff_audit WHERE allowed = FALSE"
    )
    assert allowed == 0 and ticket_id == 1
    assert json.loads(details) == {"reason": "not_allowed", "ticket_number": number}
    if who == OUTSIDER:
        # Someone without a role may be a reporter: never stored by Telegram id.
        assert actor.startswith("outsider:") and str(OUTSIDER) not in actor
    else:
        assert actor == f"inspector:{who}"


@pytest.mark.parametrize("who", [OUTSIDER, AUDITOR, ALICE, DAN])
async def test_exports_are_for_supervisors_and_admins(
    bureau: Bureau, query: Query, who: int
) -> None:
    await bureau.report()
    period = Period.last_days(7, NOW)
    assert await bureau.inspection.reports.export_csv(who, period) == Denied(Denial.NOT_ALLOWED)
    assert await bureau.inspection.reports.export_xlsx(who, period) == Denied(Denial.NOT_ALLOWED)
    assert query("SELECT action, allowed FROM staff_audit") == [("export", 0), ("export", 0)]


async def test_a_supervisor_exports_their_department(bureau: Bureau, query: Query) -> None:
    await bureau.report()
    csv_bytes = await bureau.inspection.reports.export_csv(CAROL, Period.last_days(7, NOW))
    assert isinstance(csv_bytes, bytes)
    assert query("SELECT action, allowed FROM staff_audit") == [("export", 1)]


async def test_statistics_and_audit_log_need_their_roles(bureau: Bureau, query: Query) -> None:
    period = Period.last_days(7, NOW)
    for who in (OUTSIDER, ALICE, DAN):
        assert await bureau.inspection.reports.stats(who, period) == Denied(Denial.NOT_ALLOWED)
    for who in (OUTSIDER, ALICE, CAROL):
        denied = await bureau.inspection.views.audit_log(who, NOW, NOW)
        assert denied == Denied(Denial.NOT_ALLOWED)
    assert query("SELECT COUNT(*) FROM staff_audit WHERE allowed = FALSE") == [(6,)]
    assert not isinstance(await bureau.inspection.reports.stats(AUDITOR, period), Denied)
    assert not isinstance(await bureau.inspection.reports.stats(CAROL, period), Denied)


async def test_queue_views_need_a_role_on_the_queue(bureau: Bureau, query: Query) -> None:
    await bureau.report()
    views = bureau.inspection.views
    assert await views.open_tickets(OUTSIDER) == Denied(Denial.NOT_ALLOWED)
    assert await views.open_tickets(DAN, queue="edu-haidian") == Denied(Denial.NOT_ALLOWED)
    assert await views.my_tickets(AUDITOR) == Denied(Denial.NOT_ALLOWED)
    assert query("SELECT action, allowed, queue FROM staff_audit") == [
        ("view_queue", 0, None),
        ("view_queue", 0, "edu-haidian"),
        ("view_mine", 0, None),
    ]


def ticket(
    queue: str = "edu-haidian", status: str = "new", holder: str | None = None
) -> TicketRecord:
    fields: dict[str, Any] = dict.fromkeys(
        ("disposition", "claimed_at", "claim_due_at", "resolve_due_at", "closed_at")
    )
    return TicketRecord(
        id=1,
        number="SJ-2026-000001",
        status=status,
        queue=queue,
        category="other",
        district="",
        institution="",
        description="",
        details="{}",
        claimed_by=holder,
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )


def test_access_answers_for_a_ticket_as_it_is_now(access: Access) -> None:
    alices = ticket(status="claimed", holder="inspector:1001")
    assert access.refusal(ALICE, Action.RESOLVE, alices) is None
    assert access.refusal(BOB, Action.RESOLVE, alices) == Denial.NOT_YOURS
    assert access.refusal(BOB, Action.NOTE, alices) is None
    assert access.refusal(CAROL, Action.RESOLVE, alices) is None  # supervisors override
    assert access.refusal(BOB, Action.CLAIM, alices) == Denial.ALREADY_CLAIMED
    assert access.refusal(BOB, Action.INVESTIGATE, ticket()) == Denial.NOT_CLAIMED
    assert access.refusal(BOB, Action.CLAIM, ticket(status="rejected")) == (
        Denial.STATUS_NOT_ALLOWED
    )
    assert access.refusal(DAN, Action.VIEW, ticket()) == Denial.NOT_ALLOWED
    assert access.refusal(ADMIN, Action.EXPORT, ticket("market")) is None
