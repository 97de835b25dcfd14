"""The report form: which questions a tip-off asks, in what order, and what each answer may be.

The conversation's state is the draft's ``step`` as saved in the store (see
:mod:`bot.tickets.drafts`), never memory: every update re-reads it, so a restart, or another
instance of the bot, carries on exactly where the reporter was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.tickets.model import ReportDraft
from bot.tickets.settings import ReportLimits


class Step(StrEnum):
    """The questions, in the order they are asked."""

    CATEGORY = "category"  # what kind of violation (buttons)
    DISTRICT = "district"  # where, roughly (buttons)
    WHO = "who"  # the institution's or person's name
    WHERE = "where"  # the address
    WHEN = "when"  # when it happens
    WHAT = "what"  # what happened
    EVIDENCE = "evidence"  # photos and files, optional
    CONTACT = "contact"  # optional, only what the reporter types
    REVIEW = "review"  # summary: edit, confirm or cancel


ORDER: tuple[Step, ...] = tuple(Step)
# Steps answered by typing; the others are answered with buttons (or files, for evidence).
TEXT_STEPS = frozenset({Step.WHO, Step.WHERE, Step.WHEN, Step.WHAT, Step.CONTACT})
# Steps the reporter can go back to from the review.
EDITABLE = ORDER[:-1]

# Where each typed answer is kept in the draft: a field of its own, or ``answers[key]``.
_ANSWER_KEYS = {Step.WHERE: "address", Step.WHEN: "when", Step.CONTACT: "contact"}
_RETURN_TO_REVIEW = ">review"
_CHOICE_ID = re.compile(r"[a-z0-9_]{1,24}")


@dataclass(frozen=True)
class Position:
    """A step, and whether answering it returns to the review (the reporter is editing)."""

    step: Step
    then_review: bool = False

    def encode(self) -> str:
        return f"{self.step}{_RETURN_TO_REVIEW}" if self.then_review else str(self.step)

    @classmethod
    def parse(cls, stored: str) -> Position:
        """The position saved in a draft; anything unknown (an older draft) starts over."""
        name, _, rest = stored.partition(">")
        try:
            step = Step(name)
        except ValueError:
            return cls(Step.CATEGORY)
        return cls(step, then_review=bool(rest) and step != Step.REVIEW)

    @property
    def number(self) -> int:
        """1-based, for "step 3 of 8"."""
        return ORDER.index(self.step) + 1

    def following(self) -> Position:
        if self.then_review:
            return Position(Step.REVIEW)
        return Position(ORDER[min(ORDER.index(self.step) + 1, len(ORDER) - 1)])

    def previous(self) -> Position | None:
        index = ORDER.index(self.step)
        return Position(ORDER[index - 1]) if index > 0 else None


QUESTION_COUNT = len(ORDER) - 1  # the review is not a question


def position_of(draft: ReportDraft) -> Position:
    return Position.parse(draft.step)


def at(draft: ReportDraft, position: Position) -> ReportDraft:
    return replace(draft, step=position.encode())


def answer_of(draft: ReportDraft, step: Step) -> str:
    if step == Step.CATEGORY:
        return draft.category
    if step == Step.DISTRICT:
        return draft.district
    if step == Step.WHO:
        return draft.institution
    if step == Step.WHAT:
        return draft.description
    key = _ANSWER_KEYS.get(step)
    return draft.answers.get(key, "") if key else ""


def with_answer(draft: ReportDraft, step: Step, value: str) -> ReportDraft:
    """The draft with ``step`` answered; an empty optional answer is removed, not kept."""
    if step == Step.CATEGORY:
        return replace(draft, category=value)
    if step == Step.DISTRICT:
        return replace(draft, district=value)
    if step == Step.WHO:  # a new name: what the registry said of the old one no longer holds
        return replace(draft, institution=value, registry="")
    if step == Step.WHAT:
        return replace(draft, description=value)
    key = _ANSWER_KEYS[step]
    answers = {k: v for k, v in draft.answers.items() if k != key}
    if value:
        answers[key] = value
    return replace(draft, answers=answers)


class Problem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class AnswerProblem:
    problem: Problem
    limit: int = 0
    length: int = 0


def answer_limit(draft: ReportDraft, step: Step, form: FormSettings, limits: ReportLimits) -> int:
    """The longest answer ``step`` may take now: its own cap, and what is left of the
    report's total (so the whole draft always fits when it is submitted)."""
    cap = limits.max_text_chars if step == Step.WHAT else form.short_answer_chars
    used_elsewhere = draft.text_length() - len(answer_of(draft, step))
    return max(0, min(cap, limits.max_text_chars - used_elsewhere))


