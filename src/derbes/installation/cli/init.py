"""``derbes init``: prepare an installation — var/, the KEK, both databases, system keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from derbes.cli.app import app
from derbes.cli.common import bootstrap, console

if TYPE_CHECKING:
    from derbes.bootstrap import Container
    from derbes.installation.service.database import SchemaUpgrade
    from derbes.vault.service.keys import InitResult


def _schema(label: str, result: SchemaUpgrade) -> str:
    after = result.after
    if result.changed:
        was = result.before.revision or "empty"
        return f"{label}: migrated {was} → {after.revision} ({after.url})"
    return f"{label}: up to date at {after.revision} ({after.url})"


def initialise(container: Container) -> InitResult:
    """The installation of ``container``'s settings prepared: var/, the KEK, both
    databases migrated, the system keys; what exists is left as it is."""
    from derbes.vault.service import keys  # Alembic loads only when needed

    settings = container.settings
    # The key file is created only when it is the KEK source: DERBES_KEK or Vault win.
    uses_file = not (settings.kek or settings.vault_addr or settings.vault_transit_key)
    return keys.initialise(
        var_dir=settings.var_dir,
        kek_file=settings.kek_file if uses_file else None,
        keystore_url=settings.keystore_url,
        database_url=settings.database_url,
        open_keystore=lambda: container.keystore,
        files=container.key_files,
    )


@app.command("init")
def init() -> None:
    """Create var/, the KEK file (mode 0600, never overwritten), migrate both databases.

    Safe to run again: what exists is left as it is.
    """
    container = bootstrap()
    result = initialise(container)
    if result.var_dir_created:
        console.print(f"created directory {result.var_dir}")
    if result.kek_file is None:
        source = getattr(container.kek, "source", "the environment or Vault")
        console.print(f"KEK {result.kek_id} from {source} (no key file needed)")
    elif result.kek_file_created:
        console.print(f"created KEK file {result.kek_file} (mode 0600), KEK {result.kek_id}")
        console.print("  back it up somewhere safe: without it no personal data can be read")
    else:
        console.print(f"KEK file {result.kek_file} exists, KEK {result.kek_id}: left as it is")
    console.print(_schema("key store", result.keystore))
    console.print(_schema("database", result.database))
    if result.system_keys_created:
        console.print("created system keys: " + ", ".join(result.system_keys_created))
    else:
        console.print("system keys present")
    if result.epoch is not None:
        where = container.settings.epochs_dir
        console.print(f"opened key epoch {result.epoch} (its key is in {where}/)"
                      if result.epoch_opened else f"key epoch {result.epoch} is open")
        if result.epoch_opened:
            console.print(f"  {where}/ is part of the KEK: back it up with it, and see "
                          "`derbes keys epoch --help` for what to do with old copies")
    console.print("initialised" if result.changed else "nothing to do: already initialised")
