from __future__ import annotations

import json

import pytest

from bot.inspection.duplicates import institution_key
from bot.inspection.model import Denial, Denied, Disposition, PossibleDuplicate

from .conftest import ALICE, CAROL, DAN, Bureau, Query


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("智慧树教育科技有限公司", "智慧树"),
        ("智慧樹教育科技有限公司", "智慧树"),  # traditional characters fold to simplified
        ("ＡＢＣ英语培训学校", "abc英语"),  # full-width letters fold too
        ("「新东方」 学校", "新东方"),
        ("学校", "学校"),  # an ending alone is still a name
    ],
)
def test_institution_names_are_compared_without_their_legal_form(name: str, key: str) -> None:
    assert institution_key(name) == key


async def test_a_new_ticket_about_the_same_institution_or_address_is_flagged(
    bureau: Bureau, query: Query
) -> None:
    same_name = await bureau.report(institution="智慧树教育科技有限公司")
    same_place = await bureau.report(institution="某托管班", answers={"address": "中关村大街1号院"})
    unrelated = await bureau.report(institution="阳光艺术中心", answers={"address": "朝阳路99号"})
    closed = await bureau.report(institution="智慧树教育")
    await bureau.inspection.desk.resolve(ALICE, closed, Disposition.NOT_IN_SCOPE, "重复投诉")
    new = await bureau.report(institution="智慧树教育", answers={"address": "中关村大街1号院"})

    flagged = await bureau.inspection.views.flag_possible_duplicates(new)

    assert {d.ticket_number: d.matched_on for d in flagged} == {
        same_name: "institution",
        same_place: "address",
    }
    assert unrelated not in {d.ticket_number for d in flagged}
    [(details,)] = query("SELECT details FROM ticket_events WHERE kind = 'possible_duplicates'")
    assert set(json.loads(details)["tickets"]) == {same_name, same_place}
    assert query("SELECT public FROM ticket_events WHERE kind = 'possible_duplicates'") == [(0,)]


async def test_short_names_say_too_little(bureau: Bureau) -> None:
    await bureau.report(institution="学而思培优")
    new = await bureau.report(institution="学而")
    assert await bureau.inspection.views.flag_possible_duplicates(new) == ()


async def test_staff_see_possible_duplicates_only_in_queues_they_may_see(bureau: Bureau) -> None:
    edu = await bureau.report(institution="智慧树教育")
    market = await bureau.report("prepaid_fees", institution="智慧树教育科技有限公司")
    new = await bureau.report(institution="智慧树")
    found = await bureau.inspection.views.possible_duplicates(CAROL, new)
    assert found == (PossibleDuplicate(edu, 100.0, "institution"),)
    assert await bureau.inspection.views.possible_duplicates(DAN, new) == Denied(
        Denial.NOT_ALLOWED, new
    )
    assert market  # the market ticket exists but education staff do not see it
