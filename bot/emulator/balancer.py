"""A round-robin reverse proxy for webhook deliveries, standing in for nginx in front of
several bot instances (tests and ``bench e2e --instances N``).

Like nginx with ``proxy_next_upstream error timeout http_502 http_503 non_idempotent``: a
delivery an instance cannot take (connection refused, no answer, 502/503) is tried on the next
instance before the caller is told it failed.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
UPSTREAM_TIMEOUT_SECONDS = 10.0


class RoundRobinProxy:
    def __init__(self, upstreams: list[str], *, host: str = "127.0.0.1") -> None:
        if not upstreams:
            raise ValueError("a proxy needs at least one upstream")
        self.upstreams = list(upstreams)
        self.delivered: Counter[str] = Counter()  # accepted deliveries per upstream
        self._host = host
        self._next = itertools.cycle(range(len(upstreams)))
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> RoundRobinProxy:
        timeout = aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_SECONDS)
        self._session = aiohttp.ClientSession(timeout=timeout)
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self._host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = request.headers.get("Content-Type", "application/json")
        first = next(self._next)
        for step in range(len(self.upstreams)):
            upstream = self.upstreams[(first + step) % len(self.upstreams)]
            try:
                async with self._session.post(
                    f"{upstream}{request.path_qs}", data=body, headers=headers
                ) as response:
                    payload = await response.read()
                    if response.status in RETRY_STATUSES:
                        continue
                    if response.status < 300:
                        self.delivered[upstream] += 1
                    return web.Response(status=response.status, body=payload)
            except (aiohttp.ClientError, TimeoutError, OSError):
                log.debug("upstream %s unavailable; trying the next", upstream)
        return web.Response(status=502)
