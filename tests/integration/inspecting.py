"""A bureau in the emulator: staff with roles, their group chats, a clock the test moves.

The organisation mirrors a small deployment: Alice works the Haidian education queue, Bob the
whole education department, Carol supervises it, Dan works the joint inspection group, and an
admin sees everything. Each queue with people in it has a group chat with those people.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.emulator import BotApiEmulator, FakeUser, inline_buttons
from bot.emulator.state import JsonDict
from bot.inspection.settings import (
    DEFAULT_DEPARTMENTS,
    Department,
    InspectionSettings,
    Member,
    QueueSettings,
)
from bot.tickets.model import ReportAccepted, ReportDraft
from tests.integration.conftest import Harness, bot_running
from tests.integration.reporting import (
    ADDRESS,
    INSTITUTION,
    WHAT,
    WHEN,
    db_path,
    query,
    reporting_config,
    until_handled,
)

ALICE, BOB, CAROL, DAN, ADMIN, OUTSIDER = (7_300_000_001 + n for n in range(6))
_draft_numbers = itertools.count(1)


@dataclass
class TestClock:
    """Real time plus an offset the test moves forward: the bot's services read it."""

    offset: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class Staffroom:
    """The emulator's people and chats, and the running bot."""

    emu: BotApiEmulator
    alice: FakeUser
    bob: FakeUser
    carol: FakeUser
    dan: FakeUser
    admin: FakeUser
    outsider: FakeUser
    haidian: JsonDict  # the Haidian education queue's group
    joint: JsonDict  # the joint inspection group's group
    supervisors: JsonDict  # the education department's supervisors
    clock: TestClock = field(default_factory=TestClock)
    harness: Harness | None = None

    @property
    def bot(self) -> Harness:
        assert self.harness is not None, "the bot is not running"
        return self.harness

    def config(self, tmp_path: Path, **inspection: Any) -> Config:
        config = reporting_config(tmp_path, self.emu)
        # The dispatcher looks for due messages often, so tests need not wait for them.
        outbox = replace(config.tickets.outbox, poll_seconds=0.1)
        tickets = replace(config.tickets, outbox=outbox)
        settings = replace(self.organisation(), **inspection)
        return replace(config, tickets=tickets, inspection=settings)

    def organisation(self) -> InspectionSettings:
        departments = tuple(self._staffed(d) for d in DEFAULT_DEPARTMENTS)
        # The digest is tested on its own: late enough that other tests never meet it.
        return InspectionSettings(
            departments=departments, members=(Member(ADMIN, "admin"),), digest_at="23:59"
        )

    def _staffed(self, department: Department) -> Department:
        queues = tuple(self._staffed_queue(q) for q in department.queues)
        if department.id == "education":
            members = (Member(BOB), Member(CAROL, "supervisor"))
            chat = int(self.supervisors["id"])
            return replace(department, queues=queues, members=members, supervisors_chat_id=chat)
        if department.id == "joint":
            return replace(department, queues=queues, members=(Member(DAN),))
        return replace(department, queues=queues)

    def _staffed_queue(self, queue: QueueSettings) -> QueueSettings:
        if queue.id == "edu-haidian":
            return replace(queue, chat_id=int(self.haidian["id"]), members=(Member(ALICE),))
        if queue.id == "joint":
            return replace(queue, chat_id=int(self.joint["id"]))
        return queue

    # --- acting as people ---

    async def file_ticket(
        self,
        *,
        category: str = "teacher_paid_tutoring",
        district: str = "haidian",
        institution: str = INSTITUTION,
        description: str = WHAT,
        reporter: FakeUser | None = None,
        wants_updates: bool = False,
    ) -> ReportAccepted:
        """A report as the conversation would submit it, without typing it all again."""
        services = self.bot.services
        n = next(_draft_numbers)
        user_id = reporter.id if reporter else 5_100_000_000 + n
        draft = ReportDraft(
            draft_id=f"test-{n}",
            step="review",
            category=category,
            district=district,
            institution=institution,
            description=description,
            answers={"address": ADDRESS, "when": WHEN},
            wants_updates=wants_updates,
        )
        key = services.tickets.reporter_key(user_id)
        accepted = await services.tickets.intake.submit_report(
            draft, key, f"draft:test-{n}", datetime.now(UTC), reply_chat_id=user_id
        )
        assert isinstance(accepted, ReportAccepted), accepted
        services.wake_outbox()
        return accepted

    async def command(
        self, user: FakeUser, line: str, chat: JsonDict | None = None, expect: int = 1
    ) -> list[JsonDict]:
        """``user`` sends ``line`` in ``chat`` (default: their private chat); the bot's next
        ``expect`` messages there."""
        where = user.id if chat is None else int(chat["id"])
        before = len(self.emu.state.chat(where).bot_messages)
        await self.emu.send_text(user, line, chat=chat)
        sent = await self.emu.wait_for_messages(where, before + expect)
        return sent[before:]

    async def command_press(
        self, user: FakeUser, message: JsonDict, data: str, expect: int = 1
    ) -> list[JsonDict]:
        """``user`` presses the button ``data`` under ``message``; the bot's next ``expect``
        messages in that chat."""
        where = int(message["chat"]["id"])
        before = len(self.emu.state.chat(where).bot_messages)
        await self.emu.press_button(user, message, data)
        sent = await self.emu.wait_for_messages(where, before + expect)
        return sent[before:]

    async def card(self, chat: JsonDict, number: str) -> JsonDict:
        """The ticket's card in ``chat``, once the outbox has posted it."""
        await self.wait_in(chat, lambda m: number in m.get("text", "") and bool(inline_buttons(m)))
        return self.find(chat, number)

    def find(self, chat: JsonDict, *fragments: str) -> JsonDict:
        for message in reversed(self.emu.messages(int(chat["id"]))):
            if all(f in message.get("text", "") for f in fragments):
                return message
        raise AssertionError(f"no message with {fragments} in chat {chat['id']}")

    async def wait_in(self, chat: JsonDict | int, condition: Callable[[JsonDict], bool]) -> None:
        """Until a bot message in ``chat`` meets ``condition``."""
        chat_id = chat if isinstance(chat, int) else int(chat["id"])
        await self.emu.wait_for_chat(
            chat_id, lambda: any(condition(m) for m in self.emu.messages(chat_id))
        )

    async def wait_for_text(self, chat: JsonDict | int, *fragments: str) -> JsonDict:
        await self.wait_in(chat, lambda m: all(f in m.get("text", "") for f in fragments))
        chat_id = chat if isinstance(chat, int) else int(chat["id"])
        return self.find({"id": chat_id}, *fragments)

    def audit(self) -> list[tuple[str, str, int, str]]:
        return query(
            db_path(self.bot.config), "SELECT actor, action, allowed, details FROM staff_audit"
        )

    def ticket_row(self, number: str) -> tuple[Any, ...]:
        [row] = query(
            db_path(self.bot.config),
            "SELECT status, queue, claimed_by FROM tickets WHERE number = ?",
            number,
        )
        return row

    async def settle(self) -> None:
        await until_handled(self.bot)

    async def answered(self, count: int, timeout: float = 5.0) -> list[JsonDict]:  # noqa: ASYNC109
        """Wait until ``count`` button presses have been answered; all the answers."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.emu.callback_answers) < count:
            assert loop.time() < deadline, f"answers so far: {self.emu.callback_answers}"
            await asyncio.sleep(0.01)
        await self.settle()
        return list(self.emu.callback_answers)


def staffroom(emu: BotApiEmulator) -> Staffroom:
    people = {
        "alice": emu.user(ALICE, "Alice"),
        "bob": emu.user(BOB, "Bob"),
        "carol": emu.user(CAROL, "Carol"),
        "dan": emu.user(DAN, "Dan"),
        "admin": emu.user(ADMIN, "Admin"),
        "outsider": emu.user(OUTSIDER, "Mallory"),
    }
    education = [people["alice"], people["bob"], people["carol"]]
    return Staffroom(
        emu,
        **people,
        haidian=emu.group("海淀区教育局专班", members=education),
        joint=emu.group("联合检查组", members=[people["dan"]]),
        supervisors=emu.group("教育督导", members=[people["carol"]]),
    )


@asynccontextmanager
async def bot_running_with_clock(room: Staffroom, config: Config) -> AsyncIterator[Harness]:
    """The real Application on ``config``, its services reading ``room.clock``; what it
    sends at start (the organisation's warnings to the admin) has been sent."""
    async with bot_running(room.emu, config, clock=room.clock) as harness:
        room.harness = harness
        await until_sent(harness)
        try:
            yield harness
        finally:
            room.harness = None


@asynccontextmanager
async def running_staffroom(emu: BotApiEmulator, folder: Path) -> AsyncIterator[Staffroom]:
    """A staffroom with the real Application running on its config, reading its clock."""
    room = staffroom(emu)
    async with bot_running_with_clock(room, room.config(folder)):
        yield room


def button_data(message: JsonDict) -> list[str]:
    """The callback data of a message's buttons, row by row."""
    return [b.get("callback_data", "") for b in inline_buttons(message)]


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Until ``condition`` holds (for what the bot does without a message to wait for, such as
    setting a commands menu)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "it never happened"
        await asyncio.sleep(0.02)


async def until_sent(harness: Harness, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Until the outbox holds nothing due: what the bot queued has reached Telegram."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    outbox = harness.services.tickets.outbox
    while await outbox.due(harness.services.clock()):
        assert loop.time() < deadline, "the outbox did not empty"
        await asyncio.sleep(0.02)
