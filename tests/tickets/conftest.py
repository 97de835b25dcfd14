from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.privacy import PrivacyKeys, Sealer, keyed_hash
from bot.store.base import Store
from bot.store.sqlite import SqliteStore
from bot.store.throttle import RateLimit
from bot.tickets.model import ReportAccepted, ReportDraft
from bot.tickets.services import TicketServices, build_ticket_services
from bot.tickets.settings import TicketSettings
from bot.updates.chat_state import ChatState
from bot.updates.flood import FloodGate
from bot.updates.inbox import Inbox
from tests.conftest import Query as Query  # the tests here import it from this module

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
REPORTER_ID = 5123456789  # a Telegram user id; must never appear in the database
OTHER_ID = 5987654321


class Clock:
    """A clock the test moves."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Desk(TicketServices):
    """The services as the bot wires them (and the inbox, on the test's clock), plus a way to
    file a whole report."""

    inbox: Inbox
    clock: Clock

    async def report(
        self,
        telegram_id: int = REPORTER_ID,
        *,
        description: str = "某机构以托管名义在周末开设数学、英语培训班",
        wants_updates: bool = False,
        now: datetime = NOW,
    ) -> ReportAccepted:
        key = self.reporter_key(telegram_id)
        draft = await self.drafts.start(key, now)
        draft = ReportDraft(
            draft_id=draft.draft_id,
            step="confirm",
            category="disguised",
            district="海淀区",
            institution="某某学堂",
            description=description,
            wants_updates=wants_updates,
        )
        await self.drafts.save(key, draft, now)
        result = await self.intake.submit_report(
            draft, key, f"draft:{draft.draft_id}", now, reply_chat_id=telegram_id
        )
        assert isinstance(result, ReportAccepted), result
        return result


def build_desk(store: Store, keys: PrivacyKeys, settings: TicketSettings) -> Desk:
    services = build_ticket_services(store, settings, keys)
    clock = Clock()
    inbox = Inbox(
        store,
        Sealer(keys),
        FloodGate(RateLimit(20, 10)),
        ChatState(store, Sealer(keys)),
        person_key=lambda user_id: keyed_hash(keys.pepper, "asker", str(user_id)),
        clock=clock,
        max_replays=settings.max_update_replays,
    )
    parts = {f.name: getattr(services, f.name) for f in fields(services)}
    return Desk(**parts, inbox=inbox, clock=clock)


@pytest.fixture
def settings() -> TicketSettings:
    return TicketSettings()


@pytest.fixture
async def desk(
    store: SqliteStore, keys: PrivacyKeys, settings: TicketSettings
) -> AsyncIterator[Desk]:
    built = build_desk(store, keys, settings)
    yield built
    await built.inbox.close()  # done marks waiting to share a commit, before the store closes


def file_bytes(*paths: Path) -> bytes:
    return b"".join(p.read_bytes() for p in paths if p.exists())
