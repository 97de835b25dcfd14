"""The inspection organisation (the ``inspection:`` section of the config), defaults included.

Departments own queues; people are members of a queue, of a department or of the whole
organisation, and their role applies at that level. Routing rules place a new ticket in a queue
by violation category and district, first match wins. Member ids are empty in the defaults: each
deployment lists its own staff.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import time
from typing import Literal

from bot.inspection.shifts import DutySettings, Rota
from bot.registry.model import TICKET_REGISTRY_WORDS

Role = Literal["inspector", "supervisor", "admin", "auditor"]
Calendar = Literal["natural", "working_days"]

# The violation categories the report conversation offers (plain strings, so both sides agree
# without importing each other).
CATEGORIES = (
    "holiday_classes",
    "teacher_paid_tutoring",
    "disguised_tutoring",
    "unlicensed",
    "online_hours",
    "preschool",
    "prepaid_fees",
    "advertising",
    "school_burden",
    "other",
)

WILDCARD = "*"
DISTRICT_PLACEHOLDER = "{district}"


@dataclass(frozen=True)
class Member:
    user_id: int  # Telegram user id
    role: Role = "inspector"

    def __post_init__(self) -> None:
        if self.user_id <= 0:
            raise ValueError("user_id must be a Telegram user id (a positive number)")


@dataclass(frozen=True)
class Deadlines:
    """How long a queue has to claim and to resolve a ticket, and when to remind and escalate.

    ``natural`` counts every hour; ``working_days`` counts only hours that fall on Chinese
    working days (weekends and public holidays stop the clock, make-up working days run it).
    """

    # Claiming is the duty rota's job, which runs every day: natural hours.
    claim_within_hours: int = 24
    claim_calendar: Calendar = "natural"
    # 15 working days: the usual time limit for settling a citizen's complaint (办结时限).
    resolve_within_days: int = 15
    resolve_calendar: Calendar = "working_days"
    # Reminders go to the queue's chat this long before a deadline; escalations go to the
    # supervisors' chat once it has passed.
    remind_claim_hours_before: int = 4
    remind_resolve_hours_before: int = 48

    def __post_init__(self) -> None:
        if not 1 <= self.claim_within_hours <= 24 * 30:
            raise ValueError("claim_within_hours must be between 1 and 720")
        if not 1 <= self.resolve_within_days <= 365:
            raise ValueError("resolve_within_days must be between 1 and 365")
        if self.remind_claim_hours_before < 0 or self.remind_resolve_hours_before < 0:
            raise ValueError("reminder lead times cannot be negative")


@dataclass(frozen=True)
class QueueSettings:
    id: str  # short ASCII, used in buttons: "edu-haidian"
    name: str  # what staff read: "海淀区教育局"
    # The queue's group chat: new tickets and reminders; None until set locally.
    chat_id: int | None = None
    # People who work this queue only (department members work all its queues).
    members: tuple[Member, ...] = ()
    # None: the organisation's default deadlines.
    deadlines: Deadlines | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.id.isascii() or any(c in self.id for c in " :*{}"):
            raise ValueError(f"queue id {self.id!r} must be short ASCII without spaces or ':*{{}}'")
        if len(self.id) > 32:
            raise ValueError(f"queue id {self.id!r} is longer than 32 characters")


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    queues: tuple[QueueSettings, ...]
    members: tuple[Member, ...] = ()
    # Escalations and the daily digest go here.
    supervisors_chat_id: int | None = None

    def __post_init__(self) -> None:
        if not self.queues:
            raise ValueError(f"department {self.id!r} needs at least one queue")


@dataclass(frozen=True)
class District:
    """A district's id (used in queue ids) and the names reporters may give for it."""

    id: str  # "haidian"
    names: tuple[str, ...] = ()  # "海淀区", "海淀"


@dataclass(frozen=True)
class RoutingRule:
    """Categories × districts → queue; ``*`` matches anything. ``{district}`` in the queue is
    replaced by the ticket's district id; a rule whose queue does not exist does not match."""

    queue: str
    categories: tuple[str, ...] = (WILDCARD,)
    districts: tuple[str, ...] = (WILDCARD,)
    # The registry's word on the named institution (approved ... not_found, unconfirmed);
    # "*" matches any, and tickets the registry said nothing about.
    registry: tuple[str, ...] = (WILDCARD,)

    def __post_init__(self) -> None:
        if not self.categories or not self.districts or not self.registry:
            raise ValueError("a routing rule needs categories and districts ('*' for any)")
        unknown = [w for w in self.registry if not fnmatch.filter(TICKET_REGISTRY_WORDS, w)]
        if unknown:
            known = ", ".join(TICKET_REGISTRY_WORDS)
            raise ValueError(f"registry: {', '.join(unknown)} matches none of {known} ('*': any)")


