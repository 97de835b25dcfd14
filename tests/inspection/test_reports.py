"""Statistics, the chart, exports and the daily digest."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime, timedelta
from typing import Literal

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.inspection.charts import chart_names, render_stats_png
from bot.inspection.figures import Compliance, Durations, Period, StatsFigures, compute_stats
from bot.inspection.model import Denied, Disposition
from bot.privacy import reporter_key
from bot.store.base import TicketTiming

from .conftest import (
    ADMIN,
    ALICE,
    AUDITOR,
    BOB,
    CAROL,
    DAN,
    EDU_SUPERVISORS_CHAT,
    NOW,
    REPORTER_ID,
    Bureau,
    Query,
    organisation,
)

H = timedelta(hours=1)
NUMBERS = itertools.count(1)


def timing(
    status: str,
    *,
    claimed: float | None = None,
    resolved: float | None = None,
    category: str = "teacher_paid_tutoring",
    district: str = "海淀区",
    received: float = 0,
) -> TicketTiming:
    """A ticket received ``received`` hours after NOW, claimed/resolved hours after that;
    claim due 24 h and resolve due 100 h after receipt."""
    start = NOW + received * H
    return TicketTiming(
        number=f"SJ-2026-{next(NUMBERS):06d}",
        status=status,
        queue="edu-haidian",
        category=category,
        district=district,
        created_at=start,
        claimed_at=None if claimed is None else start + claimed * H,
        claim_due_at=start + 24 * H,
        resolved_at=None if resolved is None else start + resolved * H,
        resolve_due_at=start + 100 * H,
    )


def test_figures_count_and_time_the_tickets() -> None:
    rows = [
        timing("resolved", claimed=1, resolved=50),
        timing("closed", claimed=2, resolved=120, district="海淀"),  # resolved late
        timing("investigating", claimed=30, category="prepaid_fees", district="朝阳区"),
        timing("new", category="prepaid_fees", received=10),  # claim deadline passed
        timing("new", received=60),  # both deadlines still ahead
        timing("rejected", resolved=3),  # decided at triage, never claimed
    ]
    as_of = NOW + 80 * H
    districts = {"海淀区": "haidian", "海淀": "haidian", "朝阳区": "chaoyang"}
    figures = compute_stats(rows, Period(NOW, NOW + 100 * H), as_of, districts.__getitem__)

    assert figures.total == 6
    assert figures.by_status == {
        "new": 2,
        "closed": 1,
        "investigating": 1,
        "rejected": 1,
        "resolved": 1,
    }
    assert figures.by_category == {"teacher_paid_tutoring": 4, "prepaid_fees": 2}
    assert figures.by_district == {"haidian": 5, "chaoyang": 1}
    assert figures.claim_time == Durations(3, 11.0, 2.0, 24.4)  # 1, 2, 30 h
    assert figures.resolution_time == Durations(3, 57.67, 50.0, 106.0)  # 3, 50, 120 h
    # Claimed on time: 1 h, 2 h, decided at 3 h; late: 30 h and the unclaimed one from +10 h.
    assert figures.claim_deadline == Compliance(met=3, missed=2, pending=1)
    assert figures.claim_deadline.percent == 60.0
    # Resolved on time: 50 h, 3 h; late: 120 h; the rest still within 100 h.
    assert figures.resolve_deadline == Compliance(met=2, missed=1, pending=3)
    assert figures.resolve_deadline.percent == 66.7


def test_no_tickets_no_figures() -> None:
    figures = compute_stats([], Period(NOW, NOW + H), NOW)
    assert figures.claim_time == Durations(0, None, None, None)
    assert figures.claim_deadline.percent is None


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_chart_is_a_png_of_the_figures(language: Literal["zh", "en"]) -> None:
    rows = [timing("resolved", claimed=1, resolved=50), timing("new", category="advertising")]
    figures = compute_stats(rows, Period(NOW, NOW + 24 * H), NOW + 30 * H)
    png = render_stats_png(figures, chart_names(organisation(), language))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1080, 2025)  # phone-shaped
    image.verify()


def test_many_categories_are_summed_into_the_last_bar() -> None:
    rows = [timing("new", category=f"c{i}", district=f"d{i}") for i in range(20)]
    figures = compute_stats(rows, Period(NOW, NOW + H), NOW)
    png = render_stats_png(figures, chart_names(organisation(), "en"))
    Image.open(io.BytesIO(png)).verify()


async def scenario(bureau: Bureau) -> list[str]:
    """Four tickets: one resolved, one claimed, one untouched, one from another department."""
    desk = bureau.inspection.desk
    numbers = [
        await bureau.report(institution='=HYPERLINK("http://x")', wants_updates=True),
        await bureau.report(description="老师叫张三，我是李四家长，电话13800000000"),
        await bureau.report(answers={"address": "中关村大街1号"}),
        await bureau.report("prepaid_fees", "朝阳区", institution="某某教育"),
    ]
    bureau.clock.advance(hours=2)
    await desk.claim(ALICE, numbers[0])
    await desk.claim(ALICE, numbers[1])
    bureau.clock.advance(hours=10)
    await desk.resolve(ALICE, numbers[0], Disposition.SUBSTANTIATED, "已责令退费")
    bureau.clock.advance(hours=20)
    return numbers


async def test_statistics_cover_the_queues_the_asker_may_see(bureau: Bureau, query: Query) -> None:
    await scenario(bureau)
    period = Period(NOW - H, NOW + H)
    everything = await bureau.inspection.reports.stats(ADMIN, period)
    education = await bureau.inspection.reports.stats(CAROL, period)
    assert isinstance(everything, StatsFigures) and isinstance(education, StatsFigures)
    assert everything.total == 4 and education.total == 3
    assert education.by_status == {"claimed": 1, "new": 1, "resolved": 1}
    assert education.by_district == {"haidian": 3}
    assert education.claim_time == Durations(2, 2.0, 2.0, 2.0)
    assert education.resolution_time == Durations(1, 12.0, 12.0, 12.0)
    # Two claimed within 24 h; the third waited 32 h.
    assert education.claim_deadline == Compliance(2, 1, 0)
    assert query("SELECT actor, action FROM staff_audit WHERE action = 'stats'") == [
        ("inspector:9001", "stats"),
        ("inspector:1003", "stats"),
    ]


async def test_csv_export_reads_back_in_excel_without_reporter_identity(
    bureau: Bureau, query: Query
) -> None:
    numbers = await scenario(bureau)
    data = await bureau.inspection.reports.export_csv(ADMIN, Period(NOW - H, NOW + H))
    assert isinstance(data, bytes)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["受理编号", "状态", "办理结果", "结果说明"]
    assert [r[0] for r in rows[1:]] == numbers
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["状态"] == "已办结" and first["办理结果"] == "查实"
    assert first["结果说明"] == "已责令退费" and first["认领人"] == "inspector:1001"
    assert first["机构"].startswith("'=")  # a formula typed by a reporter stays text
    assert first["受理时间"] == "2026-03-02 09:30:00"  # Beijing time
    _no_reporter_identity(bureau, data.decode("utf-8-sig"))
    assert "张三" not in data.decode("utf-8-sig")  # descriptions are not exported
    [(details,)] = query("SELECT details FROM staff_audit WHERE action = 'export'")
    assert '"tickets": 4' in details and '"format": "csv"' in details


async def test_xlsx_export_reads_back(bureau: Bureau) -> None:
    numbers = await scenario(bureau)
    data = await bureau.inspection.reports.export_xlsx(ADMIN, Period(NOW - H, NOW + H), "en")
    assert isinstance(data, bytes)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["tickets", "summary", "figures"]
    rows = list(book["tickets"].iter_rows(values_only=True))
    assert rows[0][:3] == ("ticket_number", "status", "disposition")
    assert [r[0] for r in rows[1:]] == numbers
    assert rows[1][1:4] == ("resolved", "substantiated", "已责令退费")
    assert rows[1][8] == datetime(2026, 3, 2, 9, 30)  # a real date cell, Beijing time
    summary = {(r[0], r[1]): r[2:] for r in book["summary"].iter_rows(values_only=True)}
    assert summary[("status", "new")][0] == 2
    text = "\n".join(str(c) for r in rows for c in r)
    _no_reporter_identity(bureau, text)
    assert "13800000000" not in text


def _no_reporter_identity(bureau: Bureau, text: str) -> None:
    assert str(REPORTER_ID) not in text
    assert reporter_key(bureau.keys.pepper, REPORTER_ID) not in text
    for accepted in bureau.reported:
        assert accepted.receipt_code.replace(" ", "") not in text.replace(" ", "")


async def test_the_daily_digest_sums_up_each_queue(bureau: Bureau) -> None:
    numbers = await scenario(bureau)
    text = await bureau.inspection.reports.daily_digest("education", bureau.clock())
    lines = text.splitlines()
    assert lines[0] == "【教育部门】双减举报日报 2026-03-03"
    assert lines[1] == (
        "海淀区教育局：在办 2 件，待认领 1 件（认领超时 1），办结超时 0 件；"
        "近24小时新收 0 件，办结 1 件"
    )
    assert lines[-2] == f"超时工单：{numbers[2]}"
    # The last 30 days' figures, as /stats defines them: ticket 3 names the institution
    # ticket 2 named; nobody has answered a 回访 yet.
    assert lines[-1] == (
        "近30天受理 3 件:及时受理率 66.7%,按时办结率 100.0%,回访率 -,满意率 -,"
        "二次办理率 0.0%,重复举报率 33.3%"
    )
    english = await bureau.inspection.reports.daily_digest("education", bureau.clock(), "en")
    assert english.startswith("[教育部门] Double reduction daily digest 2026-03-03")


async def test_digests_are_queued_once_a_day(bureau: Bureau, query: Query) -> None:
    await scenario(bureau)
    reports = bureau.inspection.reports
    queued = await reports.send_daily_digests(bureau.clock())
    assert [(d.department, d.chat_id) for d in queued] == [("education", EDU_SUPERVISORS_CHAT)]
    assert await reports.send_daily_digests(bureau.clock() + H) == []
    assert len(await reports.send_daily_digests(bureau.clock() + 24 * H)) == 1
    assert query("SELECT COUNT(*) FROM outbox WHERE kind = 'daily_digest'") == [(2,)]


async def test_an_unknown_department_has_no_digest(bureau: Bureau) -> None:
    with pytest.raises(ValueError, match="unknown department 'schools'"):
        await bureau.inspection.reports.daily_digest("schools", NOW)


@pytest.mark.parametrize("who", [AUDITOR, BOB, DAN])
async def test_inspectors_and_auditors_do_not_export(bureau: Bureau, who: int) -> None:
    """Exports are for admins and for supervisors (their own queues)."""
    result = await bureau.inspection.reports.export_csv(who, Period(NOW - H, NOW + H))
    assert isinstance(result, Denied)


def test_charts_name_things_in_the_readers_words_on_whole_number_axes() -> None:
    from bot.inspection.charts import bars, new_figure
    from bot.tickets.form import FormSettings

    form = FormSettings()

    def label(district: str, language: str) -> str | None:
        choice = form.district(district)
        return choice.label(language) if choice else None

    chinese, english = (chart_names(organisation(), lang, label) for lang in ("zh", "en"))
    assert (chinese.status("new"), chinese.category("unlicensed")) == ("待认领", "无证办学")
    assert (chinese.district("haidian"), english.district("haidian")) == ("海淀区", "Haidian")
    assert chinese.category("no_such_category") == "其他"
    assert chinese.queue("edu-haidian") == "海淀区教育局"
    ax = new_figure(4, 3).subplots()
    bars(ax, "t", {"a": 1, "b": 2, "c": 3})
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if 0 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)
