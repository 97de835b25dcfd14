"""The organisation as it is now: the config's departments, queues, routing and rotas, with the
staff, group chats and duty changes the database holds.

Every instance keeps a snapshot in memory (permissions are answered from it, so a claim costs
no extra trip) and compares the database's organisation version with its own, one small read,
at most every ``staff.refresh_seconds`` and always before refusing someone; a change made on
any instance bumps that version in its own commit, so every instance follows within seconds,
without a restart.

The config's members and chat ids seed the database, each entry once: a member removed from
Telegram stays removed after a restart. Admins of the whole organisation listed in the config
are always admins (the way in when nobody else is left); they are changed in the config.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, cast

from bot.clock import utc_now
from bot.inspection.access import Access
from bot.inspection.audit import allowed_entry
from bot.inspection.model import Clock, StaffNotice
from bot.inspection.settings import InspectionSettings, Member, Role
from bot.store.base import Store, Transaction
from bot.store.staff_tables import BindingRecord, MemberRecord, OverrideRecord
from bot.tickets.outbox import staff_message

Level = Literal["organisation", "department", "queue"]
LEVELS: tuple[Level, ...] = ("organisation", "department", "queue")
GroupKind = Literal["queue", "supervisors"]
# Who changed something when no person did: the config file at start.
CONFIG_ACTOR = "config"


@dataclass(frozen=True)
class Scope:
    """Where a role applies: the whole organisation, one department (all its queues) or one
    queue."""

    level: Level
    id: str = ""

    @classmethod
    def organisation(cls) -> Scope:
        return cls("organisation", "")

    @classmethod
    def of(cls, level: str, ident: str) -> Scope:
        """As the store keeps it (a level it checked)."""
        if level not in LEVELS:
            raise ValueError(f"no such level: {level!r}")
        return cls(level, ident)

    @property
    def key(self) -> str:
        """Short text for buttons: ``o``, ``d:education``, ``q:edu-haidian``."""
        return "o" if self.level == "organisation" else f"{self.level[0]}:{self.id}"

    @classmethod
    def from_key(cls, text: str) -> Scope | None:
        if text == "o":
            return cls.organisation()
        kind, _, ident = text.partition(":")
        level = {"d": "department", "q": "queue"}.get(kind)
        return None if level is None or not ident else cls(cast(Level, level), ident)


@dataclass(frozen=True)
class Membership:
    user_id: int
    scope: Scope
    role: Role
    added_at: datetime | None  # None: from the config, never seeded (a static organisation)
    added_by: str
    name: str = ""
    # An organisation admin listed in the config: always there, changed only in the config.
    pinned: bool = False


@dataclass(frozen=True)
class GroupBinding:
    kind: GroupKind
    target: str  # the queue's id, or the department's
    chat_id: int
    title: str = ""


@dataclass(frozen=True)
class Snapshot:
    version: int
    settings: InspectionSettings
    access: Access
    memberships: tuple[Membership, ...]
    bindings: tuple[GroupBinding, ...]
    # Shifts taken or handed over, by (rota key, occurrence start).
    overrides: dict[tuple[str, datetime], OverrideRecord] = field(default_factory=dict)

    def names(self) -> dict[int, str]:
        return {m.user_id: m.name for m in self.memberships if m.name}


# Names are kept as long as Telegram's longest first + last name.
NAME_LIMIT = 64


class Organisation:
    def __init__(
        self,
        store: Store | None,
        config: InspectionSettings,
        *,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._store = store
        self._clock = clock
        self._monotonic = monotonic
        self._snapshot = build_snapshot(config, 0, config_members(config), config_bindings(config))
        self._checked_at = -math.inf
        self._lock = asyncio.Lock()
        self.opened = False
        self._loaded = False  # the snapshot is the database's, not the config's

    @classmethod
    def fixed(cls, settings: InspectionSettings) -> Organisation:
        """The config's organisation alone, never read from a database (tools, benchmarks)."""
        return cls(None, settings)

    # --- what it is now ---

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def settings(self) -> InspectionSettings:
        return self._snapshot.settings

    @property
    def access(self) -> Access:
        return self._snapshot.access

    @property
    def version(self) -> int:
        return self._snapshot.version

    def memberships_of(self, user_id: int) -> tuple[Membership, ...]:
        return tuple(m for m in self._snapshot.memberships if m.user_id == user_id)

    def name_of(self, user_id: int) -> str | None:
        return self._snapshot.names().get(user_id)

    async def remember_name(self, user_id: int, name: str) -> None:
        """Keep the name Telegram shows for a member of staff (cards and notices name them),
        in the store, so every instance shows the same; nothing is written when it is known."""
        name = name[:NAME_LIMIT]
        if not name or self._store is None or self.name_of(user_id) == name:
            return
        if not self.memberships_of(user_id):
            return
        async with self._store.transaction() as tx:
            renamed = await tx.rename_staff_member(user_id, name)
            if renamed:
                await tx.bump_organisation_version()
        if renamed:  # rare: read it back as every other instance will
            await self.refresh(force=True)

    def organisation_admins(self) -> tuple[int, ...]:
        return tuple(
            dict.fromkeys(
                m.user_id
                for m in self._snapshot.memberships
                if m.role == "admin" and m.scope.level == "organisation"
            )
        )

    def binding_of_chat(self, chat_id: int) -> tuple[GroupBinding, ...]:
        return tuple(b for b in self._snapshot.bindings if b.chat_id == chat_id)

    def binding(self, kind: GroupKind, target: str) -> GroupBinding | None:
        for found in self._snapshot.bindings:
            if found.kind == kind and found.target == target:
                return found
        return None

    # --- keeping up with the database ---

    async def open(self) -> None:
        """Copy in the config's entries not seen before, then read what the database holds."""
        if self._store is None:
            return
        async with self._store.transaction() as tx:
            await seed_from_config(tx, self.config, self._clock())
        self.opened = True
        await self.refresh(force=True)

    async def preview(self) -> Snapshot:
        """What the next start would hold, read without writing anything: the database's
        organisation and the config's entries not copied in yet (``config check``)."""
        assert self._store is not None
        async with self._store.transaction(readonly=True) as tx:
            version = await tx.organisation_version()
            seeded = await tx.seeded_keys()
            members = [membership_of(r) for r in await tx.staff_members()]
            bindings = [binding_of(b) for b in await tx.group_bindings()]
            overrides = await tx.duty_overrides(self._clock())
        held = {(m.user_id, m.scope) for m in members}
        members += [
            m
            for m in config_members(self.config)
            if _seed_key(m) not in seeded and (m.user_id, m.scope) not in held
        ]
        bound = {(b.kind, b.target) for b in bindings}
        bindings += [
            b
            for b in config_bindings(self.config)
            if _bind_key(b) not in seeded and (b.kind, b.target) not in bound
        ]
        return build_snapshot(
            self.config, version, with_pinned(members, self.config), bindings, overrides
        )

    async def refresh(self, *, force: bool = False) -> bool:
        """Read the organisation again if another instance (or this one) changed it; at most
        every ``refresh_seconds`` unless ``force``. Whether it changed."""
        if self._store is None or not self.opened:
            return False
        wait = self.config.staff.refresh_seconds
        if not force and self._monotonic() - self._checked_at < wait:
            return False
        async with self._lock:
            if not force and self._monotonic() - self._checked_at < wait:
                return False  # another task checked while this one waited
            return await self._check()

    async def refresh_for(self, user_id: int) -> None:
        """Before answering ``user_id``: up to date within seconds, and always up to date
        before turning someone away (they may have joined a moment ago on another instance)."""
        await self.refresh()
        if not self.access.is_staff(user_id):
            await self.refresh(force=True)

    async def _check(self) -> bool:
        assert self._store is not None
        checked = self._monotonic()
        async with self._store.transaction(readonly=True) as tx:
            version = await tx.organisation_version()
            if self._loaded and version == self._snapshot.version:
                self._checked_at = checked
                return False
            members = await tx.staff_members()
            bindings = await tx.group_bindings()
            overrides = await tx.duty_overrides(self._clock())
        held = [membership_of(r) for r in members]
        self._snapshot = build_snapshot(
            self.config,
            version,
            with_pinned(held, self.config),
            list(map(binding_of, bindings)),
            overrides,
        )
        self._checked_at = checked
        self._loaded = True
        return True


