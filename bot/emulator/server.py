"""BotApiEmulator: a local HTTP server that answers like api.telegram.org.

Point python-telegram-bot at it with ``ApplicationBuilder().base_url(emu.base_url)
.base_file_url(emu.base_file_url)``; drive it with the user-side methods (send_text,
press_button ...) and read what the bot did (messages, wait_for_messages, requests).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Collection
from types import TracebackType
from typing import Any, Self

from aiohttp import web

# Importing the method modules fills the method registry.
from bot.emulator import api_messages, api_service  # noqa: F401
from bot.emulator.api import ApiContext, ApiResult, find_method
from bot.emulator.faults import SERVER_ERROR_TEXTS, Fault, FaultKind, FaultPlan
from bot.emulator.params import MAX_REQUEST_BYTES, ApiError, Params, read_params
from bot.emulator.state import EmulatorState, JsonDict
from bot.emulator.updates import FIRST_UPDATE_ID, UpdateQueue
from bot.emulator.users import UserSimulation

logger = logging.getLogger(__name__)

_UNAUTHORIZED = ApiError(401, "Unauthorized")
_NOT_FOUND = ApiError(404, "Not Found")


def _json_response(body: JsonDict, status: int = 200) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    # Half a surrogate pair (a client's bug, passed on as Telegram does) has no UTF-8 form:
    # such a body goes out with escapes.
    return web.Response(body=_utf8(text, body), status=status, content_type="application/json")


def _utf8(text: str, body: JsonDict) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":")).encode("ascii")


def _error_response(error: ApiError) -> web.Response:
    return _json_response(error.to_json(), status=error.code)


class BotApiEmulator(UserSimulation):
    """An offline Telegram Bot API for one bot, with simulated users and scripted faults."""

    def __init__(
        self,
        token: str = "123:TEST",
        bot_username: str = "shuangjian_bot",
        *,
        bot_first_name: str = "双减热线",
        strict_html: bool = True,
        group_privacy: bool = True,
        first_update_id: int = FIRST_UPDATE_ID,
    ) -> None:
        """
        ``strict_html`` also rejects a bare "&" (Telegram shows it literally) so that text
        that was never escaped is caught. ``group_privacy`` delivers group messages as
        Telegram does for bots in privacy mode: commands, replies to the bot, mentions.
        ``first_update_id``: where update ids start (Telegram's keep growing across restarts).
        """
        bot_id, _, _ = token.partition(":")
        self.token = token
        self.bot_username = bot_username
        self.group_privacy = group_privacy
        self.state = EmulatorState(
            {
                "id": int(bot_id) if bot_id.isdigit() else 123,
                "is_bot": True,
                "first_name": bot_first_name,
                "username": bot_username,
                "can_join_groups": True,
                "can_read_all_group_messages": not group_privacy,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        self.updates = UpdateQueue(first_update_id)
        self.faults = FaultPlan()
        self.downloads: list[str] = []  # file paths the bot downloaded
        self._context = ApiContext(self.state, self.updates, strict_html)
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._base = ""
        self._init_user_simulation()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api_call)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)
        # Cancelling handlers of dropped connections ends abandoned long polls at once.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self._base = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        self._stopping.set()
        await self.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url``: the client appends the token."""
        return f"{self._require_started()}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url``."""
        return f"{self._require_started()}/file/bot"

    def _require_started(self) -> str:
        if not self._base:
            raise RuntimeError("BotApiEmulator.start() has not been awaited")
        return self._base

    # -- HTTP ----------------------------------------------------------------------------

    async def _handle_api_call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(_UNAUTHORIZED)
        method = find_method(request.match_info["method"])
        if method is None:
            return _error_response(_NOT_FOUND)
        try:
            values = await read_params(request)
            self.state.requests.append((method.name, values))
            fault = self.faults.take(method.name)
            if fault is not None:
                await self._suffer(fault)
            result = await method.handler(self._context, Params(values))
        except ApiError as error:
            return _error_response(error)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # Malformed input the checks above did not foresee: answer like Telegram (400)
            # and keep the traceback visible in the log in case the emulator is at fault.
            logger.warning("%s failed on unexpected parameters", method.name, exc_info=True)
            reason = f"invalid parameters ({exc.__class__.__name__}: {exc})"
            return _error_response(ApiError(400, f"Bad Request: {reason}"))
        if not isinstance(result, ApiResult):
            return _json_response({"ok": True, "result": result})
        body: JsonDict = {"ok": True, "result": result.value}
        if result.description:
            body["description"] = result.description
        return _json_response(body)

    async def _suffer(self, fault: Fault) -> None:
        """Apply an injected fault: raise its error, or wait before going on."""
        if fault.kind == "429":
            raise ApiError(
                429, f"Too Many Requests: retry after {fault.retry_after}", fault.retry_after
            )
        if fault.kind in SERVER_ERROR_TEXTS:
            raise ApiError(int(fault.kind), SERVER_ERROR_TEXTS[fault.kind])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), fault.delay)
        if fault.skips_delivery:
            raise ApiError(504, SERVER_ERROR_TEXTS["504"])

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(_UNAUTHORIZED)
        stored = self.state.files.by_path(request.match_info["file_path"])
        if stored is None:
            return _error_response(_NOT_FOUND)
        self.downloads.append(stored.file_path)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # -- observing and scripting ---------------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, JsonDict]]:
        """Every Bot API call the bot made, failed ones included: (method, parameters)."""
        return self.state.requests

    def calls(self, method: str) -> list[JsonDict]:
        """Parameters of every call of ``method`` (case-insensitive)."""
        wanted = method.lower()
        return [params for name, params in self.state.requests if name.lower() == wanted]

    def fail_next(
        self,
        method: str,
        kind: FaultKind = "429",
        *,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 6.0,
    ) -> None:
        """Script failures; see faults.Fault for what each kind does."""
        self.faults.fail_next(method, kind, times=times, retry_after=retry_after, delay=delay)

    def set_fault_rate(
        self,
        method: str | Collection[str] = "sendMessage",
        *,
        rate_429: float = 0.0,
        rate_5xx: float = 0.0,
        retry_after: int = 1,
        seed: int | None = None,
    ) -> None:
        """Fail a random share of calls of ``method`` (5xx failures are 502 Bad Gateway).

        The share applies per call, drawn from a generator seeded with ``seed``.
        """
        self.faults.set_rate(
            method, rate_429=rate_429, rate_5xx=rate_5xx, retry_after=retry_after, seed=seed
        )

    @property
    def fault_count(self) -> dict[str, int]:
        """Injected failures so far by kind: {"429": 3, "502": 1}."""
        return dict(self.faults.count)

    @property
    def pending_update_count(self) -> int:
        return self.updates.pending_count

    async def wait_until_delivered(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the condition, not for I/O
    ) -> None:
        """Wait until the bot has confirmed (or the webhook accepted) every queued update."""
        await self.updates.wait_until_delivered(timeout)

    def describe(self) -> dict[str, Any]:
        """A summary for debugging a failing test."""
        return {
            "base_url": self._base,
            "pending_updates": self.updates.pending_count,
            "requests": len(self.state.requests),
            "faults": self.fault_count,
            "chats": {chat_id: len(r.bot_messages) for chat_id, r in self.state.chats.items()},
        }
