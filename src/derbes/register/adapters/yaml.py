"""Read a register YAML file: structure (JSON Schema), then semantics (domain).

Every problem carries the file, the line and the dotted path in the YAML
(``purposes[3].retention.period``), so a DPO can find it at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import jsonschema

from derbes.errors import Problem, RegisterError
from derbes.platform.located_yaml import (
    YamlReadError,
    line_of,
    plain,
    read_document,
    read_file,
    schema_message,
    schema_path,
    walk_lines,
)
from derbes.platform.shipped import shipped_yaml
from derbes.register.adapters.schema import register_schema
from derbes.register.model import register as reg
from derbes.register.model.builder import build as build_register
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.upgrade import Rename, needs_upgrade, upgrade


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = register_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@cache
def base_taxonomy() -> tuple[tuple[reg.DataCategory, ...], tuple[reg.SubjectCategory, ...]]:
    raw = shipped_yaml("taxonomy.yaml")
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
        from derbes.identifiers.model import bin as bin_module
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
        node, data = read_document(text, file)
    except YamlReadError as exc:
        raise RegisterError([exc.problem]) from None
    if node is None or not isinstance(data, dict):
        raise RegisterError(
            [Problem("a register must be a YAML mapping (key: value)", "", file=file, line=1)]
        )
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    walk_lines(node, "", lines, problems)
    data = plain(data)
    read_version = data.get("schema_version")
    if needs_upgrade(data):
        # Schema 1 is read through the upgrade (``derbes register upgrade`` writes it):
        # registers already published and stored keep loading.
        upgraded = upgrade(data)
        data = upgraded.data
        _follow_renames(lines, upgraded.edits)
    for error in sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = schema_path(error.absolute_path)
        problems.append(Problem(schema_message(error), path))
    if not problems:
        cats, subjects = base_taxonomy()
        try:
            register = build_register(
                data, cats, subjects, check_bin=_bin_checker(),
                schema_version_read=read_version if isinstance(read_version, int) else None,
            )
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


def _follow_renames(lines: dict[str, int], edits: tuple[object, ...]) -> None:
    """Lines of renamed keys under their new paths, so problems still point at them."""
    for edit in edits:
        if not isinstance(edit, Rename):
            continue
        parent = edit.path.rsplit(".", 1)[0] if "." in edit.path else ""
        new = f"{parent}.{edit.new_key}" if parent else edit.new_key
        for path, line in list(lines.items()):
            if path == edit.path or path.startswith((f"{edit.path}.", f"{edit.path}[")):
                lines[new + path[len(edit.path):]] = line


def load_register(path: str | Path) -> LoadedRegister:
    """Load a register file from disk."""
    file = Path(path)
    text = read_file(file, RegisterError)
    return parse_register(text, str(file))


def register_files(directory: Path) -> list[Path]:
    """The register files of a directory, in a stable order."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


class YamlRegisterReader:
    """The register reader of the use cases (``register/ports.py: RegisterReader``)."""

    def parse(self, text: str, file: str = "<register>") -> LoadedRegister:
        return parse_register(text, file)

    def load(self, path: str | Path) -> LoadedRegister:
        return load_register(path)

    def files(self, directory: Path) -> list[Path]:
        return register_files(directory)


READER = YamlRegisterReader()
