"""`keys rotate`: everything sealed under older keys re-sealed under the newest, so the older
keys can go; running it again changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from cryptography.fernet import Fernet

from bot.key_rotation import rotate_sealed_values
from bot.privacy import PrivacyKeys, Sealer
from bot.store.base import Store
from bot.tickets.outbox import reporter_message
from bot.updates.chat_state import ChatState

from .conftest import Query

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_rotation_reseals_under_the_newest_key_once(
    store: Store, keys: PrivacyKeys, query: Query
) -> None:
    old = Sealer(keys)
    async with store.transaction() as tx:
        await tx.record_updates([(1, old.seal('{"update_id": 1}'))], NOW)
        await tx.enqueue(reporter_message("receipt", 4242, {"code": "1234"}, NOW, old))
        await tx.set_chat_state("person", "status", old.seal("SJ-2026-000001"), NOW, None)
        await tx.set_chat_state("person", "language", "en", NOW, None)
    rotated = replace(keys, sealing_keys=(Fernet.generate_key(), *keys.sealing_keys))

    counts = await rotate_sealed_values(store, rotated)

    assert counts["inbox.payload"].resealed == 1
    assert counts["outbox.payload"].resealed == 1
    assert counts["chat_state.value"].resealed == 1 and counts["chat_state.value"].plain == 1
    # The newest key alone now opens everything; the plain value is untouched.
    newest = Sealer(replace(keys, sealing_keys=rotated.sealing_keys[:1]))
    [(payload,)] = query("SELECT payload FROM inbox")
    assert newest.open(payload) == '{"update_id": 1}'
    [(sealed,)] = query("SELECT payload FROM outbox")
    assert '"chat_id":4242' in newest.open(sealed)
    state = dict(query("SELECT name, value FROM chat_state"))
    assert newest.open(state["status"]) == "SJ-2026-000001" and state["language"] == "en"
    assert ChatState(store, newest).read({"s": state["status"]}, "s", sealed=True) is not None

    again = await rotate_sealed_values(store, rotated)
    assert sum(c.resealed for c in again.values()) == 0
    assert again["inbox.payload"].current == 1


async def test_a_value_no_listed_key_opens_is_counted_and_left(
    store: Store, keys: PrivacyKeys, query: Query
) -> None:
    stranger = Sealer(PrivacyKeys.generate())
    async with store.transaction() as tx:
        await tx.record_updates([(7, stranger.seal("{}"))], NOW)
    counts = await rotate_sealed_values(store, keys)
    assert counts["inbox.payload"].unreadable == 1 and counts["inbox.payload"].resealed == 0
    assert "sealed with a key no longer listed" in counts["inbox.payload"].describe()
