"""Normalisation is the same for questions and knowledge: width, script, case, symbols."""

from __future__ import annotations

import pytest

from bot.matching.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("週末可以上補習班嗎?", "周末可以上补习班吗"),  # traditional -> simplified
        ("ＡＢＣ１２３，作业", "abc123 作业"),  # full width -> half width, lower case
        ("What's UP?!", "what s up"),
        ("作\u200b业\u200d时间", "作业时间"),  # zero-width characters vanish
        ("\u202e作业\u202c", "作业"),  # direction marks vanish
        ("<b>作业</b> **多**", "b 作业 b 多"),  # markup is only text
        ("5 + 2 课后服务", "5+2 课后服务"),
        ("C++ 编程", "c 编程"),
        ("👍😀🎉", ""),
        ("   ", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_is_idempotent() -> None:
    once = normalize("週末ＡＢＣ，補習班😀")
    assert normalize(once) == once
