"""The operator databases of an installation: every dataset file of a directory.

:func:`stores_from_dir` is the store opener bootstrap and the entry points pass
to the request and retention use cases (``settings.datasets_dir``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from derbes.datasets.model import Dataset
from derbes.datasets.ports import OperatorStore, StoreOpener
from derbes.register.model.register import Register

__all__ = ["stores_from_dir"]


@dataclass
class _DatasetFile:
    """One version of a dataset file: its operator, and its dataset per register checked."""

    operator: str | None
    checked: list[tuple[Register, Dataset]] = field(default_factory=list)


_DATASET_FILES: dict[tuple[str, int, int, int], _DatasetFile] = {}
_DATASET_FILES_LOCK = threading.Lock()
_MAX_DATASET_FILES = 64
_MAX_REGISTERS_PER_FILE = 4


def _dataset_of(path: Path, operator_id: str, register: Register) -> Dataset | None:
    """The dataset of ``path`` if it is ``operator_id``'s, validated against ``register``.

    Parsed and validated once per version of the file (path, inode, size, mtime) and
    register: every request opens the stores, and parsing the YAML each time would
    cost more than the answer. A file that fails to load is not cached.
    """
    from derbes.datasets.adapters.yaml import load_dataset, operator_of

    try:
        info = path.stat()
    except OSError:
        return None
    key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns)
    with _DATASET_FILES_LOCK:
        entry = _DATASET_FILES.get(key)
    if entry is None:
        entry = _DatasetFile(operator_of(path))
        with _DATASET_FILES_LOCK:
            if len(_DATASET_FILES) >= _MAX_DATASET_FILES:
                _DATASET_FILES.clear()
            entry = _DATASET_FILES.setdefault(key, entry)
    if entry.operator != operator_id:
        return None
    with _DATASET_FILES_LOCK:
        for checked_for, dataset in entry.checked:
            if checked_for is register:
                return dataset
    dataset = load_dataset(path, register).dataset
    with _DATASET_FILES_LOCK:
        entry.checked.append((register, dataset))
        del entry.checked[:-_MAX_REGISTERS_PER_FILE]
    return dataset


def stores_from_dir(directory: Path, environ: Mapping[str, str] | None = None) -> StoreOpener:
    """Every dataset file of ``directory`` whose operator is the one asked, as a SQL store
    (URL from the dataset's environment variable). Datasets are parsed once per file
    version and register; stores share one engine (connection pool) per URL."""
    from derbes.datasets.adapters.connectors.sql import SqlStore

    def opener(operator_id: str, register: Register) -> Sequence[OperatorStore]:
        if not directory.is_dir():
            return ()
        out: list[OperatorStore] = []
        for path in sorted(directory.glob("*.yaml")):
            dataset = _dataset_of(path, operator_id, register)
            if dataset is not None:
                out.append(SqlStore.from_env(dataset, environ, shared=True))
        return out

    return opener
