"""The registry service: lookups from memory, imports and status changes through the store.

Lookups never touch the database: they read an in-memory index of the registry at one version.
Every change (an import, an inspector's resolution) bumps the version row in its commit and
marks the institutions it touched with that version, so each instance notices changes made
anywhere (the CLI's imports into a running bot's database too) with :meth:`Registry.refresh`:
one small query, then only the institutions changed since, read page by page and applied to
the index in short slices of the event loop. Lookups answer meanwhile, from each institution
as it was or as it is now; a fresh index is built (the same way) only when a change brings a
new place or too many new names.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Protocol

from bot.clock import utc_now
from bot.matching.names import folded
from bot.registry.importing import (
    ImportPlan,
    ListDefaults,
    change_entry,
    plan_import,
    read_rows,
)
from bot.registry.index import RegistryIndex, Row, as_row, in_slices
from bot.registry.model import (
    NOT_FOUND,
    UNCONFIRMED,
    ChangeItem,
    InstitutionForm,
    InstitutionHistory,
    InstitutionKind,
    InstitutionStatus,
    LookupResult,
    RegistryNote,
    TicketItem,
)
from bot.store.base import (
    InstitutionRecord,
    Store,
    TicketInstitution,
    TicketRecord,
    Transaction,
)

log = logging.getLogger(__name__)

# Earlier tickets shown with one institution.
HISTORY_TICKETS = 20
# Institutions read per unit of work: each page is a short read, and turned into records on
# the event loop in a few milliseconds.
PAGE_SIZE = 500


class LocalTime(Protocol):
    @property
    def utc_offset_hours(self) -> int: ...


class RegistryConfig(Protocol):
    """What the registry reads of the config (``bot.config.Config`` is one; the config is
    composed above the features, so the registry names only what it needs)."""

    @property
    def district_names(self) -> dict[str, str]: ...

    @property
    def tickets(self) -> LocalTime: ...


@dataclass(frozen=True)
class DraftChoice:
    """What a report's "who" step settled with the registry, kept in the draft:
    ``ask`` (waiting for the reporter to confirm ``ids``), ``id`` (confirmed ``ids[0]``),
    ``not_found``, ``unsure`` (offered ``ids``, reporter not sure), or nothing checked."""

    state: str = ""
    ids: tuple[int, ...] = ()

    def encode(self) -> str:
        return f"{self.state}:{','.join(map(str, self.ids))}" if self.state else ""

    @classmethod
    def parse(cls, text: str) -> DraftChoice:
        state, _, ids = text.partition(":")
        if state not in ("ask", "id", "not_found", "unsure"):
            return cls()
        try:
            return cls(state, tuple(int(i) for i in ids.split(",") if i))
        except ValueError:
            return cls()


class Registry:
    def __init__(self, store: Store, districts: Mapping[str, str], tz: tzinfo = UTC) -> None:
        """``districts``: every name a district goes by → its id (as routing uses them);
        ``tz``: the bureau's local time, whose date a status change takes effect on."""
        self._store = store
        self._tz = tz
        self._districts = dict(districts)
        self._district_ids = {folded(name): d for name, d in districts.items()}
        self._index = RegistryIndex(0, self._districts)
        self._rebuilding = asyncio.Lock()

    @classmethod
    def of(cls, store: Store, config: RegistryConfig) -> Registry:
        """The registry with the config's districts and local time."""
        local = timezone(timedelta(hours=config.tickets.utc_offset_hours))
        return cls(store, config.district_names, local)

    # --- reading ---

    @property
    def index(self) -> RegistryIndex:
        return self._index

    def lookup(self, name: str, district: str = "") -> LookupResult:
        return self._index.lookup(name, district)

    def institution(self, institution_id: int) -> InstitutionRecord | None:
        return self._index.by_id(institution_id)

    async def refresh(self) -> bool:
        """Bring the index up to the registry's version; True if it changed."""
        async with self._rebuilding:
            async with self._store.transaction(readonly=True) as tx:
                version = await tx.registry_version()
            current = self._index
            if version == current.version:
                return False
            if version < current.version:  # a database restored from a backup
                current = RegistryIndex(0, self._districts)
            changed = await self._read_rows(changed_after=current.version)
            index = await in_slices(current.catching_up(changed, version))
            if index is None:
                index = await in_slices(current.rebuilding(changed, version))
                log.info("registry index built: %d institutions (version %d)", len(index), version)
            self._index = index
        log.info("registry index at version %d: %d changed", version, len(changed))
        return True

    async def _read(self, changed_after: int = 0) -> list[InstitutionRecord]:
        """The institutions changed after the registry version ``changed_after`` (all: 0),
        in id order."""
        return [record async for page in self._pages(changed_after) for record in page]

    async def _read_rows(self, changed_after: int) -> list[Row]:
        """The same for the index: each page's records made rows (and let go) at once."""
        return [as_row(record) async for page in self._pages(changed_after) for record in page]

    async def _pages(self, changed_after: int) -> AsyncIterator[list[InstitutionRecord]]:
        """A page per unit of work: none holds the database for long."""
        after = 0
        while True:
            async with self._store.transaction(readonly=True) as tx:
                page = await tx.institutions_page(after, PAGE_SIZE, changed_after=changed_after)
            yield page
            if len(page) < PAGE_SIZE:
                return
            after = page[-1].id

    async def export(self, file_format: str) -> bytes:
        """Every institution, as ``csv`` or ``xlsx``."""
        from bot.registry.exporting import to_csv, to_xlsx

        records = await self._read()
        return to_xlsx(records) if file_format == "xlsx" else to_csv(records)

    async def top_substantiated(
        self, queues: Sequence[str], start: datetime, end: datetime, limit: int = 5
    ) -> list[tuple[InstitutionRecord, int]]:
        """Institutions with the most substantiated tickets received in [start, end)."""
        if not queues:
            return []
        async with self._store.transaction(readonly=True) as tx:
            counts = await tx.most_substantiated_institutions(queues, start, end, limit)
            found = [(await tx.institution_by_id(i), n) for i, n in counts]
        return [(record, n) for record, n in found if record is not None]

    # --- changing ---

    async def import_file(
        self,
        path: Path,
        defaults: ListDefaults,
        *,
        actor: str,
        now: datetime | None = None,
        apply: bool = True,
    ) -> ImportPlan:
        """Read, check and plan ``path`` against the registry, then (``apply``) write the plan
        in one transaction. Raises :class:`ImportRefused` for a bad file (nothing changes)."""
        if now is None:
            now = utc_now()
        rows = await asyncio.to_thread(read_rows, path, defaults)
        existing = await self._read()
        plan = await asyncio.to_thread(
            plan_import,
            rows,
            existing,
            actor=actor,
            now=now,
            district_id=self._district_id,
            today=self._today(now),
        )
        if apply and (plan.added or plan.updated):
            async with self._store.transaction() as tx:
                version = await tx.bump_registry_version(now)
                await tx.add_institutions(plan.added, version)
                await tx.update_institutions([after for _, after in plan.updated], version)
                await tx.add_institution_changes(plan.changes)
        return plan

    def _today(self, now: datetime) -> str:
        return now.astimezone(self._tz).date().isoformat()

    def _district_id(self, name: str) -> str:
        """A district's id for any name it goes by; other names folded, as the index does."""
        key = folded(name)
        return self._district_ids.get(key, key)

    async def set_status_in(
        self,
        tx: Transaction,
        ticket: TicketRecord,
        status: InstitutionStatus,
        reason: str,
        actor: str,
        now: datetime,
    ) -> InstitutionRecord:
        """An inspector's resolution changes the status of the ticket's institution, in the
        resolution's unit of work; a ticket whose institution is not in the registry adds it
        (an unlicensed institution closed down goes on the black list) and is linked to it."""
        since = self._today(now)
        current = (
            await tx.institution_by_id(ticket.institution_id) if ticket.institution_id else None
        )
        version = await tx.bump_registry_version(now)
        if current is None:
            listed = _from_ticket(ticket, status, reason, since, now)
            return await _list_from_ticket(tx, listed, ticket, actor, now, version)
        after = replace(
            current, status=status, status_since=since, status_reason=reason, updated_at=now
        )
        await tx.update_institutions([after], version)
        details: dict[str, object] = {"status": [current.status, str(status)]}
        await tx.add_institution_changes(
            [change_entry(after, "status", actor, now, details, ticket_id=ticket.id)]
        )
        return after


