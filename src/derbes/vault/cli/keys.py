"""``derbes keys``: the KEK and the key store — status and rotation."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from derbes.bootstrap import bootstrap
from derbes.cli.app import app
from derbes.errors import ConfigurationError
from derbes.vault.adapters.kek import pending_kek_file

keys_app = typer.Typer(help="Vault keys: KEK status and rotation.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

_DEFAULT_BATCH = 1000  # keys per key-store transaction

console = Console(soft_wrap=True, highlight=False)


@keys_app.command("status")
def status() -> None:
    """Count the keys in the key store per KEK (no key is unwrapped)."""
    from derbes.vault.service import keys  # Alembic loads only when needed

    container = bootstrap()
    try:
        configured: str | None = container.kek.kek_id
        problem = None
    except ConfigurationError as exc:
        configured, problem = None, exc.message
    counts = keys.key_counts(container.keystore_engine)
    table = Table(title="keys per KEK")
    table.add_column("kind")
    table.add_column("kek_id")
    table.add_column("keys", justify="right")
    table.add_column("")
    for count in counts:
        mark = "configured KEK" if count.kek_id == configured else ""
        table.add_row(count.kind, count.kek_id, str(count.keys), mark)
    console.print(table)
    if configured is not None:
        source = getattr(container.kek, "source", "")
        console.print(f"configured KEK: {configured}" + (f" ({source})" if source else ""))
    else:
        console.print(f"configured KEK: unavailable — {problem}")
    pending = pending_kek_file(container.settings.kek_file)
    if pending.exists():
        console.print(
            f"[yellow]a rotation is unfinished ({pending} exists): run `derbes keys rotate`[/]"
        )
    stale = sum(c.keys for c in counts if configured is not None and c.kek_id != configured)
    if stale:
        console.print(f"{stale} key(s) are not wrapped by the configured KEK")


@keys_app.command("rotate")
def rotate(
    new_kek_file: Path | None = typer.Option(
        None,
        "--new-kek-file",
        help="Where to write the new KEK (default: next to the key file, '<key file>.new'). "
        "An existing file there is used as the new KEK (to resume or to bring your own).",
    ),
    batch_size: int = typer.Option(_DEFAULT_BATCH, min=1, help="Keys per transaction."),
) -> None:
    """Re-wrap every data key and system key with a new KEK, then switch the key file.

    Resumable: run it again after an interruption and it continues.
    """
    from derbes.vault.service import keys

    container = bootstrap()
    old = container.kek
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("re-wrapping keys", total=None)

        def started(pending: int) -> None:
            progress.update(task, total=pending)

        def advanced(count: int) -> None:
            progress.advance(task, count)

        result = keys.rotate_key_file(
            container.keystore,
            old,
            new_kek_file=new_kek_file,
            batch_size=batch_size,
            on_start=started,
            on_progress=advanced,
        )
    if result.resumed:
        console.print("resumed an unfinished rotation")
    console.print(
        f"re-wrapped {result.rewrapped} key(s): KEK {result.old_kek_id} → {result.new_kek_id}"
    )
    if result.switched:
        console.print(f"{result.kek_file} now holds the new KEK")
    else:
        console.print(
            f"the new KEK is in {result.kek_file}: set DERBES_KEK_FILE={result.kek_file} "
            "and remove the old KEK setting (DERBES_KEK or DERBES_VAULT_*)"
        )
    if result.retired_file is not None:
        console.print(
            f"the old KEK is kept in {result.retired_file}: restart running derbes processes, "
            "check `derbes keys status`, then delete it"
        )
