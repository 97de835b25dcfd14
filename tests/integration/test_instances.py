"""Two bot instances on one PostgreSQL database behind one webhook URL (a round-robin proxy,
as nginx would be): any instance may receive any update, and nothing is done twice."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pytest

from bot.app import build_application
from bot.config import PROJECT_ROOT, Config, WebhookConfig
from bot.emulator import BotApiEmulator, FakeUser, inline_buttons
from bot.emulator.balancer import RoundRobinProxy
from bot.emulator.state import JsonDict
from bot.inspection.settings import InspectionSettings, Member
from bot.webhook import serving_webhook
from tests.conftest import NO_POSTGRESQL, POSTGRESQL_URL, Query
from tests.integration.conftest import Harness, record_handler_errors
from tests.integration.inspecting import staffroom, until_sent
from tests.integration.reporting import Reporter, data_ending, receipt_of, reporting_config
from tests.integration.test_reporter_durability import LOCAL_FACTS, bot_process, until
from tests.integration.test_webhook import free_port

T = TypeVar("T")
SECRET = "shared-secret"
CLAIMERS = 50


@pytest.fixture
def backend() -> str:
    if not POSTGRESQL_URL:
        pytest.skip(NO_POSTGRESQL)
    return "postgresql"


def instance_config(base: Config, database_url: str, proxy: RoundRobinProxy, port: int) -> Config:
    webhook = WebhookConfig(
        listen="127.0.0.1",
        port=port,
        url=f"{proxy.url}/telegram",
        path="telegram",
        secret_token=SECRET,
    )
    telegram = replace(base.telegram, mode="webhook", webhook=webhook, replay_after_seconds=2)
    outbox = replace(base.tickets.outbox, poll_seconds=0.1)
    return replace(
        base,
        telegram=telegram,
        storage=replace(base.storage, url=database_url),
        tickets=replace(base.tickets, outbox=outbox),
    )


@asynccontextmanager
async def two_instances(
    emu: BotApiEmulator,
    base: Config,
    database_url: str,
    *,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[tuple[list[Harness], RoundRobinProxy]]:
    """Both instances serving, each update delivered to one or the other in turn (their
    services reading ``clock`` if given)."""
    ports = [free_port(), free_port()]
    upstreams = [f"http://127.0.0.1:{port}" for port in ports]
    errors: list[BaseException] = []

    async with RoundRobinProxy(upstreams) as proxy, AsyncExitStack() as stack:
        harnesses = []
        for port in ports:  # one after the other: the first creates the shared keys file
            config = instance_config(base, database_url, proxy, port)
            app = build_application(config)
            if clock is not None:
                app.bot_data.clock = clock
            record_handler_errors(app, errors)
            await stack.enter_async_context(serving_webhook(app, config))
            harnesses.append(Harness(emu, app, config, errors))
        yield harnesses, proxy
    if errors:
        raise errors[0]


async def test_a_report_whose_steps_reach_alternating_instances_completes(
    emu: BotApiEmulator, tmp_path: Path, database_url: str, query: Query
) -> None:
    base = reporting_config(tmp_path, emu)
    async with two_instances(emu, base, database_url) as (instances, proxy):
        user = emu.user()
        reporter = Reporter(instances[0], user)
        number, _ = receipt_of(await reporter.file_report())
        # A language chosen through one instance holds on the other.
        choose = await reporter.say("/lang")
        await instances[0].press(user, choose, data_ending(choose, ":en"), expect=0)
        await emu.wait_for_chat(user.id, lambda: "English" in instances[0].latest(user)["text"])
        for _ in range(2):
            reply = await reporter.say("/help")
            assert reply["text"].startswith("How to use")
    # Every step went to one instance or the other, turn about.
    assert len(proxy.delivered) == 2 and min(proxy.delivered.values()) >= 6
    assert query("SELECT number FROM tickets") == [(number,)]
    assert query("SELECT COUNT(*) FROM inbox WHERE status = 'received'") == [(0,)]


async def test_fifty_claims_across_both_instances_have_one_winner_and_no_repeated_notices(
    emu: BotApiEmulator, tmp_path: Path, database_url: str, query: Query
) -> None:
    room = staffroom(emu)
    inspectors = [emu.user(8_100_000_000 + n, f"核查员{n}") for n in range(CLAIMERS)]
    group = emu.group("海淀区教育局专班", members=inspectors)
    room = replace(room, haidian=group)
    base = room.config(tmp_path)
    base = replace(base, inspection=with_queue_members(base.inspection, inspectors))
    async with two_instances(emu, base, database_url) as (instances, _):
        room.harness = instances[0]
        tickets = [(await room.file_ticket()).ticket_number for _ in range(3)]
        for number in tickets:
            await room.card(group, number)
        number = tickets[0]
        card = card_of(emu, group, number)

        await asyncio.gather(
            *(emu.press_button(who, card, f"t:claim:{number}") for who in inspectors)
        )
        answers = await room.answered(CLAIMERS, timeout=20)
        for instance in instances:
            await settle(instance)

    [(holder,)] = query(f"SELECT claimed_by FROM tickets WHERE number = '{number}'")
    assert holder.startswith("inspector:")
    told_taken = [a for a in answers if a.get("show_alert") and "认领" in a.get("text", "")]
    assert len(told_taken) == CLAIMERS - 1
    # Each ticket's card was posted once, though both instances' outboxes were running.
    for ticket in tickets:
        assert len(cards_of(emu, group, ticket)) == 1, ticket
    assert query("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND kind = 'new_ticket'") == [
        (0,)
    ]


async def test_a_member_who_joins_through_one_instance_is_recognised_by_the_other_at_once(
    emu: BotApiEmulator, tmp_path: Path, database_url: str
) -> None:
    room = staffroom(emu)
    base = room.config(tmp_path)
    staff = replace(base.inspection.staff, refresh_seconds=0.5)
    base = replace(base, inspection=replace(base.inspection, staff=staff))
    async with two_instances(emu, base, database_url) as (instances, proxy):
        room.harness = instances[0]
        await until_sent(instances[0])
        [invite] = await room.command(room.carol, "/invite edu-haidian")
        start = re.search(r"start=(join-[A-Za-z0-9_-]+)", invite["text"])
        assert start is not None
        newbie = emu.user(7_300_000_200, "小郑")

        joined_on = await on_which(proxy, room.command(newbie, f"/start {start[1]}"))
        queue, asked_on = await on_which_with(proxy, room.command(newbie, "/queue"))

        assert joined_on != asked_on  # the instance that did not see the join
        assert queue[0]["text"] != STAFF_ONLY
        # Removed through one instance: refused by both once staff.refresh_seconds have
        # passed (each looks again when its last look is older than that).
        [plan] = await room.command(room.admin, f"/remove {newbie.id}")
        await emu.press_button(room.admin, plan, f"st:rm:{newbie.id}:0")
        await room.answered(1)
        await asyncio.sleep(staff.refresh_seconds)
        first, one = await on_which_with(proxy, room.command(newbie, "/queue"))
        second, other = await on_which_with(proxy, room.command(newbie, "/queue"))
        assert one != other
        assert first[0]["text"] == second[0]["text"] == STAFF_ONLY


STAFF_ONLY = "抱歉,这个命令仅供核查人员使用。"


async def on_which(proxy: RoundRobinProxy, sending: Awaitable[object]) -> str:
    return (await on_which_with(proxy, sending))[1]


async def on_which_with(proxy: RoundRobinProxy, sending: Awaitable[T]) -> tuple[T, str]:
    """What ``sending`` returned, and which instance the update it sent was delivered to."""
    before = dict(proxy.delivered)
    result = await sending
    [upstream] = [u for u, n in proxy.delivered.items() if n != before.get(u, 0)]
    return result, upstream


def cards_of(emu: BotApiEmulator, group: JsonDict, number: str) -> list[JsonDict]:
    return [
        m
        for m in emu.messages(int(group["id"]))
        if any(b.get("callback_data", "").endswith(f":{number}") for b in inline_buttons(m))
    ]


def card_of(emu: BotApiEmulator, group: JsonDict, number: str) -> JsonDict:
    [card] = cards_of(emu, group, number)
    return card


def with_queue_members(settings: InspectionSettings, people: list[FakeUser]) -> InspectionSettings:
    members = tuple(Member(person.id) for person in people)
    departments = tuple(
        replace(
            department,
            queues=tuple(
                replace(queue, members=queue.members + members)
                if queue.id == "edu-haidian"
                else queue
                for queue in department.queues
            ),
        )
        for department in settings.departments
    )
    return replace(settings, departments=departments)


async def settle(harness: Harness, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while harness.services.inbox.updates_in_hand or harness.app.update_queue.qsize():
        assert loop.time() < deadline, "the instance did not finish its updates"
        await asyncio.sleep(0.01)


# --- killing an instance ---------------------------------------------------------------------

BURST_PARENTS = 40
BURST_QUESTIONS_EACH = 5
QUESTION = "周末还能上英语补习班吗"


def write_instance_config(
    folder: Path, emu: BotApiEmulator, database_url: str, proxy: RoundRobinProxy, port: int
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    knowledge = [str(PROJECT_ROOT / "knowledge" / layer) for layer in ("national", "local")]
    path = folder / f"instance-{port}.yaml"
    path.write_text(
        f"""