class OrganisationView:
    """For services that read the organisation as it is now: ``self._org`` is it."""

    _org: Organisation

    @property
    def access(self) -> Access:
        return self._org.access

    @property
    def settings(self) -> InspectionSettings:
        return self._org.settings


# --- from the config ---


def config_members(settings: InspectionSettings) -> list[Membership]:
    """Everyone the config lists, where it lists them."""
    found = [_listed(m, Scope.organisation(), pinned=m.role == "admin") for m in settings.members]
    for department in settings.departments:
        found += [_listed(m, Scope("department", department.id)) for m in department.members]
        for queue in department.queues:
            found += [_listed(m, Scope("queue", queue.id)) for m in queue.members]
    return found


def _listed(member: Member, scope: Scope, *, pinned: bool = False) -> Membership:
    return Membership(member.user_id, scope, member.role, None, CONFIG_ACTOR, pinned=pinned)


def config_bindings(settings: InspectionSettings) -> list[GroupBinding]:
    found = []
    for department in settings.departments:
        if department.supervisors_chat_id is not None:
            found.append(GroupBinding("supervisors", department.id, department.supervisors_chat_id))
        for queue in department.queues:
            if queue.chat_id is not None:
                found.append(GroupBinding("queue", queue.id, queue.chat_id))
    return found


