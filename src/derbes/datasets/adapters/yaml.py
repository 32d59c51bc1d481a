"""Read a dataset YAML file: structure (JSON Schema), then semantics against the register.

Every problem carries the file, the line and the dotted path
(``tables[2].columns.phone.category``), like the register loader. Checks
against the live database are the connector's (``datasets/adapters/connectors/sql.py``);
their problems are located here with :meth:`LoadedDataset.locate`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from derbes.datasets import model as datasets
from derbes.datasets.adapters.schema import dataset_schema
from derbes.errors import DatasetError, Problem
from derbes.platform.located_yaml import (
    YamlReadError,
    line_of,
    located,
    nested_too_deeply,
    plain,
    read_document,
    read_file,
    schema_problems,
    schema_validator,
    walk_lines,
)
from derbes.register.model.register import Register

__all__ = ["LoadedDataset", "find_register_file", "load_dataset", "parse_dataset"]


@dataclass(frozen=True)
class LoadedDataset:
    dataset: datasets.Dataset
    file: str
    sha256: str
    lines: Mapping[str, int]  # dotted YAML path -> 1-based line

    def line_of(self, path: str) -> int | None:
        return line_of(self.lines, path)

    def locate(self, problems: Iterable[Problem]) -> list[Problem]:
        """The problems with this file and the line of their path."""
        return located(problems, self.file, self.lines)

    def path_of_table(self, table: str) -> str:
        """The YAML path of ``table`` in the dataset file (``tables[2]``), for locating findings."""
        return f"tables[{list(self.dataset.tables).index(table)}]"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return schema_validator(dataset_schema())


def _url_in_file(data: dict[str, Any]) -> Problem | None:
    store = data.get("store")
    if not isinstance(store, dict):
        return None
    value = store.get("url_env")
    if isinstance(value, str) and (":" in value or "/" in value):
        # Never echo the value: it is probably a URL with its password.
        store["url_env"] = "REDACTED_URL"
        return Problem("url_env must be the NAME of an environment variable that holds the "
                       "SQLAlchemy URL, not the URL itself (a URL carries a password)",
                       "store.url_env")
    return None


def parse_dataset(text: str, file: str = "<dataset>",
                  register: Register | None = None) -> LoadedDataset:
    """Parse and check dataset text; with ``register``, check categories and purposes too."""
    try:
        return _parse(text, file, register)
    except RecursionError:
        raise DatasetError([nested_too_deeply(file)]) from None


def _parse(text: str, file: str, register: Register | None) -> LoadedDataset:
    try:
        node, data = read_document(text, file)
    except YamlReadError as exc:
        raise DatasetError([exc.problem]) from None
    if node is None or not isinstance(data, dict):
        raise DatasetError([Problem("a dataset must be a YAML mapping (key: value)", "",
                                    file=file, line=1)])
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    walk_lines(node, "", lines, problems)
    data = plain(data)
    leaked = _url_in_file(data)
    if leaked is not None:
        problems.append(leaked)
    problems.extend(schema_problems(_validator(), data))
    dataset: datasets.Dataset | None = None
    if not problems:
        try:
            dataset = datasets.build(data, register)
        except DatasetError as exc:
            problems.extend(exc.problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if problems or dataset is None:
        raise DatasetError(located(problems, file, lines))
    return LoadedDataset(dataset=dataset, file=file, sha256=digest, lines=lines)


def load_dataset(path: str | Path, register: Register | None = None) -> LoadedDataset:
    """Load a dataset file from disk (see :func:`parse_dataset`)."""
    file = Path(path)
    text = read_file(file, DatasetError)
    return parse_dataset(text, str(file), register)


def operator_of(path: str | Path) -> str | None:
    """The ``operator`` of a dataset file, read without checking anything else."""
    try:
        _, data = read_document(Path(path).read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, YamlReadError):
        return None
    operator = data.get("operator") if isinstance(data, dict) else None
    return operator if isinstance(operator, str) else None


def find_register_file(dataset_file: str | Path, registers_dir: Path) -> Path | None:
    """The register of the dataset's operator: ``<operator>.yaml`` next to the dataset's
    directory (``registers/datasets/x.yaml`` -> ``registers/<operator>.yaml``), else in
    ``registers_dir``. None when not found.
    """
    operator = operator_of(dataset_file)
    if operator is None:
        return None
    here = Path(dataset_file).resolve().parent
    for directory in (here.parent, here, registers_dir):
        candidate = directory / f"{operator}.yaml"
        if candidate.is_file():
            return candidate
    return None
