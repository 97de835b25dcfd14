"""Groups bound to queues in the store: binding (and moving) a queue's group, the supervisors'
group, unbinding, the bot removed from a group, a group that became a supergroup; who may."""

from __future__ import annotations

import json

from bot.inspection.groups import Bound
from bot.inspection.model import Denial, Denied
from bot.inspection.organisation import GroupBinding

from .conftest import (
    ADMIN,
    ALICE,
    CAROL,
    EDU_SUPERVISORS_CHAT,
    HAIDIAN_CHAT,
    OUTSIDER,
    Bureau,
    Query,
)

NEW_GROUP, OTHER_GROUP = -100_777, -100_888


async def test_binding_another_group_moves_the_cards_and_tells_the_old_one(
    staffed: Bureau, query: Query
) -> None:
    groups = staffed.inspection.groups
    bound = await groups.bind(ADMIN, NEW_GROUP, "海淀专班(新)", "queue", "edu-haidian")

    assert bound == Bound(
        "queue", "edu-haidian", GroupBinding("queue", "edu-haidian", HAIDIAN_CHAT)
    )
    settings = staffed.inspection.settings
    assert settings.queue("edu-haidian").chat_id == NEW_GROUP  # type: ignore[union-attr]
    assert HAIDIAN_CHAT not in settings.staff_chat_ids()
    [(payload,)] = query(
        f"SELECT payload FROM outbox WHERE kind = 'group_moved' AND target = '{HAIDIAN_CHAT}'"
    )
    assert json.loads(payload)["to_title"] == "海淀专班(新)"
    menus = {t for (t,) in query("SELECT target FROM outbox WHERE kind = 'staff_menu'")}
    assert menus == {str(NEW_GROUP), str(HAIDIAN_CHAT)}
    # New tickets' cards go to the new group.
    number = await staffed.report()
    assert query(
        "SELECT target FROM outbox WHERE kind = 'new_ticket' AND dedupe_key LIKE '%:queue'"
    ) == [(str(NEW_GROUP),)], number
    # Binding it again changes nothing.
    again = await groups.bind(ADMIN, NEW_GROUP, "海淀专班(新)", "queue", "edu-haidian")
    assert again == Bound("queue", "edu-haidian", already=True)


async def test_a_supervisors_group_and_unbinding(staffed: Bureau, query: Query) -> None:
    groups = staffed.inspection.groups
    bound = await groups.bind(ADMIN, OTHER_GROUP, "教育督导群", "supervisors", "education")
    assert isinstance(bound, Bound) and bound.moved_from is not None
    assert bound.moved_from.chat_id == EDU_SUPERVISORS_CHAT
    department = staffed.inspection.settings.department("education")
    assert department is not None and department.supervisors_chat_id == OTHER_GROUP

    unbound = await groups.unbind(ADMIN, OTHER_GROUP)

    assert unbound == (GroupBinding("supervisors", "education", OTHER_GROUP, "教育督导群"),)
    department = staffed.inspection.settings.department("education")
    assert department is not None and department.supervisors_chat_id is None
    assert await groups.unbind(ADMIN, OTHER_GROUP) == Denied(Denial.NOT_BOUND)
    actions = query(
        "SELECT action, allowed FROM staff_audit WHERE action LIKE 'group_%' ORDER BY id"
    )
    assert actions[-3:] == [("group_bind", 1), ("group_unbind", 1), ("group_unbind", 0)]


async def test_only_admins_bind_and_unbind(staffed: Bureau, query: Query) -> None:
    groups = staffed.inspection.groups
    for who in (ALICE, CAROL, OUTSIDER):
        assert await groups.bind(who, NEW_GROUP, "x", "queue", "edu-haidian") == Denied(
            Denial.NOT_ALLOWED
        )
        assert await groups.unbind(who, HAIDIAN_CHAT) == Denied(Denial.NOT_ALLOWED)
    assert await groups.bind(ADMIN, NEW_GROUP, "x", "queue", "nowhere") == Denied(
        Denial.SCOPE_UNKNOWN
    )
    settings = staffed.inspection.settings
    assert settings.queue("edu-haidian").chat_id == HAIDIAN_CHAT  # type: ignore[union-attr]
    refused = query(
        "SELECT COUNT(*) FROM staff_audit WHERE allowed = FALSE AND action LIKE 'group_%'"
    )
    assert refused == [(7,)]


async def test_a_group_the_bot_was_removed_from_is_unbound_and_the_admins_told(
    staffed: Bureau, query: Query
) -> None:
    groups = staffed.inspection.groups
    lost = await groups.bot_removed(HAIDIAN_CHAT, "海淀区教育局专班")

    assert lost == (GroupBinding("queue", "edu-haidian", HAIDIAN_CHAT),)
    queue = staffed.inspection.settings.queue("edu-haidian")
    assert queue is not None and queue.chat_id is None
    [(target, payload)] = query("SELECT target, payload FROM outbox WHERE kind = 'group_lost'")
    assert target == str(ADMIN)
    assert json.loads(payload)["bindings"] == [{"kind": "queue", "target": "edu-haidian"}]
    assert query("SELECT actor, action FROM staff_audit WHERE action = 'group_lost'") == [
        ("system", "group_lost")
    ]
    # A new ticket of that queue waits without a card rather than going into the void.
    await staffed.report()
    assert query("SELECT COUNT(*) FROM outbox WHERE kind = 'new_ticket'") == [(0,)]
    # Removed from a group that was bound to nothing: nothing to do, nobody told.
    assert await groups.bot_removed(-100_999, "家长群") == ()
    assert query("SELECT COUNT(*) FROM outbox WHERE kind = 'group_lost'") == [(1,)]


async def test_a_group_that_became_a_supergroup_keeps_its_bindings(
    staffed: Bureau,
) -> None:
    groups = staffed.inspection.groups
    assert await groups.chat_migrated(HAIDIAN_CHAT, -1_002_000_123) == 1
    queue = staffed.inspection.settings.queue("edu-haidian")
    assert queue is not None and queue.chat_id == -1_002_000_123
