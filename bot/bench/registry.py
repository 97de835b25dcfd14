"""Benchmark: the registry of institutions at 100,000 entries.

A generated list (brand names of two or three characters drawn from common name characters,
registered names with a city, a district and a company-form ending, valid credit codes, one in
ten blacklisted or suspended) is imported through the same code as ``registry import``. Then:

* the index build after the import (what an instance does when it starts);
* name lookups of the ways people write names: the brand, the registered name, traditional
  characters, a homophone typo, a district in front, and names that are not listed;
* parents' questions (a lookup every 5 ms on the event loop) while nothing else happens, then
  while ``python -m bot registry import`` runs in a child process into the same database and
  this process checks the registry's version as a running bot does: first a list with every
  row again and one in ten statuses changed (the index catches up with the changed ones),
  then a list of count / 5 new institutions (too many new names: the index is built afresh).
  Side by side: the lookups' latency, the longest the event loop kept a question waiting, and
  how long from the child's start until the index had the new version.

The targets stand next to the figures: import ≤ 30 s, lookup p99 ≤ 5 ms.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from subprocess import DEVNULL, PIPE

import opencc

from bot.bench.report import peak_rss_mb, percentiles
from bot.config import Config
from bot.registry.importing import COLUMNS, Column, ListDefaults, check_character
from bot.registry.service import Registry
from bot.store.base import StoreError
from bot.store.opening import open_store
from bot.store.settings import StorageSettings

IMPORT_TARGET_S = 30.0
LOOKUP_P99_TARGET_MS = 5.0
LOOKUPS = 3000
DISTRICTS = ("东城区", "西城区", "海淀区", "朝阳区", "丰台区", "石景山区", "通州区", "昌平区")
NAME_CHARACTERS = (
    "博学优才启明星辰跃动未来智慧思源育英华章书香明德致远卓越新航晨光阳光彩虹童心乐学"
    "慧思睿达天行知行弘文尚德励志金榜鸿志远航锦程青苗春蕾朝阳明月清风朗润嘉禾"
)
ENDINGS = ("培训学校有限公司", "教育科技有限公司", "培训中心", "艺术培训学校", "教育咨询有限公司")
KINDS = ("学科类", "文化艺术类", "体育类", "科技类", "非学科类")
# Same sound, another character: the typo a pinyin keyboard makes.
HOMOPHONES = {"学": "雪", "思": "斯", "才": "材", "星": "新", "达": "答", "航": "杭", "远": "源"}
REFRESH_SECONDS = 0.5
# The child import is given up after this long.
MAX_WAIT_S = 300.0
# A parent's question every this often while the figures are taken, for up to this long when
# quiet.
ASK_EVERY_S = 0.005
QUIET_S = 5.0


def generate_list(
    path: Path, count: int, seed: int, *, changed_share: float = 0.0, first_number: int = 0
) -> list[str]:
    """A bureau's list as CSV; returns the brand names, one per institution (numbered from
    ``first_number``: another list of new institutions starts after the first's)."""
    rng = random.Random(seed)
    # Its own dice for the changes, so a changed list names every institution the same way.
    changes = random.Random(seed + 1)
    header = [COLUMNS[c][0] for c in Column]
    brands: list[str] = []
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(first_number, first_number + count):
            brand = "".join(rng.choice(NAME_CHARACTERS) for _ in range(rng.choice((2, 3, 3, 4))))
            brand += str(n)  # one brand per institution, so every lookup has one right answer
            district = DISTRICTS[n % len(DISTRICTS)]
            status = "白名单"
            if rng.random() < 0.1:
                status = rng.choice(("黑名单", "暂停办学", "吊销"))
            if changes.random() < changed_share:
                status = "黑名单" if status == "白名单" else "白名单"
            first = f"9111{n % 10000:04d}MA{n:09d}"[:17]
            values = {
                Column.NAME: f"北京市{district}{brand}{ENDINGS[n % len(ENDINGS)]}",
                Column.ALIASES: brand,
                Column.CREDIT_CODE: first + check_character(first),
                Column.LICENCE_NUMBER: f"教民11{n:010d}号",
                Column.LICENCE_ISSUER: f"{district}教育委员会",
                Column.KIND: KINDS[n % len(KINDS)],
                Column.FORM: "营利性" if n % 3 else "非营利性",
                Column.DISTRICT: district,
                Column.ADDRESS: f"{district}某路{n % 500}号",
                Column.STATUS: status,
                Column.STATUS_SINCE: "2026-03-01",
                Column.STATUS_REASON: "" if status == "白名单" else "无证开展学科类培训",
                Column.SUPERVISED_FEES: "是" if n % 2 else "否",
                Column.SOURCE: f"{district}教委",
                Column.LISTED_ON: "2026-03-15",
            }
            writer.writerow([values[c] for c in Column])
            brands.append(brand)
    return brands


