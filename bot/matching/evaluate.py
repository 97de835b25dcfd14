"""``eval``: score the matcher on a file of labelled questions.

A case is ``{q: question, expect: entry id or null, also: [other acceptable ids]}``. An in-scope
case counts only when the bot *answers* with an acceptable id (a suggestion is not an answer);
an out-of-scope case counts only when the bot declines (band ``none``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.matching.matcher import Matcher, MatchResult
from bot.schema import bind
from bot.yamlfile import read_yaml


@dataclass(frozen=True)
class Case:
    q: str
    expect: str | None = None
    also: tuple[str, ...] = ()

    @property
    def accepted(self) -> tuple[str, ...]:
        return (self.expect, *self.also) if self.expect else ()


@dataclass(frozen=True)
class CaseFile:
    cases: tuple[Case, ...] = ()


@dataclass(frozen=True)
class Outcome:
    case: Case
    result: MatchResult

    @property
    def passed(self) -> bool:
        if self.case.expect is None:
            return self.result.band == "none"
        return self.result.entry_id in self.case.accepted


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]

    def _count(self, in_scope: bool) -> tuple[int, int]:
        chosen = [o for o in self.outcomes if (o.case.expect is not None) == in_scope]
        return sum(o.passed for o in chosen), len(chosen)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def summary(self) -> str:
        hit, total = self._count(in_scope=True)
        rejected, outside = self._count(in_scope=False)
        return (
            f"in-scope top-1: {percent(hit, total)} ({hit}/{total})  "
            f"out-of-scope rejected: {percent(rejected, outside)} ({rejected}/{outside})"
        )


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def load_cases(path: Path) -> tuple[Case, ...]:
    return bind(CaseFile, read_yaml(path)).cases


def evaluate(matcher: Matcher, cases: tuple[Case, ...]) -> Report:
    return Report(tuple(Outcome(case, matcher.match(case.q)) for case in cases))


def describe_failure(outcome: Outcome) -> str:
    result = outcome.result
    got = result.entry_id or f"({result.band})"
    top = ", ".join(f"{c.id} {c.score:.0f}" for c in result.candidates[:3]) or "-"
    expected = outcome.case.expect or "(none)"
    return f"FAIL {outcome.case.q!r}: expected {expected}, got {got}  [top: {top}]"
