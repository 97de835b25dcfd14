from __future__ import annotations

from datetime import timedelta

import pytest

from bot.inspection.routing import Router
from bot.inspection.settings import (
    CATEGORIES,
    DEFAULT_ROUTING,
    Deadlines,
    Department,
    InspectionSettings,
    Member,
    QueueSettings,
    RoutingRule,
)
from bot.inspection.workdays import WorkingCalendar
from bot.schema import bind
from bot.yamlfile import YamlFileError, parse_yaml

from .conftest import HAIDIAN_CHAT, NOW, Bureau, Query, organisation


@pytest.fixture
def router() -> Router:
    return Router(organisation(), WorkingCalendar())


@pytest.mark.parametrize(
    ("category", "district", "queue"),
    [
        ("prepaid_fees", "海淀区", "market"),
        ("advertising", "朝阳区", "market"),
        ("unlicensed", "海淀区", "joint"),
        ("disguised_tutoring", "西城区", "joint"),
        ("teacher_paid_tutoring", "海淀区", "edu-haidian"),
        ("teacher_paid_tutoring", "海淀", "edu-haidian"),  # the short name works too
        ("teacher_paid_tutoring", "haidian", "edu-haidian"),
        ("school_burden", "朝阳区", "edu-chaoyang"),
        ("holiday_classes", "东城区", "edu-dongcheng"),
        ("online_hours", "西城区", "edu-xicheng"),
        ("preschool", "海淀区", "edu-haidian"),
        ("teacher_paid_tutoring", "丰台区", "edu-city"),  # a district the defaults do not know
        ("other", "海淀区", "intake"),  # no rule: the default queue
        ("no_such_category", "海淀区", "intake"),
        ("", "", "intake"),
    ],
)
def test_default_routing_table(router: Router, category: str, district: str, queue: str) -> None:
    assert router.route(category, district) == queue


def test_every_category_has_a_queue(router: Router) -> None:
    known = set(router.settings.queue_ids())
    for category in CATEGORIES:
        assert router.route(category, "海淀区") in known


def test_a_queue_with_nobody_to_claim_sends_tickets_to_the_default_queue() -> None:
    # The shipped defaults list no staff at all: everything waits at the duty desk.
    router = Router(InspectionSettings(), WorkingCalendar())
    assert router.rule_queue("prepaid_fees", "海淀区") == "market"
    assert router.route("prepaid_fees", "海淀区") == "intake"
    # Auditors and admins do not claim tickets, so they do not count as staff of a queue.
    settings = InspectionSettings(members=(Member(9, "admin"), Member(10, "auditor")))
    assert Router(settings, WorkingCalendar()).route("prepaid_fees", "") == "intake"


def test_first_matching_rule_wins_and_wildcards_match_families() -> None:
    base = organisation()
    settings = InspectionSettings(
        departments=base.departments,
        members=base.members,
        routing=(
            RoutingRule("joint", categories=("advertising",), districts=("hai*",)),
            *DEFAULT_ROUTING,
        ),
    )
    router = Router(settings, WorkingCalendar())
    assert router.route("advertising", "海淀区") == "joint"
    assert router.route("advertising", "朝阳区") == "market"


def test_placement_sets_queue_deadlines_and_chat(router: Router) -> None:
    place = router.place("teacher_paid_tutoring", "海淀区", NOW)
    assert place.queue == "edu-haidian" and place.chat_id == HAIDIAN_CHAT
    assert place.claim_due_at == NOW + timedelta(hours=24)
    # 15 working days: at least three weeks of calendar time.
    assert place.resolve_due_at is not None
    assert place.resolve_due_at - NOW >= timedelta(days=21)


def test_deadlines_can_differ_per_queue() -> None:
    base = organisation()
    fast = Deadlines(claim_within_hours=2, resolve_within_days=5, resolve_calendar="natural")
    departments = tuple(
        Department(
            d.id,
            d.name,
            tuple(
                QueueSettings(
                    q.id, q.name, q.chat_id, q.members, fast if q.id == "market" else None
                )
                for q in d.queues
            ),
            d.members,
        )
        for d in base.departments
    )
    settings = InspectionSettings(departments=departments, members=base.members)
    place = Router(settings, WorkingCalendar()).place("prepaid_fees", "", NOW)
    assert (place.claim_due_at, place.resolve_due_at) == (
        NOW + timedelta(hours=2),
        NOW + timedelta(days=5),
    )


async def test_intake_routes_new_tickets_and_tells_the_queue_chat(
    bureau: Bureau, query: Query
) -> None:
    number = await bureau.report("teacher_paid_tutoring", "海淀区")
    [(queue, claim_due, resolve_due)] = query(
        f"SELECT queue, claim_due_at, resolve_due_at FROM tickets WHERE number = '{number}'"
    )
    assert queue == "edu-haidian" and claim_due and resolve_due
    notices = [m for m in await bureau.tickets.outbox.due(NOW) if m.kind == "new_ticket"]
    assert [(m.chat_id, m.data["queue"]) for m in notices] == [(HAIDIAN_CHAT, "edu-haidian")]
    assert str(notices[0].data).find("5123456789") == -1


def test_settings_bind_from_yaml() -> None:
    text = """
departments:
  - id: duty
    name: 值班室
    queues: [{id: intake, name: 受理值班, chat_id: -1001}]
  - id: market
    name: 市场监管部门
    supervisors_chat_id: -1002
    members: [{user_id: 42, role: supervisor}]
    queues:
      - id: market
        name: 市场监管局
        deadlines: {claim_within_hours: 8, resolve_calendar: natural}
routing:
  - {queue: market, categories: [prepaid_fees, advertising]}
members: [{user_id: 7, role: admin}]
"""
    settings = bind(InspectionSettings, parse_yaml(text, "config.yaml"))
    assert settings.deadlines_for("market").claim_within_hours == 8
    assert settings.deadlines_for("intake") == Deadlines()
    assert Router(settings, WorkingCalendar()).route("advertising", "") == "market"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default_queue: nowhere", "default_queue 'nowhere' is not a queue"),
        ("members: [{user_id: 7, role: boss}]", "expected one of"),
        ("deadlines: {claim_within_hours: 0}", "claim_within_hours"),
        ("group_messages_per_minute: 30", "group_messages_per_minute"),
        (
            "routing: [{queue: joint, registry: [notfound]}]",
            "registry: notfound matches none of approved",
        ),
    ],
)
def test_mistakes_in_the_settings_are_named(text: str, message: str) -> None:
    with pytest.raises(YamlFileError, match=message):
        bind(InspectionSettings, parse_yaml(text, "config.yaml"))


def test_queue_ids_must_be_unique_and_button_safe() -> None:
    with pytest.raises(ValueError, match="unique"):
        InspectionSettings(
            departments=(
                Department("a", "A", (QueueSettings("intake", "x"),)),
                Department("b", "B", (QueueSettings("intake", "y"),)),
            )
        )
    with pytest.raises(ValueError, match="ASCII"):
        QueueSettings("edu haidian", "x")
