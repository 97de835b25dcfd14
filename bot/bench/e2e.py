"""``bench e2e``: the whole bot under a burst of parents' questions, next to a bare echo bot.

Design: the Bot API emulator and the simulated parents run in this process; each bot runs
alone in a child process (``bot/bench/bot_process.py``) and polls the emulator over HTTP, as
it would poll Telegram. So "peak RSS" and "CPU ms/reply" are the bot process's own, not the
emulator's, and the emulator does not share the bot's event loop (it would with one process).

Both bots get the same burst: ``messages`` questions from ``users`` parents, all queued at once,
drawn from the knowledge base's own questions and phrasings so the matcher does real work.
The real bot is built by ``build_application`` with Telegram's rate limits lifted (the emulator
has none), a temporary database and keys file. The echo bot is bare python-telegram-bot with
the same ``concurrent_updates`` and no rate limiter.

Targets: bot replies/s >= 0.8x the echo bot's; bot peak RSS <= 120 MB; no lost and no
duplicated replies, also with 5% 429 + 2% 502 on sendMessage (``faults=True``, bot only: the
echo bot has no retries and loses those replies by design).

``--instances N --storage URL`` measures the deployment with several instances instead: 1, then
N bot processes in webhook mode behind one URL (``RoundRobinProxy``, standing in for nginx, runs
in this process next to the emulator), sharing one database and one keys file, under the same
burst. The emulator posts updates over ``bot.webhook.MAX_CONNECTIONS`` connections, as Telegram
does, so a chat's questions may be handled out of order; lost and duplicated counts do not
depend on the order. Each run gets a database of its own on the given storage: a fresh
PostgreSQL schema (dropped afterwards), or a fresh SQLite file in a temporary folder next to the
given one (one instance only: a SQLite file serves one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import pickle
import random
import secrets
import socket
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.bench.bot_process import PROTOCOL_PREFIX, BotKind
from bot.bench.report import peak_rss_mb, percentiles, print_table
from bot.config import Config, PrivacyConfig, RateLimitConfig, WebhookConfig
from bot.emulator import BotActivity, BotApiEmulator, FakeUser, inline_buttons
from bot.emulator.balancer import RoundRobinProxy
from bot.kb.loader import load_knowledge_strict
from bot.store.settings import StorageSettings

TOKEN = "1000002:E2E-BENCH"
FAULT_RATE_429 = 0.05
FAULT_RATE_502 = 0.02
# After the last expected reply, how long a late duplicate may still turn up and be counted.
GRACE_SECONDS = 0.3
# Interpreter start, imports, knowledge base and matcher build, database migrations.
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
LOG_TAIL_CHARS = 2000
WEBHOOK_PATH = "telegram"
WEBHOOK_SECRET = "e2e-bench-secret"


@dataclass(frozen=True)
class Burst:
    users: int
    messages: int
    questions: tuple[str, ...]
    faults: bool
    timeout: float
    seed: int
    # Steady load instead of a burst: questions per second, spread evenly (and the bot with
    # the production rate limits of the config, as people would meet it).
    rate: float | None = None


@dataclass
class Measured:
    """One bot's burst, as seen from the emulator plus the bot process's own report."""

    replies_per_s: float
    latencies_ms: list[float]
    lost: int
    duplicated: int
    answered: int
    emulator_busy: float  # share of the burst's wall time this process spent on the CPU
    # Each bot process's cpu_s, ready_rss_mb, peak_rss_mb and handler_errors.
    processes: list[dict[str, float]]
    faults: dict[str, int]


def bench_e2e(
    config: Config,
    *,
    users: int = 200,
    messages: int = 2000,
    faults: bool = False,
    timeout: float = 300.0,
    seed: int = 7,
    instances: int | None = None,
    storage: str | None = None,
    rate: float | None = None,
) -> dict[str, float]:
    """Run the benchmark, print its table and return the figures: the bot next to the echo
    bot or, with ``instances`` or ``storage``, 1 then ``instances`` instances on ``storage``.
    With ``rate``, ``messages`` questions arrive at ``rate`` per second instead of at once."""
    if instances is None and storage is None:
        figures = asyncio.run(
            run_e2e_benchmark(
                config,
                users=users,
                messages=messages,
                faults=faults,
                timeout=timeout,
                seed=seed,
                rate=rate,
            )
        )
        title = "bench e2e (each bot polls the emulator from its own process; RSS/CPU: the bot's)"
        if rate is not None:
            title += f"; steady {rate:g} questions/s, the bot with its production rate limits"
    else:
        count, url = instances or 1, storage or config.storage.url
        runs = run_instances_benchmark(
            config,
            instances=count,
            storage=url,
            users=users,
            messages=messages,
            faults=faults,
            timeout=timeout,
            seed=seed,
        )
        figures = asyncio.run(runs)
        title = instances_title(count, url)
    if faults:
        title += f"; faults: {FAULT_RATE_429:.0%} 429 + {FAULT_RATE_502:.0%} 502 on sendMessage"
    print_table(title, figures)
    return figures


async def run_e2e_benchmark(
    config: Config,
    *,
    users: int = 200,
    messages: int = 2000,
    faults: bool = False,
    timeout: float = 300.0,  # noqa: ASYNC109 - a deadline for the last reply, not for one call
    seed: int = 7,
    rate: float | None = None,
) -> dict[str, float]:
    """The bot, then (without faults) the echo bot, under the same burst (or steady load, at
    ``rate`` questions per second); figures by name."""
    questions = parent_questions(config, seed)
    burst = Burst(users, messages, questions, faults, timeout, seed, rate)
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as folder:
        bot = await measure_burst("bot", config, burst, Path(folder))
        echo = None if faults else await measure_burst("echo", config, burst, Path(folder))
    figures: dict[str, float] = {"users": users, "messages": messages}
    figures |= side_figures("bot", bot)
    figures["bot answered %"] = 100 * bot.answered / max(1, len(bot.latencies_ms))
    if faults:
        figures["bot 429s injected"] = bot.faults.get("429", 0)
        figures["bot 502s injected"] = bot.faults.get("502", 0)
    if echo is not None:
        figures |= side_figures("echo", echo)
        figures |= comparison(figures, steady=rate is not None)
    figures["emulator+parents peak RSS MB"] = peak_rss_mb()
    return figures


def comparison(figures: dict[str, float], *, steady: bool) -> dict[str, float]:
    """The bot next to the echo bot: under a burst throughput counts, under steady load the
    wait people feel; CPU per reply either way."""

    def ratio(name: str) -> float:
        return figures[f"bot {name}"] / max(figures[f"echo {name}"], 1e-9)

    compared = {"bot/echo CPU ms/reply": ratio("CPU ms/reply")}
    if steady:
        compared["bot/echo p99 ms"] = ratio("p99 ms")
    else:
        compared["bot/echo replies/s"] = ratio("replies/s")
    return compared


def parent_questions(config: Config, seed: int) -> tuple[str, ...]:
    """Every question and phrasing in the knowledge base, shuffled: what parents really ask."""
    kb = load_knowledge_strict(list(config.knowledge_paths))
    pool = [e.question.zh for e in kb.entries.values()]
    pool += [e.question.en for e in kb.entries.values() if e.question.en]
    pool += [p for e in kb.entries.values() for p in e.phrasings]
    random.Random(seed).shuffle(pool)
    return tuple(pool)


def side_figures(name: str, measured: Measured) -> dict[str, float]:
    """One side's figures; with several processes, CPU and errors are summed over them all and
    RSS is the largest process's."""
    replies = max(1, len(measured.latencies_ms))
    latency = percentiles(measured.latencies_ms, (50, 99))
    processes = measured.processes
    return {
        f"{name} replies/s": measured.replies_per_s,
        f"{name} p50 ms": latency[50],
        f"{name} p99 ms": latency[99],
        f"{name} lost": measured.lost,
        f"{name} duplicated": measured.duplicated,
        f"{name} handler errors": int(sum(p["handler_errors"] for p in processes)),
        f"{name} CPU ms/reply": 1000 * sum(p["cpu_s"] for p in processes) / replies,
        f"{name} emulator busy %": 100 * measured.emulator_busy,
        f"{name} peak RSS before burst MB": max(p["ready_rss_mb"] for p in processes),
        f"{name} peak RSS MB": max(p["peak_rss_mb"] for p in processes),
    }


