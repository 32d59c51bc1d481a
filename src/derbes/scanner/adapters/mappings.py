"""The register and the dataset mappings a scan is judged against."""

from __future__ import annotations

from pathlib import Path

from derbes.datasets.adapters.yaml import load_dataset, operator_of
from derbes.register.adapters.yaml import load_register
from derbes.scanner.model.findings import Mappings


def dataset_files(register_file: Path, register_operator: str) -> list[Path]:
    """Datasets of the register's operator in ``datasets/`` beside the register."""
    directory = register_file.resolve().parent / "datasets"
    if not directory.is_dir():
        return []
    return [p for p in sorted(directory.glob("*.yaml"))
            if operator_of(p) == register_operator]


def load_mappings(register_file: Path, datasets: list[Path] | None = None) -> Mappings:
    """The register at ``register_file`` with its datasets (given, or found beside it)."""
    return load_mappings_located(register_file, datasets)[0]


# table -> (dataset file, line of the table in it): where a SARIF result points.
TableLines = dict[str, tuple[str, int | None]]


def load_mappings_located(register_file: Path,
                          datasets: list[Path] | None = None) -> tuple[Mappings, TableLines]:
    """:func:`load_mappings`, and where each mapped table is written in its dataset file."""
    register = load_register(register_file).register
    files = datasets if datasets is not None else dataset_files(register_file,
                                                                register.operator.id)
    loaded = [load_dataset(path, register) for path in files]
    lines: TableLines = {}
    for item in loaded:
        for table in item.dataset.tables:
            lines.setdefault(table, (item.file, item.line_of(item.path_of_table(table))))
    return Mappings(register=register, datasets=tuple(i.dataset for i in loaded)), lines
