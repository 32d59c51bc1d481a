"""The command line starts without loading what only running commands need.

The root group lists the commands from a table and imports a command's module only
when that command runs (``derbes.cli.commands``); each command imports its services,
the database layer and the document renderers when it runs (``derbes.cli.common.lazy``).
Describing the commands (``derbes --help``) and checking an identifier touch none of
them. The tests look at which modules a fresh interpreter loaded, never at a clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.load_support import EXPRESS, adult_iin

HEAVY = ("sqlalchemy", "alembic", "jinja2", "weasyprint", "babel", "fastapi", "uvicorn",
         "starlette", "pydantic_settings", "cryptography", "holidays", "jsonschema", "yaml",
         "duckdb", "natasha", "hvac", "phonenumbers", "argon2", "psycopg")
# What `derbes id check` of an IIN still needs: the regime table (YAML) and the
# catalogue its sex label is translated from (Babel). typer itself builds pydantic
# validators for a command's parameters, so pydantic (not pydantic-settings) is allowed.
ID_CHECK_NEEDS = ("babel", "yaml")
# The slices' models and the register: the root help must not import a command module.
COMMAND_MODULES = ("derbes.register.model.register", "derbes.requests.cli",
                   "derbes.vault.cli.subjects", "derbes.scanner.cli", "derbes.bootstrap")

_PROBE = """
import json, sys
sys.argv = {argv!r}
try:
    from derbes.cli import main
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(*argv: str, watched: tuple[str, ...] = HEAVY, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> list[str]:
    code = _PROBE.format(argv=["derbes", *argv], watched=watched)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, cwd=cwd, env={**(env or os.environ), "COLUMNS": "100"})
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_loads_no_heavy_library_and_no_command_module() -> None:
    assert _loaded("--help") == []
    assert _loaded("--help", watched=COMMAND_MODULES) == []
    assert _loaded("--help", watched=("rich.console", "pydantic")) == ["rich.console"]


@pytest.mark.parametrize("group", ["subject", "consent", "request", "retention", "register",
                                   "keys", "scan", "audit"])
def test_group_help_loads_no_heavy_library(group: str) -> None:
    assert _loaded(group, "--help") == []


def test_identifier_check_needs_no_database_no_settings_no_phone_metadata() -> None:
    assert _loaded("id", "check", "060640010247") == list(ID_CHECK_NEEDS)
    assert _loaded("id", "check", "060640010247", watched=COMMAND_MODULES) == []


def test_a_phone_check_loads_the_phone_metadata_it_needs() -> None:
    assert "phonenumbers" in _loaded("id", "check", "+77011234567")


def test_running_a_command_imports_only_its_own_module() -> None:
    others = ("derbes.requests.cli", "derbes.vault.cli.subjects", "derbes.scanner.cli",
              "derbes.consent.cli", "derbes.retention.cli.retention")
    assert _loaded("request", "--help", watched=others) == ["derbes.requests.cli"]


# What showing a stored request needs beyond the database layer and the regime table:
# neither the other rule tables (read on first use) nor the retention sweep.
SHOW_SKIPS = ("weasyprint", "fastapi", "uvicorn", "starlette", "phonenumbers", "argon2",
              "alembic", "natasha", "duckdb", "hvac", "derbes.decisions.service",
              "derbes.requests.service.access", "derbes.requests.service.letters",
              "derbes.vault.adapters.keystore", "derbes.consent.adapters.store",
              "derbes.retention.service.sweep", "derbes.retention.adapters.rules",
              "derbes.consent.adapters.rules", "derbes.staff.adapters.rules",
              "derbes.cabinet.adapters.rules", "derbes.delivery.adapters.rules",
              "derbes.decisions.adapters.rules", "derbes.retention.adapters.acts.rules",
              "derbes.audit.adapters.alert_rules", "derbes.vault.adapters.rules")


def test_showing_a_request_loads_only_the_stores_and_use_case_it_reads(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    derbes = str(Path(sys.executable).with_name("derbes"))
    for args, stdin in ((["init"], None), (["register", "publish", str(EXPRESS)], None),
                        (["request", "file", "--operator", "express-avans", "--type",
                          "access", "--iin", "-"], adult_iin(3) + "\n")):
        done = subprocess.run([derbes, *args], cwd=tmp_path, env=env, input=stdin, text=True,
                              capture_output=True, check=False)
        assert done.returncode == 0, done.stderr
    request_id = done.stdout.split()[0]
    loaded = _loaded("request", "show", request_id, watched=(*SHOW_SKIPS, "sqlalchemy"),
                     cwd=tmp_path, env=env)
    # It did read the database (so the probe ran the command), and nothing else.
    assert loaded == ["sqlalchemy"]


_HELP = """
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from derbes.cli import commands
if {load_all!r}:
    commands.load_all()
sys.argv = ["derbes", "--help"]
from derbes.cli import main
try:
    main()
except SystemExit:
    pass
"""


def _root_help(load_all: bool) -> str:
    done = subprocess.run([sys.executable, "-c", _HELP.format(load_all=load_all)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_table_of_commands_is_what_the_modules_declare() -> None:
    """With every module imported the root help is built from the real commands; the
    lazy help, from the table. Same names, same one-line help."""
    lazy, real = _root_help(False), _root_help(True)
    assert "request" in lazy and "Data-subject requests" in lazy
    # Typer lists loaded commands in the order their modules registered them.
    assert sorted(lazy.splitlines()) == sorted(real.splitlines())


def test_every_command_module_registers_exactly_its_table_entries() -> None:
    import typer.main

    from derbes.cli import app, commands

    commands.load_all()
    group = typer.main.get_command(app)
    assert isinstance(group, commands.LazyGroup)
    assert sorted(group.commands) == sorted(commands.COMMANDS)


def _callbacks(command: Any) -> Iterator[Any]:
    """The functions behind ``command`` and every sub-command below it."""
    if command.callback is not None:
        yield command.callback
    for sub in getattr(command, "commands", {}).values():
        yield from _callbacks(sub)


def test_a_lazily_built_command_has_every_sub_command() -> None:
    """A module may add sub-commands to another module's group (``ledger anchor``): the
    table must name it, or the lazily built group would lack them."""
    import typer.main

    from derbes.cli import app, commands

    commands.load_all()
    group = typer.main.get_command(app)
    for name, entry in commands.COMMANDS.items():
        defined = {f.__module__ for f in _callbacks(group.commands[name])}
        assert defined <= set(entry.modules), (name, defined - set(entry.modules))


def test_an_unknown_command_is_a_usage_error_not_an_import() -> None:
    done = subprocess.run([sys.executable, "-m", "derbes", "reqest"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2 and "No such command" in done.stderr
