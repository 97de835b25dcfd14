"""``kb check``: one test per kind of problem, each asserting the file:line message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.kb.loader import load_knowledge
from bot.kb_check import KnowledgeCheck, check_knowledge

PLACEHOLDERS = {"report_hotline": "12345-1", "claim_hours": "24"}
TODAY = date(2026, 12, 1)

ENTRY = """\
  - id: {id}
    question:
      zh: {question}
    phrasings: [{phrasing}]
    answer:
      zh: {answer}
    source:
      document: 《双减意见》
      date: 2021-07
    related: [{related}]
    checked: {checked}
"""


def entry(
    id: str = "homework.limits",
    question: str = "作业有多少",
    phrasing: str = "作业太多了",
    answer: str = "小学三到六年级不超过60分钟。",
    related: str = "",
    checked: str = "2026-12",
) -> str:
    texts = {"id": id, "question": question, "phrasing": phrasing, "answer": answer}
    return ENTRY.format(**texts, related=related, checked=checked)


def layer(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "entries.yaml").write_text(text, encoding="utf-8")
    return folder


def check(tmp_path: Path, *texts: str, today: date = TODAY) -> KnowledgeCheck:
    layers = [layer(tmp_path, f"layer{i}", text) for i, text in enumerate(texts)]
    return check_knowledge(layers, PLACEHOLDERS, today)


def problems(tmp_path: Path, *texts: str) -> list[str]:
    return [str(p) for p in check(tmp_path, *texts).problems]


def warnings(tmp_path: Path, *texts: str, today: date = TODAY) -> list[str]:
    return [str(w) for w in check(tmp_path, *texts, today=today).warnings]


def test_clean_base_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, "entries:\n" + entry()) == []


def test_schema_missing_answer(tmp_path: Path) -> None:
    text = (
        "entries:\n  - id: homework.limits\n    question: {zh: 作业}\n"
        "    source: {document: x, date: 2021-07}\n    checked: 2026-12\n"
    )
    [problem] = problems(tmp_path, text)
    assert problem.endswith("entries.yaml:2: entries[0].answer: required value is missing")


def test_schema_wrong_type(tmp_path: Path) -> None:
    text = "entries:\n" + entry().replace("related: []", "related: 5")
    [problem] = problems(tmp_path, text)
    assert "entries.yaml:11: entries[0].related: expected a list, got int 5" in problem


def test_schema_bad_source_date(tmp_path: Path) -> None:
    text = "entries:\n" + entry().replace("date: 2021-07", "date: July 2021")
    [problem] = problems(tmp_path, text)
    assert "entries[0].source: date must look like 2021-07" in problem


def test_unknown_key(tmp_path: Path) -> None:
    text = "entries:\n" + entry() + "    answr: typo\n"
    [problem] = problems(tmp_path, text)
    assert "entries.yaml:13: entries[0].answr: unknown key" in problem


def test_duplicate_id_in_one_layer(tmp_path: Path) -> None:
    text = "entries:\n" + entry() + entry(question="另一个问题", phrasing="别的说法")
    [problem] = problems(tmp_path, text)
    first = f"{tmp_path}/layer0/entries.yaml:2"
    assert problem.endswith(f"entries.yaml:13: duplicate id 'homework.limits' (first at {first})")


def test_dangling_related_id(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "entries:\n" + entry(related="homework.nowhere"))
    assert (
        "entries.yaml:11: homework.limits: related id 'homework.nowhere' does not exist" in problem
    )


def test_same_phrasing_claimed_by_two_entries(tmp_path: Path) -> None:
    text = (
        "entries:\n" + entry() + entry(id="homework.other", question="别的", phrasing="作业太多了!")
    )
    [problem] = problems(tmp_path, text)
    assert (
        "entries.yaml:16: homework.other: '作业太多了!' is also claimed by homework.limits"
        in problem
    )


def test_answer_over_telegram_limit(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "entries:\n" + entry(answer="长" * 4097))
    assert (
        "entries.yaml:7: homework.limits: answer.zh is 4097 characters, over Telegram's 4096"
        in problem
    )


def test_unknown_placeholder(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "entries:\n" + entry(answer="请拨打{hotline_typo}"))
    assert "answer.zh uses placeholders not set in config local: hotline_typo" in problem


def test_required_topic_missing(tmp_path: Path) -> None:
    text = "required: [homework.limits, exams.ranking]\nentries:\n" + entry()
    [problem] = problems(tmp_path, text)
    assert problem.endswith("entries.yaml:1: required topic 'exams.ranking' has no entry")


def test_unreadable_yaml(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "entries:\n  - id: [broken\n")
    assert "entries.yaml:3: unreadable YAML" in problem


def test_concept_form_under_two_concepts(tmp_path: Path) -> None:
    text = "concepts:\n  培训班: [补习班]\n  补课: [补习班]\n"
    [problem] = problems(tmp_path, text)
    assert "entries.yaml:3:" in problem and "'补习班' is listed under concepts '培训班'" in problem


def test_overlay_overrides_by_id_field_by_field(tmp_path: Path) -> None:
    national = layer(tmp_path, "national", "entries:\n" + entry())
    local = layer(
        tmp_path, "local", "entries:\n  - id: homework.limits\n    answer: {zh: 本区答案}\n"
    )
    loaded = load_knowledge([national, local])
    assert loaded.problems == []
    merged = loaded.kb.entries["homework.limits"]
    assert merged.answer.zh == "本区答案"
    assert merged.question.zh == "作业有多少"  # untouched fields come from the national layer


def test_overlay_adds_entries(tmp_path: Path) -> None:
    national = layer(tmp_path, "national", "entries:\n" + entry())
    local = layer(
        tmp_path,
        "local",
        "entries:\n" + entry(id="local.hours", question="几点上班", phrasing="上班时间"),
    )
    assert sorted(load_knowledge([national, local]).kb.entries) == [
        "homework.limits",
        "local.hours",
    ]


@pytest.mark.parametrize("missing", ["nowhere"])
def test_missing_layer_path(tmp_path: Path, missing: str) -> None:
    [problem] = [
        str(p) for p in check_knowledge([tmp_path / missing], PLACEHOLDERS, TODAY).problems
    ]
    assert problem == f"{tmp_path / missing}: knowledge path does not exist"


def test_phrasings_that_read_the_same_after_folding(tmp_path: Path) -> None:
    text = (
        "stopwords: [吗, 了]\nentries:\n"
        + entry()
        + entry(id="homework.other", question="别的", phrasing="作业太多了吗")
    )
    [problem] = problems(tmp_path, text)
    # The exact terms depend on the segmenter's dictionary, shared by everything in the process.
    assert "homework.other: '作业太多了吗' reads as '" in problem
    assert "', like a phrasing of homework.limits" in problem


def test_missing_checked_date_fails(tmp_path: Path) -> None:
    text = "entries:\n" + entry().replace("    checked: 2026-12\n", "")
    [problem] = problems(tmp_path, text)
    assert problem.endswith(
        "entries.yaml:2: homework.limits: no checked date: say when its facts were last "
        "checked against 《双减意见》 (checked: 2026-12)"
    )


def test_checked_twelve_months_ago_warns_but_does_not_fail(tmp_path: Path) -> None:
    result = check(tmp_path, "entries:\n" + entry(checked="2025-12"))
    assert result.problems == []
    [warning] = [str(w) for w in result.warnings]
    assert warning.endswith(
        "entries.yaml:12: homework.limits: facts last checked 2025-12, 12 months ago: "
        "check them against 《双减意见》 again and update checked"
    )


def test_checked_eleven_months_ago_is_quiet(tmp_path: Path) -> None:
    assert warnings(tmp_path, "entries:\n" + entry(checked="2026-01")) == []


def test_the_same_entry_warns_once_a_year_has_passed(tmp_path: Path) -> None:
    text = "entries:\n" + entry(checked="2026-01-15")
    assert warnings(tmp_path, text, today=date(2026, 12, 31)) == []
    [warning] = warnings(tmp_path, text, today=date(2027, 1, 1))
    assert "facts last checked 2026-01-15, 12 months ago" in warning


def test_stale_warning_names_every_document_checked_against(tmp_path: Path) -> None:
    checked = "{date: 2024-06, against: [《预收费通知》, 《非学科类意见》]}"
    [warning] = warnings(tmp_path, "entries:\n" + entry(checked=checked))
    assert "30 months ago: check them against 《预收费通知》; 《非学科类意见》 again" in warning


def test_checked_later_than_today_fails(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "entries:\n" + entry(checked="2027-01"))
    assert problem.endswith(
        "entries.yaml:12: homework.limits: checked 2027-01 is later than today (2026-12)"
    )


@pytest.mark.parametrize("checked", ["2026-13", "December 2026", "{against: [《双减意见》]}"])
def test_malformed_checked_fails(tmp_path: Path, checked: str) -> None:
    [problem] = problems(tmp_path, "entries:\n" + entry(checked=checked))
    assert "entries.yaml:12: entries[0].checked" in problem


def test_overlay_replacing_an_answer_must_carry_source_and_checked(tmp_path: Path) -> None:
    local = "entries:\n  - id: homework.limits\n    answer: {zh: 本区作业规定}\n"
    [problem] = problems(tmp_path, "entries:\n" + entry(), local)
    assert problem.endswith(
        "layer1/entries.yaml:2: homework.limits: replaces the answer but not its source and "
        "checked: an answer written here needs its own source and checked date"
    )


def test_overlay_answer_with_its_own_source_and_checked_is_clean(tmp_path: Path) -> None:
    local = (
        "entries:\n  - id: homework.limits\n    answer: {zh: 本区作业规定}\n"
        "    source: {document: 《本区作业管理办法》, date: 2026-09}\n    checked: 2026-11\n"
    )
    result = check(tmp_path, "entries:\n" + entry(checked="2025-01"), local)
    assert (result.problems, result.warnings) == ([], [])


def test_overlay_that_keeps_the_answer_inherits_its_checked_date(tmp_path: Path) -> None:
    local = "entries:\n  - id: homework.limits\n    phrasings: [本区作业多不多]\n"
    result = check(tmp_path, "entries:\n" + entry(checked="2025-11"), local)
    assert result.problems == []
    [warning] = [str(w) for w in result.warnings]
    assert "layer0/entries.yaml:12: homework.limits: facts last checked 2025-11" in warning


def test_overlay_answer_checked_by_a_later_layer_is_clean(tmp_path: Path) -> None:
    answer = (
        "entries:\n  - id: homework.limits\n    answer: {zh: 本区作业规定}\n"
        "    source: {document: 《本区作业管理办法》, date: 2026-09}\n"
    )
    recheck = "entries:\n  - id: homework.limits\n    checked: 2026-12\n"
    assert problems(tmp_path, "entries:\n" + entry(), answer, recheck) == []


def test_checked_forms_and_default_document(tmp_path: Path) -> None:
    both = (
        "entries:\n"
        + entry()
        + entry(
            id="homework.other",
            question="别的",
            phrasing="别的说法",
            checked="{date: 2026-12-01, against: [《预收费通知》]}",
        )
    )
    layer_path = layer(tmp_path, "kb", both)
    entries = load_knowledge([layer_path]).kb.entries
    assert entries["homework.limits"].checked_against == ("《双减意见》",)
    assert entries["homework.other"].checked_against == ("《预收费通知》",)