@dataclass(frozen=True)
class DuplicateSettings:
    # Scores are 0-100 (rapidfuzz); names are compared after removing company-form suffixes.
    institution_score: float = 85.0
    address_score: float = 88.0
    # Shorter names ("数学") say too little to call two reports the same.
    min_chars: int = 3
    max_results: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.institution_score <= 100 or not 0 < self.address_score <= 100:
            raise ValueError("duplicate scores must be between 1 and 100")
        if self.min_chars < 1 or self.max_results < 1:
            raise ValueError("min_chars and max_results must be at least 1")


def _education_queue(district: District) -> QueueSettings:
    return QueueSettings(f"edu-{district.id}", f"{district.names[0]}教育局")


DEFAULT_DISTRICTS = (
    District("dongcheng", ("东城区", "东城")),
    District("xicheng", ("西城区", "西城")),
    District("haidian", ("海淀区", "海淀")),
    District("chaoyang", ("朝阳区", "朝阳")),
)

DEFAULT_QUEUE = "intake"

DEFAULT_DEPARTMENTS = (
    # The duty desk: tickets no rule places, and tickets whose queue has nobody to claim them.
    Department("duty", "值班室", (QueueSettings(DEFAULT_QUEUE, "受理值班"),)),
    Department(
        "education",
        "教育部门",
        (*(_education_queue(d) for d in DEFAULT_DISTRICTS), QueueSettings("edu-city", "市教委")),
    ),
    Department("market", "市场监管部门", (QueueSettings("market", "市场监管局"),)),
    Department("civil", "民政部门", (QueueSettings("civil", "民政局"),)),
    Department("police", "公安部门", (QueueSettings("police", "公安局"),)),
    Department("joint", "联合检查组", (QueueSettings("joint", "双减联合检查组"),)),
)

# Teachers, schools and licensed institutions answer to an education bureau.
EDUCATION_CATEGORIES = (
    "teacher_paid_tutoring",
    "school_burden",
    "holiday_classes",
    "online_hours",
    "preschool",
)

DEFAULT_ROUTING = (
    # Money: prepaid fees, tutoring loans and misleading advertising are market regulation's.
    RoutingRule("market", categories=("prepaid_fees", "advertising")),
    # No licence, or subject classes dressed up as something else: several departments at once.
    RoutingRule("joint", categories=("unlicensed", "disguised_tutoring")),
    # Classes by an institution the registry does not list, or lists as closed down: the same.
    RoutingRule(
        "joint",
        categories=("holiday_classes", "online_hours", "preschool"),
        registry=("not_found", "revoked", "blacklisted"),
    ),
    # The district's education bureau ...
    RoutingRule(f"edu-{DISTRICT_PLACEHOLDER}", categories=EDUCATION_CATEGORIES),
    # ... or, for a district the defaults do not know, the city's education commission.
    RoutingRule("edu-city", categories=EDUCATION_CATEGORIES),
)


@dataclass(frozen=True)
class StaffSettings:
    """Staff managed from Telegram (/invite, /remove, /role, /bind)."""

    # How long an invitation link may be used.
    invite_hours: int = 72
    # How often an instance asks the database whether staff, groups or the rota changed
    # elsewhere (one small read); a refusal always asks first.
    refresh_seconds: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.invite_hours <= 24 * 30:
            raise ValueError("invite_hours must be between 1 and 720")
        if not 0.1 <= self.refresh_seconds <= 60:
            raise ValueError("refresh_seconds must be between 0.1 and 60")


