from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.privacy import PrivacyKeys
from bot.store.base import Store
from bot.store.throttle import RateLimit
from bot.tickets.outbox import (
    OutboxDispatcher,
    OutgoingMessage,
    RetryLater,
    Undeliverable,
    retry_delay,
)
from bot.tickets.settings import OutboxSettings
from bot.updates.flood import Admission, FloodGate
from bot.updates.inbox import FINISH_BATCH_SECONDS, Inbox, InHand, Verdict, effect_key
from bot.updates.incoming import IncomingUpdate

from .conftest import NOW, OTHER_ID, REPORTER_ID, Desk, Query, build_desk, file_bytes

UPDATE = json.dumps(
    {
        "update_id": 700001,
        "message": {
            "message_id": 5,
            "from": {"id": REPORTER_ID, "first_name": "晓明", "username": "wang_xiaoming_1987"},
            "chat": {"id": REPORTER_ID, "type": "private"},
            "text": "/report",
        },
    },
    ensure_ascii=False,
)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# --- inbox ---


def arriving(update_id: int, sender: int = REPORTER_ID) -> IncomingUpdate:
    data = json.loads(UPDATE)
    data["update_id"] = update_id
    data["message"]["from"]["id"] = sender
    return IncomingUpdate.from_data(data)


async def test_an_update_is_handled_once(desk: Desk) -> None:
    assert await desk.inbox.arrive([arriving(700001)]) == {700001: Verdict.FRESH}
    assert await desk.inbox.arrive([arriving(700001)]) == {700001: Verdict.REPEAT}


async def test_the_inbox_says_the_highest_update_id_it_remembers(desk: Desk, store: Store) -> None:
    async with store.transaction(readonly=True) as tx:
        assert await tx.last_update_id() is None
    await desk.inbox.arrive([arriving(700003), arriving(700002)])
    async with store.transaction(readonly=True) as tx:
        assert await tx.last_update_id() == 700003


async def test_a_batch_is_recorded_in_one_commit_with_each_senders_flood_count(
    desk: Desk, query: Query
) -> None:
    """Three from one person over a limit of two: the third is refused, someone else is not."""
    inbox = replace_flood_limit(desk, RateLimit(2, 60))
    batch = [arriving(700001), arriving(700002), arriving(700003), arriving(700004, OTHER_ID)]
    verdicts = await inbox.arrive(batch, unreadable=[700005])
    assert verdicts == {
        700001: Verdict.FRESH,
        700002: Verdict.FRESH,
        700003: Verdict.REFUSED,
        700004: Verdict.FRESH,
    }
    held = inbox.in_hand(700003)
    assert held is not None and held.admission == Admission.REFUSE_AND_SAY
    assert query("SELECT update_id, status FROM inbox ORDER BY update_id") == [
        (700001, "received"),
        (700002, "received"),
        (700003, "received"),
        (700004, "received"),
        (700005, "failed"),  # the bot cannot read it: kept by id only, never replayed
    ]
    assert inbox.updates_in_hand == 4


def replace_flood_limit(desk: Desk, limit: RateLimit) -> Inbox:
    inbox = desk.inbox
    inbox._flood = FloodGate(limit)
    return inbox


async def test_unfinished_updates_are_replayed_then_set_aside(
    desk: Desk, store: Store, keys: PrivacyKeys, query: Query
) -> None:
    await desk.inbox.record_update(700001, UPDATE, NOW)
    await desk.inbox.record_update(700002, UPDATE, NOW)
    await desk.inbox.mark_done(700002, NOW)

    for attempt in range(desk.settings.max_update_replays):
        restarted = build_desk(store, keys, desk.settings).inbox  # a process after a crash
        [replayed] = await restarted.replay(stale_after=None)
        assert replayed.update_id == 700001 and replayed.data == json.loads(UPDATE)
        assert restarted.in_hand(700001) == InHand(
            700001, restarted._sender(replayed), Admission.ADMIT, attempt + 1
        )
    # a poison update does not loop forever
    assert await build_desk(store, keys, desk.settings).inbox.replay(stale_after=None) == []
    assert query("SELECT update_id, status, payload FROM inbox ORDER BY update_id") == [
        (700001, "failed", ""),
        (700002, "done", ""),
    ]