def lookup_queries(brands: list[str], seed: int) -> list[str]:
    """The ways people write names, and a share of names not listed at all."""
    rng = random.Random(seed)
    to_traditional = opencc.OpenCC("s2t")
    queries = []
    for n in range(LOOKUPS):
        brand = rng.choice(brands)
        way = n % 6
        if way == 0:
            queries.append(brand)
        elif way == 1:
            queries.append(f"北京{brand}教育科技有限公司")
        elif way == 2:
            queries.append(to_traditional.convert(brand))
        elif way == 3:
            queries.append("".join(HOMOPHONES.get(c, c) for c in brand))
        elif way == 4:
            queries.append(f"{rng.choice(DISTRICTS)}{brand}")
        else:
            queries.append(f"不存在的{rng.choice(NAME_CHARACTERS)}{n}机构")
    return queries


@asynccontextmanager
async def bench_database(folder: Path, storage: str | None) -> AsyncIterator[str]:
    if storage is None or not StorageSettings(url=storage).is_postgresql:
        yield f"sqlite:///{folder / 'registry.sqlite3'}"
        return
    from bot.bench.e2e import own_schema

    async with own_schema(storage) as url:
        yield url


async def bench_registry(
    config: Config, count: int, *, storage: str | None = None
) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as name:
        folder = Path(name)
        async with bench_database(folder, storage) as url:
            return await _run(config, folder, url, count)


