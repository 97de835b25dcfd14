"""The store's staff tables: members, group bindings, invitations, duty changes and pings.

Part of the one storage interface (:class:`bot.store.base.Transaction` includes
:class:`StaffTables`); the SQL lives in :mod:`bot.store.staff_sql`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.store.base import TicketRecord


@dataclass(frozen=True)
class MemberRecord:
    user_id: int
    level: str  # organisation / department / queue
    scope: str  # "" for the organisation, else a department's or queue's id
    role: str
    added_at: datetime
    added_by: str
    name: str = ""


@dataclass(frozen=True)
class BindingRecord:
    kind: str  # queue / supervisors
    target: str  # a queue's id, or a department's
    chat_id: int
    title: str
    bound_at: datetime
    bound_by: str


@dataclass(frozen=True, kw_only=True)
class InviteTerms:
    """What an invitation makes of whoever uses it (where, as what), from whom, until when."""

    level: str
    scope: str
    role: str
    created_by: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class NewInvite(InviteTerms):
    token_hash: str  # keyed: the token itself is never kept


@dataclass(frozen=True, kw_only=True)
class InviteRecord(InviteTerms):
    id: int
    used_by: int | None = None
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class OverrideRecord:
    """One occurrence of a shift whose person on duty was changed."""

    rota: str
    shift_start: datetime
    shift_end: datetime
    user_id: int
    set_by: str
    set_at: datetime


class StaffTables(Protocol):
    async def organisation_version(self) -> int: ...

    async def bump_organisation_version(self) -> None:
        """Say that something instances hold in memory changed (with this unit's commit)."""
        ...

    async def first_seed(self, key: str, now: datetime) -> bool:
        """Record that the config's entry ``key`` was copied in; False if it was before."""
        ...

    async def seeded_keys(self) -> set[str]: ...

    async def staff_members(self) -> list[MemberRecord]: ...
    async def add_staff_member(self, member: MemberRecord) -> bool:
        """False when the person already holds a role at that level and scope."""
        ...

    async def put_staff_member(self, member: MemberRecord) -> MemberRecord | None:
        """Add, or change the role held there; returns what was there before, if anything."""
        ...

    async def remove_staff_member(self, user_id: int, level: str, scope: str) -> bool: ...
    async def rename_staff_member(self, user_id: int, name: str) -> bool:
        """The name Telegram shows now, on each of their roles; False if nothing changed."""
        ...

    async def group_bindings(self) -> list[BindingRecord]: ...
    async def bind_group(self, binding: BindingRecord) -> BindingRecord | None:
        """Make ``binding.chat_id`` the group of its kind and target; returns the binding it
        replaced, if any."""
        ...

    async def unbind_group(self, kind: str, target: str) -> BindingRecord | None: ...
    async def unbind_chat(self, chat_id: int) -> list[BindingRecord]:
        """Every binding of the chat, removed."""
        ...

    async def move_chat_bindings(self, old_chat_id: int, new_chat_id: int) -> int: ...

    async def add_invite(self, invite: NewInvite) -> int: ...
    async def use_invite(self, token_hash: str, user_id: int, now: datetime) -> InviteRecord | None:
        """Compare-and-set: the invitation, marked used by ``user_id``, if it was unused,
        unrevoked and unexpired at ``now``; None otherwise (nothing changed)."""
        ...

    async def invite_by_hash(self, token_hash: str) -> InviteRecord | None: ...
    async def invite_by_id(self, invite_id: int) -> InviteRecord | None: ...
    async def open_invites(self, now: datetime) -> list[InviteRecord]: ...
    async def revoke_invite(self, invite_id: int, revoked_by: str, now: datetime) -> bool:
        """Compare-and-set: False when it was used, revoked or had expired already."""
        ...

    async def duty_overrides(self, ending_after: datetime) -> list[OverrideRecord]: ...
    async def set_duty_override(self, override: OverrideRecord) -> None: ...

    async def record_duty_ping(self, ticket_id: int, step: int, now: datetime) -> bool:
        """False when this step of the ticket was pinged before (by any instance)."""
        ...

    async def tickets_awaiting_claim(
        self, created_after: datetime, limit: int
    ) -> list[TicketRecord]:
        """New, unclaimed tickets received after ``created_after``, oldest first."""
        ...

    async def reassign_claim(
        self, ticket_id: int, from_actor: str, to_actor: str, now: datetime
    ) -> bool:
        """Compare-and-set: the open ticket ``from_actor`` holds, held by ``to_actor``."""
        ...

    async def last_staff_activity(self, actors: Sequence[str]) -> dict[str, datetime]:
        """Each actor's latest allowed action in the staff audit."""
        ...
