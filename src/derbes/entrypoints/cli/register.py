"""``derbes register …``: schema, validate, lint, diff of processing registers."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from derbes.adapters.register_schema import register_schema
from derbes.adapters.register_yaml import load_register
from derbes.entrypoints.cli._app import app

register_app = typer.Typer(
    help="Processing registers: schema, validation, lint.", no_args_is_help=True
)
app.add_typer(register_app, name="register")
console = Console(soft_wrap=True)


@register_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of register files (point your editor at it)."""
    typer.echo(json.dumps(register_schema(), ensure_ascii=False, indent=2))


@register_app.command("validate")
def validate(files: list[Path] = typer.Argument(..., help="Register YAML files.")) -> None:
    """Load each register and report structural and reference errors."""
    for file in files:
        loaded = load_register(file)
        r = loaded.register
        console.print(
            f"[green]ok[/] {file}: {r.operator.id} policy {r.policy.version}, "
            f"{len(r.purposes)} purposes, {len(r.recipients)} recipients, "
            f"{len(r.cookies)} cookies",
            highlight=False,
        )
