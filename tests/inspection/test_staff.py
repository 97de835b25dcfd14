"""Staff in the store: invitation links (issued, used once, expired, revoked, forged), who may
manage whom, removals and role changes that hand claimed tickets back, the config's seeds and
its admins, and a change reaching another instance."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace

from bot.inspection.access import Action
from bot.inspection.model import Changed, Denial, Denied
from bot.inspection.organisation import Scope
from bot.inspection.settings import Member
from bot.inspection.staff import HandedBack, InviteIssued, Joined, StaffChange
from bot.privacy import PrivacyKeys
from bot.store.base import Store
from bot.store.staff_tables import InviteRecord

from .conftest import (
    ADMIN,
    ALICE,
    BOB,
    CAROL,
    DAN,
    HAIDIAN_CHAT,
    OUTSIDER,
    Bureau,
    Clock,
    Query,
    opened_bureau,
    organisation,
)

NEWCOMER, SECOND = 6001, 6002
HAIDIAN = Scope("queue", "edu-haidian")
MARKET = Scope("department", "market")


async def invited(bureau: Bureau, scope: Scope = HAIDIAN, role: str = "inspector") -> InviteIssued:
    issued = await bureau.inspection.staff.invite(CAROL, scope, role)  # type: ignore[arg-type]
    assert isinstance(issued, InviteIssued), issued
    return issued


def audit(query: Query, action: str) -> list[tuple[str, int]]:
    return query(f"SELECT actor, allowed FROM staff_audit WHERE action = '{action}' ORDER BY id")


# --- invitations --------------------------------------------------------------------------------


async def test_an_invitation_joins_one_person_once_and_only_its_hash_is_kept(
    staffed: Bureau, query: Query
) -> None:
    staff = staffed.inspection.staff
    issued = await invited(staffed)
    # A deep link's payload: at most 64 characters of [A-Za-z0-9_-].
    assert re.fullmatch(r"join-[A-Za-z0-9_-]{43}", issued.start_parameter)
    assert issued.token not in json.dumps(query("SELECT * FROM staff_invites"))

    joined = await staff.join(NEWCOMER, "新同事", issued.token)

    assert joined == Joined(HAIDIAN, "inspector", CAROL)
    access = staffed.inspection.access
    assert access.may(NEWCOMER, Action.CLAIM, "edu-haidian")
    assert not access.may(NEWCOMER, Action.CLAIM, "edu-xicheng")
    assert query(
        f"SELECT level, scope, role, name, added_by FROM staff_members WHERE user_id = {NEWCOMER}"
    ) == [("queue", "edu-haidian", "inspector", "新同事", f"inspector:{CAROL}")]
    # The inviter is told who joined; the newcomer's commands menu follows.
    assert query("SELECT kind, target FROM outbox ORDER BY id") == [
        ("member_joined", str(CAROL)),
        ("staff_menu", str(NEWCOMER)),
    ]
    # The same link again: anyone else is refused; the newcomer is told again; nothing changes.
    assert await staff.join(SECOND, "另一人", issued.token) == Denied(Denial.INVITE_USED)
    again = await staff.join(NEWCOMER, "新同事", issued.token)
    assert isinstance(again, Joined) and again.again
    assert query(f"SELECT COUNT(*) FROM staff_members WHERE user_id IN ({NEWCOMER}, {SECOND})") == [
        (1,)
    ]
    assert audit(query, "staff_invite") == [(f"inspector:{CAROL}", 1)]
    joins = audit(query, "staff_join")
    assert joins[0] == (f"inspector:{NEWCOMER}", 1)
    assert joins[1][0].startswith("outsider:") and joins[1][1] == 0 and len(joins) == 2


async def test_an_invitation_command_handled_again_issues_no_second_link(
    staffed: Bureau, query: Query
) -> None:
    staff = staffed.inspection.staff
    first = await staff.invite(CAROL, HAIDIAN, "inspector", once="update:41")
    again = await staff.invite(CAROL, HAIDIAN, "inspector", once="update:41")
    assert isinstance(first, InviteIssued) and again == Denied(Denial.ALREADY_DONE)
    assert query("SELECT COUNT(*) FROM staff_invites") == [(1,)]


async def test_two_taps_of_one_link_at_once_make_one_member(staffed: Bureau, query: Query) -> None:
    issued = await invited(staffed)
    staff = staffed.inspection.staff
    results = await asyncio.gather(
        staff.join(NEWCOMER, "甲", issued.token), staff.join(SECOND, "乙", issued.token)
    )
    assert sorted(type(r).__name__ for r in results) == ["Denied", "Joined"]
    assert query(f"SELECT COUNT(*) FROM staff_members WHERE user_id IN ({NEWCOMER}, {SECOND})") == [
        (1,)
    ]


async def test_expired_revoked_and_forged_links_are_refused_and_change_nothing(
    staffed: Bureau, clock: Clock, query: Query
) -> None:
    staff = staffed.inspection.staff
    expiring = await invited(staffed)
    revoked = await invited(staffed)
    assert isinstance(await staff.revoke(CAROL, revoked.invite_id), InviteRecord)
    clock.advance(hours=72, seconds=1)  # the default lifetime, and a second
    forged = expiring.token[:-1] + ("A" if expiring.token[-1] != "A" else "B")

    assert await staff.join(NEWCOMER, "x", expiring.token) == Denied(Denial.INVITE_EXPIRED)
    assert await staff.join(NEWCOMER, "x", revoked.token) == Denied(Denial.INVITE_REVOKED)
    assert await staff.join(NEWCOMER, "x", forged) == Denied(Denial.INVITE_UNKNOWN)
    for nonsense in ("", "short", "<b>" * 15, "🙂" * 43):
        assert await staff.join(NEWCOMER, "x", nonsense) == Denied(Denial.INVITE_UNKNOWN)

    assert not staffed.inspection.access.is_staff(NEWCOMER)
    assert query(f"SELECT COUNT(*) FROM staff_members WHERE user_id = {NEWCOMER}") == [(0,)]
    assert query("SELECT COUNT(*) FROM staff_invites WHERE used_at IS NOT NULL") == [(0,)]
    assert [allowed for _, allowed in audit(query, "staff_join")] == [0] * 7
    # Revoking one already revoked or expired says why; so does one never issued.
    assert await staff.revoke(CAROL, revoked.invite_id) == Denied(Denial.INVITE_REVOKED)
    assert await staff.revoke(CAROL, expiring.invite_id) == Denied(Denial.INVITE_EXPIRED)
    assert await staff.revoke(CAROL, 999) == Denied(Denial.INVITE_UNKNOWN)
    # A fresh invitation works as before.
    fresh = await invited(staffed)
    assert isinstance(await staff.join(NEWCOMER, "x", fresh.token), Joined)


async def test_who_may_invite_whom(staffed: Bureau, query: Query) -> None:
    staff = staffed.inspection.staff
    education = Scope("department", "education")
    # A supervisor: inspectors and supervisors of what they supervise, nothing else.
    assert isinstance(await staff.invite(CAROL, education, "supervisor"), InviteIssued)
    for scope, role in (
        (MARKET, "inspector"),
        (HAIDIAN, "admin"),
        (Scope.organisation(), "inspector"),
    ):
        assert await staff.invite(CAROL, scope, role) == Denied(Denial.NOT_ALLOWED), (scope, role)
    # Inspectors and outsiders invite nobody; admins anyone, anywhere.
    assert await staff.invite(ALICE, HAIDIAN, "inspector") == Denied(Denial.NOT_ALLOWED)
    assert await staff.invite(OUTSIDER, HAIDIAN, "inspector") == Denied(Denial.NOT_ALLOWED)
    assert isinstance(await staff.invite(ADMIN, Scope.organisation(), "admin"), InviteIssued)
    assert await staff.invite(ADMIN, Scope("queue", "nowhere"), "inspector") == Denied(
        Denial.SCOPE_UNKNOWN
    )
    refused = audit(query, "staff_invite")
    assert [allowed for _, allowed in refused] == [1, 0, 0, 0, 0, 0, 1, 0]
    assert refused[5][0].startswith("outsider:")
    # Only who may revoke sees an invitation among the open ones.
    assert len(await staff.open_invites(CAROL)) == 1
    assert len(await staff.open_invites(ADMIN)) == 2
    assert await staff.open_invites(ALICE) == ()


# --- removals and roles -------------------------------------------------------------------------


async def test_removing_an_inspector_hands_back_their_tickets_and_tells_the_queue(
    staffed: Bureau, query: Query
) -> None:
    desk, staff = staffed.inspection.desk, staffed.inspection.staff
    first, second = await staffed.report(), await staffed.report()
    for number in (first, second):
        assert isinstance(await desk.claim(ALICE, number), Changed)

    plan = await staff.plan_removal(CAROL, ALICE)
    assert isinstance(plan, StaffChange) and plan.tickets == (first, second)
    assert [m.scope for m in plan.memberships] == [HAIDIAN]
    assert query("SELECT COUNT(*) FROM staff_members WHERE user_id = 1001") == [(1,)]  # planned

    removed = await staff.remove(CAROL, ALICE)

    assert isinstance(removed, StaffChange)
    assert removed.handed_back == HandedBack(released=(first, second))
    assert query("SELECT status, claimed_by FROM tickets ORDER BY id") == [("new", None)] * 2
    assert not staffed.inspection.access.is_staff(ALICE)
    [(payload,)] = query(
        f"SELECT payload FROM outbox WHERE kind = 'member_removed' AND target = '{HAIDIAN_CHAT}'"
    )
    told = json.loads(payload)
    assert told["released"] == [first, second] and told["left"] is True
    [(actor, details)] = query(
        "SELECT actor, details FROM staff_audit WHERE action = 'staff_remove'"
    )
    assert actor == f"inspector:{CAROL}" and json.loads(details)["member"] == ALICE
    # Gone is gone: no more claims.
    third = await staffed.report()
    assert await desk.claim(ALICE, third) == Denied(Denial.NOT_ALLOWED, third)


async def test_a_removed_members_tickets_can_go_to_a_named_colleague(
    staffed: Bureau, query: Query
) -> None:
    desk, staff = staffed.inspection.desk, staffed.inspection.staff
    number = await staffed.report()
    await desk.claim(ALICE, number)
    assert await staff.plan_removal(ADMIN, ALICE, hand_to=OUTSIDER) == Denied(
        Denial.COLLEAGUE_CANNOT_CLAIM
    )

    removed = await staff.remove(ADMIN, ALICE, hand_to=BOB)

    assert isinstance(removed, StaffChange)
    assert removed.handed_back == HandedBack(handed=(number,))
    assert query("SELECT status, claimed_by FROM tickets") == [("claimed", f"inspector:{BOB}")]
    assert query("SELECT actor, kind FROM ticket_events WHERE kind = 'reassigned'") == [
        (f"inspector:{ADMIN}", "reassigned")
    ]
    # A colleague who cannot claim in a ticket's queue does not get it: it goes back.
    await desk.claim(BOB, other := await staffed.report())
    moved = await staff.remove(ADMIN, BOB, hand_to=DAN)  # market regulation's inspector
    assert isinstance(moved, StaffChange) and moved.handed_back is not None
    assert set(moved.handed_back.released) == {number, other}


async def test_a_role_change_hands_back_what_the_new_role_cannot_hold(
    staffed: Bureau, query: Query
) -> None:
    desk, staff = staffed.inspection.desk, staffed.inspection.staff
    number = await staffed.report()
    await desk.claim(BOB, number)
    # Supervisors make no auditors; admins do.
    assert await staff.plan_role(CAROL, BOB, "auditor") == Denied(Denial.NOT_ALLOWED)
    plan = await staff.plan_role(ADMIN, BOB, "auditor")
    assert isinstance(plan, StaffChange) and plan.tickets == (number,)

    changed = await staff.change_role(ADMIN, BOB, "auditor")

    assert isinstance(changed, StaffChange)
    assert changed.handed_back == HandedBack(released=(number,))
    access = staffed.inspection.access
    assert access.may(BOB, Action.VIEW, "edu-city") and not access.may(
        BOB, Action.CLAIM, "edu-city"
    )
    assert await staff.change_role(ADMIN, BOB, "auditor") == Denied(Denial.SAME_ROLE)
    # A supervisor promotes an inspector of what they supervise.
    assert isinstance(await staff.change_role(CAROL, ALICE, "supervisor"), StaffChange)
    assert staffed.inspection.access.may(ALICE, Action.REOPEN, "edu-haidian")
    assert [a for _, a in audit(query, "staff_role")] == [0, 1, 0, 1]


async def test_someone_with_roles_in_two_places_is_changed_where_named(
    staffed: Bureau,
) -> None:
    staff = staffed.inspection.staff
    await staff.add_by_operator(ALICE, MARKET, "inspector", actor="cli")
    assert await staff.plan_role(ADMIN, ALICE, "supervisor") == Denied(Denial.SCOPE_AMBIGUOUS)
    changed = await staff.change_role(ADMIN, ALICE, "supervisor", MARKET)
    assert isinstance(changed, StaffChange)
    roles = {(m.scope, m.role) for m in staff.whoami(ALICE)}
    assert roles == {(HAIDIAN, "inspector"), (MARKET, "supervisor")}


async def test_nobody_removes_the_last_admin_or_one_the_config_lists(
    store: Store, keys: PrivacyKeys, clock: Clock
) -> None:
    bureau = await opened_bureau(store, keys, clock)  # type: ignore[arg-type]
    staff = bureau.inspection.staff
    assert await staff.remove(ADMIN, ADMIN) == Denied(Denial.CONFIG_ADMIN)
    assert await staff.change_role(ADMIN, ADMIN, "auditor") == Denied(Denial.CONFIG_ADMIN)
    # Without an admin in the config, the one added at the console is the last one.
    alone = replace(organisation(), members=())
    bare = await opened_bureau(store, keys, clock, alone)  # type: ignore[arg-type]
    await bare.inspection.staff.remove_by_operator(ADMIN, actor="cli")
    await bare.inspection.staff.add_by_operator(7000, Scope.organisation(), "admin", actor="cli")
    assert await bare.inspection.staff.remove(7000, 7000) == Denied(Denial.LAST_ADMIN)
    assert await bare.inspection.staff.change_role(7000, 7000, "auditor") == Denied(
        Denial.LAST_ADMIN
    )
    await bare.inspection.staff.add_by_operator(7001, Scope.organisation(), "admin", actor="cli")
    assert isinstance(await bare.inspection.staff.remove(7001, 7000), StaffChange)


# --- the config, and other instances ------------------------------------------------------------


async def test_the_config_seeds_the_store_once_each_entry(
    store: Store, keys: PrivacyKeys, clock: Clock, query: Query
) -> None:
    bureau = await opened_bureau(store, keys, clock)  # type: ignore[arg-type]
    members = query("SELECT user_id, level, scope, role, added_by FROM staff_members")
    assert (ALICE, "queue", "edu-haidian", "inspector", "config") in members
    assert (CAROL, "department", "education", "supervisor", "config") in members
    assert (ADMIN, "organisation", "", "admin", "config") in members
    assert ("queue", "edu-haidian", HAIDIAN_CHAT) in query(
        "SELECT kind, target, chat_id FROM group_bindings"
    )
    assert isinstance(await bureau.inspection.staff.remove(ADMIN, ALICE), StaffChange)

    # A restart with the same config: Alice stays removed.
    restarted = await opened_bureau(store, keys, clock)  # type: ignore[arg-type]
    assert not restarted.inspection.access.is_staff(ALICE)
    # An entry added to the config later is copied in at the next start.
    settings = organisation()
    more = replace(settings, members=(*settings.members, Member(7007, "auditor")))
    later = await opened_bureau(store, keys, clock, more)  # type: ignore[arg-type]
    assert later.inspection.access.may(7007, Action.AUDIT_LOG, "market")
    seeded = query(
        "SELECT COUNT(*) FROM staff_audit WHERE action = 'staff_seed' AND actor = 'config'"
    )
    assert seeded == [(len(members) + 1,)]


async def two_instances_and_a_newcomer(
    store: Store, keys: PrivacyKeys, clock: Clock
) -> tuple[Bureau, Bureau]:
    """Two instances on one store; the newcomer joined on the first."""
    one = await opened_bureau(store, keys, clock)  # type: ignore[arg-type]
    two = await opened_bureau(store, keys, clock)  # type: ignore[arg-type]
    issued = await invited(one)
    await one.inspection.staff.join(NEWCOMER, "新同事", issued.token)
    return one, two


async def test_a_change_on_one_instance_is_seen_by_another_when_it_looks(
    store: Store, keys: PrivacyKeys, clock: Clock
) -> None:
    _, two = await two_instances_and_a_newcomer(store, keys, clock)
    version = two.inspection.organisation.version

    # Turning someone away always asks the database first.
    await two.inspection.organisation.refresh_for(NEWCOMER)

    assert two.inspection.access.may(NEWCOMER, Action.CLAIM, "edu-haidian")
    assert two.inspection.organisation.version > version
    # Nothing changed since: looking again reads one row and keeps what it holds.
    snapshot = two.inspection.organisation.snapshot
    assert not await two.inspection.organisation.refresh(force=True)
    assert two.inspection.organisation.snapshot is snapshot


async def test_a_name_telegram_shows_anew_reaches_every_instance(
    store: Store, keys: PrivacyKeys, clock: Clock
) -> None:
    one, two = await two_instances_and_a_newcomer(store, keys, clock)
    await two.inspection.organisation.refresh(force=True)
    assert two.inspection.organisation.name_of(NEWCOMER) == "新同事"

    await one.inspection.organisation.remember_name(NEWCOMER, "王 新同事")

    assert one.inspection.organisation.name_of(NEWCOMER) == "王 新同事"
    assert await two.inspection.organisation.refresh(force=True)
    assert two.inspection.organisation.name_of(NEWCOMER) == "王 新同事"
    # The same name again writes nothing; nor does a name of someone not on the staff.
    version = one.inspection.organisation.version
    await one.inspection.organisation.remember_name(NEWCOMER, "王 新同事")
    await one.inspection.organisation.remember_name(OUTSIDER, "路人")
    assert not await one.inspection.organisation.refresh(force=True)
    assert one.inspection.organisation.version == version
    assert one.inspection.organisation.name_of(OUTSIDER) is None