async def test_an_update_still_in_hand_is_not_replayed_beside_itself(desk: Desk) -> None:
    await desk.inbox.arrive([arriving(700001)])
    desk.clock.now = NOW + timedelta(hours=1)
    assert await desk.inbox.replay(stale_after=timedelta(minutes=2)) == []
    await desk.inbox.finish(700001)
    await desk.inbox.flush()
    assert desk.inbox.updates_in_hand == 0


async def test_instances_replay_only_updates_left_unfinished_long_enough(desk: Desk) -> None:
    """Another instance may still be handling a recent update; one handed out long ago was
    left behind by an instance that stopped, and exactly one instance takes it up."""
    await desk.inbox.record_update(700001, UPDATE, NOW)
    await desk.inbox.record_update(700002, UPDATE, NOW + timedelta(seconds=100))
    later = NOW + timedelta(seconds=130)
    stale = timedelta(seconds=120)
    taken = await asyncio.gather(
        *(desk.inbox.take_unfinished(later, stale_after=stale) for _ in range(4))
    )
    assert sorted(p.update_id for batch in taken for p in batch) == [700001]
    # Taken again only once it has been left unfinished for as long once more.
    assert await desk.inbox.take_unfinished(later + stale / 2, stale_after=stale) == []
    again = await desk.inbox.take_unfinished(later + stale * 2, stale_after=stale)
    assert [(p.update_id, p.attempts) for p in again] == [(700001, 1), (700002, 0)]


async def test_waiting_updates_are_sealed_and_handled_ones_erased(
    desk: Desk, db_path: Path, query: Query
) -> None:
    await desk.inbox.arrive([arriving(700001)])
    [(payload,)] = query("SELECT payload FROM inbox")
    assert "wang_xiaoming" not in payload and str(REPORTER_ID) not in payload
    await desk.inbox.finish(700001)
    await desk.inbox.flush()
    assert query("SELECT payload FROM inbox") == [("",)]
    desk.clock.now = NOW + timedelta(days=2)
    assert await desk.inbox.purge(keep=timedelta(days=1)) == 1


# --- outbox ---


async def test_a_dedupe_key_queues_a_message_once(desk: Desk) -> None:
    for _ in range(2):
        await desk.outbox.enqueue("new_ticket", -100, {"n": 1}, NOW, dedupe_key="new:1")
    assert len(await desk.outbox.due(NOW)) == 1


async def test_reporter_messages_are_sealed_until_sent_then_erased(
    desk: Desk, query: Query
) -> None:
    await desk.outbox.enqueue(
        "question", REPORTER_ID, {"ticket_number": "SJ-2026-000001"}, NOW, to_reporter=True
    )
    [(target, payload)] = query("SELECT target, payload FROM outbox")
    assert str(REPORTER_ID) not in target + payload and "SJ-2026" not in payload
    [message] = await desk.outbox.due(NOW)
    assert (message.chat_id, message.data) == (REPORTER_ID, {"ticket_number": "SJ-2026-000001"})
    await desk.outbox.mark_sent(message.message_id, NOW)
    assert query("SELECT target, payload FROM outbox") == [("", "")]
    assert await desk.outbox.due(NOW) == []


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    settings = OutboxSettings(retry_first_seconds=5, retry_max_seconds=60)
    assert [retry_delay(n, settings) for n in range(6)] == [5, 10, 20, 40, 60, 60]
    assert retry_delay(10_000, settings) == 60


async def test_the_dispatcher_retries_until_telegram_accepts(desk: Desk, query: Query) -> None:
    clock = Clock(NOW)
    tries: list[datetime] = []

    async def flaky_send(message: OutgoingMessage) -> None:
        tries.append(clock.now)
        if len(tries) < 3:
            raise ConnectionError("502 Bad Gateway")

    await desk.outbox.enqueue("new_ticket", -100, {"ticket_number": "X"}, NOW)
    dispatcher = OutboxDispatcher(desk.outbox, flaky_send, clock=clock)
    assert await dispatcher.run_once() == 0
    assert await dispatcher.run_once() == 0  # not due yet: backing off
    clock.now = NOW + timedelta(seconds=5)
    assert await dispatcher.run_once() == 0
    clock.now = NOW + timedelta(seconds=14)
    assert await dispatcher.run_once() == 0  # the second wait is 10 s
    clock.now = NOW + timedelta(seconds=15)
    assert await dispatcher.run_once() == 1
    assert tries == [NOW, NOW + timedelta(seconds=5), NOW + timedelta(seconds=15)]
    assert query("SELECT attempts, last_error, sent_at IS NOT NULL FROM outbox") == [(2, None, 1)]


