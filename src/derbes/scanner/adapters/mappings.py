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
    register = load_register(register_file).register
    files = datasets if datasets is not None else dataset_files(register_file,
                                                                register.operator.id)
    loaded = [load_dataset(path, register).dataset for path in files]
    return Mappings(register=register, datasets=tuple(loaded))
