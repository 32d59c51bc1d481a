"""``derbes dataset``: check a dataset (operator database mapping), show or erase a subject's rows.

The store's URL is read from the environment variable the dataset names
(``store.url_env``). The subject's identifier is read from stdin with ``-``
(``echo … | derbes dataset show FILE --iin -``): an IIN on a command line is
visible to every user of the machine and lands in shell history. Reads and
erasures are written to the access audit log; the actor is ``cli:<os user>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import actor, console, notes, request_id
from derbes.cli.common import stdin_if_dash as _stdin_if_dash
from derbes.errors import DatasetError, InputError

dataset_app = command_group(
    "dataset",
    "Operator databases (datasets): check a mapping, show or erase a subject's rows.")


FILE_ARG = typer.Argument(..., help="Dataset YAML file (e.g. registers/datasets/….yaml).")
REGISTER_OPT = typer.Option(
    None, "--register", help="The operator's register; default: <operator>.yaml beside the "
    "dataset's directory, else in DERBES_REGISTERS_DIR.")


def _load(file: Path, register_file: Path | None) -> Any:
    from derbes.datasets.adapters.yaml import find_register_file, load_dataset
    from derbes.register.adapters.yaml import load_register
    from derbes.settings import Settings

    path = register_file or find_register_file(file, Settings().registers_dir)
    if path is None:
        # Load without the register first: a malformed file is reported as such.
        load_dataset(file)
        raise InputError(f"no register found for the operator of {file}: give --register",
                         field="register")
    return load_dataset(file, load_register(path).register)


@contextmanager
def _store(loaded: Any) -> Iterator[Any]:
    """The live store the dataset maps, closed when the command is done with it."""
    from derbes.datasets.adapters.connectors.sql import SqlStore

    store = SqlStore.from_env(loaded.dataset)
    try:
        yield store
    finally:
        store.close()


def _identity(iin: str | None, phone: str | None, email: str | None,
              customer_id: str | None) -> Any:
    from derbes.datasets.service import subject_identity
    from derbes.identifiers.adapters.phone import PHONES

    given = [(k, v) for k, v in (("iin", iin), ("phone", phone), ("email", email),
                                 ("customer_id", customer_id)) if v is not None]
    if len(given) != 1:
        raise InputError("give exactly one of --iin, --phone, --email, --customer-id "
                         "('-' reads it from stdin)", field="identity")
    kind, value = given[0]
    return subject_identity(kind, _stdin_if_dash(value), PHONES)


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _json_value(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else _text(value)


IIN_OPT = typer.Option(None, "--iin", help="The subject's IIN; '-' reads it from stdin.")
PHONE_OPT = typer.Option(None, "--phone", help="The subject's phone; '-' reads stdin.")
EMAIL_OPT = typer.Option(None, "--email", help="The subject's e-mail; '-' reads stdin.")
CUSTOMER_OPT = typer.Option(None, "--customer-id", help="The operator's customer id.")


@dataset_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of dataset files."""
    from derbes.datasets.adapters.schema import dataset_schema

    typer.echo(json.dumps(dataset_schema(), indent=2, ensure_ascii=False))


@dataset_app.command("check")
def check(
    file: Path = FILE_ARG,
    register_file: Path | None = REGISTER_OPT,
    offline: bool = typer.Option(
        False, "--offline", help="Check the file and the register only, not the live database."),
) -> None:
    """Check a dataset against the register and (unless --offline) the live database schema."""
    loaded = _load(file, register_file)
    if offline:
        console.print(f"{file}: valid against the register (live database not checked)")
        return
    with _store(loaded) as store:
        problems = store.check()
    if problems:
        raise DatasetError(loaded.locate(problems))
    tables = len(loaded.dataset.tables)
    columns = sum(len(t.columns) for t in loaded.dataset.tables.values())
    console.print(f"{file}: valid — {tables} table(s), {columns} mapped column(s) exist in "
                  f"store {store.describe()}")


