"""An organisation with staff in every role, a store in a temporary file and a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.inspection.services import InspectionServices, build_inspection_services
from bot.inspection.settings import (
    DEFAULT_DEPARTMENTS,
    Department,
    InspectionSettings,
    Member,
    QueueSettings,
    Role,
)
from bot.privacy import PrivacyKeys
from bot.store.base import StoredFile
from bot.store.sqlite import SqliteStore
from bot.tickets.model import ReportAccepted, ReportDraft
from bot.tickets.services import TicketServices, build_ticket_services
from bot.tickets.settings import ReportLimits, TicketSettings
from tests.conftest import Query as Query  # the tests here import it from this module

# Monday 2 March 2026, 09:30 in Beijing (a working day).
NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
REPORTER_ID = 5123456789  # a Telegram user id; must never appear in any staff view or export

# Staff, by Telegram user id.
ALICE = 1001  # inspector of edu-haidian only
BOB = 1002  # inspector of the whole education department
CAROL = 1003  # education supervisor
DAN = 2001  # market regulation inspector
ERIN = 3001  # joint group inspector
FRANK = 4001  # duty desk inspector
ADMIN = 9001
AUDITOR = 9002
OUTSIDER = 5555  # nobody: no role anywhere

HAIDIAN_CHAT = -100_001
MARKET_CHAT = -100_002
EDU_SUPERVISORS_CHAT = -100_010
DUTY_CHAT = -100_020


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def staff(*members: tuple[int, Role]) -> tuple[Member, ...]:
    return tuple(Member(user_id, role) for user_id, role in members)


def organisation() -> InspectionSettings:
    departments = []
    for department in DEFAULT_DEPARTMENTS:
        departments.append(_staffed(department))
    return InspectionSettings(
        departments=tuple(departments),
        members=staff((ADMIN, "admin"), (AUDITOR, "auditor")),
    )


def _staffed(department: Department) -> Department:
    if department.id == "education":
        queues = tuple(_staffed_queue(q) for q in department.queues)
        return Department(
            department.id,
            department.name,
            queues,
            members=staff((BOB, "inspector"), (CAROL, "supervisor")),
            supervisors_chat_id=EDU_SUPERVISORS_CHAT,
        )
    members = {
        "market": staff((DAN, "inspector")),
        "joint": staff((ERIN, "inspector")),
        "duty": staff((FRANK, "inspector")),
    }.get(department.id, ())
    queues = tuple(_staffed_queue(q) for q in department.queues)
    return Department(department.id, department.name, queues, members=members)


def _staffed_queue(queue: QueueSettings) -> QueueSettings:
    chats = {"edu-haidian": HAIDIAN_CHAT, "market": MARKET_CHAT, "intake": DUTY_CHAT}
    members = staff((ALICE, "inspector")) if queue.id == "edu-haidian" else ()
    return QueueSettings(queue.id, queue.name, chats.get(queue.id), members, queue.deadlines)


@dataclass
class Bureau:
    """The ticket and inspection services as the bot wires them, on one store."""

    store: SqliteStore
    keys: PrivacyKeys
    clock: Clock
    tickets: TicketServices
    inspection: InspectionServices
    reported: list[ReportAccepted] = field(default_factory=list)

    async def report(
        self,
        category: str = "teacher_paid_tutoring",
        district: str = "海淀区",
        *,
        institution: str = "某某学堂",
        description: str = "在职教师周末在家中有偿补课，每次两小时",
        answers: dict[str, str] | None = None,
        wants_updates: bool = False,
        evidence: tuple[StoredFile, ...] = (),
    ) -> str:
        """File a report as a reporter would; returns the ticket number."""
        index = len(self.reported)
        key = self.tickets.reporter_key(REPORTER_ID)
        if evidence:
            await self.tickets.drafts.start(key, self.clock())
            for file in evidence:
                await self.tickets.drafts.add_evidence(key, file, self.clock())
        draft = ReportDraft(
            draft_id=f"draft-{index}",
            step="confirm",
            category=category,
            district=district,
            institution=institution,
            description=description,
            answers=answers or {},
            wants_updates=wants_updates,
        )
        result = await self.tickets.intake.submit_report(
            draft, key, f"draft:{index}", self.clock(), reply_chat_id=REPORTER_ID
        )
        assert isinstance(result, ReportAccepted), result
        self.reported.append(result)
        return result.ticket_number


def photo(n: int) -> StoredFile:
    return StoredFile(f"p{n}.jpg", "image/jpeg", f"{n:064x}", True, bytes([n]) * 10)


def ticket_settings() -> TicketSettings:
    return TicketSettings(limits=ReportLimits(reports_per_hour=500, reports_per_day=500))


def build_bureau(
    store: SqliteStore,
    keys: PrivacyKeys,
    clock: Clock,
    settings: InspectionSettings | None = None,
    *,
    as_the_bot: bool = False,
) -> Bureau:
    """``as_the_bot``: intake also runs the inspection's hook (duplicates noted, the person
    on duty pinged), as the bot wires it."""
    inspection = build_inspection_services(
        store, settings or organisation(), ticket_settings(), keys, clock=clock
    )
    tickets = build_ticket_services(
        store,
        ticket_settings(),
        keys,
        place=inspection.router.place,
        on_new_ticket=inspection.on_new_ticket if as_the_bot else None,
    )
    return Bureau(store, keys, clock, tickets, inspection)


async def opened_bureau(
    store: SqliteStore,
    keys: PrivacyKeys,
    clock: Clock,
    settings: InspectionSettings | None = None,
) -> Bureau:
    """A bureau whose staff and groups live in the store, as the bot runs it: the config's
    seeded on first start, then read back."""
    bureau = build_bureau(store, keys, clock, settings, as_the_bot=True)
    await bureau.inspection.organisation.open()
    return bureau


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bureau(store: SqliteStore, keys: PrivacyKeys, clock: Clock) -> Bureau:
    return build_bureau(store, keys, clock)


@pytest.fixture
async def staffed(store: SqliteStore, keys: PrivacyKeys, clock: Clock) -> Bureau:
    """The bureau with its staff and groups in the store, opened as the bot opens it."""
    return await opened_bureau(store, keys, clock)
