"""Staff, managed from Telegram: invitations, joining, the staff list, removals, roles.

Admins manage everyone; supervisors manage inspectors and supervisors of what they supervise.
Each change is one unit of work with its audit entry (who, whom, what, when), the messages it
sends and a bump of the organisation version, so every instance follows within seconds.

An invitation is a one-time deep link (``https://t.me/<bot>?start=join-<token>``): the token is
random (256 bits), only its keyed hash is stored, it expires, and using it is a compare-and-set,
so of two taps one joins and the other is told it was used.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from bot.clock import utc_now
from bot.inspection.access import Action, claimers_of
from bot.inspection.audit import AuditTrail, allowed_entry
from bot.inspection.model import Clock, Denial, Denied, StaffNotice, staff_user_id
from bot.inspection.organisation import (
    NAME_LIMIT,
    Membership,
    Organisation,
    Scope,
    effective_settings,
    member_record,
    membership_of,
    refresh_menu,
)
from bot.inspection.pacing import enqueue_paced
from bot.inspection.settings import InspectionSettings, Role
from bot.privacy import keyed_hash
from bot.store.base import NewEvent, Store, TicketRecord, Transaction
from bot.store.staff_tables import InviteRecord, MemberRecord, NewInvite
from bot.tickets.lifecycle import Lifecycle
from bot.tickets.model import EventKind, Refused, inspector
from bot.tickets.outbox import staff_message

ROLES: tuple[Role, ...] = ("inspector", "supervisor", "admin", "auditor")
JOIN_PREFIX = "join-"
# 32 random bytes are 43 URL-safe characters: with the prefix, well inside a deep link's 64.
TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
# Claimed tickets handed back at once when someone leaves (more than anyone holds).
MAX_HELD = 10_000
Once = str | None


@dataclass(frozen=True)
class InviteIssued:
    invite_id: int
    token: str  # the secret: shown once, inside the link, never stored
    scope: Scope
    role: Role
    expires_at: datetime

    @property
    def start_parameter(self) -> str:
        return f"{JOIN_PREFIX}{self.token}"


@dataclass(frozen=True)
class Joined:
    scope: Scope
    role: Role
    invited_by: int | None  # a member of staff's Telegram id (None: from the command line)
    before: Role | None = None  # the role held there until now, if any
    again: bool = False  # the same link, used by the same person before (a repeat)


@dataclass(frozen=True)
class StaffEntry:
    membership: Membership
    last_active: datetime | None


@dataclass(frozen=True)
class HandedBack:
    released: tuple[str, ...] = ()  # ticket numbers back in their queues
    handed: tuple[str, ...] = ()  # now held by the colleague named


@dataclass(frozen=True)
class StaffChange:
    """A removal or a role change, planned (for the confirmation) or made."""

    member: int
    memberships: tuple[Membership, ...]  # what is removed, or the one whose role changes
    role: Role | None  # the new role; None for a removal
    tickets: tuple[str, ...]  # the claimed tickets that come back (planned)
    hand_to: int | None = None
    handed_back: HandedBack | None = None  # once made


class StaffDesk:
    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        lifecycle: Lifecycle,
        audit: AuditTrail,
        pepper: bytes,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._org = organisation
        self._lifecycle = lifecycle
        self._audit = audit
        self._pepper = pepper
        self._clock = clock

    # --- who may manage whom ---

    def is_organisation_admin(self, user_id: int) -> bool:
        return user_id in self._org.organisation_admins()

    def may_manage(self, user_id: int, scope: Scope, role: Role) -> bool:
        """Admins and auditors, and anything organisation-wide, are for the organisation's
        admins; inspectors and supervisors of a queue or department also for whoever may
        manage staff in every queue of it (its supervisors)."""
        if scope.level == "organisation" or role in ("admin", "auditor"):
            return self.is_organisation_admin(user_id)
        queues = queues_in(self._org.settings, scope)
        access = self._org.access
        return bool(queues) and all(access.may(user_id, Action.MANAGE_STAFF, q) for q in queues)

    def may_manage_anything(self, user_id: int) -> bool:
        return self._org.access.may_anywhere(user_id, Action.MANAGE_STAFF)

    # --- invitations ---

    async def invite(
        self, user_id: int, scope: Scope, role: Role, *, once: Once = None
    ) -> InviteIssued | Denied:
        """A one-time link; ``once`` names the command (a replayed one issues no second)."""
        await self._org.refresh(force=True)
        now = self._clock()
        if not queues_in(self._org.settings, scope):
            return await self._refused(user_id, "staff_invite", Denial.SCOPE_UNKNOWN, scope)
        if not self.may_manage(user_id, scope, role):
            return await self._refused(user_id, "staff_invite", Denial.NOT_ALLOWED, scope)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires = now + timedelta(hours=self._org.config.staff.invite_hours)
        invite = NewInvite(
            token_hash=self._token_hash(token),
            level=scope.level,
            scope=scope.id,
            role=role,
            created_by=self._audit.actor(user_id),
            created_at=now,
            expires_at=expires,
        )
        async with self._store.transaction() as tx:
            if once is not None and not await tx.first_application(once, now):
                return Denied(Denial.ALREADY_DONE)
            invite_id = await tx.add_invite(invite)
            details = {**_scope_details(scope), "invite": invite_id, "role": role}
            details["expires_at"] = expires.isoformat()
            await self._audit.record(
                tx, user_id, "staff_invite", now, queue=_queue(scope), details=details
            )
        return InviteIssued(invite_id, token, scope, role, expires)

    async def join(self, user_id: int, name: str, token: str) -> Joined | Denied:
        """``user_id`` tapped a link: a member where it says, as what it says, or told why
        not (nothing changed). The same person tapping the same link again is told again."""
        now = self._clock()
        if not _TOKEN.match(token):
            return await self._refused(user_id, "staff_join", Denial.INVITE_UNKNOWN)
        token_hash = self._token_hash(token)
        try:
            async with self._store.transaction() as tx:
                invite = await tx.use_invite(token_hash, user_id, now)
                if invite is None:
                    found = await tx.invite_by_hash(token_hash)
                    if found is None or found.used_by != user_id:
                        raise _Refused(_invite_refusal(found))
                    return _joined(found, None, again=True)
                if not queues_in(self._org.config, _scope_of(invite)):
                    raise _Refused(Denial.SCOPE_UNKNOWN)  # the config no longer has it
                before = await self._add_joiner(tx, invite, user_id, name, now)
        except _Refused as refused:
            return await self._refused(user_id, "staff_join", refused.reason)
        await self._org.refresh(force=True)
        return _joined(invite, before, again=False)

    async def _add_joiner(
        self, tx: Transaction, invite: InviteRecord, user_id: int, name: str, now: datetime
    ) -> Role | None:
        record = MemberRecord(
            user_id,
            invite.level,
            invite.scope,
            invite.role,
            now,
            invite.created_by,
            name[:NAME_LIMIT],
        )
        before = await tx.put_staff_member(record)
        scope = _scope_of(invite)
        details: dict[str, Any] = {**_scope_details(scope), "invite": invite.id}
        details.update(role=invite.role, invited_by=invite.created_by)
        if before is not None:
            details["before"] = before.role
        actor = inspector(str(user_id))  # staff from this very change on
        await tx.add_audit(allowed_entry(actor, "staff_join", now, details, queue=_queue(scope)))
        inviter = staff_user_id(invite.created_by)
        if inviter is not None:
            data = {"name": name, "member": user_id, "role": invite.role, **_scope_details(scope)}
            await tx.enqueue(staff_message(StaffNotice.MEMBER_JOINED, inviter, data, now))
        await refresh_menu(tx, user_id, now)
        await tx.bump_organisation_version()
        return None if before is None else cast(Role, before.role)

    async def open_invites(self, user_id: int) -> tuple[InviteRecord, ...]:
        """The unused invitations ``user_id`` may revoke."""
        async with self._store.transaction(readonly=True) as tx:
            found = await tx.open_invites(self._clock())
        return tuple(i for i in found if self._may_revoke(user_id, i))

    async def revoke(self, user_id: int, invite_id: int) -> InviteRecord | Denied:
        now = self._clock()
        async with self._store.transaction() as tx:
            invite = await tx.invite_by_id(invite_id)
            if invite is None:
                refusal: Denial | None = Denial.INVITE_UNKNOWN
            elif not self._may_revoke(user_id, invite):
                refusal = Denial.NOT_ALLOWED
            elif not await tx.revoke_invite(invite_id, self._audit.actor(user_id), now):
                refusal = _invite_refusal(invite, now)
            else:
                refusal = None
                scope = _scope_of(invite)
                details = {**_scope_details(scope), "invite": invite_id}
                await self._audit.record(
                    tx, user_id, "staff_invite_revoke", now, queue=_queue(scope), details=details
                )
        if refusal is not None or invite is None:
            return await self._refused(
                user_id, "staff_invite_revoke", refusal or Denial.NOT_ALLOWED
            )
        return invite

    def _may_revoke(self, user_id: int, invite: InviteRecord) -> bool:
        scope = _scope_of(invite)
        role = cast(Role, invite.role)
        mine = invite.created_by == inspector(str(user_id))
        return (mine and self._org.access.is_staff(user_id)) or self.may_manage(
            user_id, scope, role
        )

    def _token_hash(self, token: str) -> str:
        return keyed_hash(self._pepper, "staff-invite", token)

    # --- who works where ---

    def whoami(self, user_id: int) -> tuple[Membership, ...]:
        return self._org.memberships_of(user_id)

    async def staff_list(
        self, user_id: int, scope: Scope | None
    ) -> tuple[StaffEntry, ...] | Denied:
        """The members ``user_id`` may see (in ``scope``, if given), with their last action."""
        await self._org.refresh_for(user_id)
        now = self._clock()
        if scope is not None and not queues_in(self._org.settings, scope):
            return await self._refused(user_id, "view_staff", Denial.SCOPE_UNKNOWN, scope)
        if not self._org.access.may_anywhere(user_id, Action.VIEW_STAFF):
            return await self._refused(user_id, "view_staff", Denial.NOT_ALLOWED, scope)
        shown = [
            m
            for m in self._org.snapshot.memberships
            if self._may_see(user_id, m.scope)
            and (scope is None or _overlap(self._org.settings, m.scope, scope))
        ]
        actors = sorted({inspector(str(m.user_id)) for m in shown})
        async with self._store.transaction() as tx:
            last = await tx.last_staff_activity(actors)
            details = {"members": len(shown), **(_scope_details(scope) if scope else {})}
            await self._audit.record(tx, user_id, "view_staff", now, details=details)
        return tuple(StaffEntry(m, last.get(inspector(str(m.user_id)))) for m in shown)

    def _may_see(self, user_id: int, scope: Scope) -> bool:
        access = self._org.access
        if scope.level == "organisation":
            return access.may_everywhere(user_id, Action.VIEW_STAFF)
        queues = queues_in(self._org.settings, scope)
        return any(access.may(user_id, Action.VIEW_STAFF, q) for q in queues)

    # --- removals and role changes ---

    async def plan_removal(
        self, user_id: int, member_id: int, hand_to: int | None = None
    ) -> StaffChange | Denied:
        """What removing ``member_id`` would do, for the confirmation; refused (and audited)
        if it may not be done."""
        await self._org.refresh(force=True)
        planned = self._removal(user_id, member_id, hand_to)
        if isinstance(planned, Denial):
            return await self._refused(user_id, "staff_remove", planned)
        return await self._with_tickets(planned)

    async def remove(
        self, user_id: int, member_id: int, hand_to: int | None = None, *, once: Once = None
    ) -> StaffChange | Denied:
        """Remove every role of ``member_id`` that ``user_id`` may manage; their claimed
        tickets they can no longer work go back to the queue (or to ``hand_to``)."""
        await self._org.refresh(force=True)
        planned = self._removal(user_id, member_id, hand_to)
        if isinstance(planned, Denial):
            return await self._refused(user_id, "staff_remove", planned)
        return await self._apply(user_id, planned, "staff_remove", once)

    def _removal(self, user_id: int, member_id: int, hand_to: int | None) -> StaffChange | Denial:
        if not self.may_manage_anything(user_id):
            return Denial.NOT_ALLOWED  # before saying anything about who works where
        held = self._org.memberships_of(member_id)
        if not held:
            return Denial.MEMBER_UNKNOWN
        mine = tuple(m for m in held if self.may_manage(user_id, m.scope, m.role))
        going = tuple(m for m in mine if not m.pinned)
        if not going:
            return Denial.CONFIG_ADMIN if mine else Denial.NOT_ALLOWED
        problem = self._leaves_admins(going, None) or self._colleague_problem(hand_to, member_id)
        return problem or StaffChange(member_id, going, None, (), hand_to)

    async def plan_role(
        self, user_id: int, member_id: int, role: Role, scope: Scope | None = None
    ) -> StaffChange | Denied:
        await self._org.refresh(force=True)
        planned = self._role_change(user_id, member_id, role, scope)
        if isinstance(planned, Denial):
            return await self._refused(user_id, "staff_role", planned, scope)
        return await self._with_tickets(planned)

    async def change_role(
        self,
        user_id: int,
        member_id: int,
        role: Role,
        scope: Scope | None = None,
        *,
        once: Once = None,
    ) -> StaffChange | Denied:
        await self._org.refresh(force=True)
        planned = self._role_change(user_id, member_id, role, scope)
        if isinstance(planned, Denial):
            return await self._refused(user_id, "staff_role", planned, scope)
        return await self._apply(user_id, planned, "staff_role", once)

    def _role_change(
        self, user_id: int, member_id: int, role: Role, scope: Scope | None
    ) -> StaffChange | Denial:
        if not self.may_manage_anything(user_id):
            return Denial.NOT_ALLOWED  # before saying anything about who works where
        if scope is not None and not self.may_manage(user_id, scope, role):
            return Denial.NOT_ALLOWED
        held = [m for m in self._org.memberships_of(member_id) if scope in (None, m.scope)]
        if not held:
            return Denial.MEMBER_UNKNOWN
        if len(held) > 1:
            return Denial.SCOPE_AMBIGUOUS
        [membership] = held
        if not (
            self.may_manage(user_id, membership.scope, membership.role)
            and self.may_manage(user_id, membership.scope, role)
        ):
            return Denial.NOT_ALLOWED
        if membership.pinned:
            return Denial.CONFIG_ADMIN
        if membership.role == role:
            return Denial.SAME_ROLE
        problem = self._leaves_admins((membership,), role)
        return problem or StaffChange(member_id, (membership,), role, ())

    def _leaves_admins(self, changing: tuple[Membership, ...], role: Role | None) -> Denial | None:
        """Refuse anything that would leave the organisation without an admin."""
        if role == "admin":
            return None
        remaining = [
            m
            for m in self._org.snapshot.memberships
            if m.role == "admin" and m.scope.level == "organisation" and m not in changing
        ]
        touches_admins = any(
            m.role == "admin" and m.scope.level == "organisation" for m in changing
        )
        return Denial.LAST_ADMIN if touches_admins and not remaining else None

    def _colleague_problem(self, hand_to: int | None, member_id: int) -> Denial | None:
        if hand_to is None:
            return None
        if hand_to == member_id or not self._org.access.may_anywhere(hand_to, Action.CLAIM):
            return Denial.COLLEAGUE_CANNOT_CLAIM
        return None

    def _after(self, change: StaffChange) -> InspectionSettings:
        """The organisation once ``change`` is made."""
        kept = [m for m in self._org.snapshot.memberships if m not in change.memberships]
        if change.role is not None:
            kept += [replace(m, role=change.role) for m in change.memberships]
        return effective_settings(self._org.config, kept, list(self._org.snapshot.bindings))

    async def _with_tickets(self, change: StaffChange) -> StaffChange:
        after = self._after(change)
        async with self._store.transaction(readonly=True) as tx:
            held = await tx.claimed_tickets(inspector(str(change.member)), MAX_HELD, 0)
        back = tuple(t.number for t in held if change.member not in claimers_of(after, t.queue))
        return replace(change, tickets=back)

    async def _apply(
        self, user_id: int, change: StaffChange, action: str, once: Once
    ) -> StaffChange | Denied:
        now = self._clock()
        after = self._after(change)
        actor = self._audit.actor(user_id)
        async with self._store.transaction() as tx:
            if once is not None and not await tx.first_application(once, now):
                return Denied(Denial.ALREADY_DONE)
            for membership in change.memberships:
                await self._write_change(tx, membership, change.role, now)
            handed = await self.hand_back(tx, change, after, actor, now)
            details = _change_details(change, handed)
            await self._audit.record(tx, user_id, action, now, details=details)
            await refresh_menu(tx, change.member, now)
            await tx.bump_organisation_version()
        await self._org.refresh(force=True)
        return replace(change, handed_back=handed, tickets=handed.released + handed.handed)

    async def _write_change(
        self, tx: Transaction, membership: Membership, role: Role | None, now: datetime
    ) -> None:
        scope = membership.scope
        if role is None:
            await tx.remove_staff_member(membership.user_id, scope.level, scope.id)
        else:
            await tx.put_staff_member(replace(member_record(membership, now), role=role))

    async def hand_back(
        self,
        tx: Transaction,
        change: StaffChange,
        after: InspectionSettings,
        actor: str,
        now: datetime,
    ) -> HandedBack:
        """The member's claimed tickets in queues they can no longer work: to the colleague
        named where they may claim, else back to the queue; each queue's group is told."""
        holder = inspector(str(change.member))
        released: dict[str, list[str]] = defaultdict(list)
        handed: dict[str, list[str]] = defaultdict(list)
        for ticket in await tx.claimed_tickets(holder, MAX_HELD, 0):
            if change.member in claimers_of(after, ticket.queue):
                continue
            if await self._reassign(tx, ticket, change.hand_to, after, actor, now):
                handed[ticket.queue].append(ticket.number)
            elif not isinstance(await self._lifecycle.release_in(tx, ticket, actor, now), Refused):
                released[ticket.queue].append(ticket.number)
        for queue in sorted({*released, *handed}):
            await self._tell_queue(tx, change, queue, released[queue], handed[queue], now)
        return HandedBack(
            tuple(n for q in sorted(released) for n in released[q]),
            tuple(n for q in sorted(handed) for n in handed[q]),
        )

    async def _reassign(
        self,
        tx: Transaction,
        ticket: TicketRecord,
        hand_to: int | None,
        after: InspectionSettings,
        actor: str,
        now: datetime,
    ) -> bool:
        if hand_to is None or hand_to not in claimers_of(after, ticket.queue):
            return False
        to_actor = inspector(str(hand_to))
        assert ticket.claimed_by is not None
        if not await tx.reassign_claim(ticket.id, ticket.claimed_by, to_actor, now):
            return False
        details = {"from": ticket.claimed_by, "to": to_actor}
        await tx.add_event(
            NewEvent(ticket.id, now, actor, EventKind.REASSIGNED, False, _json(details))
        )
        return True

    async def _tell_queue(
        self,
        tx: Transaction,
        change: StaffChange,
        queue: str,
        released: list[str],
        handed: list[str],
        now: datetime,
    ) -> None:
        settings = self._org.settings
        found = settings.queue(queue)
        if found is None or found.chat_id is None:
            return
        data: dict[str, Any] = {
            "member": change.member,
            "name": self._org.name_of(change.member) or "",
            "queue": queue,
            "released": released,
            "handed": handed,
            "hand_to": change.hand_to,
            "left": change.role is None,
        }
        message = staff_message(StaffNotice.MEMBER_REMOVED, found.chat_id, data, now)
        await enqueue_paced(tx, message, settings.group_messages_per_minute)

    # --- at the server's console ---

    async def add_by_operator(
        self, member_id: int, scope: Scope, role: Role, *, actor: str
    ) -> Membership:
        """``python -m bot staff add``: audited under ``actor`` (the way in when nobody is
        left to invite anyone)."""
        now = self._clock()
        record = MemberRecord(member_id, scope.level, scope.id, role, now, actor)
        async with self._store.transaction() as tx:
            before = await tx.put_staff_member(record)
            details = {**_scope_details(scope), "member": member_id, "role": role}
            if before is not None:
                details["before"] = before.role
            await tx.add_audit(allowed_entry(actor, "staff_add", now, details, queue=_queue(scope)))
            await refresh_menu(tx, member_id, now)
            await tx.bump_organisation_version()
        await self._org.refresh(force=True)
        return membership_of(record)

    async def remove_by_operator(self, member_id: int, *, actor: str) -> StaffChange | Denied:
        """``python -m bot staff remove``: every role the database holds for them (the
        config's admins stay: they are changed in the config)."""
        await self._org.refresh(force=True)
        going = tuple(m for m in self._org.memberships_of(member_id) if not m.pinned)
        if not going:
            return Denied(Denial.MEMBER_UNKNOWN)
        change = StaffChange(member_id, going, None, ())
        now = self._clock()
        after = self._after(change)
        async with self._store.transaction() as tx:
            for membership in going:
                await self._write_change(tx, membership, None, now)
            handed = await self.hand_back(tx, change, after, actor, now)
            details = _change_details(change, handed)
            await tx.add_audit(allowed_entry(actor, "staff_remove", now, details))
            await refresh_menu(tx, member_id, now)
            await tx.bump_organisation_version()
        await self._org.refresh(force=True)
        return replace(change, handed_back=handed)

    async def _refused(
        self, user_id: int, action: str, reason: Denial, scope: Scope | None = None
    ) -> Denied:
        queue = _queue(scope) if scope else None
        return await self._audit.refused(
            user_id, action, self._clock(), Denied(reason), queue=queue
        )