@dataset_app.command("show")
def show(
    file: Path = FILE_ARG,
    iin: str | None = IIN_OPT,
    phone: str | None = PHONE_OPT,
    email: str | None = EMAIL_OPT,
    customer_id: str | None = CUSTOMER_OPT,
    purpose: str | None = typer.Option(
        None, "--purpose", help="Why you read it (written to the audit log)."),
    register_file: Path | None = REGISTER_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Collect the subject's rows across the store's tables (the read is audited)."""
    from derbes.bootstrap import bootstrap
    from derbes.datasets.service import collect_subject

    loaded = _load(file, register_file)
    identity = _identity(iin, phone, email, customer_id)
    container = bootstrap()
    with _store(loaded) as store:
        rows = collect_subject(container.context(actor(), request_id()), store, identity,
                               purpose=purpose)
    if as_json:
        typer.echo(json.dumps({
            "store": rows.store,
            "found": rows.found,
            "rows": {table: [{"key": r.key, "values": {
                c: {"category": rows.categories_of[table][c], "value": _json_value(v)}
                for c, v in r.values.items()}} for r in found]
                for table, found in rows.rows.items()},
        }, ensure_ascii=False, indent=2))
        return
    if not rows.found:
        console.print(f"store {rows.store}: no data held for {identity}")
        return
    out = Table(title=f"{rows.store}: {identity}", show_lines=False)
    for name in ("table", "key", "column", "category", "value"):
        out.add_column(name, overflow="fold")
    for value in rows.values():
        out.add_row(value.table, str(value.key), value.column, value.category, _text(value.value))
    console.print(out)
    counts = ", ".join(f"{t} {n}" for t, n in rows.counts().items())
    notes.print(f"{rows.row_count} row(s): {counts}")


@dataset_app.command("erase")
def erase(
    file: Path = FILE_ARG,
    iin: str | None = IIN_OPT,
    phone: str | None = PHONE_OPT,
    email: str | None = EMAIL_OPT,
    customer_id: str | None = CUSTOMER_OPT,
    category: list[str] = typer.Option(
        [], "--category", help="Erase only these categories (repeat); default: all."),
    keep_purpose: list[str] = typer.Option(
        [], "--keep-purpose",
        help="Keep what this purpose needs (repeat); default: the register's purposes whose "
        "basis is a legal obligation or a state request."),
    keep_nothing: bool = typer.Option(
        False, "--keep-nothing", help="Keep nothing for any purpose (no default keeps)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; no change."),
    yes: bool = typer.Option(False, "--yes", help="Really erase (required unless --dry-run)."),
    register_file: Path | None = REGISTER_OPT,
) -> None:
    """Erase the subject's data in the store (one transaction), keeping what a law keeps."""
    from derbes.bootstrap import bootstrap
    from derbes.datasets.adapters.yaml import find_register_file
    from derbes.datasets.model import purposes_that_keep
    from derbes.datasets.service import erase_subject
    from derbes.register.adapters.yaml import load_register
    from derbes.settings import Settings

    if not dry_run and not yes:
        raise InputError("erasing cannot be undone: add --yes, or --dry-run to see the plan",
                         field="yes")
    if keep_nothing and keep_purpose:
        raise InputError("--keep-nothing and --keep-purpose contradict each other",
                         field="keep_purpose")
    loaded = _load(file, register_file)
    keep: tuple[str, ...] = tuple(keep_purpose)
    if not keep and not keep_nothing:
        path = register_file or find_register_file(file, Settings().registers_dir)
        if path is not None:
            keep = purposes_that_keep(load_register(path).register)
    identity = _identity(iin, phone, email, customer_id)
    container = bootstrap()
    with _store(loaded) as store:
        outcome = erase_subject(
            container.context(actor(), request_id()), store, identity,
            categories=list(category) or None, keep_purposes=keep, dry_run=dry_run)
    plan = outcome.plan
    if keep:
        notes.print("keeping what these purposes need: " + ", ".join(keep))
    for line in plan.lines():
        console.print(line)
    if dry_run:
        console.print("dry run: nothing was changed")
    elif outcome.result is not None:
        result = outcome.result
        console.print(f"erased: {result.rows_deleted} row(s) deleted, {result.rows_updated} "
                      "row(s) updated")
    else:
        console.print("nothing to erase")
