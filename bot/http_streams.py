"""The Bot API's connections on asyncio's own transports, for httpcore's connection pool.

httpcore reaches asyncio through anyio, whose layers cost about a tenth of the bot's CPU per
reply: a cancel scope around every read and write, and the socket's attributes rebuilt as a
dict (a getpeername call among them) each time the pool asks whether an idle connection was
closed, which it asks of every connection on every request. Here a read is a wait on a
buffer the transport fills, and "closed while idle" is a flag the transport sets.
"""

# httpcore's interface passes each call its timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Coroutine, Iterable
from typing import Any

import httpcore

# As httpcore's own backends take them (setsockopt's argument forms).
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


# What httpcore asks of a stream, by the name asyncio's transports give it.
_TRANSPORT_INFO = {
    "ssl_object": "ssl_object",
    "client_addr": "sockname",
    "server_addr": "peername",
    "socket": "socket",
}


class _Wire(asyncio.Protocol):
    """What the transport hands over: bytes received, the end of them, and write pressure."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.ended = False  # the server closed its side, or the connection was lost
        self.lost: Exception | None = None
        self._arrival: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += data
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.lost = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def arrival(self) -> None:
        """Return once there are bytes to read or there will be none."""
        while not self.received and not self.ended:
            self._arrival = asyncio.get_running_loop().create_future()
            await self._arrival

    async def drained(self) -> None:
        if self._writable is not None:
            await asyncio.shield(self._writable)

    def _wake(self) -> None:
        waiter, self._arrival = self._arrival, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, wire: _Wire) -> None:
        self._transport = transport
        self._wire = wire

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        wire = self._wire
        try:
            async with asyncio.timeout(timeout):
                await wire.arrival()
        except TimeoutError as exc:
            raise httpcore.ReadTimeout("no answer in time") from exc
        if wire.received:
            chunk = bytes(wire.received[:max_bytes])
            del wire.received[:max_bytes]
            return chunk
        if wire.lost is not None:
            raise httpcore.ReadError(str(wire.lost)) from wire.lost
        return b""  # the server closed the connection

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        try:
            async with asyncio.timeout(timeout):
                await self._wire.drained()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("could not send in time") from exc

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._wire, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("TLS handshake took too long") from exc
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        assert isinstance(transport, asyncio.Transport)
        return AsyncioStream(transport, self._wire)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # asked of idle connections: anything now means it is over
            return bool(self._wire.received) or self._wire.ended
        name = _TRANSPORT_INFO.get(info)
        return None if name is None else self._transport.get_extra_info(name)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        opening = loop.create_connection(_Wire, host, port, local_addr=local)
        return await _connected(opening, f"{host}:{port}", timeout, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        opening = asyncio.get_running_loop().create_unix_connection(_Wire, path)
        return await _connected(opening, path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connected(
    opening: Coroutine[Any, Any, tuple[asyncio.BaseTransport, _Wire]],
    where: str,
    timeout: float | None,
    socket_options: Iterable[SocketOption] | None,
) -> AsyncioStream:
    try:
        async with asyncio.timeout(timeout):
            transport, wire = await opening
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"could not connect to {where} in time") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc)) from exc
    sock = transport.get_extra_info("socket")
    for option in socket_options or ():
        sock.setsockopt(*option)
    assert isinstance(transport, asyncio.Transport)
    return AsyncioStream(transport, wire)
