"""Crypto-shredding and encryption at rest, proven on SQLite and PostgreSQL.

(a) a backup of the data database taken before a subject is destroyed can no
    longer be read for that subject, while every other subject in it still is;
(b) no plaintext of a test IIN, phone, e-mail or name appears in the database
    files, a ``pg_dump``, the key store file, the logs or error messages;
(c) a refused value (data minimisation) leaves nothing written anywhere;
(d) a ciphertext copied onto another row does not decrypt.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from derbes.errors import ConflictError, CryptoError, DerbesError, LegalRestrictionError
from derbes.platform import crypto
from derbes.platform.db import make_engine, parse_url
from derbes.platform.tables import (
    card_tokens,
    category_blocks,
    pd_values,
    subject_lookups,
    subjects,
)
from derbes.testing.context import context as ctx_of
from derbes.vault.adapters.keystore import data_keys
from derbes.vault.model import NewValue
from derbes.vault.service import subjects as svc
from tests.integration.conftest import _create_database, _drop_database
from tests.integration.vault_env import ACTOR, VaultEnv, libpq_url, open_env, pg_bin
from tests.vault_support import (
    EMAIL,
    FULL_NAME,
    FULL_NAME_B,
    IIN,
    IIN_B,
    PAN,
    PHONE,
    PHONE_B,
    person_values,
    prov,
)


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[VaultEnv]:
    yield from open_env(db_url, tmp_path)


def _is_sqlite(env: VaultEnv) -> bool:
    return env.engine.dialect.name == "sqlite"


def _sqlite_path(env: VaultEnv) -> Path:
    database = parse_url(env.url).database
    assert database
    return Path(database)


def _pg_dump(env: VaultEnv, out: Path) -> bytes:
    subprocess.run([pg_bin("pg_dump"), "--no-owner", "--no-privileges", "-f", str(out),
                    libpq_url(env.url)], check=True, capture_output=True)
    return out.read_bytes()


# ------------------------------------------------------------------- (a)


@pytest.fixture
def backup_engine(env: VaultEnv, tmp_path: Path, request: pytest.FixtureRequest
                  ) -> Iterator[Callable[[], Engine]]:
    """A function that takes a backup of the data database now and returns an engine on it."""
    made: list[tuple[Engine, str | None]] = []

    def take() -> Engine:
        if _is_sqlite(env):
            target = tmp_path / "backup.sqlite3"
            source = sqlite3.connect(_sqlite_path(env))
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)  # the online backup API: a consistent copy
            finally:
                copy.close()
                source.close()
            engine = make_engine(f"sqlite:///{target}")
            made.append((engine, None))
            return engine
        dump = tmp_path / "backup.sql"
        _pg_dump(env, dump)
        server = request.getfixturevalue("pg_server_url")
        name = f"derbes_restore_{secrets.token_hex(6)}"
        url = _create_database(server, name)
        subprocess.run([pg_bin("psql"), "-v", "ON_ERROR_STOP=1", "-q", "-f", str(dump),
                        libpq_url(url)], check=True, capture_output=True)
        engine = make_engine(url)
        made.append((engine, name))
        return engine

    yield take
    for engine, name in made:
        engine.dispose()
        if name is not None:
            _drop_database(request.getfixturevalue("pg_server_url"), name)



def test_backup_taken_before_destruction_cannot_be_read_for_that_subject(
    env: VaultEnv, backup_engine: Callable[[], Engine]
) -> None:
    a = env.add(person_values())
    b = env.add(person_values(iin=IIN_B, phone=PHONE_B, name=FULL_NAME_B, email=None))
    backup = backup_engine()

    svc.destroy_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), a, "subject's request")

    # The live database: A is a tombstone, B is intact.
    with pytest.raises(DerbesError):
        env.read(a, "payment_service")
    assert {v.value for v in env.read(b, "payment_service").values} == {FULL_NAME_B, PHONE_B}

    # The backup, opened with the live key store: B still decrypts ...
    view = env.read(b, svc.SUBJECT_ACCESS_REQUEST, engine=backup)
    assert {v.category: v.value for v in view.values}["identity.iin"] == IIN_B
    # ... A's rows are all there ...
    with backup.connect() as connection:
        rows = connection.execute(
            select(pd_values.c.category, pd_values.c.seq, pd_values.c.sealed)
            .where(pd_values.c.subject_id == a)).all()
        tomb = connection.execute(select(subjects.c.destroyed_at)
                                  .where(subjects.c.id == a)).scalar_one()
    assert len(rows) == 4 and tomb is None
    # ... but cannot be decrypted: the key is gone from the key store ...
    assert env.keys.keys_for([a]) == {}
    with pytest.raises(CryptoError):
        env.read(a, svc.SUBJECT_ACCESS_REQUEST, engine=backup)
    # ... and no key the store still holds opens any of them (prove it by trying).
    live_keys = list(env.keys.keys_for([b]).values())
    live_keys += [env.keys.index_key(), env.keys.audit_key()]
    for category, seq, sealed in rows:
        for key in live_keys:
            with pytest.raises(CryptoError):
                crypto.open_sealed(key, bytes(sealed), crypto.value_aad(a, category, seq))


def test_partial_shred_leaves_backup_unreadable_for_the_destroyed_categories(
    env: VaultEnv, backup_engine: Callable[[], Engine]
) -> None:
    a = env.add(person_values())
    backup = backup_engine()
    svc.destroy_categories(ctx_of(env.uow(), env.keys, env.clock, ACTOR), a, ["contact.phone"], "withdrawn")
    live = env.read(a, svc.SUBJECT_ACCESS_REQUEST)
    assert {v.category for v in live.values} == {
        "identity.full_name", "identity.iin", "contact.email"}
    # In the backup every value of A was sealed under the replaced key: nothing opens.
    with pytest.raises(CryptoError):
        env.read(a, svc.SUBJECT_ACCESS_REQUEST, engine=backup)


# ------------------------------------------------------------------- (b)


def _needles() -> dict[str, list[bytes]]:
    return {
        "IIN": [IIN.encode()],
        "phone": [PHONE.encode(), PHONE.lstrip("+").encode(), PHONE[2:].encode()],
        "e-mail": [EMAIL.encode(), EMAIL.lower().encode()],
        "name": [FULL_NAME.encode("utf-8"), FULL_NAME.split()[1].encode("utf-8")],
        "PAN": [PAN.encode()],
    }


def _assert_absent(haystack: bytes, where: str) -> None:
    for what, needles in _needles().items():
        for needle in needles:
            assert needle not in haystack, f"{what} in clear in {where}"


def test_no_plaintext_in_database_files_dump_keystore_logs_or_errors(
    env: VaultEnv, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    values = [*person_values(), NewValue("financial.card_token", PAN, prov())]
    sid = env.add(values, customer_id="W-77")
    view = env.read(sid, svc.SUBJECT_ACCESS_REQUEST)
    assert {v.value for v in view.values if isinstance(v.value, str)} >= {
        IIN, PHONE, EMAIL, FULL_NAME}
    assert svc.find_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), "iin", IIN, "aml_identification")

    errors: list[str] = []
    attempts: list[Callable[[], object]] = [
        lambda: env.add(values),  # duplicate identifiers
        lambda: env.add([NewValue("identity.iin", IIN[:-1] + "7", prov())]),  # bad IIN
        lambda: env.add([NewValue("identity.birth_date", IIN, prov())]),  # minimisation
        lambda: env.add([NewValue("financial.card_token", PAN[:-1] + "2", prov())]),  # Luhn
        lambda: svc.find_subject(ctx_of(env.uow(), env.keys, env.clock, ACTOR), "phone", PHONE + "1", "payment_service"),
    ]
    for attempt in attempts:
        with pytest.raises(DerbesError) as caught:
            attempt()
        errors.append(f"{caught.value!s} {caught.value.message} {caught.value.field}")

    if _is_sqlite(env):
        path = _sqlite_path(env)
        files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
        assert Path(f"{path}-wal").exists()  # WAL mode: the newest pages live there
        raw = b"".join(file.read_bytes() for file in files)
        assert sid.encode() in raw  # the scan does see the rows just written
        for file in files:
            _assert_absent(file.read_bytes(), file.name)
    else:
        dump = _pg_dump(env, tmp_path / "dump.sql")
        assert b"pd_values" in dump and sid.encode() in dump
        _assert_absent(dump, "pg_dump")
    for file in env.keystore_file.parent.glob("keys.sqlite3*"):
        _assert_absent(file.read_bytes(), file.name)
    _assert_absent(caplog.text.encode(), "logs")
    _assert_absent("\n".join(errors).encode(), "error messages")
    _assert_absent(repr(view).encode(), "repr of the read result")


# ------------------------------------------------------------------- (c)


def _counts(env: VaultEnv) -> dict[str, int]:
    out: dict[str, int] = {}
    with env.engine.connect() as connection:
        for table in (subjects, pd_values, subject_lookups, category_blocks, card_tokens):
            out[table.name] = connection.execute(
                select(func.count()).select_from(table)).scalar_one()
        out["audit_log"] = connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    with env.keys.engine.connect() as connection:
        out["data_keys"] = connection.execute(
            select(func.count()).select_from(data_keys)).scalar_one()
    return out


def test_refused_values_leave_nothing_written(env: VaultEnv) -> None:
    env.add(person_values())
    before = _counts(env)
    with pytest.raises(LegalRestrictionError):
        env.add([*person_values(iin=IIN_B, phone=PHONE_B, email=None),
                 NewValue("identity.birth_date", "1990-01-01", prov())])
    with pytest.raises(ConflictError):  # fails inside the data transaction
        env.add(person_values(phone=PHONE_B, email=None))
    batch = [svc.NewSubject(person_values(iin=IIN_B, phone=PHONE_B, email=None)),
             svc.NewSubject([NewValue("identity.full_name", "x", prov("newsletters"))])]
    with pytest.raises(LegalRestrictionError):
        svc.add_subjects(ctx_of(env.uow(), env.keys, env.clock, ACTOR), env.register, batch)
    assert _counts(env) == before


# ------------------------------------------------------------------- (d)


def test_ciphertext_swapped_between_rows_fails_to_decrypt(env: VaultEnv) -> None:
    a = env.add(person_values())
    b = env.add(person_values(iin=IIN_B, phone=PHONE_B, name=FULL_NAME_B, email=None))
    with env.engine.begin() as connection:
        def sealed(subject_id: str, category: str) -> bytes:
            return bytes(connection.execute(select(pd_values.c.sealed).where(
                pd_values.c.subject_id == subject_id,
                pd_values.c.category == category)).scalar_one())

        name_a, phone_a = sealed(a, "identity.full_name"), sealed(a, "contact.phone")
        # B's name gets A's name ciphertext (another subject, same field) and
        # A's phone gets A's name ciphertext (same subject, another field).
        connection.execute(pd_values.update().where(
            pd_values.c.subject_id == b, pd_values.c.category == "identity.full_name"
        ).values(sealed=name_a))
        connection.execute(pd_values.update().where(
            pd_values.c.subject_id == a, pd_values.c.category == "contact.phone"
        ).values(sealed=name_a))
    assert phone_a != name_a
    with pytest.raises(CryptoError):
        env.read(b, "aml_identification")
    with pytest.raises(CryptoError):
        env.read(a, "payment_service")
    # The untouched field of A still opens.
    assert [v.value for v in env.read(a, "newsletters").values] == [EMAIL]
