"""回访 in the services: asked once per resolution, answered once, 不满意 to the supervisors,
"not reached" once its days are up, and the same figures in /stats, the export and /brief."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from bot.inspection.figures import FIGURE_IDS, Period, StatsFigures, figure_values
from bot.inspection.followups import VerdictRef, VerdictSaved
from bot.inspection.model import Changed, Disposition
from bot.inspection.reports import BriefData
from bot.tickets.form import AnswerProblem, Problem
from bot.tickets.model import Reason, Refused, TicketView
from bot.tickets.verdicts import Verdict, verdict_token

from .conftest import ADMIN, ALICE, CAROL, EDU_SUPERVISORS_CHAT, NOW, REPORTER_ID, Bureau, Query

H = timedelta(hours=1)


async def resolved(bureau: Bureau, **report: object) -> str:
    number = await bureau.report(**report)  # type: ignore[arg-type]
    await bureau.inspection.desk.claim(ALICE, number)
    bureau.clock.advance(hours=5)
    await bureau.inspection.desk.resolve(ALICE, number, Disposition.SUBSTANTIATED, "已责令整改")
    return number


async def view_of(bureau: Bureau, index: int = 0) -> TicketView:
    code = bureau.reported[index].receipt_code
    key = bureau.tickets.reporter_key(REPORTER_ID)
    view = await bureau.tickets.reporters.check_status(code, key, bureau.clock())
    assert isinstance(view, TicketView)
    return view


async def asked(bureau: Bureau, index: int = 0) -> VerdictRef:
    question = (await view_of(bureau, index)).verdict_question
    assert question is not None
    return VerdictRef(question.ticket_id, question.round, question.token)


async def test_a_resolution_asks_once_and_the_answer_is_kept_once(bureau: Bureau) -> None:
    await resolved(bureau)
    view = await view_of(bureau)
    assert view.verdict_question is not None and view.verdict is None
    assert view.verdict_question.reply_by == bureau.clock() + timedelta(days=7)
    ref = await asked(bureau)
    followups = bureau.inspection.followups

    saved = await followups.give(ref, Verdict.SATISFIED)
    assert saved == VerdictSaved(view.ticket_number, Verdict.SATISFIED)
    assert await followups.give(ref, Verdict.DISSATISFIED) == Refused(Reason.VERDICT_GIVEN)
    again = await view_of(bureau)
    assert again.verdict_question is None and again.verdict == "satisfied"


async def test_forged_buttons_change_nothing(bureau: Bureau, query: Query) -> None:
    await resolved(bureau)
    ref = await asked(bureau)
    followups = bureau.inspection.followups
    forged = [
        VerdictRef(ref.ticket_id, ref.round, "A" * 16),  # a made-up token
        VerdictRef(ref.ticket_id, ref.round + 1, ref.token),  # another round, old token
        VerdictRef(ref.ticket_id + 1, ref.round, ref.token),  # another ticket
        # A token made with another pepper for a ticket that does not exist.
        VerdictRef(999, 1, verdict_token(b"x" * 32, 999, 1)),
    ]
    for wrong in forged:
        assert await followups.give(wrong, Verdict.DISSATISFIED) == Refused(Reason.VERDICT_UNKNOWN)
        assert await followups.comment(wrong, "差") == Refused(Reason.VERDICT_UNKNOWN)
    assert query("SELECT COUNT(*) FROM ticket_verdicts WHERE verdict IS NOT NULL") == [(0,)]


async def test_a_comment_is_checked_like_a_report_text(bureau: Bureau) -> None:
    await resolved(bureau)
    ref = await asked(bureau)
    followups = bureau.inspection.followups
    await followups.give(ref, Verdict.MOSTLY_SATISFIED)
    assert await followups.comment(ref, "   ") == AnswerProblem(Problem.EMPTY)
    assert await followups.comment(ref, "长" * 201) == AnswerProblem(Problem.TOO_LONG, 200, 201)
    saved = await followups.comment(ref, "  <b>处理得还行</b>  ")
    assert isinstance(saved, VerdictSaved) and not saved.supervisors_told
    assert await followups.comment(ref, "再说一句") == Refused(Reason.COMMENT_CLOSED)
    details = await bureau.inspection.views.ticket_details(CAROL, saved.ticket_number)
    assert not isinstance(details, type(None))
    [item] = details.verdicts  # type: ignore[union-attr]
    assert (item.state, item.comment) == ("mostly_satisfied", "<b>处理得还行</b>")


async def test_dissatisfied_reaches_the_supervisors_with_the_comment_and_never_who(
    bureau: Bureau, query: Query
) -> None:
    number = await resolved(bureau)
    ref = await asked(bureau)
    followups = bureau.inspection.followups
    await followups.give(ref, Verdict.DISSATISFIED)
    assert query("SELECT COUNT(*) FROM outbox WHERE kind = 'verdict_dissatisfied'") == [(0,)]
    told = await followups.comment(ref, "机构还在上课")
    assert isinstance(told, VerdictSaved) and told.supervisors_told
    [notice] = [
        m
        for m in await bureau.tickets.outbox.due(bureau.clock())
        if m.kind == "verdict_dissatisfied"
    ]
    assert notice.chat_id == EDU_SUPERVISORS_CHAT
    assert notice.data == {
        "ticket_number": number,
        "queue": "edu-haidian",
        "comment": "机构还在上课",
    }
    assert await followups.tell_lapsed() == 0  # told once
    # Nothing in the verdict's table could say who gave it.
    [row] = query("SELECT * FROM ticket_verdicts")
    assert str(REPORTER_ID) not in repr(row)
    assert bureau.tickets.reporter_key(REPORTER_ID) not in repr(row)


async def test_a_dissatisfied_without_a_comment_is_told_once_its_time_is_up(
    bureau: Bureau,
) -> None:
    await resolved(bureau)
    ref = await asked(bureau)
    followups = bureau.inspection.followups
    await followups.give(ref, Verdict.DISSATISFIED)
    bureau.clock.advance(minutes=29)
    assert await followups.tell_lapsed() == 0
    bureau.clock.advance(minutes=2)
    assert await followups.tell_lapsed() == 1
    assert await followups.tell_lapsed() == 0
    assert await followups.comment(ref, "晚了") == Refused(Reason.COMMENT_CLOSED)
    [notice] = [
        m
        for m in await bureau.tickets.outbox.due(bureau.clock())
        if m.kind == "verdict_dissatisfied"
    ]
    assert notice.data["comment"] is None


async def test_reopening_asks_again_after_the_next_resolution(bureau: Bureau) -> None:
    number = await resolved(bureau)
    first = await asked(bureau)
    followups, desk = bureau.inspection.followups, bureau.inspection.desk
    await followups.give(first, Verdict.DISSATISFIED)
    bureau.clock.advance(hours=1)
    reopened = await desk.reopen(CAROL, number, "回访不满意,二次办理")
    assert isinstance(reopened, Changed)
    view = await view_of(bureau)
    assert view.verdict_question is None  # being handled again
    assert [e.what for e in view.timeline][-1] == "reopened"
    await desk.claim(ALICE, number)
    await desk.resolve(ALICE, number, Disposition.SUBSTANTIATED, "已查封")
    second = await asked(bureau)
    assert second.round == 2 and second.token != first.token
    assert await followups.give(first, Verdict.SATISFIED) == Refused(Reason.VERDICT_GIVEN)
    assert await followups.give(second, Verdict.SATISFIED) == VerdictSaved(
        number, Verdict.SATISFIED
    )


async def test_no_answer_within_the_days_is_not_reached_not_satisfied(bureau: Bureau) -> None:
    await resolved(bureau)
    ref = await asked(bureau)
    period = Period(NOW - H, NOW + H)
    figures = await bureau.inspection.reports.stats(ADMIN, period)
    assert isinstance(figures, StatsFigures)
    assert (figures.headline.followup.pending, figures.headline.followup.not_reached) == (1, 0)
    bureau.clock.advance(days=7, seconds=1)
    assert (await view_of(bureau)).verdict_question is None
    assert await bureau.inspection.followups.give(ref, Verdict.SATISFIED) == Refused(
        Reason.VERDICT_CLOSED
    )
    figures = await bureau.inspection.reports.stats(ADMIN, period)
    assert isinstance(figures, StatsFigures)
    followup = figures.headline.followup
    assert (followup.not_reached, followup.answered) == (1, 0)
    assert followup.reached.percent == 0.0 and followup.satisfaction.percent is None


async def test_the_digest_lists_the_days_dissatisfied(bureau: Bureau) -> None:
    number = await resolved(bureau)
    ref = await asked(bureau)
    await bureau.inspection.followups.give(ref, Verdict.DISSATISFIED)
    await bureau.inspection.followups.comment(ref, "没有人来查\n机构照常营业" + "。" * 80)
    bureau.clock.advance(minutes=1)
    text = await bureau.inspection.reports.daily_digest("education", bureau.clock())
    lines = text.splitlines()
    assert lines[-2] == "近24小时回访不满意 1 件:"
    assert lines[-1].startswith(f"· {number}:没有人来查 机构照常营业")
    assert lines[-1].endswith("…") and len(lines[-1]) < 90
    later = await bureau.inspection.reports.daily_digest("education", bureau.clock() + 25 * H)
    assert "回访不满意" not in later


async def test_stats_export_and_brief_carry_the_same_figures(bureau: Bureau) -> None:
    for n in range(3):
        await resolved(bureau, institution="星光学堂" if n < 2 else "明日教育")
    for index, verdict in enumerate((Verdict.SATISFIED, Verdict.DISSATISFIED)):
        await bureau.inspection.followups.give(await asked(bureau, index), verdict)
    period = Period(NOW - H, NOW + 24 * H)
    reports = bureau.inspection.reports
    stats = await reports.stats(ADMIN, period)
    brief = await reports.brief(ADMIN, period)
    xlsx = await reports.export_xlsx(ADMIN, period)
    assert isinstance(stats, StatsFigures) and isinstance(brief, BriefData)
    assert isinstance(xlsx, bytes)
    expected = figure_values(stats.headline)
    assert expected["satisfied"] == 50.0 and expected["repeats"] == 33.3
    assert figure_values(brief.figures.headline) == expected
    sheet = load_workbook(io.BytesIO(xlsx))["figures"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:2] == ("all", None) or rows[1][:2] == ("all", "")
    assert dict(zip(FIGURE_IDS, rows[1][2:], strict=True)) == expected