async def _run(config: Config, folder: Path, url: str, count: int) -> dict[str, object]:
    first, update, new = folder / "list.csv", folder / "list-update.csv", folder / "list-new.csv"
    brands = generate_list(first, count, seed=1)
    generate_list(update, count, seed=1, changed_share=0.1)
    generate_list(new, max(1, count // 5), seed=3, first_number=count)
    settings = StorageSettings(url=url)
    store = await open_store(settings, folder)
    figures: dict[str, object] = {
        "institutions": count,
        "database": "PostgreSQL" if settings.is_postgresql else "SQLite",
    }
    try:
        registry = Registry.of(store, config)
        started = time.perf_counter()
        plan = await registry.import_file(first, ListDefaults(), actor="import:bench")
        figures["import s (target ≤ 30)"] = round(time.perf_counter() - started, 2)
        figures["import added"] = len(plan.added)
        started = time.perf_counter()
        await registry.refresh()
        figures["index build s"] = round(time.perf_counter() - started, 2)
        figures["peak RSS MB after build"] = round(peak_rss_mb(), 1)
        queries = lookup_queries(brands, seed=2)
        figures["lookup ms (target p99 ≤ 5)"] = _lookups(registry, queries)
        figures["found share %"] = _found_share(registry, queries)
        # The same parents' questions, quiet and while the CLI imports (one in ten statuses
        # changed; then count / 5 new institutions), side by side.
        quiet_s = min(QUIET_S, max(0.5, count / 20_000))
        figures.update(_named("quiet", await _while_asking(registry, queries, quiet_s)))
        for label, path in (("status import", update), ("new names import", new)):
            during = await _during_import(registry, folder, url, path, queries)
            figures.update(_named(label, during))
    finally:
        await store.close()
    return figures


def _named(label: str, figures: dict[str, object]) -> dict[str, object]:
    return {f"{label}: {name}": value for name, value in figures.items()}


def _lookups(registry: Registry, queries: list[str]) -> dict[str, float]:
    """Wall time (what a parent waits) and this thread's CPU time of each lookup: on a shared
    machine the gap between the two is time the process spent waiting for a CPU."""
    wall, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.thread_time()
        registry.lookup(query)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return {**_spread(wall), "p99 CPU": round(percentiles(cpu, (99,))[99], 3)}


def _spread(samples: list[float]) -> dict[str, float]:
    points = percentiles(samples, (50, 99))
    return {"p50": round(points[50], 3), "p99": round(points[99], 3), "max": round(max(samples), 3)}


def _found_share(registry: Registry, queries: list[str]) -> float:
    """Of the queries naming a listed institution (five in six), the share answered surely."""
    listed = [q for n, q in enumerate(queries) if n % 6 != 5]
    sure = sum(1 for q in listed if registry.lookup(q).sure is not None)
    return round(100 * sure / len(listed), 1)


class _Parents:
    """Parents' questions arriving every ``ASK_EVERY_S`` on the event loop: how long each
    lookup took, and how late each question was taken up. Lateness is the event loop held by
    other work or the process waiting for a CPU: the loop thread's CPU time over the wait (the
    sleep and the lateness) tells them apart."""

    def __init__(self, registry: Registry, queries: list[str]) -> None:
        self._registry, self._queries = registry, queries
        self.lookups: list[tuple[float, float]] = []  # (wall ms, CPU ms)
        self.late: list[tuple[float, float]] = []  # (wall ms, this thread's CPU ms meanwhile)
        self._stop = asyncio.Event()
        self._gc_started = 0.0
        self.gc_pauses = [0.0]  # the garbage collector's passes meanwhile, ms
        gc.callbacks.append(self._collecting)

    def _collecting(self, phase: str, _: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses.append((time.perf_counter() - self._gc_started) * 1000)

    async def ask(self) -> None:
        while not self._stop.is_set():
            due, cpu = time.perf_counter() + ASK_EVERY_S, time.thread_time()
            await asyncio.sleep(ASK_EVERY_S)
            begun, begun_cpu = time.perf_counter(), time.thread_time()
            self.late.append(((begun - due) * 1000, (begun_cpu - cpu) * 1000))
            self._registry.lookup(self._queries[len(self.lookups) % len(self._queries)])
            wall, cpu = time.perf_counter() - begun, time.thread_time() - begun_cpu
            self.lookups.append((wall * 1000, cpu * 1000))

    def stop(self) -> dict[str, object]:
        self._stop.set()
        gc.callbacks.remove(self._collecting)
        wall, cpu = max(self.late)
        return {
            "lookups": len(self.lookups),
            "lookup ms": _spread([w for w, _ in self.lookups]),
            "lookup ms p99 CPU": round(percentiles([c for _, c in self.lookups], (99,))[99], 3),
            "longest event-loop stall ms": round(wall, 1),
            "longest stall: loop CPU in that wait ms": round(cpu, 1),
            "most loop CPU in one wait ms": round(max(c for _, c in self.late), 1),
            "longest garbage-collector pass ms": round(max(self.gc_pauses), 1),
        }


async def _while_asking(
    registry: Registry, queries: list[str], seconds: float
) -> dict[str, object]:
    parents = _Parents(registry, queries)
    asking = asyncio.create_task(parents.ask())
    await asyncio.sleep(seconds)
    figures = parents.stop()
    await asking
    return figures


async def _during_import(
    registry: Registry, folder: Path, url: str, path: Path, queries: list[str]
) -> dict[str, object]:
    """``registry import`` in a child process into the same database, while parents ask and
    the registry's version is checked as a running bot does (more often, to time it)."""
    config_file = folder / "bench-config.yaml"
    config_file.write_text(f"storage:\n  url: '{url}'\n", encoding="utf-8")
    index_before, version_before = registry.index, registry.index.version
    command = [sys.executable, "-m", "bot", "--config", str(config_file)]
    started = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        *command, "registry", "import", str(path), stdout=DEVNULL, stderr=PIPE
    )
    parents = _Parents(registry, queries)
    asking = asyncio.create_task(parents.ask())
    refresher = asyncio.create_task(_refresh_until_new(registry, version_before))
    try:
        _, errors = await asyncio.wait_for(child.communicate(), MAX_WAIT_S)
        if child.returncode != 0:
            raise RuntimeError(f"the import failed: {errors.decode(errors='replace')[-500:]}")
        noticed_at = await asyncio.wait_for(refresher, MAX_WAIT_S)
    finally:
        refresher.cancel()
        if child.returncode is None:
            child.kill()
            await child.wait()
    figures = parents.stop()
    await asking
    caught_up = registry.index is index_before
    return {
        **figures,
        "child import + noticed s": round(noticed_at - started, 2),
        "index": "caught up" if caught_up else "built afresh",
        "new version seen": registry.index.version > version_before,
    }


async def _refresh_until_new(registry: Registry, version: int) -> float:
    """When the index moved past ``version``."""
    while True:
        await asyncio.sleep(REFRESH_SECONDS)
        try:
            await registry.refresh()
        except StoreError:  # busy while the child writes (SQLite): try again, as the bot does
            continue
        if registry.index.version > version:
            return time.perf_counter()
