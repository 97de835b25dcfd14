"""The duty desk (值班): who is on duty, taking and handing over shifts, and the pings that
make the 24-hour line answer.

A new ticket pings the person on duty privately (through the outbox, with the card's
buttons), in the unit of work that files it. If nobody has claimed it ``ack_minutes`` later,
the next person of the shift is pinged, and so on, then the supervisors (or, with none, their
group): at night and at weekends too. Each step is recorded once per ticket
(``duty_pings``), so instances and restarts neither repeat nor skip one.

On duty in a shift: whoever took it or had it handed over, then the people the config lists,
in order, as long as they may still claim there (someone removed is skipped, not pinged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import utc_now
from bot.inspection.access import Action, claimers_of, supervisors_of
from bot.inspection.audit import AuditTrail
from bot.inspection.model import Clock, Denial, Denied, StaffNotice
from bot.inspection.organisation import Organisation
from bot.inspection.rota import RotaClock, ShiftTime
from bot.inspection.shifts import Rota
from bot.inspection.workdays import WorkingCalendar
from bot.store.base import Store, TicketRecord, Transaction
from bot.store.staff_tables import OverrideRecord
from bot.tickets.model import inspector
from bot.tickets.outbox import staff_message

# A shift can be taken or handed over this far ahead (/duty swap lists them).
HAND_OVER_DAYS = 7
# Tickets awaiting a claim looked at per round of the watch.
PING_BATCH = 500
Once = str | None


@dataclass(frozen=True)
class OnDuty:
    shift: ShiftTime
    people: tuple[int, ...]  # first on duty first
    changed_by: str | None = None  # who took or handed over this shift, if anyone


@dataclass(frozen=True)
class DutyView:
    rota: Rota
    now: OnDuty | None  # None: nobody's shift (a gap)
    next: OnDuty | None


@dataclass(frozen=True)
class PingStep:
    targets: tuple[int, ...]  # people (their private chats), or a group
    supervisors: bool = False  # the last step: the supervisors (or their group)


@dataclass(frozen=True)
class DutyChanged:
    rota: Rota
    shift: ShiftTime
    user_id: int  # on duty now
    before: int | None  # who was


class DutyDesk:
    def __init__(
        self,
        store: Store,
        organisation: Organisation,
        calendar: WorkingCalendar,
        audit: AuditTrail,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._org = organisation
        self.clock_of_rotas = RotaClock(organisation.config.duty, calendar)
        self._audit = audit
        self._clock = clock
        self.ack = timedelta(minutes=organisation.config.duty.ack_minutes)
        self._rota_of_queue: dict[str, Rota | None] = {}

    @property
    def rotas(self) -> tuple[Rota, ...]:
        return self.clock_of_rotas.rotas

    def rota(self, index: int) -> Rota | None:
        return self.rotas[index] if 0 <= index < len(self.rotas) else None

    # --- who is on duty ---

    def on_duty(self, shift: ShiftTime, queue: str | None = None) -> OnDuty:
        """The people of ``shift`` in order, those who may no longer claim left out."""
        settings = self._org.settings
        queues = (queue,) if queue else settings.queues_of_rota(shift.rota)
        claimers = set().union(*(claimers_of(settings, q) for q in queues)) if queues else set()
        changed = self._org.snapshot.overrides.get((shift.rota.key, shift.start))
        listed = list(shift.shift.people)
        if changed is not None:
            listed = [changed.user_id, *(p for p in listed if p != changed.user_id)]
        people = tuple(p for p in listed if p in claimers)
        return OnDuty(shift, people, changed.set_by if changed else None)

    def at(self, rota: Rota, moment: datetime) -> OnDuty | None:
        shift = self.clock_of_rotas.at(rota, moment)
        return None if shift is None else self.on_duty(shift)

    def view(self, rota: Rota) -> DutyView:
        now = self._clock()
        current = self.clock_of_rotas.at(rota, now)
        following = (
            self.clock_of_rotas.following(current)
            if current
            else self.clock_of_rotas.next_start(rota, now)
        )
        return DutyView(
            rota,
            None if current is None else self.on_duty(current),
            None if following is None else self.on_duty(following),
        )

    def rotas_of(self, user_id: int) -> tuple[Rota, ...]:
        """The rotas of the queues ``user_id`` may see."""
        settings, access = self._org.settings, self._org.access
        return tuple(
            rota
            for rota in self.rotas
            if any(access.may(user_id, Action.VIEW, q) for q in settings.queues_of_rota(rota))
        )

    def my_shifts(self, user_id: int, rota: Rota) -> list[OnDuty]:
        """The coming week's shifts of ``rota`` where ``user_id`` is first on duty."""
        now = self._clock()
        shifts = self.clock_of_rotas.upcoming(rota, now, now + timedelta(days=HAND_OVER_DAYS))
        duties = [self.on_duty(s) for s in shifts]
        return [d for d in duties if d.people[:1] == (user_id,)]

    def colleagues(self, user_id: int, rota: Rota) -> tuple[int, ...]:
        """Who ``user_id`` may hand a shift of ``rota`` to."""
        settings = self._org.settings
        found: set[int] = set()
        for queue in settings.queues_of_rota(rota):
            found |= claimers_of(settings, queue)
        return tuple(sorted(found - {user_id}))

    def shift_label(self, queue: str, moment: datetime) -> tuple[str, str] | None:
        """Which rota and shift a ticket arriving at ``moment`` fell in (shift "" in a gap),
        for the figures; None when the queue has no rota."""
        if not self.rotas:
            return None
        if queue not in self._rota_of_queue:  # the config's: the same for good
            self._rota_of_queue[queue] = self._org.config.rota_for(queue)
        rota = self._rota_of_queue[queue]
        if rota is None:
            return None
        shift = self.clock_of_rotas.at(rota, moment)
        return (self.rota_name(rota), shift.name if shift else "")

    def rota_name(self, rota: Rota) -> str:
        config = self._org.config
        if rota.queue:
            queue = config.queue(rota.queue)
            return queue.name if queue else rota.queue
        department = config.department(rota.department)
        return department.name if department else rota.department

    # --- taking and handing over ---

    async def take(
        self, user_id: int, rota_index: int, start: datetime, *, once: Once = None
    ) -> DutyChanged | Denied:
        """``user_id`` on duty in that shift (now or ahead), first in line."""
        found = self._shift(rota_index, start)
        if isinstance(found, Denied):
            return await self._refused(user_id, "duty_take", found)
        if not self._may_claim_in(user_id, found.rota):
            return await self._refused(user_id, "duty_take", Denied(Denial.NOT_ALLOWED))
        return await self._change(user_id, found, user_id, "duty_take", once)

    async def hand_over(
        self, user_id: int, rota_index: int, start: datetime, to_user: int, *, once: Once = None
    ) -> DutyChanged | Denied:
        """A shift of ``user_id``'s (or, for a supervisor, anyone's) to a colleague."""
        found = self._shift(rota_index, start)
        if isinstance(found, Denied):
            return await self._refused(user_id, "duty_swap", found)
        first = self.on_duty(found).people[:1]
        mine = first == (user_id,)
        supervising = self._manages(user_id, found.rota)
        if not (mine or supervising):
            return await self._refused(user_id, "duty_swap", Denied(Denial.NOT_ALLOWED))
        if not self._may_claim_in(to_user, found.rota):
            denied = Denied(Denial.COLLEAGUE_CANNOT_CLAIM)
            return await self._refused(user_id, "duty_swap", denied)
        return await self._change(user_id, found, to_user, "duty_swap", once)

    def _shift(self, rota_index: int, start: datetime) -> ShiftTime | Denied:
        rota = self.rota(rota_index)
        if rota is None:
            return Denied(Denial.NO_ROTA)
        shift = self.clock_of_rotas.at(rota, start)
        if shift is None or shift.start != start or shift.end <= self._clock():
            return Denied(Denial.NO_SHIFT)
        if shift.start > self._clock() + timedelta(days=HAND_OVER_DAYS):
            return Denied(Denial.NO_SHIFT)
        return shift

    def _may_claim_in(self, user_id: int, rota: Rota) -> bool:
        settings = self._org.settings
        return any(user_id in claimers_of(settings, q) for q in settings.queues_of_rota(rota))

    def _manages(self, user_id: int, rota: Rota) -> bool:
        queues = self._org.settings.queues_of_rota(rota)
        return bool(queues) and all(
            self._org.access.may(user_id, Action.MANAGE_STAFF, q) for q in queues
        )

    async def _change(
        self, user_id: int, shift: ShiftTime, to_user: int, action: str, once: Once
    ) -> DutyChanged | Denied:
        before = self.on_duty(shift).people[:1]
        if before == (to_user,):
            return await self._refused(user_id, action, Denied(Denial.ALREADY_ON_DUTY))
        now = self._clock()
        actor = self._audit.actor(user_id)
        async with self._store.transaction() as tx:
            if once is not None and not await tx.first_application(once, now):
                return Denied(Denial.ALREADY_DONE)
            override = OverrideRecord(shift.rota.key, shift.start, shift.end, to_user, actor, now)
            await tx.set_duty_override(override)
            details = _shift_details(shift, before[0] if before else None, to_user)
            await self._audit.record(tx, user_id, action, now, details=details)
            await self._tell(tx, shift, user_id, to_user, before, action, now)
            await tx.bump_organisation_version()
        await self._org.refresh(force=True)
        return DutyChanged(shift.rota, shift, to_user, before[0] if before else None)

    async def _tell(
        self,
        tx: Transaction,
        shift: ShiftTime,
        user_id: int,
        to_user: int,
        before: tuple[int, ...],
        action: str,
        now: datetime,
    ) -> None:
        """Whoever the change surprises: the one whose shift was taken, the one handed it."""
        data: dict[str, Any] = {
            "rota": self.rota_name(shift.rota),
            "shift": shift.name,
            "start": shift.start.isoformat(),
            "end": shift.end.isoformat(),
            "by": user_id,
        }
        if action == "duty_take" and before and before[0] != user_id:
            await tx.enqueue(staff_message(StaffNotice.DUTY_TAKEN, before[0], data, now))
        if action == "duty_swap" and to_user != user_id:
            await tx.enqueue(staff_message(StaffNotice.DUTY_HANDED, to_user, data, now))

    async def _refused(self, user_id: int, action: str, denied: Denied) -> Denied:
        return await self._audit.refused(user_id, action, self._clock(), denied)

    # --- pings about new tickets ---

    def escalation(self, queue: str, moment: datetime) -> list[PingStep]:
        """Who is pinged at each step about a ticket of ``queue`` that arrived at ``moment``:
        the people on duty one by one, then the supervisors (or their group) together."""
        settings = self._org.settings
        rota = settings.rota_for(queue)
        if rota is None:
            return []
        shift = self.clock_of_rotas.at(rota, moment)
        steps = [PingStep((p,)) for p in self.on_duty(shift, queue).people] if shift else []
        supervisors = supervisors_of(settings, queue)
        if not supervisors:
            department = settings.department_of(queue)
            chat = department.supervisors_chat_id if department else None
            supervisors = () if chat is None else (chat,)
        if supervisors:
            steps.append(PingStep(supervisors, supervisors=True))
        return steps

    async def ping_new_ticket(self, tx: Transaction, ticket: TicketRecord, now: datetime) -> None:
        """The first step, in the unit of work that files the ticket."""
        steps = self.escalation(ticket.queue, ticket.created_at)
        if steps and await tx.record_duty_ping(ticket.id, 0, now):
            await self._ping(tx, ticket, 0, steps[0], now)

    async def due_pings(self, now: datetime) -> int:
        """The next step for every new ticket still unclaimed after ``ack_minutes`` (and
        again after each further ``ack_minutes``); how many pings were queued."""
        if not self.rotas:
            return 0
        longest = max(len(s.people) for r in self.rotas for s in r.shifts)
        since = now - self.ack * (longest + 2)
        queued = 0
        async with self._store.transaction() as tx:
            for ticket in await tx.tickets_awaiting_claim(since, PING_BATCH):
                steps = self.escalation(ticket.queue, ticket.created_at)
                step = min(int((now - ticket.created_at) / self.ack), len(steps) - 1)
                # Only the step due now: after a long stop, the ones missed are not sent late.
                if step >= 1 and await tx.record_duty_ping(ticket.id, step, now):
                    queued += await self._ping(tx, ticket, step, steps[step], now)
        return queued

    async def _ping(
        self, tx: Transaction, ticket: TicketRecord, step: int, ping: PingStep, now: datetime
    ) -> int:
        data = {
            "ticket_number": ticket.number,
            "queue": ticket.queue,
            "step": step,
            "reason": "supervisors" if ping.supervisors else ("on_duty" if step == 0 else "next"),
            "minutes": int(self.ack.total_seconds() // 60) * step,
        }
        for target in ping.targets:
            key = f"duty:{ticket.id}:{step}:{target}"
            message = staff_message(
                StaffNotice.DUTY_PING, target, data, now, dedupe_key=key, ticket_id=ticket.id
            )
            await tx.enqueue(message)
        return len(ping.targets)


def _shift_details(shift: ShiftTime, before: int | None, after: int) -> dict[str, Any]:
    return {
        "rota": shift.rota.key,
        "shift": shift.name,
        "start": shift.start.isoformat(),
        "from": inspector(str(before)) if before else None,
        "to": inspector(str(after)),
    }
