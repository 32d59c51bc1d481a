"""The root Typer app and the one place that maps errors to exit codes."""

from __future__ import annotations

import io
import sys
from functools import cache
from typing import TYPE_CHECKING

import typer

from derbes import errors
from derbes.cli.commands import LazyGroup
from derbes.platform.files import restrict_process
from derbes.platform.text import bad_text

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    cls=LazyGroup,
    name="derbes",
    help="derbes — personal-data system of a Kazakhstan operator (Law 94-V).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def command_group(name: str, help: str, *, parent: typer.Typer = app) -> typer.Typer:
    """The group ``derbes … NAME``, added to ``parent``: run without a command, it prints
    its help."""
    group = typer.Typer(help=help, no_args_is_help=True)
    parent.add_typer(group, name=name)
    return group



@cache
def err_console() -> Console:
    """Standard error, for the errors :func:`run` reports (rich is imported only then)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)

# Exit codes: 0 ok, 1 bad input / findings / refused, 2 configuration, 3 not found,
# 75 database busy: nothing was changed, run the same command again (EX_TEMPFAIL).
EXIT_CODES: dict[type[errors.DerbesError], int] = {
    errors.ConfigurationError: 2,
    errors.NotFoundError: 3,
    errors.DatabaseBusyError: 75,
}


def exit_code_for(exc: errors.DerbesError) -> int:
    return errors.mapped(exc, EXIT_CODES, 1)


def report(exc: errors.DerbesError) -> None:
    err = err_console()
    err.print(f"[bold red]error:[/] {exc.title}: ", end="", markup=True, highlight=False)
    if isinstance(exc, errors.ProblemsError):
        err.print(f"{len(exc.problems)} problem(s)", markup=False, highlight=False)
        for problem in exc.problems:
            err.print(f"  {problem.render()}", markup=False, highlight=False)
    else:
        err.print(exc.message, markup=False, highlight=False)
    citation = getattr(exc, "citation", None)
    if citation:
        err.print(f"  citation: {citation}", markup=False, highlight=False)


def _check_arguments(argv: list[str]) -> None:
    """Refuse an argument that is no text before any command runs: bytes that are not
    UTF-8 reach ``sys.argv`` as unpaired surrogates, which nothing can store or seal."""
    for position, argument in enumerate(argv[1:], start=1):
        if bad_text(argument):
            raise errors.InputError(
                f"argument {position} is not valid text (bytes that are not UTF-8, or an "
                "unpaired surrogate): nothing was done", field=f"argv[{position}]")


def run() -> None:
    # Before anything is opened or written: what derbes creates is for its owner only.
    restrict_process()
    # Standard input that is not UTF-8 is an error to report, not text to carry on with
    # (under a C locale Python would hand it over as surrogates).
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="strict")
    try:
        _check_arguments(sys.argv)
        app()
    except errors.DerbesError as exc:
        report(exc)
        sys.exit(exit_code_for(exc))
    except UnicodeError:
        # A file or a stream given to a command held bytes that are not UTF-8 text.
        report(errors.InputError("the input is not valid text (bytes that are not UTF-8, or "
                                 "an unpaired surrogate): nothing was stored"))
        sys.exit(1)


@app.callback()
def _root() -> None:
    """derbes — personal-data system of a Kazakhstan operator (Law 94-V)."""
