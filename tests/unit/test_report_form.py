"""The report form: steps, positions, answer limits, settings."""

from __future__ import annotations

import pytest

from bot.tickets.form import (
    Choice,
    FormSettings,
    Position,
    Problem,
    Step,
    answer_limit,
    answer_of,
    check_answer,
    with_answer,
)
from bot.tickets.model import ReportDraft
from bot.tickets.settings import ReportLimits

FORM = FormSettings()
LIMITS = ReportLimits(max_text_chars=300)


def test_positions_are_saved_and_read_back() -> None:
    for step in Step:
        for editing in (False, True):
            position = Position(step, then_review=editing and step != Step.REVIEW)
            assert Position.parse(position.encode()) == position
    assert Position.parse("start") == Position(Step.CATEGORY)  # a draft from before the form
    assert Position.parse("what>review").then_review


def test_the_steps_run_in_order_and_editing_returns_to_the_review() -> None:
    assert Position(Step.CATEGORY).previous() is None
    assert Position(Step.WHO).previous() == Position(Step.DISTRICT)
    assert Position(Step.CONTACT).following() == Position(Step.REVIEW)
    assert Position(Step.WHERE, then_review=True).following() == Position(Step.REVIEW)
    assert [Position(s).number for s in Step] == list(range(1, 10))


def test_answers_are_kept_where_the_ticket_expects_them() -> None:
    draft = ReportDraft(draft_id="d")
    for step, value in ((Step.WHO, "学堂"), (Step.WHERE, "某路"), (Step.CONTACT, "138")):
        draft = with_answer(draft, step, value)
        assert answer_of(draft, step) == value
    assert draft.institution == "学堂" and draft.answers == {"address": "某路", "contact": "138"}
    assert "contact" not in with_answer(draft, Step.CONTACT, "").answers


def test_a_long_answer_must_fit_its_step_and_the_whole_report() -> None:
    draft = with_answer(ReportDraft(draft_id="d"), Step.WHAT, "x" * 250)
    assert answer_limit(draft, Step.WHO, FORM, LIMITS) == 50  # what is left of 300
    assert answer_limit(draft, Step.WHAT, FORM, LIMITS) == 300  # replacing itself
    problem = check_answer(draft, Step.WHO, "y" * 51, FORM, LIMITS)
    assert problem is not None and (problem.problem, problem.limit) == (Problem.TOO_LONG, 50)
    assert check_answer(draft, Step.WHO, " \n ", FORM, LIMITS).problem == Problem.EMPTY  # type: ignore[union-attr]
    assert check_answer(draft, Step.WHO, "  星光学堂 ", FORM, LIMITS) is None


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        ((), "at least one"),
        ((Choice("a", "甲", "A"), Choice("a", "乙", "B")), "different"),
    ],
)
def test_form_settings_are_checked(categories: tuple[Choice, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FormSettings(categories=categories)


def test_choice_ids_fit_in_callback_data() -> None:
    with pytest.raises(ValueError, match="a-z"):
        Choice("Has Space", "甲", "A")
    with pytest.raises(ValueError, match="a-z"):
        Choice("x" * 25, "甲", "A")
    longest = max(len(c.id) for c in (*FORM.categories, *FORM.districts))
    assert len(f"r:{'0' * 32}:dist:{'x' * longest}".encode()) <= 64
