"""YAML reading that remembers where every value came from.

Config and knowledge-base errors must name the file and line, so we compose the node tree
ourselves and keep a ``(key, key, ...) -> line`` map next to the plain Python data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]
# libyaml's parser where PyYAML was built with it (its wheels are): the same nodes and lines,
# 6x faster than the pure-Python one, which took a third of the bot's start on the knowledge base.
_COMPOSER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlFileError(Exception):
    """A problem located in a file: renders as ``file:line: message``."""

    def __init__(self, file: str | Path, line: int | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class LocatedYaml:
    """Plain data from one YAML file plus the 1-based line of every key path."""

    file: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor we know."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def error(self, path: KeyPath, message: str) -> YamlFileError:
        return YamlFileError(self.file, self.line_of(path), message)


def dotted(path: KeyPath) -> str:
    """``("telegram", "webhook", "port")`` -> ``telegram.webhook.port``; list items as ``[2]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def parse_yaml(text: str, file: str | Path) -> LocatedYaml:
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlFileError(file, line, f"unreadable YAML: {problem}") from None
    lines: dict[KeyPath, int] = {}
    builder = _Builder(file, yaml.SafeLoader(""), lines)
    data = builder.build(node, ()) if node is not None else None
    return LocatedYaml(str(file), data, lines)


def read_yaml(path: str | Path) -> LocatedYaml:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlFileError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlFileError(path, None, f"cannot read file: {exc}") from None
    return parse_yaml(text, path)


@dataclass
class _Builder:
    file: str | Path
    loader: yaml.SafeLoader
    lines: dict[KeyPath, int]

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlFileError(self.file, line, "keys must be plain text")
            key = str(self.loader.construct_object(key_node))
            if key in out:
                raise YamlFileError(self.file, line, f"duplicate key '{key}'")
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
        return out
