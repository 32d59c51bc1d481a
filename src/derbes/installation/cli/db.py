"""``derbes db``: the database schema (migrations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from derbes.cli.app import app
from derbes.cli.common import bootstrap, console

if TYPE_CHECKING:
    from derbes.installation.service.database import SchemaState

db_app = typer.Typer(
    help="Database schema: apply and inspect migrations.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


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
    else:
        console.print(f"nothing to do — {_describe(result.after)}")


@db_app.command("current")
def current(database_url: str | None = _URL_OPTION) -> None:
    """Show the schema revision of the database."""
    from derbes.installation.service import database

    console.print(_describe(database.current(_url(database_url))))
