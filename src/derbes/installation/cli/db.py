"""``derbes db``: the database schema (migrations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from derbes.cli.app import command_group
from derbes.cli.common import bootstrap, console

if TYPE_CHECKING:
    from derbes.installation.service.database import SchemaState

db_app = command_group("db", "Database schema: apply and inspect migrations.")


_URL_OPTION = typer.Option(
    None,
    "--database-url",
    help="Database URL (default: setting DERBES_DATABASE_URL, else sqlite:///var/derbes.sqlite3).",
    show_default=False,
)


def _url(given: str | None) -> str:
    return given or bootstrap().settings.database_url


def _describe(state: SchemaState) -> str:
    revision = state.revision or "empty (no migration applied)"
    status = "up to date" if state.up_to_date else f"behind; newest is {state.head}"
    return f"{state.url}: revision {revision}, {status}"


@db_app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Target revision."),
    database_url: str | None = _URL_OPTION,
) -> None:
    """Create or update the schema by applying the shipped migrations."""
    from derbes.installation.service import database  # Alembic loads only when needed

    result = database.upgrade(_url(database_url), revision)
    if result.changed:
        was = result.before.revision or "empty"
        console.print(f"upgraded {was} → {result.after.revision} — {_describe(result.after)}")
        if database_url is None and _crossed(result.before.revision, result.after.revision):
            _seal_existing_subjects()
    else:
        console.print(f"nothing to do — {_describe(result.after)}")


# The revision that brought state seals: subjects stored before it have none, and the
# decision point denies what it cannot verify (``state_unverified``) until they are sealed.
SEALS_REVISION = 10


def _crossed(before: str | None, after: str | None) -> bool:
    """Did this upgrade take a database that held data across ``SEALS_REVISION``?"""
    if before is None or after is None or not (before.isdigit() and after.isdigit()):
        return False
    return int(before) < SEALS_REVISION <= int(after)


def _seal_existing_subjects() -> None:
    """Seal the subjects stored before seals existed, as `derbes ledger seal` does; when
    the key store cannot be opened here, say what to run instead."""
    from derbes.errors import DerbesError
    from derbes.integrity.service.verify import seal_subjects

    console.print("sealing the subjects stored before state seals existed…")
    try:
        container = bootstrap()
        done = seal_subjects(container.uow(), container.audit_key)
    except DerbesError as exc:
        console.print(f"could not seal them here ({exc.message}): run `derbes ledger seal` "
                      "where the key store is reachable", markup=False)
        return
    console.print(f"sealed {done.sealed} subject(s)")
    if done.refused:
        console.print(f"{len(done.refused)} subject(s) NOT sealed: their rows differ from the "
                      "chains (`derbes ledger verify` says where, `derbes ledger seal` retries)")


@db_app.command("current")
def current(database_url: str | None = _URL_OPTION) -> None:
    """Show the schema revision of the database."""
    from derbes.installation.service import database

    console.print(_describe(database.current(_url(database_url))))