def check_answer(
    draft: ReportDraft, step: Step, text: str, form: FormSettings, limits: ReportLimits
) -> AnswerProblem | None:
    answer = text.strip()
    if not answer:
        return AnswerProblem(Problem.EMPTY)
    limit = answer_limit(draft, step, form, limits)
    if len(answer) > limit:
        return AnswerProblem(Problem.TOO_LONG, limit=limit, length=len(answer))
    return None


# --- Settings: the choices offered as buttons --------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One button: an id kept in the ticket (and in callback data), and what people read."""

    id: str
    zh: str
    en: str

    def __post_init__(self) -> None:
        if not _CHOICE_ID.fullmatch(self.id):
            raise ValueError(f"id {self.id!r} must be 1-24 of a-z, 0-9 and _")
        if not self.zh.strip() or not self.en.strip():
            raise ValueError(f"{self.id}: both labels (zh, en) are needed")
        if max(len(self.zh), len(self.en)) > 60:
            raise ValueError(f"{self.id}: labels longer than 60 characters do not fit a button")

    def label(self, language: str) -> str:
        return self.en if language == "en" else self.zh


DEFAULT_CATEGORIES = (
    Choice(
        "holiday_classes",
        "周末、节假日、寒暑假学科类培训",
        "Subject classes on weekends, holidays or in vacations",
    ),
    Choice("teacher_paid_tutoring", "在职教师有偿补课", "Serving teachers tutoring for money"),
    Choice(
        "disguised_tutoring",
        "以家政、住家、众筹、研学、夏令营、托管等名义变相培训",
        "Disguised tutoring (home help, camps, study tours, care …)",
    ),
    Choice("unlicensed", "无证无照培训机构", "Unlicensed tutoring institution"),
    Choice(
        "online_hours",
        "线上培训晚于21:00或单节超过30分钟",
        "Online classes after 21:00 or over 30 minutes",
    ),
    Choice("preschool", "面向学龄前儿童的学科类培训", "Subject classes for preschool children"),
    Choice("prepaid_fees", "违规预收费、培训贷", "Illegal prepaid fees or tutoring loans"),
    Choice("advertising", "违规培训广告", "Illegal tutoring advertisements"),
    Choice(
        "school_burden",
        "学校作业、考试、课后服务违规",
        "School homework, exams or after-school service",
    ),
    Choice("other", "其他", "Other"),
)

DEFAULT_DISTRICTS = (
    Choice("dongcheng", "东城区", "Dongcheng"),
    Choice("xicheng", "西城区", "Xicheng"),
    Choice("chaoyang", "朝阳区", "Chaoyang"),
    Choice("haidian", "海淀区", "Haidian"),
    Choice("other", "其他或不确定", "Other or not sure"),
)


@dataclass(frozen=True)
class FormSettings:
    """The ``report_form:`` section of the config."""

    categories: tuple[Choice, ...] = DEFAULT_CATEGORIES
    districts: tuple[Choice, ...] = DEFAULT_DISTRICTS
    # Longest answer to the short questions (who, where, when, contact), in characters.
    short_answer_chars: int = 200
    # After this long without a word, the next message first reminds the reporter where they
    # were instead of being taken as an answer (they may have forgotten the report).
    idle_minutes: int = 30

    def __post_init__(self) -> None:
        for name, choices in (("categories", self.categories), ("districts", self.districts)):
            if not choices:
                raise ValueError(f"{name} must list at least one choice")
            ids = [c.id for c in choices]
            if len(set(ids)) != len(ids):
                raise ValueError(f"{name}: every id must be different")
        if not 20 <= self.short_answer_chars <= 1000:
            raise ValueError("short_answer_chars must be between 20 and 1000")
        if self.idle_minutes < 1:
            raise ValueError("idle_minutes must be at least 1")

    def category(self, choice_id: str) -> Choice | None:
        return next((c for c in self.categories if c.id == choice_id), None)

    def district(self, choice_id: str) -> Choice | None:
        return next((c for c in self.districts if c.id == choice_id), None)
