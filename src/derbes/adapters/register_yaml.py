"""Read a register YAML file: structure (JSON Schema), then semantics (domain).

Every problem carries the file, the line and the dotted path in the YAML
(``purposes[3].retention.period``), so a DPO can find it at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from derbes.adapters.register_schema import register_schema
from derbes.domain import register as reg
from derbes.domain.register_builder import build as build_register
from derbes.errors import Problem, RegisterError


@dataclass(frozen=True)
class LoadedRegister:
    register: reg.Register
    source: str
    sha256: str
    file: str
    lines: Mapping[str, int]  # dotted YAML path -> 1-based line

    def line_of(self, path: str) -> int | None:
        return line_of(self.lines, path)


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return lines.get(path)


# ------------------------------------------------------------------ parsing


def _join(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _walk(node: yaml.Node, path: str, lines: dict[str, int], problems: list[Problem]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = _join(path, key)
            if key in seen:
                problems.append(
                    Problem(f"duplicate key {key!r}", child, line=key_node.start_mark.line + 1)
                )
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, _join(path, i), lines, problems)


def _plain(value: Any) -> Any:
    """YAML gives dates; the schema and the domain want ISO strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _schema_path(parts: Any) -> str:
    path = ""
    for part in parts:
        path = _join(path, part)
    return path


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key: {error.message.split('(')[-1].rstrip(')')}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "anyOf" and isinstance(error.instance, int | float):
        options = list(error.validator_value)  # type: ignore[arg-type]
        if any(isinstance(o, dict) and o.get("type") == "string" for o in options):
            return "must be text, not a number: quote it (YAML reads digits as numbers)"
    if (
        error.validator == "type"
        and error.validator_value == "string"
        and isinstance(error.instance, int | float)
    ):
        return (
            "must be text, not a number: quote it (YAML reads digits with leading zeros as numbers)"
        )
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in list(error.validator_value))  # type: ignore[arg-type]
        return f"{error.instance!r} is not one of: {allowed}"
    return error.message


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = register_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@cache
def base_taxonomy() -> tuple[tuple[reg.DataCategory, ...], tuple[reg.SubjectCategory, ...]]:
    raw = yaml.safe_load(
        resources.files("derbes.data").joinpath("taxonomy.yaml").read_text(encoding="utf-8")
    )
    cats = tuple(
        reg.DataCategory(
            id=c["id"],
            labels=reg.Text(**c["labels"]),
            sensitivity=reg.Sensitivity(c["sensitivity"]),
            value_type=reg.ValueType(c["value_type"]),
            base=True,
        )
        for c in raw["categories"]
    )
    subjects = tuple(
        reg.SubjectCategory(id=s["id"], labels=reg.Text(**s["labels"]), base=True)
        for s in raw["subject_categories"]
    )
    return cats, subjects


def _bin_checker() -> Callable[[str], object] | None:
    try:
        from derbes.domain.identifiers import bin as bin_module
    except ImportError:  # pragma: no cover - identifiers are part of the package
        return None
    parse: Callable[[str], object] = bin_module.parse
    return parse


def parse_register(text: str, file: str = "<register>") -> LoadedRegister:
    """Parse and validate register text; raise :class:`RegisterError` with every problem."""
    try:
        return _parse_register(text, file)
    except RecursionError:
        # Deep nesting, or an alias that contains itself (&a [*a]): PyYAML,
        # the path walk and the schema check all recurse.
        raise RegisterError(
            [
                Problem(
                    "malformed YAML: nested too deeply or an alias refers to itself",
                    "",
                    file=file,
                )
            ]
        ) from None


def _parse_register(text: str, file: str) -> LoadedRegister:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (ValueError, KeyError, TypeError, OverflowError):
        # PyYAML's constructors let these through for scalars that match a
        # type but are not values of it: 2026-02-30, !!bool maybe, !!int x.
        raise RegisterError(
            [
                Problem(
                    "malformed YAML: a value cannot be read as its type "
                    "(an impossible date such as 2026-02-30, or a wrong !!tag)",
                    "",
                    file=file,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise RegisterError(
            [
                Problem(
                    f"malformed YAML: {problem}",
                    "",
                    file=file,
                    line=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    if node is None or not isinstance(data, dict):
        raise RegisterError(
            [Problem("a register must be a YAML mapping (key: value)", "", file=file, line=1)]
        )
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    _walk(node, "", lines, problems)
    data = _plain(data)
    for error in sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = _schema_path(error.absolute_path)
        problems.append(Problem(_schema_message(error), path))
    if not problems:
        cats, subjects = base_taxonomy()
        try:
            register = build_register(data, cats, subjects, check_bin=_bin_checker())
        except RegisterError as exc:
            problems.extend(exc.problems)
    if problems:
        located = [
            Problem(
                p.message,
                p.path,
                file=file,
                line=p.line if p.line is not None else line_of(lines, p.path),
                code=p.code,
            )
            for p in problems
        ]
        raise RegisterError(located)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedRegister(register=register, source=text, sha256=digest, file=file, lines=lines)


def load_register(path: str | Path) -> LoadedRegister:
    """Load a register file from disk."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegisterError([Problem("file not found", "", file=str(file))]) from None
    except UnicodeDecodeError:
        raise RegisterError([Problem("not UTF-8 text", "", file=str(file))]) from None
    except OSError as exc:
        raise RegisterError([Problem(f"cannot read: {exc.strerror}", "", file=str(file))]) from None
    return parse_register(text, str(file))
