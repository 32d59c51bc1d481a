"""The root Typer app and the one place that maps errors to exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from derbes import errors
from derbes.adapters.files import restrict_process

app = typer.Typer(
    name="derbes",
    help="derbes — personal-data system of a Kazakhstan operator (Law 94-V).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

err_console = Console(stderr=True, soft_wrap=True)

# Exit codes: 0 ok, 1 bad input / findings / refused, 2 configuration, 3 not found,
# 75 database busy: nothing was changed, run the same command again (EX_TEMPFAIL).
EXIT_CODES: dict[type[errors.DerbesError], int] = {
    errors.ConfigurationError: 2,
    errors.NotFoundError: 3,
    errors.DatabaseBusyError: 75,
}


def exit_code_for(exc: errors.DerbesError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def report(exc: errors.DerbesError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.title}: ", end="", markup=True, highlight=False)
    if isinstance(exc, errors.RegisterError | errors.DatasetError):
        err_console.print(f"{len(exc.problems)} problem(s)", markup=False, highlight=False)
        for problem in exc.problems:
            err_console.print(f"  {problem.render()}", markup=False, highlight=False)
    else:
        err_console.print(exc.message, markup=False, highlight=False)
    citation = getattr(exc, "citation", None)
    if citation:
        err_console.print(f"  citation: {citation}", markup=False, highlight=False)


def run() -> None:
    # Before anything is opened or written: what derbes creates is for its owner only.
    restrict_process()
    try:
        app()
    except errors.DerbesError as exc:
        report(exc)
        sys.exit(exit_code_for(exc))


@app.callback()
def _root() -> None:
    """derbes — personal-data system of a Kazakhstan operator (Law 94-V)."""