class _Refused(Exception):
    """Raised inside a unit of work to roll it back and refuse."""

    def __init__(self, reason: Denial) -> None:
        super().__init__(reason)
        self.reason = reason


def _scope_of(invite: InviteRecord) -> Scope:
    return Scope.of(invite.level, invite.scope)


def queues_in(settings: InspectionSettings, scope: Scope) -> tuple[str, ...]:
    """The queues a role held at ``scope`` covers (none: no such place)."""
    if scope.level == "organisation":
        return settings.queue_ids()
    if scope.level == "department":
        department = settings.department(scope.id)
        return tuple(q.id for q in department.queues) if department else ()
    return (scope.id,) if settings.queue(scope.id) is not None else ()


def _overlap(settings: InspectionSettings, held: Scope, wanted: Scope) -> bool:
    return bool(set(queues_in(settings, held)) & set(queues_in(settings, wanted)))


def _queue(scope: Scope | None) -> str | None:
    return scope.id if scope is not None and scope.level == "queue" else None


def _scope_details(scope: Scope) -> dict[str, Any]:
    return {"level": scope.level, "scope": scope.id}


def _invite_refusal(invite: InviteRecord | None, now: datetime | None = None) -> Denial:
    if invite is None:
        return Denial.INVITE_UNKNOWN
    if invite.revoked_at is not None:
        return Denial.INVITE_REVOKED
    if invite.used_at is not None:
        return Denial.INVITE_USED
    return Denial.INVITE_EXPIRED


def _joined(invite: InviteRecord, before: Role | None, *, again: bool) -> Joined:
    return Joined(
        _scope_of(invite),
        cast(Role, invite.role),
        staff_user_id(invite.created_by),
        before,
        again,
    )


def _change_details(change: StaffChange, handed: HandedBack) -> dict[str, Any]:
    return {
        "member": change.member,
        "roles": [
            {"level": m.scope.level, "scope": m.scope.id, "role": m.role}
            for m in change.memberships
        ],
        "new_role": change.role,
        "released": list(handed.released),
        "handed": list(handed.handed),
        "hand_to": change.hand_to,
    }


def _json(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True)
