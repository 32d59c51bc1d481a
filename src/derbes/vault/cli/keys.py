"""``derbes keys``: the KEK and the key store — status and rotation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import bootstrap, console
from derbes.errors import ConfigurationError

if TYPE_CHECKING:
    from derbes.vault.ports import EpochStep

keys_app = command_group("keys", "Vault keys: KEK status and rotation.")

_DEFAULT_BATCH = 1000  # keys per key-store transaction


@keys_app.command("status")
def status() -> None:
    """Count the keys in the key store per KEK (no key is unwrapped)."""
    from derbes.vault.adapters.kek import pending_kek_file
    from derbes.vault.adapters.keystore import count_keys
    from derbes.vault.service import keys  # Alembic loads only when needed

    container = bootstrap()
    try:
        configured: str | None = container.kek.kek_id
        problem = None
    except ConfigurationError as exc:
        configured, problem = None, exc.message
    epochs = None
    if configured is not None:
        epochs = container.keystore.epochs
    counts = count_keys(container.keystore_engine, epochs)
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
    stale = keys.count_pending(counts, configured) if configured is not None else 0
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
            files=container.key_files,
            new_kek_file=new_kek_file,
            batch_size=batch_size,
            progress=keys.Progress(start=started, advance=advanced),
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


epoch_app = command_group(
    "epoch",
    "Key epochs: what makes destroyed keys unrecoverable from copies of the key store.",
    parent=keys_app)


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "—"


@epoch_app.command("status")
def epoch_status() -> None:
    """Show the key epochs: keys each wraps, keys destroyed since it opened, when to close.

    Exits 1 when a close is overdue (for monitoring).
    """
    from derbes.vault.service import keys

    container = bootstrap()
    report = keys.epoch_report(container.keystore, container.rules)
    now = container.clock.now()
    table = Table(title=f"key epochs (keys in {report.location})")
    for name in ("epoch", "state", "opened", "keys", "destroyed", "close due", "key file"):
        table.add_column(name, justify="right" if name in {"keys", "destroyed"} else "left")
    for line in report.lines:
        info = line.info
        due = "—"
        if line.close_due is not None:
            due = line.close_due.due.isoformat() + (" OVERDUE" if line.overdue(now) else "")
        table.add_row(str(info.epoch), info.state, _when(info.opened_at), str(info.keys),
                      str(info.keys_destroyed), due, "present" if info.key_exists else "gone")
    console.print(table)
    if report.legacy_keys:
        console.print(f"{report.legacy_keys} data key(s) are wrapped by the KEK itself (made "
                      "before key epochs): the next close moves them into an epoch")
    if report.pending_swaps:
        console.print(f"{report.pending_swaps} partial destruction(s) interrupted: the next "
                      "close, retention run or destruction finishes them")
    if report.waiting:
        console.print(f"{report.waiting} destroyed key(s) can still be recovered from copies "
                      "of the key store (backups, PostgreSQL WAL) until `derbes keys epoch "
                      "close` runs")
    elif not report.close_needed:
        console.print("no destroyed key waits for an epoch close")
    if report.overdue(now):
        raise typer.Exit(1)


@epoch_app.command("close")
def epoch_close(
    batch_size: int = typer.Option(_DEFAULT_BATCH, min=1, help="Keys per transaction."),
    force: bool = typer.Option(False, "--force",
                               help="Close even if no key of the open epoch was destroyed."),
) -> None:
    """Close the open key epoch: re-wrap its keys under a new one, destroy its key.

    Every key destroyed while the epoch was open becomes unrecoverable from any
    copy of the key store (backups, PostgreSQL WAL and dead rows). Resumable:
    run it again after an interruption and it finishes first what was begun.
    """
    from derbes.vault.service import keys

    container = bootstrap()
    store = container.keystore
    report = keys.epoch_report(store, container.rules)
    if not force and not report.close_needed:
        console.print("nothing to close: no key of the open epoch was destroyed "
                      "(--force closes it anyway)")
        return
    closed: list[int] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=False) as progress:
        total = sum(x.info.keys for x in report.lines) + report.legacy_keys
        task = progress.add_task("re-wrapping keys", total=total or None)

        def step(done: EpochStep) -> None:
            if done.step == "opened":
                progress.console.print(f"opened key epoch {done.next_epoch}; closing epoch "
                                       f"{done.epoch}")
            elif done.step == "rewrapped":
                progress.advance(task, done.count)
            elif done.step == "destroyed":
                closed.append(done.epoch)
                progress.console.print(f"destroyed the key of epoch {done.epoch}")

        keys.close_epoch(store, container.uow(), container.clock, batch_size=batch_size,
                         force=force, on_step=step)
    if not closed:
        console.print("nothing to close: no key of the open epoch was destroyed "
                      "(--force closes it anyway)")
        return
    console.print(f"closed epoch(s) {', '.join(map(str, closed))}: keys destroyed while they "
                  "were open cannot be recovered from any copy of the key store any more")
    console.print("take a fresh backup of the key store and of the epoch key directory now: "
                  "older key-store backups no longer open the keys they hold")