async def measure_burst(kind: BotKind, config: Config, burst: Burst, folder: Path) -> Measured:
    """A fresh emulator, the bot in a child process, the burst, then every reply accounted for."""
    async with BotApiEmulator(token=TOKEN) as emu:
        parents, tracker = audience(emu, burst)
        limited = burst.rate is not None  # people meet the production rate limits
        bot_config = bench_config(config, emu, folder / kind, rate_limits=limited)
        settings = write_settings(bot_config, folder / kind)
        child = BotProcess(kind, settings, folder / f"{kind}.log")
        return await burst_between(emu, parents, burst, tracker, [child])


def audience(emu: BotApiEmulator, burst: Burst) -> tuple[list[FakeUser], ReplyTracker]:
    """The parents who ask, and the tracker that hears every reply the emulator gets."""
    if burst.faults:
        emu.set_fault_rate(
            "sendMessage", rate_429=FAULT_RATE_429, rate_5xx=FAULT_RATE_502, seed=burst.seed
        )
    parents = [emu.user(first_name=f"家长{n}") for n in range(burst.users)]
    tracker = ReplyTracker()
    # Listens until the emulator closes: every measurement gets an emulator of its own.
    emu.add_listener(tracker.on_activity)
    return parents, tracker


async def burst_between(
    emu: BotApiEmulator,
    parents: list[FakeUser],
    burst: Burst,
    tracker: ReplyTracker,
    children: Sequence[BotProcess],
) -> Measured:
    """Start the bot processes one after the other, send the burst, stop them all."""
    try:
        for child in children:
            await child.start()
        cpu_before = time.process_time()
        await send_burst(emu, parents, burst, tracker)
        await tracker.wait_for_replies(burst.timeout)
        busy = (time.process_time() - cpu_before) / max(tracker.elapsed, 1e-9)
        await asyncio.sleep(GRACE_SECONDS)
    finally:
        figures = await stop_all(children)
    return tracker.measured(busy, figures, emu.fault_count)


