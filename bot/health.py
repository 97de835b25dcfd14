"""``GET /healthz``, ``/readyz`` and ``/metrics``: on the webhook server, and on
``monitoring.port`` when one is set (polling mode has no server of its own otherwise).

- ``/healthz``: the process answers (its event loop is not stuck).
- ``/readyz``: the database answers, its migrations are this code's, and the outbox is not
  stuck (no message due for longer than ``monitoring.outbox_stuck_seconds``). 503 otherwise,
  with what failed.
- ``/metrics``: see :mod:`bot.metrics`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from aiohttp import web

from bot.config import Config
from bot.metrics import CONTENT_TYPE, Metrics
from bot.store.base import OperationsFigures, Store
from bot.store.migrate import known_migrations

log = logging.getLogger(__name__)

# A database that has not answered in this long is as good as unreachable for a probe.
PROBE_TIMEOUT_SECONDS = 5.0


class Monitored(Protocol):
    """What the probes read of the running bot (:class:`bot.services.Services` is one; it
    starts the monitoring server, so this module names only what it needs)."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> Store: ...

    @property
    def metrics(self) -> Metrics: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


def monitoring_routes(services: Monitored) -> list[web.RouteDef]:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(request: web.Request) -> web.Response:
        checks = await readiness(services)
        ready = all(ok for ok, _ in checks.values())
        body = {"ready": ready, "checks": {name: text for name, (_, text) in checks.items()}}
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=200 if ready else 503,
            content_type="application/json",
        )

    async def metrics(request: web.Request) -> web.Response:
        await _refresh(services)
        return web.Response(
            body=services.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE}
        )

    return [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", metrics)]


async def readiness(services: Monitored) -> dict[str, tuple[bool, str]]:
    checks: dict[str, tuple[bool, str]] = {}
    expected = len(known_migrations())
    try:
        version = await asyncio.wait_for(services.store.schema_version(), PROBE_TIMEOUT_SECONDS)
    except Exception as exc:
        checks["database"] = (False, f"unreachable ({type(exc).__name__})")
        return checks
    checks["database"] = (True, "reachable")
    current = version == expected
    checks["migrations"] = (current, f"at {version:04d}, this code's latest is {expected:04d}")
    figures = await _refresh(services)
    if figures is None:
        checks["outbox"] = (False, "could not be read")
        return checks
    limit = services.config.monitoring.outbox_stuck_seconds
    oldest = figures.outbox_oldest_due_at
    waited = 0.0 if oldest is None else (services.clock() - oldest).total_seconds()
    checks["outbox"] = (
        waited <= limit,
        f"{figures.outbox_due} due, the oldest for {waited:.0f} s (stuck after {limit} s)",
    )
    return checks


async def _refresh(services: Monitored) -> OperationsFigures | None:
    try:
        return await asyncio.wait_for(
            services.metrics.refresh(services.store, services.clock()), PROBE_TIMEOUT_SECONDS
        )
    except TimeoutError:
        return None


async def serve_monitoring(services: Monitored) -> None:
    """``monitoring.listen:port`` until the bot stops (a background task of the services)."""
    settings = services.config.monitoring
    server = web.Application()
    server.add_routes(monitoring_routes(services))
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.listen, settings.port).start()
        log.info("monitoring on http://%s:%d/metrics", settings.listen, settings.port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
