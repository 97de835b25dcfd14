"""The lookup index kept current with changes: the same answers as an index built afresh,
names that are gone no longer found, a fresh build asked for when a change brings a new place
or too many new names, and the event loop free to answer between the steps."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from bot.registry.index import MAX_ADDED_KEYS, RegistryIndex, Row, as_row, in_slices
from bot.store.base import InstitutionRecord

DISTRICTS = {"海淀区": "haidian", "朝阳区": "chaoyang"}
NOW = datetime(2026, 3, 1, tzinfo=UTC)
NAMES = ("学而思", "博学优才", "启明星美术", "跃动体育", "未来编程", "星辰", "致远书香")


def institution(
    n: int, name: str, district: str = "海淀区", **changes: object
) -> InstitutionRecord:
    record = InstitutionRecord(
        id=n,
        match_key=f"code:{n}",
        name=f"北京市{district}{name}培训学校有限公司",
        aliases=(name,),
        credit_code=None,
        licence_number=None,
        licence_issuer="",
        kind="subject",
        form="for_profit",
        district=district,
        address="",
        status="approved",
        status_since="2026-03-01",
        status_reason="",
        supervised_fees=None,
        source="",
        listed_on="2026-03-01",
        updated_at=NOW,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def built(records: list[InstitutionRecord], version: int = 1) -> RegistryIndex:
    return asyncio.run(in_slices(RegistryIndex.building(rows(records), version, DISTRICTS)))


def rows(records: list[InstitutionRecord]) -> list[Row]:
    return [as_row(r) for r in records]


def caught_up(index: RegistryIndex, changed: list[InstitutionRecord]) -> RegistryIndex | None:
    return asyncio.run(in_slices(index.catching_up(rows(changed), index.version + 1)))


def answers(index: RegistryIndex, queries: list[str]) -> list[object]:
    def shown(query: str) -> object:
        result = index.lookup(query)
        sure = result.sure.institution if result.sure else None
        offered = [(m.institution, m.score, m.matched_name) for m in result.candidates]
        return sure, offered, result.registry_size, result.listed_on

    return [shown(q) for q in queries]


def test_catching_up_answers_as_a_fresh_build_does() -> None:
    first = [institution(n, name) for n, name in enumerate(NAMES, 1)]
    index = built(first)
    status = replace(first[1], status="blacklisted", status_reason="无证", listed_on="2026-04-01")
    renamed = replace(first[2], name="北京市朝阳区晨光艺术学校", aliases=("晨光画室",))
    moved = replace(first[3], district="朝阳区")
    added = institution(8, "思源英语", "朝阳区")
    changed = [status, renamed, moved, added]
    assert caught_up(index, changed) is index
    now = [status, renamed, moved, *first[4:], first[0], added]
    fresh = built(sorted(now, key=lambda r: r.id), version=2)
    queries = [*NAMES, "晨光画室", "晨光艺术", "思源英语", "朝阳区跃动体育", "学尔思", "博学优材"]
    assert answers(index, queries) == answers(fresh, queries)
    assert index.version == fresh.version == 2
    assert index.lookup("启明星美术").found_nothing  # the old brand is gone ...
    renamed_found = index.lookup("晨光画室").sure  # ... and the new one found
    assert renamed_found is not None and renamed_found.institution.id == renamed.id
    found = index.lookup("博学优才").sure
    assert found is not None and found.institution.status == "blacklisted"
    assert index.listed_on == "2026-04-01"


def test_a_change_bringing_a_new_place_asks_for_a_fresh_build() -> None:
    index = built([institution(1, "学而思")])
    elsewhere = institution(2, "启航", "西城区")  # no name began with 西城区 before
    assert caught_up(index, [elsewhere]) is None
    assert index.version == 1 and len(index) == 1  # left as it was
    fresh = built([institution(1, "学而思"), elsewhere], version=2)
    found = fresh.lookup("西城区启航").sure
    assert found is not None and found.institution.id == 2


def test_too_many_new_names_ask_for_a_fresh_build() -> None:
    index = built([institution(1, "学而思")])
    many = [institution(n, f"新机构{n}") for n in range(2, MAX_ADDED_KEYS + 2)]
    assert caught_up(index, many) is None
    assert caught_up(index, many[:10]) is index


def test_other_work_runs_between_the_steps_of_a_build() -> None:
    records = [institution(n, f"机构{n}号") for n in range(1, 400)]

    async def build_while_ticking() -> tuple[RegistryIndex, int]:
        ticks = 0
        done = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0)
        ticks = 0
        steps = RegistryIndex.building(rows(records), 1, DISTRICTS)
        index = await in_slices(steps, seconds=0)  # a turn for others after every step
        done.set()
        await ticker
        return index, ticks

    index, ticks = asyncio.run(build_while_ticking())
    assert len(index) == len(records)
    assert ticks >= len(records) // 16  # a step is 16 institutions
