"""The SQL of the staff tables (:mod:`bot.store.staff_tables`), shared by both backends.

A part of :class:`bot.store.sql.SqlTransaction`, written in its habits: ``?`` placeholders,
fixed-width UTC text for times, writes that return nothing held back until the next read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.store.sql_values import Params, Row, db_time, from_db_time, to_db_time
from bot.store.staff_tables import (
    BindingRecord,
    InviteRecord,
    MemberRecord,
    NewInvite,
    OverrideRecord,
)

MEMBER_COLUMNS = "user_id, level, scope, role, added_at, added_by, name"
BINDING_COLUMNS = "kind, target, chat_id, title, bound_at, bound_by"
INVITE_COLUMNS = (
    "id, level, scope, role, created_by, created_at, expires_at, used_by, used_at, revoked_at"
)
OVERRIDE_COLUMNS = "rota, shift_start, shift_end, user_id, set_by, set_at"


class StaffStatements:
    if TYPE_CHECKING:  # provided by SqlTransaction

        def _write(self, sql: str, params: Params = ()) -> None: ...
        async def _rows(self, sql: str, params: Params = ()) -> list[Row]: ...
        async def _one(self, sql: str, params: Params = ()) -> Row | None: ...
        async def _changed(self, sql: str, params: Params = ()) -> bool: ...

    # --- what instances hold in memory ---

    async def organisation_version(self) -> int:
        row = await self._one("SELECT version FROM organisation_version WHERE one = 1")
        return int(row[0]) if row else 0

    async def bump_organisation_version(self) -> None:
        self._write("UPDATE organisation_version SET version = version + 1 WHERE one = 1")

    async def first_seed(self, key: str, now: datetime) -> bool:
        return await self._changed(
            "INSERT INTO organisation_seeds (key, seeded_at) VALUES (?, ?)"
            " ON CONFLICT (key) DO NOTHING RETURNING key",
            (key, to_db_time(now)),
        )

    async def seeded_keys(self) -> set[str]:
        return {str(r[0]) for r in await self._rows("SELECT key FROM organisation_seeds")}

    # --- members ---

    async def staff_members(self) -> list[MemberRecord]:
        rows = await self._rows(
            f"SELECT {MEMBER_COLUMNS} FROM staff_members ORDER BY added_at, user_id, level, scope"
        )
        return [_member(r) for r in rows]

    async def add_staff_member(self, member: MemberRecord) -> bool:
        return await self._changed(
            f"INSERT INTO staff_members ({MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, level, scope) DO NOTHING RETURNING user_id",
            _member_values(member),
        )

    async def put_staff_member(self, member: MemberRecord) -> MemberRecord | None:
        before = await self._one(
            f"SELECT {MEMBER_COLUMNS} FROM staff_members"
            " WHERE user_id = ? AND level = ? AND scope = ?",
            (member.user_id, member.level, member.scope),
        )
        self._write(
            f"INSERT INTO staff_members ({MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, level, scope) DO UPDATE SET role = excluded.role,"
            " name = CASE WHEN excluded.name = '' THEN staff_members.name ELSE excluded.name END",
            _member_values(member),
        )
        return None if before is None else _member(before)

    async def rename_staff_member(self, user_id: int, name: str) -> bool:
        return await self._changed(
            "UPDATE staff_members SET name = ? WHERE user_id = ? AND name <> ? RETURNING user_id",
            (name, user_id, name),
        )

    async def remove_staff_member(self, user_id: int, level: str, scope: str) -> bool:
        return await self._changed(
            "DELETE FROM staff_members WHERE user_id = ? AND level = ? AND scope = ?"
            " RETURNING user_id",
            (user_id, level, scope),
        )

    # --- groups ---

    async def group_bindings(self) -> list[BindingRecord]:
        rows = await self._rows(f"SELECT {BINDING_COLUMNS} FROM group_bindings ORDER BY kind")
        return [_binding(r) for r in rows]

    async def bind_group(self, binding: BindingRecord) -> BindingRecord | None:
        before = await self._one(
            f"SELECT {BINDING_COLUMNS} FROM group_bindings WHERE kind = ? AND target = ?",
            (binding.kind, binding.target),
        )
        self._write(
            f"INSERT INTO group_bindings ({BINDING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, target) DO UPDATE SET chat_id = excluded.chat_id,"
            " title = excluded.title, bound_at = excluded.bound_at, bound_by = excluded.bound_by",
            (
                binding.kind,
                binding.target,
                binding.chat_id,
                binding.title,
                to_db_time(binding.bound_at),
                binding.bound_by,
            ),
        )
        return None if before is None else _binding(before)

    async def unbind_group(self, kind: str, target: str) -> BindingRecord | None:
        row = await self._one(
            f"DELETE FROM group_bindings WHERE kind = ? AND target = ? RETURNING {BINDING_COLUMNS}",
            (kind, target),
        )
        return None if row is None else _binding(row)

    async def unbind_chat(self, chat_id: int) -> list[BindingRecord]:
        rows = await self._rows(
            f"DELETE FROM group_bindings WHERE chat_id = ? RETURNING {BINDING_COLUMNS}",
            (chat_id,),
        )
        return sorted(map(_binding, rows), key=lambda b: (b.kind, b.target))

    async def move_chat_bindings(self, old_chat_id: int, new_chat_id: int) -> int:
        rows = await self._rows(
            "UPDATE group_bindings SET chat_id = ? WHERE chat_id = ? RETURNING target",
            (new_chat_id, old_chat_id),
        )
        return len(rows)

    # --- invitations ---

    async def add_invite(self, invite: NewInvite) -> int:
        row = await self._one(
            "INSERT INTO staff_invites (token_hash, level, scope, role, created_by, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                invite.token_hash,
                invite.level,
                invite.scope,
                invite.role,
                invite.created_by,
                to_db_time(invite.created_at),
                to_db_time(invite.expires_at),
            ),
        )
        assert row is not None
        return int(row[0])

    async def use_invite(self, token_hash: str, user_id: int, now: datetime) -> InviteRecord | None:
        at = to_db_time(now)
        row = await self._one(
            "UPDATE staff_invites SET used_by = ?, used_at = ?"
            " WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?"
            f" RETURNING {INVITE_COLUMNS}",
            (user_id, at, token_hash, at),
        )
        return None if row is None else _invite(row)

    async def invite_by_hash(self, token_hash: str) -> InviteRecord | None:
        row = await self._one(
            f"SELECT {INVITE_COLUMNS} FROM staff_invites WHERE token_hash = ?", (token_hash,)
        )
        return None if row is None else _invite(row)

    async def invite_by_id(self, invite_id: int) -> InviteRecord | None:
        row = await self._one(
            f"SELECT {INVITE_COLUMNS} FROM staff_invites WHERE id = ?", (invite_id,)
        )
        return None if row is None else _invite(row)

    async def open_invites(self, now: datetime) -> list[InviteRecord]:
        rows = await self._rows(
            f"SELECT {INVITE_COLUMNS} FROM staff_invites"
            " WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY id",
            (to_db_time(now),),
        )
        return [_invite(r) for r in rows]

    async def revoke_invite(self, invite_id: int, revoked_by: str, now: datetime) -> bool:
        at = to_db_time(now)
        return await self._changed(
            "UPDATE staff_invites SET revoked_at = ?, revoked_by = ?"
            " WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?"
            " RETURNING id",
            (at, revoked_by, invite_id, at),
        )

    # --- the duty rota ---

    async def duty_overrides(self, ending_after: datetime) -> list[OverrideRecord]:
        rows = await self._rows(
            f"SELECT {OVERRIDE_COLUMNS} FROM duty_overrides WHERE shift_end > ?"
            " ORDER BY shift_start",
            (to_db_time(ending_after),),
        )
        return [
            OverrideRecord(r[0], db_time(r[1]), db_time(r[2]), int(r[3]), r[4], db_time(r[5]))
            for r in rows
        ]

    async def set_duty_override(self, override: OverrideRecord) -> None:
        self._write(
            f"INSERT INTO duty_overrides ({OVERRIDE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (rota, shift_start) DO UPDATE SET user_id = excluded.user_id,"
            " shift_end = excluded.shift_end, set_by = excluded.set_by, set_at = excluded.set_at",
            (
                override.rota,
                to_db_time(override.shift_start),
                to_db_time(override.shift_end),
                override.user_id,
                override.set_by,
                to_db_time(override.set_at),
            ),
        )

    async def record_duty_ping(self, ticket_id: int, step: int, now: datetime) -> bool:
        return await self._changed(
            "INSERT INTO duty_pings (ticket_id, step, pinged_at) VALUES (?, ?, ?)"
            " ON CONFLICT (ticket_id, step) DO NOTHING RETURNING ticket_id",
            (ticket_id, step, to_db_time(now)),
        )

    # --- activity ---

    async def last_staff_activity(self, actors: Sequence[str]) -> dict[str, datetime]:
        if not actors:
            return {}
        marks = ", ".join("?" * len(actors))
        rows = await self._rows(
            "SELECT actor, MAX(at) FROM staff_audit"
            f" WHERE actor IN ({marks}) AND allowed = TRUE GROUP BY actor",
            tuple(actors),
        )
        return {str(r[0]): db_time(r[1]) for r in rows if r[1] is not None}


def _member(row: Row) -> MemberRecord:
    return MemberRecord(
        user_id=int(row[0]),
        level=row[1],
        scope=row[2],
        role=row[3],
        added_at=db_time(row[4]),
        added_by=row[5],
        name=row[6],
    )


def _member_values(member: MemberRecord) -> Params:
    return (
        member.user_id,
        member.level,
        member.scope,
        member.role,
        to_db_time(member.added_at),
        member.added_by,
        member.name,
    )


def _binding(row: Row) -> BindingRecord:
    return BindingRecord(row[0], row[1], int(row[2]), row[3], db_time(row[4]), row[5])


def _invite(row: Row) -> InviteRecord:
    return InviteRecord(
        id=int(row[0]),
        level=row[1],
        scope=row[2],
        role=row[3],
        created_by=row[4],
        created_at=db_time(row[5]),
        expires_at=db_time(row[6]),
        used_by=None if row[7] is None else int(row[7]),
        used_at=from_db_time(row[8]),
        revoked_at=from_db_time(row[9]),
    )
