"""Two bot instances on one PostgreSQL database behind one webhook URL (a round-robin proxy,
as nginx would be): any instance may receive any update, and nothing is done twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import build_application
from bot.config import Config, WebhookConfig
from bot.emulator import BotApiEmulator, FakeUser, inline_buttons
from bot.emulator.balancer import RoundRobinProxy
from bot.emulator.state import JsonDict
from bot.inspection.settings import InspectionSettings, Member
from bot.webhook import serving_webhook
from tests.conftest import NO_POSTGRESQL, POSTGRESQL_URL, Query
from tests.integration.conftest import Harness
from tests.integration.inspecting import Staffroom, staffroom
from tests.integration.reporting import Reporter, data_ending, receipt_of, reporting_config
from tests.integration.test_webhook import free_port

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
    emu: BotApiEmulator, base: Config, database_url: str
) -> AsyncIterator[tuple[list[Harness], RoundRobinProxy]]:
    """Both instances serving, each update delivered to one or the other in turn."""
    ports = [free_port(), free_port()]
    upstreams = [f"http://127.0.0.1:{port}" for port in ports]
    errors: list[BaseException] = []

    async def fail_on_error(update: object, context: object) -> None:
        errors.append(getattr(context, "error", None) or RuntimeError("unknown handler error"))

    async with RoundRobinProxy(upstreams) as proxy, AsyncExitStack() as stack:
        harnesses = []
        for port in ports:  # one after the other: the first creates the shared keys file
            config = instance_config(base, database_url, proxy, port)
            app = build_application(config)
            app.add_error_handler(fail_on_error)
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
    while harness.services.updates_in_hand or harness.app.update_queue.qsize():
        assert loop.time() < deadline, "the instance did not finish its updates"
        await asyncio.sleep(0.01)


__all__ = ["Staffroom"]