telegram:
  base_url: "{emu.base_url}"
  base_file_url: "{emu.base_file_url}"
  mode: webhook
  webhook:
    listen: 127.0.0.1
    port: {port}
    url: "{proxy.url}/telegram"
    path: telegram
    secret_token: {SECRET}
  rate_limits: {{overall_per_second: 0, group_per_minute: 0, max_retries: 5}}
  flood_limit: {{count: 500, window_seconds: 10}}
  replay_after_seconds: 2
knowledge:
  paths: {json.dumps(knowledge)}
storage:
  url: "{database_url}"
privacy:
  keys_file: "{folder / "keys.json"}"
{LOCAL_FACTS}""",
        encoding="utf-8",
    )
    return path


async def test_killing_one_instance_mid_burst_loses_nothing(
    emu: BotApiEmulator, tmp_path: Path, database_url: str, query: Query
) -> None:
    ports = [free_port(), free_port()]
    parents = [emu.user(first_name=f"家长{n}") for n in range(BURST_PARENTS)]
    expected = BURST_PARENTS * BURST_QUESTIONS_EACH

    def replies() -> int:
        return sum(len(emu.messages(p.id)) for p in parents)

    async with RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports]) as proxy:
        files = [write_instance_config(tmp_path, emu, database_url, proxy, p) for p in ports]
        async with (
            bot_process(emu, files[0], ready_after="setWebhook") as doomed,
            bot_process(emu, files[1], ready_after="setWebhook"),
        ):
            for _ in range(BURST_QUESTIONS_EACH):
                for parent in parents:
                    await emu.send_text(parent, QUESTION)
            await until(lambda: replies() >= expected // 4, timeout=60)
            doomed.kill()  # SIGKILL mid-burst: nothing of its own is finished or marked done
            await doomed.wait()
            await until(
                lambda: all(len(emu.messages(p.id)) >= BURST_QUESTIONS_EACH for p in parents),
                timeout=60,
            )
            # What the killed instance left unfinished is taken up once replay_after_seconds
            # have passed since it was handed out.
            await until(lambda: unfinished(query) == 0, timeout=30)
            await asyncio.sleep(0.5)  # a late duplicate would show up now

    assert all(len(emu.messages(p.id)) >= BURST_QUESTIONS_EACH for p in parents)  # none lost
    # An update the killed instance had answered but not yet marked done is answered again by
    # the other: at most what it had in hand at once.
    assert replies() - expected <= 8
    assert query("SELECT COUNT(*), MIN(status), MAX(status) FROM inbox") == [
        (expected, "done", "done")
    ]


def unfinished(query: Query) -> int:
    return int(query("SELECT COUNT(*) FROM inbox WHERE status <> 'done'")[0][0])


async def test_messages_sent_at_once_reach_both_instances_and_are_taken_in_turn(
    emu: BotApiEmulator, tmp_path: Path, database_url: str, query: Query
) -> None:
    """Three answers typed at once, delivered together to two instances: each fills the next
    step, none is lost to another one handled beside it."""
    base = reporting_config(tmp_path, emu)
    async with two_instances(emu, base, database_url) as (instances, _):
        user = emu.user()
        reporter = Reporter(instances[0], user)
        await reporter.begin_report("holiday_classes", "dongcheng")
        before = instances[0].sent_count(user)
        await asyncio.gather(*(emu.send_text(user, text) for text in ("甲机构", "乙路1号", "周六")))
        await emu.wait_for_messages(user.id, before + 3)
        for instance in instances:
            await settle(instance)
    [(step,)] = query("SELECT step FROM drafts")
    assert step.startswith("what"), step