async def stop_all(children: Sequence[BotProcess]) -> list[dict[str, float]]:
    """Every process that started stopped (together), then the first failure raised."""
    started = [child for child in children if child.started]
    results = await asyncio.gather(*(child.stop() for child in started), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [result for result in results if not isinstance(result, BaseException)]


def bench_config(
    config: Config, emu: BotApiEmulator, folder: Path, *, rate_limits: bool = False
) -> Config:
    """The caller's config pointed at the emulator, unthrottled (unless ``rate_limits``), with
    throwaway storage."""
    folder.mkdir(parents=True, exist_ok=True)
    limits = RateLimitConfig(
        overall_per_second=0,
        group_per_minute=0,
        max_retries=config.telegram.rate_limits.max_retries,
    )
    if rate_limits:
        limits = config.telegram.rate_limits
    telegram = replace(
        config.telegram,
        token=TOKEN,
        base_url=emu.base_url,
        base_file_url=emu.base_file_url,
        rate_limits=limits,
    )
    return replace(
        config,
        telegram=telegram,
        storage=replace(config.storage, url=f"sqlite:///{folder / 'hotline.sqlite3'}"),
        privacy=PrivacyConfig(keys_file=str(folder / "keys.json")),
    )


def write_settings(config: Config, folder: Path) -> Path:
    # Pickle keeps the frozen dataclasses exactly as built; only our own child reads it.
    path = folder / "config.pickle"
    path.write_bytes(pickle.dumps(config))
    return path


# -- several instances behind one webhook URL -----------------------------------------------


def instances_title(instances: int, storage: str) -> str:
    shown = StorageSettings(url=storage).safe_url
    counts = "1 instance" if instances == 1 else f"1 and {instances} instances"
    return (
        f"bench e2e: {counts} in webhook mode behind one URL (round-robin proxy), storage"
        f" {shown} (RSS/CPU are the instances'; the proxy runs in the emulator's process)"
    )


def refusal(storage: str, instances: int) -> str | None:
    """Why ``instances`` cannot share ``storage``, or None if they can."""
    if instances > 1 and StorageSettings(url=storage).is_sqlite:
        return (
            f"--instances {instances} needs PostgreSQL (--storage postgresql://...):"
            " a SQLite file serves one bot process only"
        )
    return None


async def run_instances_benchmark(
    config: Config,
    *,
    instances: int,
    storage: str,
    users: int = 200,
    messages: int = 2000,
    faults: bool = False,
    timeout: float = 300.0,  # noqa: ASYNC109 - a deadline for the last reply, not for one call
    seed: int = 7,
) -> dict[str, float]:
    """1 instance, then ``instances`` sharing one database, under the same burst; figures by
    name, each instance count's figures prefixed "1 instance", "2 instances" ..."""
    problem = refusal(storage, instances)
    if problem is not None:
        raise ValueError(problem)
    settings = replace(config.storage, url=storage)
    burst = Burst(users, messages, parent_questions(config, seed), faults, timeout, seed)
    figures: dict[str, float] = {"users": users, "messages": messages}
    rates: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as folder:
        for count in instance_counts(instances):
            name = instances_label(count)
            run_folder = Path(folder) / name.replace(" ", "-")
            measured, delivered = await measure_instances(
                config, settings, count, burst, run_folder
            )
            figures |= fleet_figures(name, measured, delivered)
            rates.append(measured.replies_per_s)
    if len(rates) > 1:
        figures[f"{instances_label(instances)}/1 instance replies/s"] = rates[-1] / max(
            rates[0], 1e-9
        )
    figures["emulator+proxy+parents peak RSS MB"] = peak_rss_mb()
    return figures


def instance_counts(instances: int) -> tuple[int, ...]:
    """One instance first, as the yardstick for several."""
    return (1,) if instances == 1 else (1, instances)


def instances_label(count: int) -> str:
    return "1 instance" if count == 1 else f"{count} instances"


def fleet_figures(name: str, measured: Measured, delivered: list[int]) -> dict[str, float]:
    """The side's figures, then how many deliveries each instance took and its peak RSS."""
    figures = side_figures(name, measured)
    figures[f"{name} answered %"] = 100 * measured.answered / max(1, len(measured.latencies_ms))
    if measured.faults:
        figures[f"{name} 429s injected"] = measured.faults.get("429", 0)
        figures[f"{name} 502s injected"] = measured.faults.get("502", 0)
    for number, (process, count) in enumerate(zip(measured.processes, delivered, strict=True), 1):
        figures[f"{name} #{number} deliveries"] = count
        figures[f"{name} #{number} peak RSS MB"] = process["peak_rss_mb"]
    return figures


async def measure_instances(
    config: Config, storage: StorageSettings, count: int, burst: Burst, folder: Path
) -> tuple[Measured, list[int]]:
    """A fresh emulator and database, ``count`` instances behind the proxy, the burst; also
    the deliveries each instance accepted."""
    upstreams = [f"http://127.0.0.1:{free_port()}" for _ in range(count)]
    async with (
        BotApiEmulator(token=TOKEN) as emu,
        own_database(storage, config) as database_url,
        RoundRobinProxy(upstreams) as proxy,
    ):
        parents, tracker = audience(emu, burst)
        # One config for all, so one keys file: the first instance creates it.
        shared = replace(
            bench_config(config, emu, folder), storage=replace(storage, url=database_url)
        )
        children = [
            instance_process(shared, proxy.url, upstream, folder / f"instance-{number}")
            for number, upstream in enumerate(upstreams, 1)
        ]
        measured = await burst_between(emu, parents, burst, tracker, children)
        return measured, [proxy.delivered[upstream] for upstream in upstreams]


def instance_process(shared: Config, proxy_url: str, upstream: str, folder: Path) -> BotProcess:
    """One instance serving ``upstream``'s port, telling Telegram to post to the proxy."""
    folder.mkdir(parents=True, exist_ok=True)
    webhook = WebhookConfig(
        listen="127.0.0.1",
        port=urlsplit(upstream).port or 0,
        url=f"{proxy_url}/{WEBHOOK_PATH}",
        path=WEBHOOK_PATH,
        secret_token=WEBHOOK_SECRET,
    )
    config = replace(shared, telegram=replace(shared.telegram, mode="webhook", webhook=webhook))
    return BotProcess("bot", write_settings(config, folder), folder / "bot.log")


@contextlib.asynccontextmanager
async def own_database(storage: StorageSettings, config: Config) -> AsyncIterator[str]:
    """A database of the benchmark's own on ``storage``, gone afterwards, even after a failure."""
    if storage.is_postgresql:
        async with own_schema(storage.url) as url:
            yield url
        return
    # Next to the given file (the same disk), which itself is left alone.
    folder = config.resolve(str(storage.sqlite_path.parent))
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-e2e-", dir=folder) as own:
        yield f"sqlite:///{Path(own) / 'hotline.sqlite3'}"  # absolute, as the config's folder is


@contextlib.asynccontextmanager
async def own_schema(url: str) -> AsyncIterator[str]:
    """A fresh schema in the database at ``url``, dropped with all it holds at the end."""
    schema = f"bench_{secrets.token_hex(8)}"
    await execute_once(url, f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(url, schema)
    finally:
        await execute_once(url, f"DROP SCHEMA {schema} CASCADE")


async def execute_once(url: str, statement: str) -> None:
    # Imported here: the default run's own memory figure stays without asyncpg. A connection
    # per statement, as the run in between may outlast an idle connection.
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def with_search_path(url: str, schema: str) -> str:
    """``url`` choosing ``schema``: asyncpg passes unknown query parameters on as settings."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "search_path"]
    return parts._replace(query=urlencode([*query, ("search_path", schema)])).geturl()


def free_port() -> int:
    # Free now; the instance binds it a moment later, and nothing else here takes ports.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def send_burst(
    emu: BotApiEmulator, parents: list[FakeUser], burst: Burst, tracker: ReplyTracker
) -> None:
    """Queue every question at once, parents taking turns, as fast as the emulator accepts;
    or, with ``burst.rate``, one every 1/rate seconds on a fixed schedule (a late one does
    not push the next back)."""
    tracker.start()
    loop = asyncio.get_running_loop()
    began = loop.time()
    for number in range(burst.messages):
        if burst.rate is not None:
            await asyncio.sleep(max(0.0, began + number / burst.rate - loop.time()))
        parent = parents[number % len(parents)]
        message = await emu.send_text(parent, burst.questions[number % len(burst.questions)])
        tracker.asked(int(message["chat"]["id"]))


class ReplyTracker:
    """Pairs each reply with the oldest unanswered question in its chat, timing both here.

    A polling bot handles a chat's updates in order, so for it the pairing is exact. The echo
    bot, and bots whose updates arrive over several webhook connections, may answer one chat's
    questions out of order; that moves latency between that chat's questions but changes
    neither the total, nor the lost and duplicated counts.
    """

    def __init__(self) -> None:
        self.latencies: list[float] = []  # ms, one per answered question
        self.duplicated = 0
        self.answered = 0
        self.started = 0.0
        self.last_reply = 0.0
        self._waiting: defaultdict[int, deque[float]] = defaultdict(deque)
        self._unanswered = 0
        self._all_answered = asyncio.Event()

    @property
    def elapsed(self) -> float:
        """From the first question queued to the last reply that answered one."""
        return max(0.0, self.last_reply - self.started)

    def start(self) -> None:
        self.started = time.perf_counter()

    def asked(self, chat_id: int) -> None:
        self._waiting[chat_id].append(time.perf_counter())
        self._unanswered += 1

    def on_activity(self, activity: BotActivity) -> None:
        """Emulator listener: runs inside sendMessage, so the time is when the reply arrived."""
        if activity.kind != "sent":
            return
        now = time.perf_counter()
        waiting = self._waiting.get(activity.chat_id)
        if not waiting:
            self.duplicated += 1
            return
        self.latencies.append((now - waiting.popleft()) * 1000)
        self.last_reply = now
        self._unanswered -= 1
        self.answered += is_full_answer(activity.payload)
        if not self._unanswered:
            self._all_answered.set()

    async def wait_for_replies(self, seconds: float) -> None:
        """Until every question has a reply, or ``seconds`` pass (the rest count as lost)."""
        if self._unanswered:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_answered.wait(), seconds)

    def measured(
        self, busy: float, processes: list[dict[str, float]], faults: dict[str, int]
    ) -> Measured:
        return Measured(
            replies_per_s=len(self.latencies) / max(self.elapsed, 1e-9),
            latencies_ms=self.latencies,
            lost=self._unanswered,
            duplicated=self.duplicated,
            answered=self.answered,
            emulator_busy=busy,
            processes=processes,
            faults=faults,
        )


def is_full_answer(message: dict[str, object]) -> bool:
    """A knowledge-base answer carries 👍/👎 buttons; "did you mean" and "no match" do not."""
    return any(
        str(button.get("callback_data", "")).startswith("fb:up:")
        for button in inline_buttons(message)
    )


class BotProcess:
    """One bot taking updates from the emulator (polling, or its webhook) in a child process,
    stopped by closing its stdin."""

    def __init__(self, kind: BotKind, settings: Path, log: Path) -> None:
        self.kind = kind
        self.settings = settings
        self.log = log
        self._process: asyncio.subprocess.Process | None = None
        self._ready: dict[str, float] = {}

    @property
    def started(self) -> bool:
        """Reported ready (a process whose start failed has been killed already)."""
        return bool(self._ready)

    async def start(self) -> None:
        """Returns once the bot takes updates, so start-up is not part of the burst's timing."""
        with self.log.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.bench.bot_process",
                self.kind,
                str(self.settings),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        try:
            ready = await asyncio.wait_for(self._next_report(), START_TIMEOUT_SECONDS)
        except BaseException:
            await self._kill()
            raise
        self._ready = ready

    async def stop(self) -> dict[str, float]:
        """The bot's CPU seconds since it was ready, its peak RSS before the burst
        (``ready_rss_mb``) and overall, and its handler errors."""
        process = self._require_process()
        try:
            assert process.stdin is not None
            process.stdin.close()
            final = await asyncio.wait_for(self._next_report(), STOP_TIMEOUT_SECONDS)
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
        finally:
            await self._kill()
        final["cpu_s"] -= self._ready["cpu_s"]
        final["ready_rss_mb"] = self._ready["peak_rss_mb"]
        return final

    async def _next_report(self) -> dict[str, float]:
        process = self._require_process()
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace")
            if line.startswith(PROTOCOL_PREFIX):
                return dict(json.loads(line.removeprefix(PROTOCOL_PREFIX)))
        await process.wait()
        raise RuntimeError(
            f"the {self.kind} process exited with {process.returncode}:\n{self._log_tail()}"
        )

    async def _kill(self) -> None:
        process = self._require_process()
        if process.returncode is None:
            process.kill()
            await process.wait()

    def _require_process(self) -> asyncio.subprocess.Process:
        if self._process is None:
            raise RuntimeError("BotProcess.start() has not been awaited")
        return self._process

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-LOG_TAIL_CHARS:]
