"""The composition root: the one place that wires config, services and handlers together.

Production (``python -m bot run``), the offline emulator mode and every test build the bot
through :func:`build_application`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
import urllib.request
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import httpcore
import httpx
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)

# PTB's own types for "a timeout, or use the default" (a BaseRequest's signature takes them).
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    TypeHandler,
)
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.background import Background
from bot.bot_data import BotData
from bot.config import Config
from bot.front_door import replay_left_behind, replay_unfinished
from bot.http_streams import AsyncioBackend
from bot.i18n import LANGUAGES, text
from bot.services import open_services
from bot.store.base import StoreError
from bot.updates.queue import UpdateQueue
from handlers import (
    delivery,
    duty,
    errors,
    gatekeepers,
    groups,
    inspector,
    parent,
    registry,
    reporter,
    staff,
    teach,
)
from handlers.context import HotlineContext
from handlers.staff_menus import GROUP_COMMANDS, PRIVATE_COMMANDS, publish_all

log = logging.getLogger(__name__)

# Transient failures (5xx, dropped connections, timeouts) are retried this often, backing off.
NETWORK_RETRIES = 4
NETWORK_BACKOFF_SECONDS = 0.5
# What a Bot API call returns (PTB's own alias lives in a private module).
JSONDict = dict[str, Any]
# Updates that may wait (for their chat's turn) per update actually being handled.
QUEUED_PER_SLOT = 16
JSON_HEADERS = {"User-Agent": HTTPXRequest.USER_AGENT, "Content-Type": "application/json"}
JSON_HEADER_LINES = [(name.encode(), value.encode()) for name, value in JSON_HEADERS.items()]
# httpx's default, which PTB's requests keep: an idle connection is closed after this long.
KEEPALIVE_SECONDS = 5.0
# What a call through httpx or httpcore raises when the Bot API cannot be reached or spoken to.
NETWORK_FAILURES = (
    httpx.HTTPError,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)
# PTB's default for the bot's (not getUpdates') connections.
CONNECTION_POOL_SIZE = 256


class RetryingRateLimiter(AIORateLimiter):
    """Telegram's rate limits plus retries on transient network errors.

    AIORateLimiter retries only 429 RetryAfter; a 502 or a timeout would otherwise lose the
    reply. BadRequest is a NetworkError subclass but final (the request itself is wrong).
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        for attempt in range(NETWORK_RETRIES + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt == NETWORK_RETRIES:
                    raise
                delay = NETWORK_BACKOFF_SECONDS * 2**attempt
                log.warning(
                    "%s failed (%s); retry %d in %.1fs",
                    endpoint,
                    type(exc).__name__,
                    attempt + 1,
                    delay,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


class JsonBodyRequest(HTTPXRequest):
    """Bot API calls without files sent as one JSON body instead of PTB's form: one
    ``json.dumps`` instead of one per parameter, and Chinese text as UTF-8 rather than
    percent-encoded ``\\uXXXX`` escapes (a reply's body was several times its text).
    Calls with files keep PTB's multipart form.

    JSON calls go straight to httpcore's connection pool: httpx's own layers (URL merging,
    cookies, redirects, auth, event hooks), none of which the Bot API needs, cost a sixth of a
    call. Behind a proxy named in the environment (which httpx honours, httpcore not) they
    go through httpx."""

    def __init__(self, connection_pool_size: int) -> None:
        super().__init__(connection_pool_size)
        self._direct: httpcore.AsyncConnectionPool | None = None
        if not urllib.request.getproxies():
            self._direct = httpcore.AsyncConnectionPool(
                max_connections=connection_pool_size,
                keepalive_expiry=KEEPALIVE_SECONDS,
                network_backend=AsyncioBackend(),
            )

    async def shutdown(self) -> None:
        if self._direct is not None:
            await self._direct.aclose()
        await super().shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is None or request_data.contains_files:
            return await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        defaults = self._client.timeout
        timeout = {
            "connect": _or_default(connect_timeout, defaults.connect),
            "read": _or_default(read_timeout, defaults.read),
            "write": _or_default(write_timeout, defaults.write),
            "pool": _or_default(pool_timeout, defaults.pool),
        }
        body = _json_body(request_data.parameters)
        try:
            return await self._post_json(method, url, body, timeout)
        except (httpx.PoolTimeout, httpcore.PoolTimeout) as exc:
            raise TimedOut("Pool timeout: every connection is busy; not sent") from exc
        except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
            raise TimedOut from exc
        except NETWORK_FAILURES as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc

    async def _post_json(
        self, method: str, url: str, body: bytes, timeouts: dict[str, float | None]
    ) -> tuple[int, bytes]:
        if self._direct is None:
            response = await self._client.request(
                method, url, headers=JSON_HEADERS, timeout=httpx.Timeout(**timeouts), content=body
            )
            return response.status_code, response.content
        direct = await self._direct.request(
            method,
            url,
            headers=list(JSON_HEADER_LINES),
            content=body,
            extensions={"timeout": timeouts},
        )
        return direct.status, direct.content


def _json_body(parameters: dict[str, Any]) -> bytes:
    text = json.dumps(parameters, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:  # half a surrogate pair: escaped, as in PTB's form
        return json.dumps(parameters, separators=(",", ":")).encode()


def _or_default(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Different chats in parallel, one chat strictly in order (conversations depend on it).

    The chat's lock is taken *before* one of our concurrency slots: a chat with many queued
    messages then waits without holding slots, so other people's replies are not held up
    behind it. (PTB's own semaphore, taken first, is sized to only bound the queued tasks.)
    Instances sharing a database also take the chat's turn there (``shared_turn``), so two
    messages sent at once, delivered to two instances, are still handled one after the other.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates * QUEUED_PER_SLOT)
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        # Evidence files wait their turn to be cleaned (one large image at a time) holding a
        # slot: they get slots of their own, half as many, so a question never waits for them.
        self._file_slots = asyncio.BoundedSemaphore(max(1, max_concurrent_updates // 2))
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[int, int] = defaultdict(int)
        self.shared_turn: Callable[[int], AbstractAsyncContextManager[None]] = _no_turn

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        self._waiting[key] += 1
        try:
            slots = self._file_slots if _carries_file(update) else self._slots
            async with self._locks[key], self.shared_turn(key), slots:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""


class DurableApplication(Application):  # type: ignore[type-arg]
    """Tells the inbox once an update has been through every handler group, whether a
    handler stopped early or not (a handler group placed last would miss those)."""

    async def process_update(self, update: object) -> None:
        started = time.monotonic()
        await super().process_update(update)
        services = self.bot_data.services
        if isinstance(update, Update):
            try:
                await services.inbox.finish(update.update_id)
            except StoreError:
                log.warning(
                    "update %d handled but not marked done; it will be replayed", update.update_id
                )
        services.metrics.update_handled(update, time.monotonic() - started)


def _no_turn(chat_key: int) -> AbstractAsyncContextManager[None]:
    return contextlib.nullcontext()


_FILE_FIELDS = ("photo", "document", "video", "audio", "voice", "video_note", "animation")


def _carries_file(update: object) -> bool:
    message = getattr(update, "effective_message", None)
    return any(getattr(message, field, None) for field in _FILE_FIELDS)


def _chat_key(update: object) -> int:
    chat = getattr(update, "effective_chat", None)
    if chat is not None:
        return int(chat.id)
    user = getattr(update, "effective_user", None)
    return int(user.id) if user is not None else 0


def build_application(config: Config, *, request: BaseRequest | None = None) -> Application:  # type: ignore[type-arg]
    """Build the bot; resources open in post_init and close in post_shutdown."""
    limits = config.telegram.rate_limits
    builder = (
        ApplicationBuilder()
        .application_class(DurableApplication)
        .token(config.telegram.token)
        # Our own poller (bot.polling) records each batch before acknowledging it.
        .updater(None)
        .context_types(ContextTypes(context=HotlineContext, bot_data=BotData))
        .concurrent_updates(PerChatUpdateProcessor(config.telegram.concurrent_updates))
        # The poller fetches more once fewer than the processor lets queue are in hand.
        .update_queue(UpdateQueue(room_below=config.telegram.concurrent_updates * QUEUED_PER_SLOT))
        .rate_limiter(
            RetryingRateLimiter(
                overall_max_rate=limits.overall_per_second,
                group_max_rate=limits.group_per_minute,
                max_retries=limits.max_retries,
            )
        )
        .post_init(_open_services(config))
        .post_stop(_stop_background)
        .post_shutdown(_close_services)
    )
    if config.telegram.base_url:
        builder = builder.base_url(config.telegram.base_url)
    if config.telegram.base_file_url:
        builder = builder.base_file_url(config.telegram.base_file_url)
    builder = builder.request(
        request if request is not None else JsonBodyRequest(CONNECTION_POOL_SIZE)
    )
    # getUpdates has a request object of its own (one connection: one long poll at a time).
    builder = builder.get_updates_request(JsonBodyRequest(1))
    app = builder.build()
    _register_handlers(app)
    return app


# Handler groups run in this order; a handler raising ApplicationHandlerStop ends the update.
# The front door recorded every update before it got here: drop repeats, turn away a flood
# from one sender (counted when it was recorded), read the person's chat state.
INBOX_GROUP = -1
FLOWS_GROUP = 0  # a report or status check in progress takes the reporter's messages
FEATURES_GROUP = 1  # commands, buttons, the FAQ


def _register_handlers(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, gatekeepers.admit_update), INBOX_GROUP)
    # Within a group the first matching handler wins: the inspectors' commands (their
    # "/ask <ticket number> ..." before the parents' "/ask <question>"), the reporters' commands
    # and buttons (and the /start report|status links) come before the parents' /start and
    # free text.
    inspector.register(app, group=FEATURES_GROUP)
    # Staff, groups and the duty rota; /start join-... links come before the reporters' links.
    staff.register(app, group=FEATURES_GROUP)
    groups.register(app, group=FEATURES_GROUP)
    duty.register(app, group=FEATURES_GROUP)
    reporter.register(app, flows_group=FLOWS_GROUP, features_group=FEATURES_GROUP)
    teach.register(app, group=FEATURES_GROUP)
    # "这家机构正规吗?" before the parents' other free text.
    registry.register(app, group=FEATURES_GROUP)
    parent.register(app, group=FEATURES_GROUP)
    # Last in the group: answer any button press nobody above recognised.
    app.add_handler(CallbackQueryHandler(parent.unknown_button), FEATURES_GROUP)
    errors.register(app)


def _open_services(config: Config) -> Callable[[Application], Coroutine[Any, Any, None]]:  # type: ignore[type-arg]
    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        bot_data: BotData = app.bot_data
        services = await open_services(config, clock=bot_data.clock, metrics=bot_data.metrics)
        background = Background(services, delivery.outbox_sender(app.bot, services))
        bot_data.opened(services, background)
        if isinstance(app.update_processor, PerChatUpdateProcessor):
            app.update_processor.shared_turn = services.store.chat_turn
        await _publish_commands(app)
        # Queued before updates arrive, so they are handled before anything newer. The only
        # process on a SQLite file takes every unfinished update; instances sharing PostgreSQL
        # leave the recent ones to whichever instance may still be handling them.
        shared = config.storage.is_postgresql
        stale_after = timedelta(seconds=config.telegram.replay_after_seconds) if shared else None
        background.start(("replay", replay_left_behind(app)))
        await replay_unfinished(app, stale_after=stale_after)

    return post_init


async def _stop_background(app: Application) -> None:  # type: ignore[type-arg]
    # Before shutdown: the outbox dispatcher still needs the bot to finish a send.
    bot_data: BotData = app.bot_data
    if bot_data.is_open:
        await bot_data.background.stop()


async def _close_services(app: Application) -> None:  # type: ignore[type-arg]
    bot_data: BotData = app.bot_data
    services, background = bot_data.closed()
    if background is not None:
        await background.stop()
    if services is not None:
        await services.close()


async def _publish_commands(app: Application) -> None:  # type: ignore[type-arg]
    """Commands per scope and language, so each chat's menu lists only what works there."""
    for language in LANGUAGES:
        code = "" if language == "zh" else language
        for scope, names in (
            (BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS),
            (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
        ):
            commands = [BotCommand(n, text(language, f"command.{n}")) for n in names]
            await app.bot.set_my_commands(commands, scope=scope, language_code=code or None)
    await publish_all(app.bot, app.bot_data.services)


@contextmanager
def start_up_frozen() -> Iterator[None]:
    """What start-up built (the knowledge base, the matcher's indexes, the organisation) lives
    as long as the bot: kept out of the garbage collector's sight while it runs, so a full
    collection walks what updates allocate, not all of that (a pause 5-10 times shorter)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@asynccontextmanager
async def started(app: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The steps ``run_polling`` takes around fetching updates, inside an existing event loop:
    open (post_init), start; at the end, handle what is queued, stop, close."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    try:
        with start_up_frozen():
            yield app
    finally:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
