"""Long replies are cut under Telegram's limit without breaking HTML."""

from __future__ import annotations

import html

from telegram.constants import MessageLimit

from handlers.common import split_message

LIMIT = MessageLimit.MAX_TEXT_LENGTH


def test_short_text_is_one_part() -> None:
    assert split_message("<b>标题</b>\n正文") == ["<b>标题</b>\n正文"]


def test_parts_cut_at_line_breaks_and_keep_everything() -> None:
    lines = [f"第{i}行" + "字" * 90 for i in range(200)]
    parts = split_message("\n".join(lines))
    assert len(parts) > 1
    assert all(len(p) <= LIMIT for p in parts)
    assert "\n".join(parts).split("\n") == lines


def test_one_huge_line_is_cut_without_splitting_entities() -> None:
    text = html.escape("<&>" * 3000)  # 15,000 characters of entities, no line breaks
    parts = split_message(text)
    assert all(len(p) <= LIMIT for p in parts)
    assert "".join(parts) == text
    for part in parts:
        assert html.unescape(part).count("&") == part.count("&amp;")  # no broken entity


def test_blank_text_gives_nothing_to_send() -> None:
    assert split_message("\n\n") == []
