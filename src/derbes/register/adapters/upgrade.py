"""Rewrite a register file of schema version 1 as version 2, keeping its comments.

The edits come from ``register/model/upgrade.py`` (pure, on the data); here they
are applied to the text at the exact positions of the YAML nodes, so that the
comments, order and layout a DPO wrote stay as they were. The result is read
back and must give exactly the upgraded data, or nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from derbes.errors import InputError, Problem, RegisterError
from derbes.platform import yaml_text
from derbes.platform.located_yaml import YamlReadError, join_path, plain, read_document
from derbes.register.model.upgrade import Edit, Rename, Replace, needs_upgrade, upgrade


@dataclass(frozen=True)
class Upgraded:
    text: str
    notes: tuple[str, ...]
    changed: bool


@dataclass(frozen=True)
class _Located:
    key: yaml.Node | None  # None for a sequence item
    value: yaml.Node
    parent: yaml.Node


def _locate(node: yaml.Node, path: str, parent: yaml.Node, found: dict[str, _Located]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = join_path(path, str(key_node.value))
            found[child] = _Located(key_node, value_node, node)
            _locate(value_node, child, node, found)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = join_path(path, i)
            found[child] = _Located(None, item, node)
            _locate(item, child, node, found)


def _offsets(text: str) -> list[int]:
    starts = [0]
    for i, char in enumerate(text):
        if char == "\n":
            starts.append(i + 1)
    return starts


Span = tuple[int, int, str]  # replace text[start:end] with the string


def _span_of(mark: yaml.Mark, starts: list[int]) -> int:
    return starts[mark.line] + mark.column


def _spans(edit: Edit, where: dict[str, _Located], starts: list[int], text: str) -> list[Span]:
    at = where.get(edit.path)
    if at is None:
        raise InputError(f"cannot find {edit.path} in the text", field=edit.path)
    if isinstance(edit, Rename):
        assert at.key is not None
        return [(_span_of(at.key.start_mark, starts), _span_of(at.key.end_mark, starts),
                 edit.new_key)]
    if isinstance(edit, Replace):
        if isinstance(at.value, yaml.SequenceNode):
            return [(_span_of(item.start_mark, starts), _span_of(item.end_mark, starts), str(new))
                    for item, old, new in zip(at.value.value, edit.old, edit.new, strict=True)
                    if old != new]
        return [(_span_of(at.value.start_mark, starts), _span_of(at.value.end_mark, starts),
                 str(edit.new))]
    return [_removal(at, starts, text)]


def _removal(at: _Located, starts: list[int], text: str) -> Span:
    assert at.key is not None
    start = _span_of(at.key.start_mark, starts)
    end = _span_of(at.value.end_mark, starts)
    if getattr(at.parent, "flow_style", False):
        # One key of a flow mapping: take the comma after it (or the one before).
        rest = text[end:]
        stripped = rest.lstrip(" ")
        if stripped.startswith(","):
            end += len(rest) - len(stripped) + 1
            end += len(text[end:]) - len(text[end:].lstrip(" "))
        else:
            before = text[:start].rstrip(" ")
            if before.endswith(","):
                start = len(before) - 1
        return start, end, ""
    # A block key: remove its whole lines, from the key's line to the value's end.
    line_start = starts[at.key.start_mark.line]
    end_line = at.value.end_mark.line + (1 if at.value.end_mark.column > 0 else 0)
    line_end = starts[end_line] if end_line < len(starts) else len(text)
    return line_start, line_end, ""


def upgrade_text(text: str, file: str = "<register>") -> Upgraded:
    """The version 2 text of a version 1 register (unchanged if it is version 2 already)."""
    try:
        node, data = read_document(text, file)
    except YamlReadError as exc:
        raise RegisterError([exc.problem]) from None
    if node is None or not isinstance(data, dict):
        raise RegisterError([Problem("a register must be a YAML mapping", "", file=file)])
    data = plain(data)
    if not needs_upgrade(data):
        return Upgraded(text, (), changed=False)
    result = upgrade(data)
    where: dict[str, _Located] = {}
    _locate(node, "", node, where)
    starts = _offsets(text)
    spans = [span for edit in result.edits for span in _spans(edit, where, starts, text)]
    out = text
    for start, end, new in sorted(spans, key=lambda s: s[0], reverse=True):
        out = out[:start] + new + out[end:]
    check: Any = plain(yaml_text.load(out))
    if check != result.data:
        raise InputError(f"{file}: the upgrade cannot keep the file's layout; upgrade it by hand "
                         "(see `derbes register schema`)", field="schema_version")
    return Upgraded(out, result.notes, changed=True)
