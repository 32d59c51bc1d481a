"""``derbes apikey``: API keys of service callers (create, list, revoke)."""

from __future__ import annotations

import typer
from rich.table import Table

from derbes.access.model import sorted_scopes
from derbes.cli.app import command_group
from derbes.cli.common import bootstrap, console, notes

apikey_app = command_group(
    "apikey",
    "API keys for service callers, scoped read / write / destroy / verify / admin.")


@apikey_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Who or what will use the key."),
    scope: list[str] = typer.Option(
        ..., "--scope", help="read, write, destroy, verify or admin (repeat for several)."
    ),
    operator: str | None = typer.Option(
        None, "--operator", help="Limit the key to one operator's subjects (a published one)."
    ),
    owner: str | None = typer.Option(
        None, "--owner", metavar="staff:<id>|service:<name>",
        help="Whom the key belongs to: a staff person (the audit log names them) or a "
             "named service (default: the service named --name).",
    ),
    expires: str | None = typer.Option(
        None, "--expires", metavar="90d|12w|DATE",
        help="The key stops working after this many days or weeks, or on this date "
             "(00:00 UTC), or at an ISO instant with a time zone.",
    ),
) -> None:
    """Make a key and print it once (stdout); it cannot be shown again."""
    from derbes.access import service as apikeys

    container = bootstrap()
    created = apikeys.create(container.uow(), container.clock, name=name, scopes=scope,
                             operator_id=operator, expires=expires, owner=owner)
    scopes = ", ".join(s.value for s in sorted_scopes(created.key.scopes))
    until = created.key.expires_at
    term = f", expires {until.isoformat(timespec='seconds')}" if until else ""
    notes.print(f"API key {created.key.key_id} for {created.key.name!r} "
                f"(scopes: {scopes}{term}). Store it now: it is shown only this once.")
    typer.echo(created.token)


@apikey_app.command("list")
def list_keys() -> None:
    """Every key (id, name, scopes, status); secrets are never stored, so never shown."""
    from derbes.access import service as apikeys

    container = bootstrap()
    keys = apikeys.list_keys(container.uow())
    if not keys:
        console.print("no API keys")
        return
    table = Table(title="API keys")
    table.add_column("key id", no_wrap=True, min_width=16)  # whole, for `apikey revoke`
    for column in ("name", "scopes", "operator", "created", "last used", "status"):
        table.add_column(column, overflow="fold")
    now = container.clock.now()
    for key in keys:
        until = key.expires_at.isoformat(timespec="seconds") if key.expires_at else None
        if key.revoked_at is not None:
            status = f"revoked {key.revoked_at.isoformat(timespec='seconds')}"
        elif key.expired_on(now):
            status = f"expired {until}"
        else:
            status = "active" + (f" until {until}" if until else "")
        table.add_row(
            key.key_id,
            # A person's key shows its owner (staff:<id>), a service's key its name.
            key.owner if key.owner.startswith("staff:") else key.name,
            ", ".join(s.value for s in sorted_scopes(key.scopes)),
            key.operator_id or "", key.created_at.isoformat(timespec="seconds"),
            key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never",
            status,
        )
    console.print(table)


@apikey_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key id (the part after dbk_).")) -> None:
    """Revoke a key at once: the next request with it is refused."""
    from derbes.access import service as apikeys

    container = bootstrap()
    key = apikeys.revoke(container.uow(), container.clock, key_id)
    when = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "now"
    console.print(f"API key {key.key_id} ({key.name!r}) revoked at {when}")
