"""Who may do what, from the organisation in the config.

A role applies where the person is listed: in a queue (that queue), in a department (all its
queues) or in the organisation (every queue). Inspectors work tickets; supervisors also reopen,
take over other people's claims and see statistics; admins may do everything, exports included;
auditors only read, the audit log included.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.inspection.model import Action, Denial
from bot.inspection.settings import InspectionSettings, Member, Role
from bot.store.base import TicketRecord
from bot.tickets.model import TicketStatus, inspector

__all__ = ["CLAIMING_ROLES", "ROLE_ACTIONS", "Access", "Action", "claimers_of", "supervisors_of"]

# Actions only the claim holder may take on a claimed ticket (supervisors may override).
HOLDER_ACTIONS = frozenset(
    {
        Action.RELEASE,
        Action.INVESTIGATE,
        Action.ASK_REPORTER,
        Action.TRANSFER,
        Action.RESOLVE,
        Action.CLOSE,
        Action.MERGE,
    }
)
# Actions that make sense only on a claimed ticket.
NEEDS_CLAIM = frozenset({Action.RELEASE, Action.INVESTIGATE, Action.ASK_REPORTER})


_WORK = frozenset(
    {
        Action.VIEW,
        Action.CLAIM,
        Action.RELEASE,
        Action.INVESTIGATE,
        Action.NOTE,
        Action.ASK_REPORTER,
        Action.TRANSFER,
        Action.RESOLVE,
        Action.CLOSE,
        Action.MERGE,
    }
)

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    "inspector": _WORK,
    "supervisor": _WORK
    | {
        Action.REOPEN,
        Action.OVERRIDE_CLAIM,
        Action.STATS,
        Action.EXPORT,
        Action.BRIEF,
        Action.TEACH,
        Action.VIEW_STAFF,
        Action.MANAGE_STAFF,
    },
    "admin": frozenset(Action),
    "auditor": frozenset({Action.VIEW, Action.STATS, Action.AUDIT_LOG, Action.VIEW_STAFF}),
}

# Roles that take tickets: a queue without one of them cannot keep a ticket.
CLAIMING_ROLES = frozenset({"inspector", "supervisor"})


def _listings(settings: InspectionSettings, queue_id: str) -> Iterator[Member]:
    """Everyone whose role covers ``queue_id``."""
    yield from settings.members
    department = settings.department_of(queue_id)
    if department is not None:
        yield from department.members
    queue = settings.queue(queue_id)
    if queue is not None:
        yield from queue.members


def claimers_of(settings: InspectionSettings, queue_id: str) -> frozenset[int]:
    return frozenset(m.user_id for m in _listings(settings, queue_id) if m.role in CLAIMING_ROLES)


def supervisors_of(settings: InspectionSettings, queue_id: str) -> tuple[int, ...]:
    """The supervisors whose role covers ``queue_id``, as listed (queue, department, all)."""
    listed = [m.user_id for m in _listings(settings, queue_id) if m.role == "supervisor"]
    return tuple(dict.fromkeys(reversed(listed)))


class Access:
    """Answers "may user X do action A in queue Q" (and on ticket T, see the desk)."""

    def __init__(self, settings: InspectionSettings) -> None:
        self.settings = settings
        self._actions: dict[tuple[int, str], frozenset[Action]] = {}
        for queue_id in settings.queue_ids():
            for member in _listings(settings, queue_id):
                key = (member.user_id, queue_id)
                self._actions[key] = self._actions.get(key, frozenset()) | ROLE_ACTIONS[member.role]
        # Asked before every staff command (is this person staff at all?): worked out once.
        listed = [*settings.members]
        for department in settings.departments:
            listed += [*department.members, *(m for q in department.queues for m in q.members)]
        roles: dict[int, set[Role]] = {}
        for member in listed:
            roles.setdefault(member.user_id, set()).add(member.role)
        self._roles = {user: frozenset(held) for user, held in roles.items()}

    def actions(self, user_id: int, queue_id: str) -> frozenset[Action]:
        return self._actions.get((user_id, queue_id), frozenset())

    def may(self, user_id: int, action: Action, queue_id: str) -> bool:
        return action in self.actions(user_id, queue_id)

    def queues(self, user_id: int, action: Action = Action.VIEW) -> tuple[str, ...]:
        """The queues where ``user_id`` may do ``action``, in the config's order."""
        return tuple(q for q in self.settings.queue_ids() if self.may(user_id, action, q))

    def may_anywhere(self, user_id: int, action: Action) -> bool:
        return bool(self.queues(user_id, action))

    def may_everywhere(self, user_id: int, action: Action) -> bool:
        return all(self.may(user_id, action, q) for q in self.settings.queue_ids())

    def roles(self, user_id: int) -> frozenset[Role]:
        """Every role ``user_id`` holds anywhere (for menus; permissions use :meth:`may`)."""
        return self._roles.get(user_id, frozenset())

    def is_staff(self, user_id: int) -> bool:
        return bool(self.roles(user_id))

    def refusal(self, user_id: int, action: Action, ticket: TicketRecord) -> Denial | None:
        """Why ``user_id`` may not do ``action`` on ``ticket`` as it is now, or None if they
        may: the queue's role first, then who holds the claim."""
        if not self.may(user_id, action, ticket.queue):
            return Denial.NOT_ALLOWED
        holder = ticket.claimed_by
        if action == Action.CLAIM and holder is not None:
            return Denial.ALREADY_CLAIMED
        if action == Action.CLAIM and ticket.status != TicketStatus.NEW:
            return Denial.STATUS_NOT_ALLOWED  # decided without a claim
        if action in NEEDS_CLAIM and holder is None:
            return Denial.NOT_CLAIMED
        mine = holder is None or holder == inspector(str(user_id))
        overrides = self.may(user_id, Action.OVERRIDE_CLAIM, ticket.queue)
        if action in HOLDER_ACTIONS and not mine and not overrides:
            return Denial.NOT_YOURS
        return None