async def test_dispatchers_of_several_instances_send_each_message_once(desk: Desk) -> None:
    for n in range(60):
        await desk.outbox.enqueue("new_ticket", -100, {"ticket_number": str(n)}, NOW)
    sent: list[str] = []

    async def send(message: OutgoingMessage) -> None:
        await asyncio.sleep(0)  # let the other dispatchers take their turn mid-round
        sent.append(message.data["ticket_number"])

    dispatchers = [OutboxDispatcher(desk.outbox, send, clock=Clock(NOW)) for _ in range(4)]
    rounds = await asyncio.gather(*(d.run_once() for d in dispatchers for _ in range(3)))
    assert sum(rounds) == 60
    assert sorted(sent, key=int) == [str(n) for n in range(60)]


async def test_a_message_taken_by_an_instance_that_died_is_sent_after_its_lease(
    desk: Desk,
) -> None:
    await desk.outbox.enqueue("new_ticket", -100, {"ticket_number": "X"}, NOW)
    [taken] = await desk.outbox.take_due(NOW)  # ... and then that instance was killed
    lease = timedelta(seconds=desk.outbox.settings.lease_seconds)
    assert await desk.outbox.take_due(NOW + lease / 2) == []
    [again] = await desk.outbox.take_due(NOW + lease)
    assert again.message_id == taken.message_id


async def test_telegram_retry_after_is_honoured(desk: Desk) -> None:
    clock = Clock(NOW)

    async def rate_limited(message: OutgoingMessage) -> None:
        raise RetryLater(37)

    await desk.outbox.enqueue("new_ticket", -100, {}, NOW)
    await OutboxDispatcher(desk.outbox, rate_limited, clock=clock).run_once()
    assert await desk.outbox.due(NOW + timedelta(seconds=36)) == []
    assert len(await desk.outbox.due(NOW + timedelta(seconds=37))) == 1


async def test_an_undeliverable_message_is_given_up(desk: Desk, query: Query) -> None:
    async def blocked(message: OutgoingMessage) -> None:
        raise Undeliverable("Forbidden: bot was blocked by the user")

    await desk.outbox.enqueue("status_changed", REPORTER_ID, {}, NOW, to_reporter=True)
    await OutboxDispatcher(desk.outbox, blocked, clock=Clock(NOW)).run_once()
    assert await desk.outbox.due(NOW + timedelta(days=1)) == []
    [(payload, given_up)] = query("SELECT payload, given_up_at IS NOT NULL FROM outbox")
    assert (payload, given_up) == ("", 1)


async def test_the_receipt_is_delivered_by_the_outbox_if_the_reply_was_lost(
    desk: Desk,
) -> None:
    accepted = await desk.report()
    grace = timedelta(seconds=desk.settings.receipts.delivery_grace_seconds)
    assert await desk.outbox.due(NOW) == []  # the handler's own reply comes first
    [message] = await desk.outbox.due(NOW + grace)
    assert message.kind == "receipt" and message.chat_id == REPORTER_ID
    assert message.data == {
        "ticket_number": accepted.ticket_number,
        "receipt_code": accepted.receipt_code,
    }


async def test_a_shown_receipt_is_not_sent_again(desk: Desk) -> None:
    accepted = await desk.report()
    assert await desk.outbox.mark_delivered(accepted.receipt_message_key, NOW)
    assert not await desk.outbox.mark_delivered(accepted.receipt_message_key, NOW)
    assert await desk.outbox.due(NOW + timedelta(days=1)) == []


