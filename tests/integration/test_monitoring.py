"""/healthz, /readyz and /metrics: on the polling bot's monitoring port and on the webhook
server; /metrics is Prometheus's format and names nobody; /readyz goes unready when the
database cannot be reached."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_application
from bot.config import Config, MonitoringConfig
from bot.emulator import BotApiEmulator
from bot.webhook import serving_webhook
from tests.conftest import POSTGRESQL_URL
from tests.integration.conftest import bot_running, make_config
from tests.integration.test_reporter_durability import until
from tests.integration.test_webhook import free_port, webhook_config

QUESTION = "周末还能上英语补习班吗"


def with_monitoring(config: Config) -> Config:
    return replace(config, monitoring=MonitoringConfig(listen="127.0.0.1", port=free_port()))


def url(config: Config, path: str) -> str:
    return f"http://127.0.0.1:{config.monitoring.port}{path}"


async def get(address: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(address, timeout=30)


async def answered_when_up(address: str) -> httpx.Response:
    for _ in range(200):
        with contextlib.suppress(httpx.ConnectError):
            return await get(address)
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing answers at {address}")


def samples(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


async def test_polling_bot_serves_health_readiness_and_metrics(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = with_monitoring(make_config(tmp_path, emu))
    async with bot_running(emu, config) as bot:
        assert (await answered_when_up(url(config, "/healthz"))).status_code == 200
        ready = await get(url(config, "/readyz"))
        assert ready.status_code == 200 and ready.json()["ready"] is True, ready.text
        parent = bot.parent(first_name="王小明", username="wxm_private")
        await bot.say(parent, QUESTION)
        await until(lambda: not bot.services.inbox.updates_in_hand)
        metrics = await get(url(config, "/metrics"))
    assert metrics.headers["content-type"].startswith("text/plain")
    found = samples(metrics.text)
    assert found[("hotline_updates_handled_total", (("kind", "message"),))] >= 1
    assert found[("hotline_update_handling_seconds_count", ())] >= 1
    assert found[("hotline_database_up", ())] == 1
    assert found[("hotline_inbox_unfinished", ())] == 0
    assert found[("hotline_outbox_due", ())] == 0
    assert found[("hotline_tickets", (("status", "new"),))] == 0
    assert found[("hotline_deadline_breaches", (("deadline", "claim"),))] == 0
    assert ("hotline_handler_errors_total", ()) in found
    # Counts only: nobody's id, name or words.
    for private in (str(parent.id), "王小明", "wxm_private", "英语"):
        assert private not in metrics.text


async def test_the_webhook_server_serves_them_on_its_own_port(
    emu: BotApiEmulator, tmp_path: Path
) -> None:
    config = webhook_config(tmp_path, emu)
    port = config.telegram.webhook.port
    async with serving_webhook(build_application(config), config):
        assert (await get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        ready = await get(f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 200, ready.text
        parsed = samples((await get(f"http://127.0.0.1:{port}/metrics")).text)
        assert parsed[("hotline_database_up", ())] == 1


class Cable:
    """A TCP forwarder between the bot and PostgreSQL that can be cut, as a network would."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def __aenter__(self) -> Cable:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cut()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers += [writer, up_writer]
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()


@pytest.fixture
def backend() -> str:
    if not POSTGRESQL_URL:
        pytest.skip("needs PostgreSQL (TEST_POSTGRESQL_URL)")
    return "postgresql"


@contextlib.asynccontextmanager
async def through(cable_for: str) -> AsyncIterator[tuple[Cable, str]]:
    parts = urlsplit(cable_for)
    async with Cable(parts.hostname or "127.0.0.1", parts.port or 5432) as cable:
        user = f"{parts.username}@" if parts.username else ""
        yield cable, parts._replace(netloc=f"{user}127.0.0.1:{cable.port}").geturl()


async def test_readiness_goes_unready_when_the_database_is_unreachable(
    emu: BotApiEmulator, tmp_path: Path, database_url: str
) -> None:
    async with through(database_url) as (cable, cabled_url):
        config = with_monitoring(make_config(tmp_path, emu))
        config = replace(config, storage=replace(config.storage, url=cabled_url))
        async with bot_running(emu, config):
            assert (await answered_when_up(url(config, "/readyz"))).status_code == 200
            await cable.cut()
            unready = await get(url(config, "/readyz"))
            assert unready.status_code == 503
            assert unready.json()["checks"]["database"].startswith("unreachable")
            assert (await get(url(config, "/healthz"))).status_code == 200  # alive all the same
            down = samples((await get(url(config, "/metrics"))).text)
            assert down[("hotline_database_up", ())] == 0
