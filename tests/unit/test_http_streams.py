"""httpcore's pool on asyncio's transports: keep-alive, closed idle connections, timeouts, TLS."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpcore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.http_streams import AsyncioBackend

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0


@asynccontextmanager
async def server(serve: Serve, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        running.connections += 1
        try:
            await serve(reader, writer)
        finally:
            writer.close()

    listening = await asyncio.start_server(counted, "127.0.0.1", 0, ssl=tls)
    running = Server(listening.sockets[0].getsockname()[1])
    async with listening:
        yield running


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return await reader.readexactly(length)


def response(body: bytes, *, close: bool = False) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), connection, body)


async def answers_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Keep-alive: answer every request on the connection with its body's length."""
    while True:
        try:
            body = await read_request(reader)
        except asyncio.IncompleteReadError:
            return
        writer.write(response(str(len(body)).encode()))
        await writer.drain()


async def answers_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer (keep-alive, as far as the client knows), then close the idle connection."""
    await read_request(reader)
    writer.write(response(b"once"))
    await writer.drain()


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await asyncio.sleep(30)


def pool(**options: object) -> httpcore.AsyncConnectionPool:
    return httpcore.AsyncConnectionPool(network_backend=AsyncioBackend(), **options)  # type: ignore[arg-type]


async def post(
    connections: httpcore.AsyncConnectionPool, url: str, body: bytes = b"", read: float = 5
) -> bytes:
    timeouts = {"connect": 5, "read": read, "write": 5, "pool": 5}
    reply = await connections.request("POST", url, content=body, extensions={"timeout": timeouts})
    assert reply.status == 200
    return reply.content


async def test_requests_share_one_kept_alive_connection() -> None:
    async with server(answers_each) as api, pool() as connections:
        url = f"http://127.0.0.1:{api.port}/"
        assert [await post(connections, url, b"x" * n) for n in (3, 0, 5)] == [b"3", b"0", b"5"]
    assert api.connections == 1


async def test_a_body_larger_than_the_transport_buffers_is_sent_whole() -> None:
    body = b"x" * (8 << 20)
    async with server(answers_each) as api, pool() as connections:
        assert await post(connections, f"http://127.0.0.1:{api.port}/", body) == b"8388608"


async def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    async with server(answers_once) as api, pool() as connections:
        url = f"http://127.0.0.1:{api.port}/"
        assert await post(connections, url) == b"once"
        await asyncio.sleep(0.05)  # the server's close arrives while the connection is idle
        assert await post(connections, url) == b"once"
    assert api.connections == 2


async def test_an_unanswered_request_times_out() -> None:
    async with server(never_answers) as api, pool() as connections:
        with pytest.raises(httpcore.ReadTimeout):
            await post(connections, f"http://127.0.0.1:{api.port}/", read=0.2)


async def test_nobody_listening_is_a_connect_error() -> None:
    async with server(answers_each) as api:
        port = api.port  # free again once the server is gone
    async with pool() as connections:
        with pytest.raises(httpcore.ConnectError):
            await post(connections, f"http://127.0.0.1:{port}/")


async def test_https_with_the_servers_certificate_checked(tmp_path: Path) -> None:
    server_tls, trusted = certificates(tmp_path)
    async with server(answers_each, server_tls) as api, pool(ssl_context=trusted) as connections:
        url = f"https://localhost:{api.port}/"
        assert await post(connections, url, b"abc") == b"3"
        assert await post(connections, url, b"") == b"0"
    assert api.connections == 1


async def test_https_to_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    server_tls, _ = certificates(tmp_path)
    untrusting = ssl.create_default_context()  # the system's authorities only
    async with server(answers_each, server_tls) as api, pool(ssl_context=untrusting) as connections:
        with pytest.raises(httpcore.ConnectError):
            await post(connections, f"https://localhost:{api.port}/")


def certificates(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for localhost: the server's context, and a client's trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert_file, key_file)
    client_side = ssl.create_default_context(cafile=str(cert_file))
    return server_side, client_side