async def _list_from_ticket(
    tx: Transaction,
    record: InstitutionRecord,
    ticket: TicketRecord,
    actor: str,
    now: datetime,
    version: int,
) -> InstitutionRecord:
    """Add the institution a ticket names to the registry, and link the ticket to it."""
    await tx.add_institutions([record], version)
    await tx.add_institution_changes(
        [change_entry(record, "added", actor, now, ticket_id=ticket.id)]
    )
    added = await tx.institution_by_match_key(record.match_key)
    assert added is not None, "added in this unit of work"
    link = TicketInstitution(added.id, ticket.institution_status or NOT_FOUND, _snapshot_of(ticket))
    await tx.set_ticket_institution(ticket.id, link)
    return added


async def institution_history(
    tx: Transaction, institution_id: int, queues: Sequence[str]
) -> InstitutionHistory | None:
    """An institution as the registry holds it, every change made to it, and the newest
    tickets about it in ``queues``."""
    record = await tx.institution_by_id(institution_id)
    if record is None:
        return None
    changes = await tx.institution_changes(institution_id)
    tickets = await tx.tickets_about_institution(institution_id, HISTORY_TICKETS, queues)
    numbers = {t.id: t.number for t in tickets}
    for change in changes:
        if change.ticket_id is not None and change.ticket_id not in numbers:
            linked = await tx.ticket_by_id(change.ticket_id)
            numbers[change.ticket_id] = linked.number if linked else "?"
    return InstitutionHistory(
        institution=record,
        changes=tuple(
            ChangeItem(
                c.at,
                c.actor,
                c.change,
                c.status,
                c.reason,
                numbers.get(c.ticket_id) if c.ticket_id is not None else None,
            )
            for c in changes
        ),
        tickets=tuple(_ticket_item(t) for t in tickets),
    )


