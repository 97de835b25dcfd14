"""The figures a bureau is judged by, on tickets whose answers were worked out by hand."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from bot.inspection.figures import (
    REPEAT_WINDOW,
    Followup,
    Period,
    Share,
    compute_stats,
    figure_values,
    previous_period,
    reported_institution,
)
from bot.inspection.workdays import WorkingCalendar
from bot.store.base import TicketTiming

from .conftest import NOW

H = timedelta(hours=1)
D = timedelta(days=1)
NUMBERS = itertools.count(1)


def ticket(
    *,
    received: float = 0,
    claimed: float | None = None,
    resolved: float | None = None,
    status: str = "resolved",
    queue: str = "edu-haidian",
    institution: str = "某某学堂",
    disposition: str | None = None,
    reopened: int = 0,
    asked: float | None = None,
    verdict: str | None = None,
    institution_id: int | None = None,
) -> TicketTiming:
    """Hours after NOW: received, claimed, resolved; ``asked``: the 回访's reply-by, in hours.
    Claim due 24 h, resolve due 100 h after receipt."""
    start = NOW + received * H
    return TicketTiming(
        number=f"SJ-2026-{next(NUMBERS):06d}",
        status=status,
        queue=queue,
        category="unlicensed",
        district="海淀区",
        created_at=start,
        claimed_at=None if claimed is None else start + claimed * H,
        claim_due_at=start + 24 * H,
        resolved_at=None if resolved is None else start + resolved * H,
        resolve_due_at=start + 100 * H,
        institution=institution,
        disposition=disposition,
        reopened=reopened,
        verdict_reply_by=None if asked is None else NOW + asked * H,
        verdict=verdict,
        institution_id=institution_id,
    )


AS_OF = NOW + 200 * H


def fixture() -> list[TicketTiming]:
    """Ten tickets; the comments say how each one counts."""
    return [
        # 1 claimed 2 h, resolved 10 h; satisfied. First to name 星光学堂.
        ticket(claimed=2, resolved=10, asked=178, verdict="satisfied", institution="星光学堂"),
        # 2 claimed 30 h (late), resolved 120 h (late); mostly satisfied; names 星光学堂 again
        #   ("有限公司" folded away): a repeat.
        ticket(
            received=1,
            claimed=30,
            resolved=120,
            asked=280,
            verdict="mostly_satisfied",
            institution="星光学堂有限公司",
        ),
        # 3 claimed 4 h, resolved 50 h; dissatisfied, reopened once and resolved again at 90 h.
        ticket(received=2, claimed=4, resolved=90, reopened=1, asked=250, verdict="dissatisfied"),
        # 4 claimed 6 h, resolved 60 h; asked, reply-by passed without an answer: not reached.
        ticket(received=3, claimed=6, resolved=60, asked=150, institution="不清楚"),
        # 5 claimed 8 h, resolved 70 h; asked, still within its days: pending.
        ticket(received=4, claimed=8, resolved=70, asked=250, institution="明日教育"),
        # 6 merged as a duplicate (decided at 5 h without a claim): a repeat; not asked.
        ticket(received=5, resolved=5, status="duplicate", disposition="duplicate"),
        # 7 open, claimed 10 h; resolve deadline (105 h) passed: missed.
        ticket(received=5, claimed=10, status="investigating", institution="智慧树"),
        # 8 open, never claimed; both deadlines passed.
        ticket(received=6, status="new", institution=""),
        # 9 reopened and open again, claimed 3 h; its renewed resolve deadline ahead.
        ticket(received=150, claimed=3, status="claimed", reopened=1, institution="乐学"),
        # 10 new, deadlines ahead.
        ticket(received=190, status="new", institution="乐学"),
    ]


def test_each_definition_on_tickets_counted_by_hand() -> None:
    rows = fixture()
    figures = compute_stats(rows, Period(NOW, NOW + 200 * H), AS_OF).headline

    assert figures.received == 10
    # Claims: met 1, 3, 4, 5, 6 (decided at 5 h), 7, 9; missed 2 (30 h), 8 (unclaimed);
    # pending: 10.
    assert (figures.claim_deadline.met, figures.claim_deadline.missed) == (7, 2)
    assert figures.claim_deadline.percent == 77.8
    # Resolutions: met 1 (10), 3 (90), 4 (60), 5 (70), 6 (5); missed 2 (120), 7 and 8 (open
    # past 100 h); pending: 9, 10.
    assert (figures.resolve_deadline.met, figures.resolve_deadline.missed) == (5, 3)
    assert figures.resolve_deadline.pending == 2
    assert figures.resolve_deadline.percent == 62.5
    # Claim hours: 2, 30, 4, 6, 8, 10, 3 -> mean 9.0; resolution hours: 10, 120, 90, 60, 70, 5.
    assert figures.claim_time.count == 7 and figures.claim_time.mean_hours == 9.0
    assert figures.resolution_time.mean_hours == 59.17
    assert figures.resolution_time.p90_hours == 105.0  # numpy's linear percentile
    # 回访 of the latest rounds: answered 1, 2, 3; not reached 4; pending 5.
    assert figures.followup == Followup(
        satisfied=1, mostly_satisfied=1, dissatisfied=1, not_reached=1, pending=1
    )
    assert figures.followup.reached == Share(3, 4) and figures.followup.reached.percent == 75.0
    assert figures.followup.satisfaction == Share(2, 3)
    assert figures.followup.satisfaction.percent == 66.7
    # Decided at least once: 1-6 (resolved) and 9 (reopened, open again); reopened: 3 and 9.
    assert figures.reopened == Share(2, 7)
    # Repeats: 2 (星光学堂 again), 6 (a duplicate), 10 (乐学 again, after 9).
    assert figures.repeats == Share(3, 10) and figures.repeats.percent == 30.0
    assert figure_values(figures) == {
        "received": 10,
        "claim_on_time": 77.8,
        "resolve_on_time": 62.5,
        "claim_mean": 9.0,
        "claim_p90": 18.0,
        "resolve_mean": 59.17,
        "resolve_p90": 105.0,
        "reached": 75.0,
        "satisfied": 66.7,
        "reopened": 28.6,
        "repeats": 30.0,
    }


def test_figures_per_queue_department_and_district() -> None:
    rows = fixture()
    rows.append(ticket(received=7, queue="market", institution="新东方"))
    departments = {"edu-haidian": "education", "market": "market"}
    figures = compute_stats(
        rows,
        Period(NOW, NOW + 200 * H),
        AS_OF,
        {"海淀区": "haidian"}.__getitem__,
        department_of=departments.__getitem__,
    )
    assert list(figures.departments) == ["education", "market"]
    assert figures.departments["education"].received == 10
    assert figures.departments["market"].received == 1
    assert figures.queues["market"].repeats == Share(0, 1)
    assert figures.districts["haidian"].received == 11
    assert figures.top_institutions[:2] == (("乐学", 2), ("星光学堂", 2))


def test_a_repeat_report_looks_back_90_days_across_every_queue() -> None:
    earlier = ticket(received=-24 * 80, queue="market", institution="星光学堂")
    too_old = ticket(received=-24 * 91, queue="joint", institution="明日教育")
    rows = [ticket(institution="星光学堂"), ticket(institution="明日教育")]
    figures = compute_stats(rows, Period(NOW, NOW + H), NOW, history=[earlier, too_old, *rows])
    assert figures.headline.repeats == Share(1, 2)
    assert timedelta(days=90) == REPEAT_WINDOW


def test_what_names_an_institution() -> None:
    assert reported_institution("星光学堂培训学校") == reported_institution("星光學堂")
    assert reported_institution("不清楚") is None
    assert reported_institution("  ") is None


def test_tickets_linked_to_the_registry_are_about_its_entry() -> None:
    brand = ticket(institution="学而思", institution_id=7)
    alias = ticket(
        received=1, institution="学而思培优", institution_id=7
    )  # another name, one entry
    haidian = ticket(received=2, institution="启航", institution_id=1)
    chaoyang = ticket(received=3, institution="启航", institution_id=2)  # a branch elsewhere
    unsure = ticket(received=4, institution="学而思培训学校")  # no link: the entry its name has
    rows = [brand, alias, haidian, chaoyang, unsure]
    figures = compute_stats(rows, Period(NOW, NOW + D), NOW + D)
    assert figures.headline.repeats == Share(2, 5)  # the alias and the unsure one
    assert figures.top_institutions[0] == ("学而思", 3)
    assert reported_institution("启航", 1) != reported_institution("启航", 2)


def test_a_month_is_compared_with_the_month_before() -> None:
    tz = WorkingCalendar(8).tz
    november = Period(datetime(2026, 11, 1, tzinfo=tz), datetime(2026, 12, 1, tzinfo=tz))
    assert november.local_days(tz) == ("2026-11-01", "2026-11-30")
    october = previous_period(november, tz)
    assert october.local_days(tz) == ("2026-10-01", "2026-10-31")
    week = Period(NOW, NOW + 7 * D)
    assert previous_period(week, tz) == Period(NOW - 7 * D, NOW)