async def test_the_dispatcher_loop_sends_when_woken(desk: Desk) -> None:
    sent: list[OutgoingMessage] = []
    arrived = asyncio.Event()

    async def send(message: OutgoingMessage) -> None:
        sent.append(message)
        arrived.set()

    dispatcher = OutboxDispatcher(desk.outbox, send)
    runner = asyncio.create_task(dispatcher.run())
    await desk.outbox.enqueue(
        "new_ticket", -100, {"ticket_number": "SJ-1"}, datetime.now(NOW.tzinfo)
    )
    dispatcher.wake()
    await asyncio.wait_for(arrived.wait(), timeout=5)
    dispatcher.stop()
    await asyncio.wait_for(runner, timeout=5)
    assert [m.data for m in sent] == [{"ticket_number": "SJ-1"}]


async def test_waiting_receipts_keep_the_code_sealed(desk: Desk, db_path: Path) -> None:
    accepted = await desk.report()
    digits = accepted.receipt_code.replace(" ", "").encode()
    assert digits not in file_bytes(db_path, db_path.with_name(db_path.name + "-wal"))


@pytest.mark.parametrize("limit", [1, 3])
async def test_due_returns_at_most_the_batch_size(desk: Desk, limit: int) -> None:
    for i in range(5):
        await desk.outbox.enqueue("new_ticket", -100, {"i": i}, NOW)
    due = await desk.outbox.due(NOW, limit)
    assert [m.data["i"] for m in due] == list(range(limit))


async def test_a_replay_says_whether_its_effect_was_committed_before_the_crash(
    desk: Desk, store: Store, keys: PrivacyKeys
) -> None:
    await desk.inbox.arrive([arriving(700001), arriving(700002)])
    async with store.transaction() as tx:  # 700001's handler committed its effect, then died
        assert await tx.first_application(effect_key(700001), NOW)
    restarted = build_desk(store, keys, desk.settings).inbox
    replayed = await restarted.replay(stale_after=None)
    assert [u.update_id for u in replayed] == [700001, 700002]
    first, second = restarted.in_hand(700001), restarted.in_hand(700002)
    assert first is not None and first.effect_applied
    assert second is not None and not second.effect_applied


async def test_done_marks_share_commits_where_this_process_is_the_only_writer(
    desk: Desk, store: Store, query: Query
) -> None:
    """One SQLite file, one bot: a handled update's done mark waits a moment, or rides on the
    next batch recorded. Instances sharing PostgreSQL mark each one done at once."""
    await desk.inbox.arrive([arriving(700001)])
    await desk.inbox.finish(700001)
    done = query("SELECT status FROM inbox WHERE update_id = 700001")
    if not store.exclusive:
        assert done == [("done",)]
        return
    assert done == [("received",)] and desk.inbox.updates_in_hand == 1
    await desk.inbox.arrive([arriving(700002)])  # its commit carries the done mark
    statuses = query("SELECT update_id, status FROM inbox ORDER BY update_id")
    assert statuses == [(700001, "done"), (700002, "received")]
    await desk.inbox.finish(700002)
    await asyncio.sleep(FINISH_BATCH_SECONDS * 3)
    assert query("SELECT status FROM inbox WHERE update_id = 700002") == [("done",)]
    assert desk.inbox.updates_in_hand == 0


async def test_closing_waits_for_a_flush_under_way(
    desk: Desk, store: Store, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Done marks being committed when the bot stops are committed, not lost (and replayed)."""
    if not store.exclusive:
        pytest.skip("instances sharing a database mark each update done at once")
    inbox = desk.inbox
    committing, may_commit = asyncio.Event(), asyncio.Event()
    mark_done_in = inbox._mark_done_in  # held up to catch the moment

    async def slow_mark(*args: Any) -> None:
        committing.set()
        await may_commit.wait()
        await mark_done_in(*args)

    await inbox.arrive([arriving(700001)])
    monkeypatch.setattr(inbox, "_mark_done_in", slow_mark)
    await inbox.finish(700001)
    await asyncio.wait_for(committing.wait(), 5)
    closing = asyncio.ensure_future(inbox.close())
    await asyncio.sleep(0.05)
    waited = not closing.done()  # it waits for the flush under way
    may_commit.set()
    await asyncio.wait_for(closing, 5)
    assert waited
    assert query("SELECT status FROM inbox WHERE update_id = 700001") == [("done",)]