async def ticket_registry(tx: Transaction, choice: str) -> TicketInstitution | None:
    """What a new ticket records of the registry, from its draft's choice, read in the
    submission's own unit of work (the status at that moment)."""
    parsed = DraftChoice.parse(choice)
    if parsed.state == "not_found":
        return TicketInstitution(None, NOT_FOUND)
    if parsed.state in ("ask", "unsure"):
        names = [r.name for r in [await tx.institution_by_id(i) for i in parsed.ids] if r]
        return TicketInstitution(
            None, UNCONFIRMED, json.dumps({"offered": names}, ensure_ascii=False)
        )
    if parsed.state == "id" and parsed.ids:
        record = await tx.institution_by_id(parsed.ids[0])
        if record is not None:
            return TicketInstitution(record.id, record.status, snapshot(record))
    return None


async def registry_note(
    tx: Transaction, ticket: TicketRecord, *, earlier: int = 0
) -> RegistryNote | None:
    """What ``ticket`` recorded of the registry, with up to ``earlier`` other tickets about the
    same institution (by registry id)."""
    if ticket.institution_status is None:
        return None
    try:
        shown = json.loads(ticket.institution_snapshot or "{}")
    except ValueError:
        shown = {}
    others: tuple[str, ...] = ()
    if earlier and ticket.institution_id is not None:
        found = await tx.tickets_about_institution(ticket.institution_id, earlier + 1)
        others = tuple(t.number for t in found if t.id != ticket.id)[:earlier]
    return RegistryNote(
        institution_id=ticket.institution_id,
        status=ticket.institution_status,
        name=str(shown.get("name") or ""),
        since=str(shown.get("since") or ""),
        reason=str(shown.get("reason") or ""),
        kind=str(shown.get("kind") or ""),
        licence=str(shown.get("licence") or ""),
        offered=tuple(str(n) for n in shown.get("offered", ())),
        earlier=others,
    )


def snapshot(record: InstitutionRecord) -> str:
    """What a card shows of the institution, as it was at that moment."""
    return json.dumps(
        {
            "name": record.name,
            "district": record.district,
            "status": record.status,
            "since": record.status_since,
            "reason": record.status_reason,
            "kind": record.kind,
            "licence": record.licence_number,
        },
        ensure_ascii=False,
    )


def _snapshot_of(ticket: TicketRecord) -> str:
    return ticket.institution_snapshot or "{}"


def _ticket_item(ticket: TicketRecord) -> TicketItem:
    return TicketItem(
        ticket.number,
        ticket.created_at,
        ticket.status,
        ticket.disposition,
        ticket.queue,
    )


def _from_ticket(
    ticket: TicketRecord,
    status: InstitutionStatus,
    reason: str,
    since: str,
    now: datetime,
) -> InstitutionRecord:
    address = _address(ticket)
    return InstitutionRecord(
        id=0,
        match_key=f"ticket:{ticket.number}",
        name=ticket.institution.strip(),
        aliases=(),
        credit_code=None,
        licence_number=None,
        licence_issuer="",
        kind=InstitutionKind.UNKNOWN,
        form=InstitutionForm.UNKNOWN,
        district=ticket.district,
        address=address,
        status=status,
        status_since=since,
        status_reason=reason,
        supervised_fees=None,
        source=ticket.number,
        listed_on=since,
        updated_at=now,
    )


def _address(ticket: TicketRecord) -> str:
    try:
        answers = json.loads(ticket.details)
    except ValueError:
        return ""
    value = answers.get("address", "") if isinstance(answers, dict) else ""
    return value if isinstance(value, str) else ""


__all__ = [
    "DraftChoice",
    "Registry",
    "institution_history",
    "snapshot",
    "ticket_registry",
]
