"""The operator databases of a dataset directory: datasets parsed once per file version, one engine
per operator database for the process, and neither cache hiding a change."""

from __future__ import annotations

import os
from pathlib import Path

from derbes.datasets.adapters.connectors.sql import SqlStore
from derbes.datasets.adapters.directory import stores_from_dir
from derbes.datasets.model import IdentityKind, SubjectIdentity
from derbes.datasets.ports import opened_stores
from derbes.register.adapters.yaml import load_register
from tests.operator_db import DATASET, REGISTER, generator

OPERATOR = "kredit-seven"
URL_ENV = "KREDIT_SEVEN_CORE_URL"


def _first_iin(store: SqlStore) -> str:
    with store._engine.connect() as connection:  # the test reads the generated data
        return str(connection.exec_driver_sql("SELECT iin FROM clients ORDER BY id LIMIT 1")
                   .scalar_one())


def test_datasets_and_engines_are_reused_until_the_file_changes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'core.sqlite3'}"
    generator().generate(url, 5, seed=3, batch_size=5)
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    target = datasets / DATASET.name
    target.write_text(DATASET.read_text(encoding="utf-8"), encoding="utf-8")
    (datasets / "other.yaml").write_text("operator: someone-else\n", encoding="utf-8")
    register = load_register(REGISTER).register
    opener = stores_from_dir(datasets, {URL_ENV: url})

    with opened_stores(opener, OPERATOR, register) as first:
        assert len(first) == 1  # the other operator's file is not this operator's store
        store = first[0]
        assert isinstance(store, SqlStore)
        iin = _first_iin(store)
    # Closing a store after the request leaves the shared engine usable.
    again = opener(OPERATOR, register)
    assert len(again) == 1 and isinstance(again[0], SqlStore)
    assert again[0].dataset is store.dataset
    assert again[0]._engine is store._engine
    rows = again[0].collect(SubjectIdentity(IdentityKind.IIN, iin))
    assert rows.found and rows.counts()["clients"] == 1

    # A changed file is read again (here: a table fewer).
    text = target.read_text(encoding="utf-8")
    head, contacts = text.split("  - name: contacts", 1)
    target.write_text(head, encoding="utf-8")
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    changed = opener(OPERATOR, register)
    assert changed[0].dataset is not store.dataset
    assert "contacts" not in changed[0].dataset.tables
    assert "contacts" in store.dataset.tables
    assert contacts


def test_a_new_opener_shares_the_cache(tmp_path: Path) -> None:
    """The API builds an opener per request: the caches are the process's."""
    url = f"sqlite:///{tmp_path / 'core.sqlite3'}"
    generator().generate(url, 3, seed=5, batch_size=3)
    register = load_register(REGISTER).register
    one = stores_from_dir(DATASET.parent, {URL_ENV: url})(OPERATOR, register)
    two = stores_from_dir(DATASET.parent, {URL_ENV: url})(OPERATOR, register)
    assert isinstance(one[0], SqlStore) and isinstance(two[0], SqlStore)
    assert one[0].dataset is two[0].dataset
    assert one[0]._engine is two[0]._engine
