"""Turn plain YAML data into frozen dataclasses, naming the file, key and line on any mistake."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from bot.yamlfile import KeyPath, LocatedYaml, YamlFileError, dotted

T = TypeVar("T")

_NAMES: dict[Any, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
}


def bind(cls: type[T], source: LocatedYaml, data: Any = None, path: KeyPath = ()) -> T:
    """Build ``cls`` from ``data`` (default: the whole file), raising :class:`YamlFileError`."""
    value = source.data if data is None and not path else data
    if value is None:
        value = {}
    return typing.cast(T, _Binder(source).value(cls, value, path))


class _Binder:
    def __init__(self, source: LocatedYaml) -> None:
        self.source = source

    def fail(self, path: KeyPath, message: str) -> YamlFileError:
        return self.source.error(path, f"{dotted(path)}: {message}")

    def value(self, tp: Any, value: Any, path: KeyPath) -> Any:
        origin = get_origin(tp)
        if dataclasses.is_dataclass(tp):
            return self.dataclass(typing.cast(type, tp), value, path)
        if origin in (typing.Union, types.UnionType):
            return self.union(tp, value, path)
        if origin is Literal:
            choices = get_args(tp)
            if value not in choices:
                allowed = ", ".join(repr(c) for c in choices)
                raise self.fail(path, f"expected one of {allowed}, got {value!r}")
            return value
        if origin in (tuple, list):
            return self.sequence(tp, value, path)
        if origin in (dict, Mapping):
            return self.mapping(tp, value, path)
        if tp is Any:
            return value
        return self.scalar(tp, value, path)

    def scalar(self, tp: Any, value: Any, path: KeyPath) -> Any:
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if tp is str and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # phone numbers and times are often written unquoted
        if isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
            return value
        raise self.fail(path, f"expected {_NAMES.get(tp, tp.__name__)}, got {_describe(value)}")

    def union(self, tp: Any, value: Any, path: KeyPath) -> Any:
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return self.value(option, value, path)
            except YamlFileError as exc:
                errors.append(exc)
        raise errors[0]

    def sequence(self, tp: Any, value: Any, path: KeyPath) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_describe(value)}")
        item_type = get_args(tp)[0]
        return tuple(self.value(item_type, item, (*path, i)) for i, item in enumerate(value))

    def mapping(self, tp: Any, value: Any, path: KeyPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping of keys to values, got {_describe(value)}")
        _, item_type = get_args(tp)
        return {k: self.value(item_type, v, (*path, k)) for k, v in value.items()}

    def dataclass(self, cls: type, value: Any, path: KeyPath) -> Any:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a section of keys, got {_describe(value)}")
        fields = {
            f.name: f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")
        }
        hints = get_type_hints(cls)
        for key in value:
            if key not in fields:
                known = ", ".join(sorted(fields))
                raise self.fail((*path, key), f"unknown key (known keys here: {known})")
        kwargs: dict[str, Any] = {}
        for name, spec in fields.items():
            if name in value:
                kwargs[name] = self.value(hints[name], value[name], (*path, name))
            elif (
                spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            ):
                raise self.fail((*path, name), "required value is missing")
        try:
            return cls(**kwargs)
        except ValueError as exc:  # __post_init__ checks ranges and cross-field rules
            raise self.fail(path, str(exc)) from None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (empty value)"
    if isinstance(value, bool):
        return f"true/false ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
