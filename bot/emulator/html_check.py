"""Telegram's HTML parse mode, checked and converted the way the Bot API does it.

The parser follows the server's own rules (TDLib ``parse_html``): the allowed tags, the
error texts, byte offsets counted in UTF-8, entity offsets counted in UTF-16 code units.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

Entity = dict[str, Any]

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)

# Tags whose entity needs nothing but its position.
_PLAIN_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}

_NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = frozenset(" \t\r\n\f\v")
_TAG_NAME_STOPS = _SPACES | {">"}
_NAME_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + ".-")
_ATTRIBUTE_NAME_STOPS = frozenset("=>/\"'")


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(error)`` is Telegram's explanation."""

    @property
    def description(self) -> str:
        return f"Bad Request: can't parse entities: {self}"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    text_start: int  # index into the output characters, for links without href


class _HtmlParser:
    def __init__(self, source: str, *, strict_ampersand: bool) -> None:
        self.source = source
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.out: list[str] = []
        self.utf16_offset = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[Entity] = []

    # -- small helpers -------------------------------------------------------------------

    def at(self, index: int) -> str:
        return self.source[index] if index < len(self.source) else ""

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def error(self, message: str) -> HtmlParseError:
        return HtmlParseError(message)

    def skip_spaces(self) -> None:
        while self.at(self.pos) in _SPACES:
            self.pos += 1

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16_offset += utf16_len(text)

    # -- the scan ------------------------------------------------------------------------

    def parse(self) -> tuple[str, list[Entity]]:
        while self.pos < len(self.source):
            ch = self.source[self.pos]
            if ch == "&":
                self.read_character_reference()
            elif ch != "<":
                self.emit(ch)
                self.pos += 1
            elif self.at(self.pos + 1) == "/":
                self.read_end_tag()
            else:
                self.read_start_tag()
        if self.open_tags:
            name = self.open_tags[-1].name
            raise self.error(f'Can\'t find end tag corresponding to start tag "{name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # only a pre block keeps its language
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def read_character_reference(self) -> None:
        decoded = decode_character_reference(self.source, self.pos)
        if decoded is not None:
            character, self.pos = decoded
            self.emit(character)
            return
        if self.strict_ampersand:
            # Telegram shows such an "&" literally; the strict check exists to catch text that
            # was never escaped (a user typing "&lt;" would otherwise be shown as "<").
            offset = self.byte_offset(self.pos)
            raise self.error(f'Unescaped "&" at byte offset {offset} (emulator strict_html)')
        self.emit("&")
        self.pos += 1

    def read_start_tag(self) -> None:
        begin = self.pos
        self.pos += 1
        while self.pos < len(self.source) and self.at(self.pos) not in _TAG_NAME_STOPS:
            self.pos += 1
        if self.pos >= len(self.source):
            raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.source[begin + 1 : self.pos].lower()
        if name not in ALLOWED_TAGS:
            offset = self.byte_offset(begin)
            raise self.error(f'Unsupported start tag "{name}" at byte offset {offset}')
        argument = self.read_attributes(name, begin)
        self.pos += 1  # the ">"
        if name == "span" and argument != "spoiler":
            offset = self.byte_offset(begin)
            raise self.error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        self.open_tags.append(_OpenTag(name, argument, self.utf16_offset, len(self.out)))

    def read_attributes(self, tag: str, begin: int) -> str:
        """Read attributes up to the closing ">"; return the one that matters for ``tag``."""
        argument = ""
        while self.at(self.pos) != ">":
            self.skip_spaces()
            if self.at(self.pos) == ">":
                break
            name_start = self.pos
            while self.pos < len(self.source) and not (
                self.at(self.pos) in _SPACES or self.at(self.pos) in _ATTRIBUTE_NAME_STOPS
            ):
                self.pos += 1
            name = self.source[name_start : self.pos]
            if not name:
                offset = self.byte_offset(begin)
                raise self.error(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
            self.skip_spaces()
            if self.at(self.pos) != "=":
                if self.pos >= len(self.source):
                    offset = self.byte_offset(begin)
                    raise self.error(f'Unclosed start tag "{tag}" at byte offset {offset}')
                if tag == "blockquote" and name == "expandable":
                    argument = "expandable"
                continue
            self.pos += 1
            self.skip_spaces()
            if self.pos >= len(self.source):
                offset = self.byte_offset(begin)
                raise self.error(f'Unclosed start tag "{tag}" at byte offset {offset}')
            value = self.read_attribute_value()
            if self.pos >= len(self.source):
                raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            argument = _tag_argument(tag, name, value, argument)
        return argument

    def read_attribute_value(self) -> str:
        quote = self.at(self.pos)
        if quote not in ("'", '"'):
            token_start = self.pos
            while self.at(self.pos) in _NAME_TOKEN_CHARS and self.pos < len(self.source):
                self.pos += 1
            after = self.at(self.pos)
            if not after or (after not in _SPACES and after != ">"):
                offset = self.byte_offset(token_start)
                raise self.error(f"Unexpected end of name token at byte offset {offset}")
            return self.source[token_start : self.pos].lower()
        self.pos += 1
        value: list[str] = []
        while self.pos < len(self.source) and self.source[self.pos] != quote:
            decoded = None
            if self.source[self.pos] == "&":
                decoded = decode_character_reference(self.source, self.pos)
            if decoded is not None:
                value.append(decoded[0])
                self.pos = decoded[1]
            else:
                value.append(self.source[self.pos])
                self.pos += 1
        if self.at(self.pos) == quote:
            self.pos += 1
        return "".join(value)

    def read_end_tag(self) -> None:
        begin = self.pos
        if not self.open_tags:
            raise self.error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 2
        while self.pos < len(self.source) and self.at(self.pos) not in _TAG_NAME_STOPS:
            self.pos += 1
        end_name = self.source[begin + 2 : self.pos].lower()
        self.skip_spaces()
        if self.at(self.pos) != ">":
            raise self.error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 1
        tag = self.open_tags.pop()
        if end_name and end_name != tag.name:
            raise self.error(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{end_name}>"'
            )
        if self.utf16_offset > tag.utf16_start:
            self.add_entity(tag)

    # -- entities ------------------------------------------------------------------------

    def add_entity(self, tag: _OpenTag) -> None:
        entity: Entity = {
            "type": "",
            "offset": tag.utf16_start,
            "length": self.utf16_offset - tag.utf16_start,
        }
        if tag.name in _PLAIN_ENTITY_TYPES:
            entity["type"] = _PLAIN_ENTITY_TYPES[tag.name]
        elif tag.name == "a":
            entity["type"] = "text_link"
            entity["url"] = tag.argument or "".join(self.out[tag.text_start :])
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit():
                raise self.error("Invalid custom emoji identifier specified")
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "blockquote":
            expandable = tag.argument == "expandable"
            entity["type"] = "expandable_blockquote" if expandable else "blockquote"
        elif self.merge_code_and_pre(tag, entity):
            return
        else:
            entity["type"] = tag.name  # "code" or "pre"
            if tag.argument:
                entity["language"] = tag.argument
        self.entities.append(entity)

    def merge_code_and_pre(self, tag: _OpenTag, entity: Entity) -> bool:
        """``<pre><code class="language-x">`` is one ``pre`` entity with a language."""
        if not self.entities:
            return False
        last = self.entities[-1]
        same_span = last["offset"] == entity["offset"] and last["length"] == entity["length"]
        other = "pre" if tag.name == "code" else "code"
        if not same_span or last["type"] != other:
            return False
        language = tag.argument or last.get("language", "")
        last["type"] = "pre"
        if language:
            last["language"] = language
        return True


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    return current


def decode_character_reference(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&lt;``, ``&#60;``, ``&#x3c;`` at ``pos`` (the ";" is optional, as in Telegram).

    Returns the character and the index after the reference, or None for a literal "&".
    """
    end = pos + 1
    if text[end : end + 1] == "#":
        end += 1
        hexadecimal = text[end : end + 1] == "x"
        digits = string.hexdigits if hexadecimal else string.digits
        end += hexadecimal
        start = end
        while end < len(text) and text[end] in digits:
            end += 1
        code = int(text[start:end], 16 if hexadecimal else 10) if end > start else 0
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF or end - pos >= 10:
            return None
        character = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_CHARACTERS.get(text[pos + 1 : end])
        if named is None:
            return None
        character = named
    if text[end : end + 1] == ";":
        end += 1
    return character, end


def parse_html(text: str, *, strict_ampersand: bool = False) -> tuple[str, list[Entity]]:
    """Return the plain text and its entities, or raise HtmlParseError with Telegram's text."""
    return _HtmlParser(text, strict_ampersand=strict_ampersand).parse()


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace as Telegram does, moving entities with the text."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
