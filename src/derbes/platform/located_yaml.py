"""YAML documents whose problems point at a file, a line and a dotted path.

Shared by the loaders of the processing register (``register_yaml``) and of
the operator-database datasets (``dataset_yaml``): both read the text, record
the line of every dotted path (``purposes[3].retention.period``), check the
structure with a JSON Schema and report every problem located, so a DPO can
find it at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from derbes.errors import Problem
from derbes.platform import yaml_text
from derbes.platform.doc_paths import line_of

__all__ = [
    "YamlReadError",
    "join_path",
    "line_of",
    "located",
    "nested_too_deeply",
    "plain",
    "read_document",
    "read_file",
    "schema_message",
    "schema_path",
    "schema_problems",
    "schema_validator",
    "walk_lines",
]


def read_file(file: Path, error: Callable[[list[Problem]], Exception]) -> str:
    """The text of ``file``; what keeps it from being read is ``error`` with one problem
    naming the file (not found, not UTF-8, the system's reason)."""
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        why = "file not found"
    except UnicodeDecodeError:
        why = "not UTF-8 text"
    except OSError as exc:
        why = f"cannot read: {exc.strerror}"
    raise error([Problem(why, "", file=str(file))])


class YamlReadError(Exception):
    """The text is not YAML that can be read; ``problem`` says why (and where, if known)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def join_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def walk_lines(node: yaml.Node, path: str, lines: dict[str, int], problems: list[Problem]) -> None:
    """Record the 1-based line of every path under ``node``; report duplicate keys."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = join_path(path, key)
            if key in seen:
                problems.append(
                    Problem(f"duplicate key {key!r}", child, line=key_node.start_mark.line + 1)
                )
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            walk_lines(value_node, child, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            walk_lines(item, join_path(path, i), lines, problems)


def plain(value: Any) -> Any:
    """YAML gives dates; the schema and the domain want ISO strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def schema_path(parts: Any) -> str:
    path = ""
    for part in parts:
        path = join_path(path, part)
    return path


def schema_validator(schema: Mapping[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator of ``schema`` (JSON Schema 2020-12); a schema that is itself invalid
    raises here, before any document is checked against it."""
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_problems(validator: jsonschema.Draft202012Validator, data: Any) -> list[Problem]:
    """Every place where ``data`` breaks the schema, in document order, each at its dotted
    path and in words a DPO understands."""
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [Problem(schema_message(e), schema_path(e.absolute_path)) for e in errors]


def located(problems: Iterable[Problem], file: str, lines: Mapping[str, int]) -> list[Problem]:
    """The problems in ``file``, each at its own line or else at the line of its path."""
    return [
        Problem(p.message, p.path, file=file,
                line=p.line if p.line is not None else line_of(lines, p.path), code=p.code)
        for p in problems
    ]


def nested_too_deeply(file: str) -> Problem:
    """What a reader reports when the document recursed too deeply: deep nesting, or an
    alias that contains itself (``&a [*a]``); PyYAML, the path walk and the schema check
    all recurse."""
    return Problem("malformed YAML: nested too deeply or an alias refers to itself", "",
                   file=file)


def schema_message(error: jsonschema.ValidationError) -> str:
    """A JSON Schema error in words a DPO editing YAML understands."""
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


def read_document(text: str, file: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for lines) and the data of ``text``; :class:`YamlReadError` if unreadable."""
    try:
        node = yaml_text.compose(text)
        data = yaml_text.load(text)
    except (ValueError, KeyError, TypeError, OverflowError):
        # PyYAML's constructors let these through for scalars that match a
        # type but are not values of it: 2026-02-30, !!bool maybe, !!int x.
        raise YamlReadError(
            Problem(
                "malformed YAML: a value cannot be read as its type "
                "(an impossible date such as 2026-02-30, or a wrong !!tag)",
                "",
                file=file,
            )
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise YamlReadError(
            Problem(
                f"malformed YAML: {problem}",
                "",
                file=file,
                line=mark.line + 1 if mark else None,
            )
        ) from None
    return node, data
