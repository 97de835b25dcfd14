"""Telegram's HTML rules, checked without a server."""

from __future__ import annotations

import pytest

from bot.emulator.html_check import HtmlParseError, parse_html, strip_text, utf16_len


def test_allowed_tags_become_entities_with_utf16_offsets() -> None:
    text, entities = parse_html('😀<b>粗</b> <a href="https://example.org/?a=1&amp;b=2">链接</a>')
    assert text == "😀粗 链接"
    assert entities == [
        {"type": "bold", "offset": 2, "length": 1},
        {"type": "text_link", "offset": 4, "length": 2, "url": "https://example.org/?a=1&b=2"},
    ]


def test_character_references_are_decoded() -> None:
    text, _ = parse_html("&lt;b&gt; &amp; &quot; &#20013; &#x6587;")
    assert text == '<b> & " 中 文'


def test_spoilers_code_blocks_and_quotes() -> None:
    source = (
        '<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>'
        '<pre><code class="language-python">c</code></pre><blockquote expandable>d</blockquote>'
    )
    text, entities = parse_html(source)
    assert text == "abcd"
    assert [e["type"] for e in entities] == ["spoiler", "spoiler", "pre", "expandable_blockquote"]
    assert entities[2]["language"] == "python"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("中<br>", 'Unsupported start tag "br" at byte offset 3'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("bold</b>", "Unexpected end tag at byte offset 4"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_invalid_markup_is_rejected_with_telegrams_text(source: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as raised:
        parse_html(source)
    assert str(raised.value) == error
    assert raised.value.description == f"Bad Request: can't parse entities: {error}"


def test_bare_ampersand_is_literal_in_telegram_and_rejected_when_strict() -> None:
    assert parse_html("Q&A")[0] == "Q&A"
    with pytest.raises(HtmlParseError, match='Unescaped "&" at byte offset 1'):
        parse_html("Q&A", strict_ampersand=True)


def test_stripping_whitespace_moves_entities() -> None:
    text, entities = parse_html("  <b>hi</b>  ")
    assert strip_text(text, entities) == ("hi", [{"type": "bold", "offset": 0, "length": 2}])


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_len("中文") == 2
    assert utf16_len("😀") == 2
