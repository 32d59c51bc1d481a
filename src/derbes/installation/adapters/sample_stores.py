"""The operator databases of the demo: the ones configured, or the sample one made here.

The sample Kredit Seven database holds invented borrowers and the demo customer
(``installation/service/demo.py``), so `derbes demo` can answer requests across the
vault and an operator database.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from derbes.installation.service.demo import (
    FIRST,
    LAST,
    PATRONYMIC,
    PHONE,
    SAMPLE_CLIENTS,
    SAMPLE_STORE,
    demo_iin,
)

__all__ = ["SampleStore", "sample_stores"]


@dataclass(frozen=True)
class SampleStore:
    """An operator database of a dataset, as the demo found or made it."""

    store: str  # the dataset's store id
    variable: str  # the environment variable that holds its URL
    url: str | None  # None: not set and not made (requests will say so)
    created: bool = False  # made by this run


def sample_stores(datasets_dir: Path, var_dir: Path,
                  environ: MutableMapping[str, str]) -> list[SampleStore]:
    """Every dataset's store: the URL already set, or for the sample store a database
    made in ``var_dir`` (invented borrowers and the demo customer) and its variable set in
    ``environ``, so this process (and the server it starts) can answer requests."""
    from derbes.datasets.adapters.yaml import load_dataset
    from derbes.installation.adapters import sample_operator_db

    out: list[SampleStore] = []
    for path in sorted(datasets_dir.glob("*.yaml")) if datasets_dir.is_dir() else []:
        spec = load_dataset(path).dataset.store
        given = environ.get(spec.url_env, "").strip()
        if given:
            out.append(SampleStore(spec.id, spec.url_env, given))
            continue
        if spec.id != SAMPLE_STORE:
            out.append(SampleStore(spec.id, spec.url_env, None))
            continue
        file = (var_dir / f"{spec.id}.sqlite3").resolve()
        url = f"sqlite:///{file}"
        created = not file.exists()
        if created:
            sample_operator_db.generate(url, SAMPLE_CLIENTS, seed=7, batch_size=SAMPLE_CLIENTS)
        sample_operator_db.add_client(url, sample_operator_db.NamedClient(
            iin=demo_iin(), last_name=LAST, first_name=FIRST, patronymic=PATRONYMIC,
            phone=PHONE))
        environ[spec.url_env] = url
        out.append(SampleStore(spec.id, spec.url_env, url, created))
    return out
