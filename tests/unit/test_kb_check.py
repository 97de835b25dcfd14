"""``kb check``: one test per kind of problem, each asserting the file:line message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb.check import check_knowledge
from bot.kb.loader import load_knowledge

PLACEHOLDERS = {"report_hotline": "12345-1", "claim_hours": "24"}

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
"""


def entry(
    id: str = "homework.limits",
    question: str = "作业有多少",
    phrasing: str = "作业太多了",
    answer: str = "小学三到六年级不超过60分钟。",
    related: str = "",
) -> str:
    return ENTRY.format(id=id, question=question, phrasing=phrasing, answer=answer, related=related)


def layer(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "entries.yaml").write_text(text, encoding="utf-8")
    return folder


def problems(tmp_path: Path, *texts: str) -> list[str]:
    layers = [layer(tmp_path, f"layer{i}", text) for i, text in enumerate(texts)]
    return [str(p) for p in check_knowledge(layers, PLACEHOLDERS)]


def test_clean_base_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, "entries:\n" + entry()) == []


def test_schema_missing_answer(tmp_path: Path) -> None:
    text = (
        "entries:\n  - id: homework.limits\n    question: {zh: 作业}\n"
        "    source: {document: x, date: 2021-07}\n"
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
    assert "entries.yaml:12: entries[0].answr: unknown key" in problem


def test_duplicate_id_in_one_layer(tmp_path: Path) -> None:
    text = "entries:\n" + entry() + entry(question="另一个问题", phrasing="别的说法")
    [problem] = problems(tmp_path, text)
    first = f"{tmp_path}/layer0/entries.yaml:2"
    assert problem.endswith(f"entries.yaml:12: duplicate id 'homework.limits' (first at {first})")


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
        "entries.yaml:15: homework.other: '作业太多了!' is also claimed by homework.limits"
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
    [problem] = [str(p) for p in check_knowledge([tmp_path / missing], PLACEHOLDERS)]
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
