"""Reading cluster.yaml: YAML in, `ClusterConfig` out, or a `ConfigError` a person can act on.

Each problem names the field (dotted path), the value found and what would be valid; unknown
keys and enum values get a "did you mean ...?" from difflib.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from labctl.config.cluster import ClusterConfig, SecretRef

SHOWN = 20  # problems printed; a generated file can have tens of thousands, one cause


class ConfigError(Exception):
    """cluster.yaml cannot be read or is not valid; `problems` holds one line per issue (all of
    them), the message the first `SHOWN` and how many more there are."""

    exit_code = 65  # labctl.cli.exit_codes.EXIT_INVALID (the config layer imports no CLI)

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = [f"  - {p}" for p in self.problems[:SHOWN]]
        hidden = len(self.problems) - SHOWN
        if hidden > 0:
            lines.append(f"  ... and {hidden:,} more (fix these first: they often share a cause)")
        count = len(self.problems)
        super().__init__(
            f"{source}: {count:,} problem{'s' if count != 1 else ''}\n" + "\n".join(lines)
        )


def load_config(path: Path) -> ClusterConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    return parse_config(text, source=str(path))


def parse_config(text: str, source: str = "cluster.yaml") -> ClusterConfig:
    loader = _UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            source, [f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"]
        ) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise ConfigError(source, [problem for _, problem in sorted(loader.duplicates)])
    if not isinstance(data, dict):
        raise ConfigError(source, ["the file must be a mapping of keys (cluster:, nodes:, ...)"])
    try:
        return ClusterConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [describe(err) for err in exc.errors()]) from None


# libyaml's parser when PyYAML was built with it (the wheels are): 4x faster on a big file.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """yaml.safe_load, except that a key given twice in one mapping is a problem: YAML parsers
    (PyYAML, Go's yaml.v2) silently keep the last value, so an edit would be lost unseen."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []  # (line, problem)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` then a key overrides on purpose
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                seen = first_line.get(key)
                first_line.setdefault(key, line)
            except TypeError:
                continue  # an unhashable key fails later with PyYAML's own message
            if seen is not None:
                where = f"twice on line {line}" if seen == line else f"at lines {seen} and {line}"
                self.duplicates.append(
                    (line, f"duplicate key {key!r} {where}: YAML would silently keep the last "
                     "one; remove one")
                )  # fmt: skip
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def describe(err: ErrorDetails) -> str:
    """One pydantic error as `field: problem (got value)`, with a suggestion where one fits."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    where = _dotted(loc) or "(top level)"
    value = err.get("input")
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "literal_error":
        allowed = _literal_values(loc)
        hint = _suggest(str(value), allowed)
        return f"{where}: {value!r} is not one of {', '.join(map(repr, allowed))}{hint}"
    message = err["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        # Model validators already name their fields; field validators get the path prefixed.
        named = not loc or message.startswith(f"{loc[0]}.")
        return message if named else f"{where}: {message}"
    if kind in ("model_type", "model_attributes_type") and _expects_secret_ref(loc):
        return (
            f"{where}: expected a secret reference {{name: <Secret>, key: <key>}}, got "
            f"{_show(value)}; never put the secret value itself in cluster.yaml"
        )
    return f"{where}: {message} (got {_show(value)})"


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    parent, key = loc[:-1], str(loc[-1])
    valid = _fields_at(parent)
    where = _dotted(parent) or "the top level"
    hint = _suggest(key, valid)
    message = f"{where}: unknown key {key!r}{hint}; valid keys: {', '.join(valid)}"
    if _expects_secret_ref(parent):
        message += "; a secret reference names a Secret and its key, never the value"
    return message


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _annotation_at(loc: tuple[int | str, ...]) -> Any:
    """The type annotation that the value at `loc` was validated against (best effort)."""
    current: Any = ClusterConfig
    for part in loc:
        current = _strip(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            current = field.annotation if field else None
        else:
            return None
    return _strip(current)


def _strip(annotation: Any) -> Any:
    """Unwrap Annotated/Optional so the model or list type underneath shows."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else options[0]
        else:
            return annotation


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    model = _annotation_at(loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _literal_values(loc: tuple[int | str, ...]) -> list[str]:
    annotation = _annotation_at(loc)
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    return []


def _expects_secret_ref(loc: tuple[int | str, ...]) -> bool:
    return _annotation_at(loc) is SecretRef
