"""Loading dataset YAML: the shipped Kredit Seven dataset, and located errors (file:line path)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from derbes.datasets.adapters.yaml import find_register_file, load_dataset, parse_dataset
from derbes.datasets.model import ErasureStrategy, HashAlphabet, IdentityKind
from derbes.errors import DatasetError
from derbes.register.adapters.yaml import load_register
from derbes.register.model.register import Register
from tests.operator_db import DATASET, REGISTER


@cache
def register() -> Register:
    return load_register(REGISTER).register


TEXT = DATASET.read_text(encoding="utf-8")


def problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(DatasetError) as caught:
        parse_dataset(text, "x.yaml", register())
    assert all(p.file == "x.yaml" for p in caught.value.problems)
    return [(p.line, p.path, p.message) for p in caught.value.problems]


def line_with(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_shipped_dataset_loads_against_the_kredit_seven_register() -> None:
    loaded = load_dataset(DATASET, register())
    ds = loaded.dataset
    assert ds.store.id == "kredit-seven-core"
    assert ds.store.url_env == "KREDIT_SEVEN_CORE_URL"
    assert list(ds.tables) == ["clients", "applications", "loans", "payments", "contacts"]
    clients = ds.tables["clients"]
    assert clients.identity_columns(IdentityKind.IIN) == ("iin",)
    assert clients.identity_columns(IdentityKind.CUSTOMER_ID) == ("id",)
    iin = clients.columns["iin"]
    assert iin.erasure.strategy is ErasureStrategy.HASH
    assert iin.erasure.hash is not None and iin.erasure.hash.alphabet is HashAlphabet.DIGITS
    assert clients.columns["patronymic"].erasure.strategy is ErasureStrategy.NULL
    assert "credit_dossier" in iin.purposes and "personal_cabinet" not in iin.purposes
    assert ds.tables["payments"].references[0].to_table == "loans"
    assert loaded.line_of("tables[0].columns.iin") == line_with(TEXT, "      iin:\n")


def test_register_is_found_beside_the_datasets_directory(tmp_path: Path) -> None:
    assert find_register_file(DATASET, tmp_path) == REGISTER.resolve()


def test_unknown_category_is_located() -> None:
    text = TEXT.replace("category: device.ip_address", "category: device.ip_adress")
    found = problems(text)
    assert len(found) == 1
    line, path, message = found[0]
    assert path == "tables[1].columns.ip_address.category"
    assert line == line_with(text, "device.ip_adress")
    assert "unknown data category 'device.ip_adress'" in message


def test_category_not_needed_by_the_tables_purposes() -> None:
    # ip_address (device.ip_address) is needed only by fraud_prevention_location.
    text = TEXT.replace("      - fraud_prevention_location\n", "")
    [(line, path, message)] = problems(text)
    assert path == "tables[1].columns.ip_address.category"
    assert line == line_with(text, "category: device.ip_address")
    assert "needed by none of the table's purposes" in message


def test_unknown_purpose_and_operator_mismatch() -> None:
    found = problems(TEXT.replace("      - payments\n      - credit_dossier\n    columns:\n"
                                  "      paid_at", "      - payment\n      - credit_dossier\n"
                                  "    columns:\n      paid_at"))
    assert any(p == "tables[3].purposes[0]" and "unknown purpose 'payment'" in m
               for _, p, m in found)
    other = problems(TEXT.replace("operator: kredit-seven", "operator: qiwi-kz"))
    assert other[0][1] == "operator"


def test_a_url_in_the_file_is_refused_and_never_echoed() -> None:
    text = TEXT.replace("url_env: KREDIT_SEVEN_CORE_URL",
                        "url_env: postgresql://app:s3cret@db/core")
    [(line, path, message)] = problems(text)
    assert path == "store.url_env" and line == line_with(text, "url_env:")
    assert "s3cret" not in message and "NAME of an environment variable" in message


def test_structure_errors_are_located() -> None:
    text = TEXT.replace("      - {column: loan_id, to: loans.id}", "      - {column: loan_id, to: loan.id}")
    text = text.replace("      id: {category: account.customer_id, erasure: delete_row}",
                        "      id: {category: account.customer_id, erasure: mask}")
    text = text.replace("      sex: {category: identity.sex, erasure: null}",
                        "      sex: {category: identity.sex, erasure: null, colour: red}")
    found = {path: (line, message) for line, path, message in problems(text)}
    assert found["tables[0].columns.sex"][1] == "unknown key: 'colour' was unexpected"
    assert found["tables[0].columns.sex"][0] == line_with(text, "colour: red")
    # Structure first: semantic checks wait until the schema is satisfied.
    assert "tables[3].references[0].to" not in found
    text = text.replace(", colour: red", "")
    found = {path: (line, message) for line, path, message in problems(text)}
    assert "does not describe" in found["tables[3].references[0].to"][1]
    assert found["tables[3].references[0].to"][0] == line_with(text, "to: loan.id")
    assert "primary key" in found["tables[0].columns.id.erasure"][1]


def test_erasure_options_must_fit_the_strategy() -> None:
    text = TEXT.replace("erasure: {strategy: mask, keep_first: 1}",
                        "erasure: {strategy: mask, keep_first: 1, length: 4}", 1)
    [(line, path, message)] = problems(text)
    assert path == "tables[0].columns.last_name.erasure"
    assert message == "mask does not take length"
    assert line == line_with(text, "length: 4")


def test_reference_cycle_and_missing_identity() -> None:
    cyclic = TEXT.replace("  - name: clients\n    primary_key: id\n",
                          "  - name: clients\n    primary_key: id\n    references:\n"
                          "      - {column: referrer_id, to: contacts.id}\n")
    assert any("cycle" in m for _, _, m in problems(cyclic))
    start = TEXT.index("    identity:\n")
    end = TEXT.index("    purposes:", start)
    found = problems(TEXT[:start] + TEXT[end:])
    assert any(p == "tables" and "no table has an identity" in m for _, p, m in found)


def test_malformed_yaml_and_duplicate_keys() -> None:
    [(line, _, message)] = problems("schema_version: 1\nstore: [unclosed\n")
    assert line is not None and message.startswith("malformed YAML")
    dup = TEXT.replace("      sex: {category: identity.sex, erasure: null}\n",
                       "      sex: {category: identity.sex, erasure: null}\n"
                       "      sex: {category: identity.sex, erasure: null}\n")
    assert any("duplicate key 'sex'" in m for _, _, m in problems(dup))


def test_missing_file() -> None:
    with pytest.raises(DatasetError, match="file not found"):
        load_dataset("/nonexistent/x.yaml")