@dataclass(frozen=True)
class InspectionSettings:
    departments: tuple[Department, ...] = DEFAULT_DEPARTMENTS
    districts: tuple[District, ...] = DEFAULT_DISTRICTS
    routing: tuple[RoutingRule, ...] = DEFAULT_ROUTING
    # Where a ticket goes when no rule matches or its queue has nobody to claim it.
    default_queue: str = DEFAULT_QUEUE
    # Admins and auditors of the whole organisation (inspectors and supervisors may be listed
    # here too: their role then covers every queue).
    members: tuple[Member, ...] = ()
    deadlines: Deadlines = field(default_factory=Deadlines)
    duplicates: DuplicateSettings = field(default_factory=DuplicateSettings)
    # Telegram lets a bot post about 20 messages a minute into one group.
    group_messages_per_minute: int = 20
    # Open tickets per page of /queue.
    page_size: int = 10
    # Local time (HH:MM) after which each department's daily digest is sent, once a day.
    digest_at: str = "08:30"
    # How often deadlines are checked for reminders and escalations, in seconds.
    watch_seconds: int = 60
    # The duty rota (值班): who is pinged about new tickets, day and night.
    duty: DutySettings = field(default_factory=DutySettings)
    staff: StaffSettings = field(default_factory=StaffSettings)

    def __post_init__(self) -> None:
        queue_ids = [q.id for d in self.departments for q in d.queues]
        duplicates = sorted({q for q in queue_ids if queue_ids.count(q) > 1})
        if duplicates:
            raise ValueError(f"queue ids must be unique: {', '.join(duplicates)}")
        if self.default_queue not in queue_ids:
            raise ValueError(f"default_queue {self.default_queue!r} is not a queue")
        department_ids = [d.id for d in self.departments]
        if len(set(department_ids)) != len(department_ids):
            raise ValueError("department ids must be unique")
        if not 1 <= self.group_messages_per_minute <= 20:
            raise ValueError("group_messages_per_minute must be between 1 and 20")
        if not 1 <= self.page_size <= 50:
            raise ValueError("page_size must be between 1 and 50")
        digest_clock_time(self.digest_at)  # raises on a malformed time
        if not 1 <= self.watch_seconds <= 3600:
            raise ValueError("watch_seconds must be between 1 and 3600")
        for rota in self.duty.rotas:
            if rota.queue and rota.queue not in queue_ids:
                raise ValueError(f"duty rota for queue {rota.queue!r}: no such queue")
            if rota.department and rota.department not in department_ids:
                raise ValueError(
                    f"duty rota for department {rota.department!r}: no such department"
                )

    def queue(self, queue_id: str) -> QueueSettings | None:
        for department in self.departments:
            for queue in department.queues:
                if queue.id == queue_id:
                    return queue
        return None

    def department_of(self, queue_id: str) -> Department | None:
        for department in self.departments:
            if any(q.id == queue_id for q in department.queues):
                return department
        return None

    def department(self, department_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def deadlines_for(self, queue_id: str) -> Deadlines:
        queue = self.queue(queue_id)
        return queue.deadlines if queue and queue.deadlines else self.deadlines

    def rota_for(self, queue_id: str) -> Rota | None:
        """The queue's own rota, else its department's."""
        department = self.department_of(queue_id)
        for rota in self.duty.rotas:
            if rota.queue == queue_id:
                return rota
        for rota in self.duty.rotas:
            if department is not None and rota.department == department.id:
                return rota
        return None

    def queues_of_rota(self, rota: Rota) -> tuple[str, ...]:
        if rota.queue:
            return (rota.queue,)
        department = self.department(rota.department)
        own = {r.queue for r in self.duty.rotas if r.queue}
        return tuple(q.id for q in department.queues if q.id not in own) if department else ()

    def queue_ids(self) -> tuple[str, ...]:
        return tuple(q.id for d in self.departments for q in d.queues)

    def staff_chat_ids(self) -> tuple[int, ...]:
        """Every queue's and supervisors' group chat that is set, once each."""
        chats = [q.chat_id for d in self.departments for q in d.queues]
        chats += [d.supervisors_chat_id for d in self.departments]
        return tuple(dict.fromkeys(c for c in chats if c is not None))

    def digest_time(self) -> time:
        return digest_clock_time(self.digest_at)


def digest_clock_time(text: str) -> time:
    """``"08:30"`` → 08:30; a ValueError that says what is expected otherwise."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"digest_at must be a time like 08:30, got {text!r}")
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise ValueError(f"digest_at must be a time like 08:30, got {text!r}")
    return time(int(hours), int(minutes))
