"""Figures in the shipped answers that a check against the public texts found wrong or outdated,
asserted as a parent reads them, so a later edit cannot bring the old figures back."""

from __future__ import annotations

import re

import pytest

from bot.config import load_config
from bot.faq import FaqService


@pytest.fixture(scope="module")
def faq() -> FaqService:
    return FaqService.from_config(load_config(None, environ={}))


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；;.])\s*", text) if s]


def test_the_5000_yuan_cap_belongs_to_non_subject_training(faq: FaqService) -> None:
    zh = faq.answer("training.fees", "zh").answer
    [cap] = [s for s in sentences(zh) if "5000元" in s]
    assert "非学科类" in cap and "十三部门" in cap
    assert "六部门" not in cap
    [cap_en] = [s for s in sentences(faq.answer("training.fees", "en").answer) if "5,000" in s]
    assert "non-subject" in cap_en and "thirteen-ministry" in cap_en


def test_the_2021_prepayment_notice_names_its_own_supervision(faq: FaqService) -> None:
    zh = faq.answer("training.fees", "zh").answer
    [notice] = [s for s in sentences(zh) if "六部门" in s]
    assert "银行托管" in notice and "风险保证金" in notice
    assert "第三方托管" not in zh and "风险储备金" not in zh
    assert "3个月" not in notice and "60课时" not in notice


def test_paid_tutoring_penalties_are_the_2015_rules_own(faq: FaqService) -> None:
    zh = faq.answer("teachers.paid_tutoring", "zh").answer
    en = faq.answer("teachers.paid_tutoring", "en").answer
    assert "批评教育、诫勉谈话、责令检查、通报批评直至相应的行政处分" in zh
    assert "up to the corresponding administrative sanction" in en
    for entry in faq.kb.entries.values():
        assert "撤销教师资格" not in entry.answer.zh, entry.id
        assert "revok" not in entry.answer.en.lower(), entry.id


def test_daily_physical_activity_leads_with_two_hours(faq: FaqService) -> None:
    zh = faq.answer("five.fitness", "zh")
    en = faq.answer("five.fitness", "en")
    assert zh.answer.startswith("每天不少于2小时。")
    assert en.answer.startswith("At least 2 hours a day.")
    assert "教育强国建设规划纲要" in zh.source


def test_exam_limits_cite_the_2025_notice(faq: FaqService) -> None:
    reply = faq.answer("exams.frequency", "zh")
    assert reply.source.startswith("《教育部办公厅关于进一步加强中小学日常考试管理的通知》")
    assert "2025-12" in reply.source
    assert "普通高中严格控制考试次数" in reply.answer


def test_photo_search_is_a_rule_for_tutoring_providers_not_families(faq: FaqService) -> None:
    zh = faq.answer("homework.quality", "zh").answer
    en = faq.answer("homework.quality", "en").answer
    assert "不得使用“拍照搜题”" not in zh
    assert "没有禁止家庭使用" in zh
    assert "does not forbid families" in en


def test_disguised_tutoring_english_says_what_the_chinese_says(faq: FaqService) -> None:
    assert faq.answer("training.disguised", "zh").answer.startswith("属于违规")
    en = faq.answer("training.disguised", "en")
    assert en.answer.startswith("It is against the rules")
    assert "illegal" not in en.answer and "illegal" not in en.question


def test_local_practice_is_not_presented_as_national_law(faq: FaqService) -> None:
    timeline = faq.answer("policy.timeline", "zh").answer
    assert "各地的做法" in timeline and "地方做法" in timeline
    assert "以当地教育部门公布为准" in timeline
    summer = faq.answer("afterschool.summer_care", "zh").answer
    assert "双职工" not in summer and "哪些家庭优先" in summer


@pytest.mark.parametrize(
    "entry_id", ["training.disguised", "training.refunds", "report.what_counts"]
)
def test_penalty_measures_are_named_where_parents_ask_what_happens(
    faq: FaqService, entry_id: str
) -> None:
    assert "《校外培训行政处罚暂行办法》（教育部令第53号" in faq.answer(entry_id, "zh").answer
    assert "Order No. 53" in faq.answer(entry_id, "en").answer


@pytest.mark.parametrize("entry_id", ["training.refunds", "training.check_legitimacy"])
def test_the_national_platform_rules_are_cited(faq: FaqService, entry_id: str) -> None:
    reply = faq.answer(entry_id, "zh")
    assert "全国校外教育培训监管与服务综合平台应用管理办法" in reply.source
    assert "2025-03" in reply.source
    assert "退费" in reply.answer and "投诉" in reply.answer


def test_the_new_entries_state_only_what_their_documents_say(faq: FaqService) -> None:
    # Keeping children in during breaks: the 2021 provisions (Order No. 50) forbid it.
    recess = faq.answer("five.recess", "zh")
    assert "不得对学生在课间及其他非教学时间的正当交流、游戏、出教室活动" in recess.answer
    assert recess.source.startswith("《未成年人学校保护规定》（教育部令第50号）")
    # Eye exercises twice a day were only a pilot's rule; the 2018 plan's parents' duties stay.
    eyesight = faq.answer("five.eyesight", "zh").answer
    assert "眼保健操" not in eyesight and "纠正孩子不良用眼行为" in eyesight
    # Lotteries: the 2019 opinion's own words, and no promise about children not drawn.
    places = faq.answer("exams.school_places", "zh").answer
    assert "对报名人数超过招生计划的，实行电脑随机录取" in places
    assert "回到公办学校" not in places
    # Home tutors: the 2021 notice's cases, and no ruling on a given family.
    tutors = faq.answer("training.private_tutors", "zh").answer
    assert "不具备教师资格的人员违规开展学科类培训" in tutors
    assert "可能属于这些情形" in tutors and "不是校外培训" not in tutors
    # Refunds: no national refund rule, and the opinion's funding words.
    refunds = faq.answer("afterschool.fee_refunds", "zh").answer
    assert "采取财政补贴、服务性收费或代收费等方式" in refunds and "没有统一的退费细则" in refunds
