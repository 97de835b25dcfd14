"""Chat state: what a person is in the middle of, readable by any instance."""

from __future__ import annotations

from datetime import timedelta

from bot.privacy import PrivacyKeys, Sealer
from bot.store.base import Store
from bot.tickets.status_checks import Awaiting, StatusChecks
from bot.updates.chat_state import ChatState, PersonState

from .conftest import NOW, Desk, Query

PERSON = "k:person"
CODE = "1234567890123456"


def person_state(state: ChatState, copy: dict[str, str]) -> PersonState:
    return PersonState(state, copy, PERSON, NOW, update_id=1)


async def test_a_status_check_follows_the_person_to_another_instance(
    store: Store, keys: PrivacyKeys, query: Query
) -> None:
    here, there = ChatState(store, Sealer(keys)), ChatState(store, Sealer(keys))
    checks = StatusChecks()
    copy: dict[str, str] = {}
    await checks.open(person_state(here, copy), Awaiting.ANSWER, code=CODE, question_id=7)

    loaded = await ChatState(store, Sealer(keys)).load(PERSON, NOW + timedelta(minutes=9))
    check = checks.get(person_state(there, loaded))
    assert check is not None and (check.awaiting, check.code, check.question_id) == (
        Awaiting.ANSWER,
        CODE,
        7,
    )
    assert CODE not in repr(check)
    # The code is sealed in the database, and gone once the check expires.
    assert CODE not in repr(query("SELECT * FROM chat_state"))
    expired = await ChatState(store, Sealer(keys)).load(PERSON, NOW + timedelta(minutes=10))
    assert checks.get(person_state(there, expired)) is None
    assert await ChatState(store, Sealer(keys)).purge(NOW + timedelta(minutes=10)) == 1


async def test_a_check_sealed_with_other_keys_asks_for_the_code_again(
    store: Store, keys: PrivacyKeys
) -> None:
    copy: dict[str, str] = {}
    checks = StatusChecks()
    await checks.open(person_state(ChatState(store, Sealer(keys)), copy), Awaiting.CODE)
    other = ChatState(store, Sealer(PrivacyKeys.generate()))
    assert checks.get(person_state(other, copy)) is None


async def test_ending_a_check_removes_it_everywhere(store: Store, keys: PrivacyKeys) -> None:
    state = ChatState(store, Sealer(keys))
    checks = StatusChecks()
    copy: dict[str, str] = {}
    await checks.open(person_state(state, copy), Awaiting.NOTHING, code=CODE)
    assert await checks.end(person_state(state, copy))
    assert not await checks.end(person_state(state, copy))  # nothing left: nothing written
    assert await state.load(PERSON, NOW) == {}


async def test_deferred_state_is_written_with_the_update_marked_done(
    desk: Desk, store: Store, keys: PrivacyKeys, query: Query
) -> None:
    state = desk.inbox.chat_state
    copy: dict[str, str] = {}
    await desk.inbox.record_update(800001, '{"update_id": 800001}', NOW)
    await state.save(copy, PERSON, "recent", '{"5": "周末补课"}', NOW, with_update=800001)
    assert copy == {"recent": '{"5": "周末补课"}'}
    assert query("SELECT COUNT(*) FROM chat_state") == [(0,)]  # no commit of its own

    [held] = await desk.inbox.replay(stale_after=None)
    await desk.inbox.finish(held.update_id)
    await desk.inbox.flush()  # where done marks wait to share a commit
    assert query("SELECT status FROM inbox") == [("done",)]
    assert await state.load(PERSON, NOW) == {"recent": '{"5": "周末补课"}'}


async def test_the_only_writer_remembers_what_it_read_and_wrote_instances_read_again(
    store: Store, keys: PrivacyKeys, query: Query
) -> None:
    """One SQLite file serves one bot process: what it last wrote is what the database holds,
    so chat state is read once. Instances sharing PostgreSQL read it for every update, since
    another instance may have changed it."""
    state = ChatState(store, Sealer(keys))
    copy: dict[str, str] = {}
    assert await state.load(PERSON, NOW) == {}
    await state.save(copy, PERSON, "language", "en", NOW)
    query(  # another instance changes it
        "UPDATE chat_state SET value = 'zh' WHERE name = 'language'"
    )
    seen = await state.load(PERSON, NOW)
    assert seen == ({"language": "en"} if store.exclusive else {"language": "zh"})


async def test_a_remembered_value_still_expires(store: Store, keys: PrivacyKeys) -> None:
    state = ChatState(store, Sealer(keys))
    await state.load(PERSON, NOW)
    await state.save({}, PERSON, "status_check", "{}", NOW, ttl=timedelta(minutes=10))
    assert await state.load(PERSON, NOW + timedelta(minutes=9)) == {"status_check": "{}"}
    assert await state.load(PERSON, NOW + timedelta(minutes=11)) == {}
