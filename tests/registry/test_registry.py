"""The registry against both databases: imports (CSV, XLSX, bad files), lookups of the ways
people write names, other instances noticing changes, routing on status, resolutions that
change an institution's status, and what the registry never holds."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from bot.inspection.exports import export_rows
from bot.inspection.model import Denial, Denied, Disposition
from bot.inspection.services import InspectionServices, build_inspection_services
from bot.inspection.texts import EXPORT_COLUMN_IDS
from bot.privacy import PrivacyKeys
from bot.registry.importing import ImportRefused, ListDefaults, check_character
from bot.registry.model import NOT_FOUND, InstitutionStatus
from bot.registry.service import DraftChoice, Registry
from bot.store.base import Store
from bot.tickets.model import ReportAccepted, ReportDraft
from bot.tickets.services import TicketServices, build_ticket_services
from handlers.registry import institution_asked
from tests.conftest import Query, Reopen
from tests.inspection.conftest import ALICE, ERIN, REPORTER_ID, Clock, organisation, ticket_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "registry" / "example-list.csv"
DISTRICTS = {"海淀区": "haidian", "海淀": "haidian", "朝阳区": "chaoyang", "西城区": "xicheng"}
HEADER = "机构名称,统一社会信用代码,办学许可证号,类别,状态,所属区,原因,状态日期\n"


def code(n: int) -> str:
    first = f"911101{n:011d}"
    return first + check_character(first)


def write(tmp_path: Path, rows: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


async def imported(store: Store, path: Path = EXAMPLE, **defaults: object) -> Registry:
    registry = Registry(store, DISTRICTS)
    await registry.import_file(path, ListDefaults(**defaults), actor=f"import:{path.name}")  # type: ignore[arg-type]
    await registry.refresh()
    return registry


async def test_a_list_with_chinese_headers_is_imported_and_audited(
    store: Store, query: Query
) -> None:
    registry = Registry(store, DISTRICTS)
    plan = await registry.import_file(EXAMPLE, ListDefaults(), actor="import:example-list.csv")
    assert (len(plan.added), len(plan.updated)) == (6, 0)
    assert await registry.refresh()
    record = registry.lookup("学而思").sure
    assert record is not None
    assert record.institution.licence_number == "教民111010870000123号"
    assert (record.institution.kind, record.institution.form) == ("subject", "for_profit")
    assert record.institution.supervised_fees is True
    assert query("SELECT COUNT(*), MIN(actor), MIN(change) FROM institution_changes") == [
        (6, "import:example-list.csv", "added")
    ]
    assert query("SELECT version FROM registry_version") == [(1,)]


async def test_an_xlsx_list_under_a_title_row_is_read(store: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2026年海淀区校外培训机构白名单"])
    sheet.append(["序号", "机构名称", "统一社会信用代码", "类别", "所属区"])
    sheet.append([1, "北京市海淀区明德书香培训学校", code(1), "学科类", "海淀区"])
    sheet.append([2, "北京市海淀区致远美术培训中心", code(2), "艺术类", "海淀区"])
    path = tmp_path / "白名单.xlsx"
    book.save(path)
    registry = await imported(
        store, path, status=InstitutionStatus.APPROVED, listed_on="2026-03-01"
    )
    found = registry.lookup("致远美术").sure
    assert found is not None and found.institution.kind == "arts"
    assert found.institution.status == "approved"
    assert found.institution.listed_on == "2026-03-01"


async def test_repeated_rows_are_skipped_and_conflicting_ones_refuse_the_file(
    store: Store, tmp_path: Path
) -> None:
    row = f"博学优才,{code(3)},,学科类,白名单,朝阳区,,\n"
    registry = Registry(store, DISTRICTS)
    plan = await registry.import_file(write(tmp_path, row + row), ListDefaults(), actor="t")
    assert (len(plan.added), plan.repeated_rows) == (1, 1)
    other = f"博学优才,{code(3)},,学科类,黑名单,朝阳区,,\n"
    with pytest.raises(ImportRefused) as refused:
        await registry.import_file(write(tmp_path, row + other, "b.csv"), ListDefaults(), actor="t")
    assert refused.value.problems == ["3: names the same institution as line 2 but differs in 状态"]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (f"某机构,{code(4)},,学科类,暂时关门,海淀区,,", "状态 '暂时关门': unknown status"),
        ("某机构,91110108MA01ABCD1X,,学科类,白名单,海淀区,,", "the check character does not fit"),
        (f"某机构,{code(4)},,学科类,白名单,海淀区,,2026-13-40", "状态日期 '2026-13-40'"),
        (f",{code(4)},,学科类,白名单,海淀区,,", "机构名称 is empty"),
        (f"某机构,{code(4)},,补课类,白名单,海淀区,,", "类别 '补课类': unknown kind"),
    ],
)
async def test_a_bad_row_changes_nothing(
    store: Store, tmp_path: Path, query: Query, row: str, problem: str
) -> None:
    good = f"明德书香,{code(5)},,学科类,白名单,海淀区,,\n"
    path = write(tmp_path, good + row + "\n")
    with pytest.raises(ImportRefused) as refused:
        await Registry(store, DISTRICTS).import_file(path, ListDefaults(), actor="t")
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith("list.csv:3: ")
    assert problem in refused.value.problems[0]
    assert query("SELECT COUNT(*) FROM institutions") == [(0,)]
    assert query("SELECT COUNT(*) FROM institution_changes") == [(0,)]
    assert query("SELECT version FROM registry_version") == [(0,)]


async def test_a_new_list_updates_by_credit_code_and_records_the_status_change(
    store: Store, tmp_path: Path, query: Query
) -> None:
    registry = await imported(store)
    before = registry.lookup("博学优才").sure
    assert before is not None and before.institution.status == "blacklisted"
    rows = "北京市西城区跃动体育培训中心,91110102MA02QWER3F,,,吊销,,拒不整改,2026-04-02\n"
    plan = await registry.import_file(write(tmp_path, rows), ListDefaults(), actor="import:b")
    assert (len(plan.added), len(plan.updated), plan.status_changes) == (0, 1, 1)
    await registry.refresh()
    after = registry.lookup("跃动体育").sure
    assert after is not None
    assert (after.institution.status, after.institution.status_since) == ("revoked", "2026-04-02")
    assert after.institution.status_reason == "拒不整改"
    assert after.institution.licence_number == "教民111010260000789号"  # empty cell: kept
    assert query(
        "SELECT change, status, reason FROM institution_changes WHERE actor = 'import:b'"
    ) == [("status", "revoked", "拒不整改")]


@pytest.mark.parametrize(
    "written",
    [
        "学而思",  # the brand
        "北京市海淀区学而思培训学校有限公司",  # the registered name
        "北京学而思教育科技有限公司",  # another company-form ending, the city without 市
        "學而思培訓學校",  # traditional characters
        "学尔思",  # a homophone typo
        "海淀区学而思",  # the district in front
        "学而思 培优",  # the second brand, with a space
    ],
)
async def test_the_ways_people_write_a_name_find_it(store: Store, written: str) -> None:
    registry = await imported(store)
    found = registry.lookup(written).sure
    assert found is not None, registry.lookup(written)
    assert found.institution.name == "北京市海淀区学而思培训学校有限公司"


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("学而思正规吗", "学而思"),
        ("学而思这家机构有没有资质?", "学而思"),
        ("博学优才是不是黑机构", "博学优才"),
        ("跃动篮球在白名单上吗", "跃动篮球"),
        ("星光学堂有没有资质", "星光学堂"),  # not listed: the registry says what that means
        ("學而思合法嗎", "學而思"),
        # Questions about practices, or how to check: the FAQ's.
        ("怎么查补习班是不是正规的", None),
        ("怎么知道一个培训机构是不是正规的", None),
        ("想给娃报个班 怕是野鸡机构 咋知道正不正规", None),
        ("打着夏令营旗号上数学课合法吗", None),
        ("眾籌私教合法嗎", None),  # "合法吗" of a name the registry does not list
        ("这家机构正规吗", None),
    ],
)
async def test_questions_about_an_institution_are_told_from_others(
    store: Store, question: str, name: str | None
) -> None:
    registry = await imported(store)
    assert institution_asked(question, registry) == name


async def test_a_wrong_character_is_offered_not_claimed(store: Store) -> None:
    registry = await imported(store)
    result = registry.lookup("博学优材教育")  # 才 → 材: same sound; 优材 vs 优才
    assert result.sure is not None  # sounds the same
    typo = registry.lookup("博学忧乐")
    assert typo.sure is None
    assert [m.institution.name for m in typo.candidates] == ["北京博学优才教育科技有限公司"]


async def test_unknown_and_too_short_names_match_nothing(store: Store) -> None:
    registry = await imported(store)
    for written in ("新东方", "学而", "补习班", "星辰美术馆"):
        assert registry.lookup(written).found_nothing, written


async def test_branches_of_one_brand_need_the_district(store: Store, tmp_path: Path) -> None:
    rows = (
        f"北京市海淀区启航培训学校,{code(6)},,学科类,白名单,海淀区,,\n"
        f"北京市朝阳区启航培训学校,{code(7)},,学科类,黑名单,朝阳区,无证,2026-01-01\n"
    )
    registry = await imported(store, write(tmp_path, rows))
    both = registry.lookup("启航")
    assert both.sure is None
    assert {m.institution.district for m in both.candidates} == {"海淀区", "朝阳区"}
    chosen = registry.lookup("启航", district="chaoyang").sure
    assert chosen is not None and chosen.institution.status == "blacklisted"
    named = registry.lookup("朝阳区启航").sure
    assert named is not None and named.institution.district == "朝阳区"


async def test_another_instance_notices_an_import(store: Store, reopen: Reopen) -> None:
    other_store = await reopen()
    try:
        other = Registry(other_store, DISTRICTS)
        await other.refresh()
        assert other.lookup("学而思").registry_size == 0
        await imported(store)  # the CLI, or another instance
        assert await other.refresh()
        assert other.lookup("学而思").sure is not None
        assert not await other.refresh()  # nothing new: one small query, no rebuild
    finally:
        await other_store.close()


async def test_another_instance_reads_only_what_changed(
    store: Store, reopen: Reopen, tmp_path: Path
) -> None:
    registry = await imported(store)
    other_store = await reopen()
    try:
        other = Registry(other_store, DISTRICTS)
        await other.refresh()
        index = other.index
        rows = "北京市西城区跃动体育培训中心,91110102MA02QWER3F,,,吊销,,拒不整改,2026-04-02\n"
        await registry.import_file(write(tmp_path, rows), ListDefaults(), actor="import:b")
        async with other_store.transaction(readonly=True) as tx:
            changed = await tx.institutions_page(0, 100, changed_after=index.version)
        assert [r.name for r in changed] == ["北京市西城区跃动体育培训中心"]
        assert await other.refresh()
        assert other.index is index  # caught up with the one change, not built again
        found = other.lookup("跃动体育").sure
        assert found is not None and found.institution.status == "revoked"
    finally:
        await other_store.close()


async def test_export_imports_again_unchanged(store: Store, tmp_path: Path) -> None:
    registry = await imported(store)
    exported = tmp_path / "export.csv"
    exported.write_bytes(await registry.export("csv"))
    assert exported.read_text(encoding="utf-8-sig").splitlines()[0].startswith("登记编号,机构名称")
    plan = await registry.import_file(exported, ListDefaults(), actor="t")
    assert (len(plan.added), len(plan.updated), plan.unchanged) == (0, 0, 6)


# --- tickets, routing and resolutions -----------------------------------------------------------


@dataclass
class Bureau:
    """The example list imported, and the services that take and work tip-offs."""

    registry: Registry
    clock: Clock
    inspection: InspectionServices
    tickets: TicketServices

    async def report(self, n: int, institution: str, choice: DraftChoice) -> str:
        """The number of a tip-off about ``institution`` whose "who" step settled ``choice``."""
        draft = ReportDraft(
            draft_id=f"d{n}",
            category="holiday_classes",
            district="haidian",
            institution=institution,
            description="周末上数学课",
            registry=choice.encode(),
        )
        key = self.tickets.reporter_key(REPORTER_ID)
        result = await self.tickets.intake.submit_report(
            draft, key, f"d{n}", self.clock(), reply_chat_id=REPORTER_ID
        )
        assert isinstance(result, ReportAccepted)
        return result.ticket_number


async def bureau(store: Store, keys: PrivacyKeys) -> Bureau:
    registry, clock = await imported(store), Clock()
    inspection = build_inspection_services(
        store, organisation(), ticket_settings(), keys, clock=clock, registry=registry
    )
    tickets = build_ticket_services(store, ticket_settings(), keys, place=inspection.router.place)
    return Bureau(registry, clock, inspection, tickets)


async def test_tickets_record_the_status_then_and_routing_uses_it(
    store: Store, keys: PrivacyKeys
) -> None:
    office = await bureau(store, keys)
    registry, inspection = office.registry, office.inspection
    xueersi = registry.lookup("学而思").sure
    assert xueersi is not None
    approved = await office.report(1, "学而思", DraftChoice("id", (xueersi.institution.id,)))
    unknown = await office.report(2, "某某学堂", DraftChoice("not_found"))
    async with store.transaction(readonly=True) as tx:
        first = await tx.ticket_by_number(approved)
        second = await tx.ticket_by_number(unknown)
    assert first is not None and second is not None
    assert (first.institution_id, first.institution_status) == (xueersi.institution.id, "approved")
    assert first.queue == "edu-haidian"
    assert (second.institution_id, second.institution_status) == (None, NOT_FOUND)
    assert second.queue == "joint"  # not registered → the joint inspection group
    at = EXPORT_COLUMN_IDS.index("institution_id")
    rows = export_rows([first, second], {}, UTC)
    assert [row[at : at + 2] for row in rows] == [
        [str(xueersi.institution.id), "approved"],
        [None, NOT_FOUND],
    ]
    card = await inspection.cards.card(approved)
    assert card is not None and card.registry is not None
    assert card.registry.licence == "教民111010870000123号"


async def test_a_substantiated_resolution_blacklists_the_institution(
    store: Store, keys: PrivacyKeys, query: Query
) -> None:
    office = await bureau(store, keys)
    registry, clock, inspection = office.registry, office.clock, office.inspection
    earlier = await office.report(1, "某某学堂", DraftChoice("not_found"))
    desk = inspection.desk
    assert not isinstance(await desk.claim(ERIN, earlier), Denied)
    refused = await desk.resolve(
        ERIN,
        earlier,
        Disposition.UNSUBSTANTIATED,
        "未发现",
        institution_status=InstitutionStatus.BLACKLISTED,
    )
    assert isinstance(refused, Denied) and refused.reason == Denial.REGISTRY_NEEDS_SUBSTANTIATED
    done = await desk.resolve(
        ERIN,
        earlier,
        Disposition.SUBSTANTIATED,
        "已依法取缔",
        institution_status=InstitutionStatus.BLACKLISTED,
    )
    assert not isinstance(done, Denied)
    await registry.refresh()
    listed = registry.lookup("某某学堂").sure
    assert listed is not None
    assert (listed.institution.status, listed.institution.status_reason) == (
        "blacklisted",
        "已依法取缔",
    )
    assert query(
        "SELECT actor, change, status FROM institution_changes WHERE ticket_id IS NOT NULL"
    ) == [(f"inspector:{ERIN}", "added", "blacklisted")]
    # Repeat offenders: the next report about it is linked by registry id.
    later = await office.report(2, "某某学堂", DraftChoice("id", (listed.institution.id,)))
    history = await inspection.views.institution(ERIN, listed.institution.id)
    assert not isinstance(history, Denied)
    assert [t.ticket_number for t in history.tickets] == [later, earlier]
    [(actor, details)] = query(
        "SELECT actor, details FROM staff_audit WHERE action = 'view_institution'"
    )
    assert actor == f"inspector:{ERIN}"
    assert json.loads(details) == {
        "institution_id": listed.institution.id,
        "tickets": [later, earlier],
    }
    # Someone who may see neither ticket's queue sees the entry, not the tickets.
    other = await inspection.views.institution(ALICE, listed.institution.id)
    assert not isinstance(other, Denied) and other.tickets == ()
    unknown = await inspection.views.institution(ERIN, 999_999)
    assert isinstance(unknown, Denied) and unknown.reason == Denial.INSTITUTION_UNKNOWN
    async with store.transaction(readonly=True) as tx:
        latest = await tx.ticket_by_number(later)
    assert latest is not None and latest.institution_status == "blacklisted"
    day = timedelta(days=1)
    top = await registry.top_substantiated(("joint",), clock() - day, clock() + day)
    assert [(r.id, n) for r, n in top] == [(listed.institution.id, 1)]


async def test_the_registry_holds_institutions_never_reporters(
    store: Store, keys: PrivacyKeys, query: Query
) -> None:
    office = await bureau(store, keys)
    inspection = office.inspection
    number = await office.report(1, "某某学堂", DraftChoice("not_found"))
    await inspection.desk.claim(ERIN, number)
    await inspection.desk.resolve(
        ERIN,
        number,
        Disposition.SUBSTANTIATED,
        "已取缔",
        institution_status=InstitutionStatus.BLACKLISTED,
    )
    dumped = repr(query("SELECT * FROM institutions")) + repr(
        query("SELECT * FROM institution_changes")
    )
    assert str(REPORTER_ID) not in dumped
    assert office.tickets.reporter_key(REPORTER_ID) not in dumped
    assert "reporter" not in dumped
    assert "周末上数学课" not in dumped  # the report's text stays with the ticket


async def test_a_resolution_of_someone_elses_queue_changes_no_status(
    store: Store, keys: PrivacyKeys, query: Query
) -> None:
    office = await bureau(store, keys)
    inspection = office.inspection
    number = await office.report(1, "某某学堂", DraftChoice("not_found"))
    result = await inspection.desk.resolve(
        ALICE,
        number,
        Disposition.SUBSTANTIATED,
        "x",
        institution_status=InstitutionStatus.BLACKLISTED,
    )
    assert isinstance(result, Denied)
    assert query("SELECT COUNT(*) FROM institution_changes WHERE ticket_id IS NOT NULL") == [(0,)]


def test_the_example_list_ships() -> None:
    assert shutil.which("python3") is not None  # the README's command runs it: see test_cli
    assert EXAMPLE.read_text(encoding="utf-8").startswith("机构名称,")
