"""Which group a queue's cards go to, and which one gets a department's escalations.

``/bind <queue>`` (or ``/bind supervisors <department>``) by an admin in a group makes it that
place's group: binding another group moves it, and the group it leaves is told. ``/unbind``
undoes it. A group the bot is removed from is unbound at once and the organisation's admins
are told, so cards never go into the void. Every change is audited and bumps the organisation
version, so every instance posts to the new group within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.clock import utc_now
from bot.inspection.access import Action
from bot.inspection.audit import AuditTrail, allowed_entry
from bot.inspection.model import Clock, Denial, Denied, StaffNotice
from bot.inspection.organisation import (
    GroupBinding,
    GroupKind,
    Organisation,
    binding_of,
    refresh_menu,
)
from bot.store.base import Store
from bot.store.staff_tables import BindingRecord
from bot.tickets.model import SYSTEM
from bot.tickets.outbox import staff_message

Once = str | None
MAX_TITLE = 128


@dataclass(frozen=True)
class Bound:
    kind: GroupKind
    target: str
    moved_from: GroupBinding | None = None  # the group that had it until now
    already: bool = False  # this group had it already: nothing changed


class GroupDesk:
    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        audit: AuditTrail,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._org = organisation
        self._audit = audit
        self._clock = clock

    def bindings_of(self, chat_id: int) -> tuple[GroupBinding, ...]:
        return self._org.binding_of_chat(chat_id)

    def _queues_of(self, kind: GroupKind, target: str) -> tuple[str, ...]:
        config = self._org.config
        if kind == "queue":
            return (target,) if config.queue(target) is not None else ()
        department = config.department(target)
        return tuple(q.id for q in department.queues) if department else ()

    def _may_bind(self, user_id: int, kind: GroupKind, target: str) -> bool:
        access = self._org.access
        queues = self._queues_of(kind, target)
        return bool(queues) and all(access.may(user_id, Action.BIND_GROUP, q) for q in queues)

    async def bind(
        self,
        user_id: int,
        chat_id: int,
        title: str,
        kind: GroupKind,
        target: str,
        *,
        once: Once = None,
    ) -> Bound | Denied:
        await self._org.refresh(force=True)
        now = self._clock()
        if not self._queues_of(kind, target):
            return await self._refused(user_id, "group_bind", Denial.SCOPE_UNKNOWN)
        if not self._may_bind(user_id, kind, target):
            return await self._refused(user_id, "group_bind", Denial.NOT_ALLOWED)
        current = self._org.binding(kind, target)
        if current is not None and current.chat_id == chat_id:
            return Bound(kind, target, already=True)
        record = BindingRecord(
            kind, target, chat_id, title[:MAX_TITLE], now, self._audit.actor(user_id)
        )
        async with self._store.transaction() as tx:
            if once is not None and not await tx.first_application(once, now):
                return Denied(Denial.ALREADY_DONE)
            before = await tx.bind_group(record)
            details: dict[str, Any] = {"kind": kind, "target": target, "chat_id": chat_id}
            if before is not None:
                details["moved_from"] = before.chat_id
                data = {"bound_as": kind, "target": target, "to_title": record.title}
                await tx.enqueue(staff_message(StaffNotice.GROUP_MOVED, before.chat_id, data, now))
                await refresh_menu(tx, before.chat_id, now)
            queue = target if kind == "queue" else None
            await self._audit.record(tx, user_id, "group_bind", now, queue=queue, details=details)
            await refresh_menu(tx, chat_id, now)
            await tx.bump_organisation_version()
        await self._org.refresh(force=True)
        moved = None if before is None else binding_of(before)
        return Bound(kind, target, moved_from=moved)

    async def unbind(
        self, user_id: int, chat_id: int, *, once: Once = None
    ) -> tuple[GroupBinding, ...] | Denied:
        """Every binding of this group, undone."""
        await self._org.refresh(force=True)
        now = self._clock()
        bound = self._org.binding_of_chat(chat_id)
        if not bound:
            return await self._refused(user_id, "group_unbind", Denial.NOT_BOUND)
        if not all(self._may_bind(user_id, b.kind, b.target) for b in bound):
            return await self._refused(user_id, "group_unbind", Denial.NOT_ALLOWED)
        async with self._store.transaction() as tx:
            if once is not None and not await tx.first_application(once, now):
                return Denied(Denial.ALREADY_DONE)
            removed = await tx.unbind_chat(chat_id)
            details = {"chat_id": chat_id, "bindings": _described(removed)}
            await self._audit.record(tx, user_id, "group_unbind", now, details=details)
            await refresh_menu(tx, chat_id, now)
            await tx.bump_organisation_version()
        await self._org.refresh(force=True)
        return tuple(map(binding_of, removed))

    async def bot_removed(self, chat_id: int, title: str) -> tuple[GroupBinding, ...]:
        """The bot is no longer in the group (removed, or the group is gone): unbind it and
        tell the organisation's admins, privately."""
        await self._org.refresh(force=True)
        now = self._clock()
        async with self._store.transaction() as tx:
            removed = await tx.unbind_chat(chat_id)
            if not removed:
                return ()
            details = {"chat_id": chat_id, "bindings": _described(removed)}
            await tx.add_audit(allowed_entry(SYSTEM, "group_lost", now, details))
            data = {"title": title[:MAX_TITLE] or removed[0].title, "bindings": _described(removed)}
            for admin in self._org.organisation_admins():
                await tx.enqueue(staff_message(StaffNotice.GROUP_LOST, admin, data, now))
            await tx.bump_organisation_version()
        await self._org.refresh(force=True)
        return tuple(map(binding_of, removed))

    async def chat_migrated(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup (a new chat id): its bindings follow it."""
        now = self._clock()
        async with self._store.transaction() as tx:
            moved = await tx.move_chat_bindings(old_chat_id, new_chat_id)
            if moved:
                details = {"from": old_chat_id, "to": new_chat_id}
                await tx.add_audit(allowed_entry(SYSTEM, "group_migrated", now, details))
                await refresh_menu(tx, new_chat_id, now)
                await tx.bump_organisation_version()
        if moved:
            await self._org.refresh(force=True)
        return moved

    async def _refused(self, user_id: int, action: str, reason: Denial) -> Denied:
        return await self._audit.refused(user_id, action, self._clock(), Denied(reason))


def _described(bindings: list[BindingRecord]) -> list[dict[str, str]]:
    return [{"kind": b.kind, "target": b.target} for b in bindings]