def with_pinned(held: list[Membership], settings: InspectionSettings) -> list[Membership]:
    """The database's members, and the config's organisation admins whatever it says."""
    by_key = {(m.user_id, m.scope): m for m in held}
    for member in config_members(settings):
        if member.pinned:
            kept = by_key.get((member.user_id, member.scope))
            by_key[(member.user_id, member.scope)] = (
                replace(kept, role="admin", pinned=True) if kept else member
            )
    return list(by_key.values())


async def seed_from_config(tx: Transaction, settings: InspectionSettings, now: datetime) -> int:
    """Copy in each config entry not copied before (a member, a group); how many were."""
    seeded = 0
    for member in config_members(settings):
        if not await tx.first_seed(_seed_key(member), now):
            continue
        record = member_record(member, now)
        if await tx.add_staff_member(record):
            await tx.add_audit(
                allowed_entry(
                    CONFIG_ACTOR,
                    "staff_seed",
                    now,
                    _member_details(record),
                    queue=_queue_of(record),
                )
            )
            seeded += 1
    bound = {(b.kind, b.target) for b in await tx.group_bindings()}
    for binding in config_bindings(settings):
        # A group bound from Telegram stays: the config's chat id only fills an empty place.
        if (
            not await tx.first_seed(_bind_key(binding), now)
            or (binding.kind, binding.target) in bound
        ):
            continue
        await tx.bind_group(
            BindingRecord(binding.kind, binding.target, binding.chat_id, "", now, CONFIG_ACTOR)
        )
        details = {"kind": binding.kind, "target": binding.target, "chat_id": binding.chat_id}
        await tx.add_audit(allowed_entry(CONFIG_ACTOR, "group_seed", now, details))
        seeded += 1
    if seeded:
        await tx.bump_organisation_version()
    return seeded


def _seed_key(member: Membership) -> str:
    return f"member:{member.scope.level}:{member.scope.id}:{member.user_id}"


def _bind_key(binding: GroupBinding) -> str:
    return f"chat:{binding.kind}:{binding.target}:{binding.chat_id}"


def binding_of(record: BindingRecord) -> GroupBinding:
    return GroupBinding(cast(GroupKind, record.kind), record.target, record.chat_id, record.title)


def member_record(member: Membership, now: datetime) -> MemberRecord:
    return MemberRecord(
        user_id=member.user_id,
        level=member.scope.level,
        scope=member.scope.id,
        role=member.role,
        added_at=member.added_at or now,
        added_by=member.added_by,
        name=member.name,
    )


def membership_of(record: MemberRecord) -> Membership:
    return Membership(
        user_id=record.user_id,
        scope=Scope.of(record.level, record.scope),
        role=cast(Role, record.role),
        added_at=record.added_at,
        added_by=record.added_by,
        name=record.name,
    )


def _member_details(record: MemberRecord) -> dict[str, object]:
    return {"member": record.user_id, "role": record.role, "level": record.level}


def _queue_of(record: MemberRecord) -> str | None:
    return record.scope if record.level == "queue" else None


# --- the settings every service reads ---


def build_snapshot(
    config: InspectionSettings,
    version: int,
    memberships: list[Membership],
    bindings: list[GroupBinding],
    overrides: Sequence[OverrideRecord] = (),
) -> Snapshot:
    """The config's organisation with these members and groups in place of its own."""
    settings = effective_settings(config, memberships, bindings)
    return Snapshot(
        version=version,
        settings=settings,
        access=Access(settings),
        memberships=tuple(sorted(memberships, key=_order)),
        bindings=tuple(bindings),
        overrides={(o.rota, o.shift_start): o for o in overrides},
    )


def _order(membership: Membership) -> tuple[int, str, float, int]:
    added = membership.added_at.timestamp() if membership.added_at else 0.0
    return (LEVELS.index(membership.scope.level), membership.scope.id, added, membership.user_id)


def effective_settings(
    config: InspectionSettings, memberships: list[Membership], bindings: list[GroupBinding]
) -> InspectionSettings:
    members: defaultdict[Scope, list[Member]] = defaultdict(list)
    for m in memberships:
        members[m.scope].append(Member(m.user_id, m.role))
    chats = {(b.kind, b.target): b.chat_id for b in bindings}
    departments = tuple(
        replace(
            department,
            members=tuple(members[Scope("department", department.id)]),
            supervisors_chat_id=chats.get(("supervisors", department.id)),
            queues=tuple(
                replace(
                    queue,
                    members=tuple(members[Scope("queue", queue.id)]),
                    chat_id=chats.get(("queue", queue.id)),
                )
                for queue in department.queues
            ),
        )
        for department in config.departments
    )
    return replace(config, departments=departments, members=tuple(members[Scope.organisation()]))


async def refresh_menu(tx: Transaction, chat_id: int, now: datetime) -> None:
    """The chat's commands menu follows a change (set as it then is, when the outbox gets to
    this message)."""
    await tx.enqueue(staff_message(StaffNotice.STAFF_MENU, chat_id, {}, now))
