"""Which module defines each top-level command, and the root group that imports it only
when that command runs.

Importing every command module to build the command tree cost most of a second before
any command did anything: each module pulls in its slice's models (hundreds of
dataclasses and enums) to declare its options. The root group knows the commands by
name and one-line help (:data:`COMMANDS`), lists them from that table for
``derbes --help``, and imports a command's module the first time it is resolved. A
test builds every module's command and checks that its name and help are the ones
written here, so the table cannot drift from the code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer.main
from typer import _click as click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Entry:
    """A top-level command: the module whose import registers it, its one-line help, and
    the modules that add sub-commands to its group (integrity adds ``anchor`` to ``audit``
    and ``ledger``): the command is complete only with all of them imported."""

    module: str
    help: str
    extends: tuple[str, ...] = ()

    @property
    def modules(self) -> tuple[str, ...]:
        return (self.module, *self.extends)


# In the order ``derbes --help`` lists them.
COMMANDS: dict[str, Entry] = {
    "serve": Entry("derbes.cli.serve", "Serve the REST API (OpenAPI at /docs)."),
    "event": Entry("derbes.consent.cli", "Record a lifecycle event (contract opened / closed, "
                   "account closed, …)."),
    "decide": Entry("derbes.decisions.cli", "May ACTION be done with the subjects' PD? Allow or "
                    "deny, with reasons and citations."),
    "init": Entry("derbes.installation.cli.init", "Create var/, the KEK file (mode 0600, never "
                  "overwritten), migrate both databases."),
    "notice": Entry("derbes.register.cli.notice", "Generate the privacy notice (ru, kk, en; "
                    "HTML, PDF or Markdown) from a register."),
    "calendar": Entry("derbes.deadlines.cli", "Print the Kazakhstan working calendar of YEAR: "
                      "days off, holidays, transfers."),
    "deadline": Entry("derbes.deadlines.cli", "Print the due date of a deadline and the rule "
                      "that gives it."),
    "demo": Entry("derbes.installation.cli.demo", "Load the seed registers into the database, "
                  "render their notices, serve the API."),
    "scan": Entry("derbes.scanner.cli", "Find personal data and report it against the register "
                  "(declared, undeclared,\nmisplaced), as a table, HTML, JSON or SARIF."),
    "register": Entry("derbes.register.cli.register", "Processing registers: schema, "
                      "validation, lint, diff."),
    "retention": Entry("derbes.retention.cli.retention", "Retention: plan and run the "
                       "destruction sweep."),
    "acts": Entry("derbes.retention.cli.acts", "Destruction acts: list them, show or export one "
                  "(JSON, PDF, HTML)."),
    "request": Entry("derbes.requests.cli", "Data-subject requests: file, verify, show, answer, "
                     "list."),
    "requests": Entry("derbes.requests.cli", "Requests across the register: overdue, due "
                      "tomorrow."),
    "consent": Entry("derbes.consent.cli", "Consents: give, withdraw, show, export evidence."),
    "ledger": Entry("derbes.consent.cli", "The consent ledger (hash chain).",
                    ("derbes.integrity.cli",)),
    "subject": Entry("derbes.vault.cli.subjects", "Subjects of the PD vault: add, show, find, "
                     "block, destroy."),
    "transfer": Entry("derbes.transfers.cli", "The transfer log: record a disclosure, list a "
                      "subject's."),
    "audit": Entry("derbes.audit.cli", "Access audit log: verify its hash chain, show entries, "
                   "list alerts.", ("derbes.integrity.cli",)),
    "apikey": Entry("derbes.access.cli", "API keys for service callers, scoped read / write / "
                    "destroy / verify / admin."),
    "staff": Entry("derbes.staff.cli", "Staff: people, roles per operator, passwords, TOTP, "
                   "revocation, the list of persons with access."),
    "keys": Entry("derbes.vault.cli.keys", "Vault keys: KEK status and rotation."),
    "regime": Entry("derbes.deadlines.cli", "The regime table: statutory deadlines and rules "
                    "with citations."),
    "id": Entry("derbes.identifiers.cli", "Kazakhstan identifiers: IIN, BIN, IBAN, card number, "
                "phone, e-mail."),
    "db": Entry("derbes.installation.cli.db", "Database schema: apply and inspect migrations."),
    "dataset": Entry("derbes.datasets.cli", "Operator databases (datasets): check a mapping, "
                     "show or erase a subject's rows."),
    "delivery": Entry("derbes.delivery.cli", "SMS and e-mail deliveries: list those that "
                      "failed, retry them."),
    "incident": Entry("derbes.incidents.cli", "PD security incidents: register, clocks, "
                      "candidates."),
    "compliance": Entry("derbes.compliance.cli", "The responsible person's register and the "
                        "compliance pack (Law 94-V Art. 25)."),
}


def load_all() -> None:
    """Import every command module (the tests compare the table with what they declare)."""
    for entry in COMMANDS.values():
        for module in entry.modules:
            importlib.import_module(module)


class LazyGroup(TyperGroup):
    """The root group: lists :data:`COMMANDS` without importing them, and imports a
    command's module only when the command is looked up to run (or to show its help)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._describing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        known = super().list_commands(ctx)
        return [*known, *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if cmd_name not in self.commands and entry is not None:
            if self._describing:
                # Only its line in the root help is wanted: the table has it.
                return TyperCommand(name=cmd_name, help=entry.help)
            self.commands[cmd_name] = _build(cmd_name, entry)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._describing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._describing = False


def _build(name: str, entry: Entry) -> click.Command:
    """Import ``entry.module`` (which registers its commands on the root Typer app) and
    convert the root app again, keeping the command called ``name``."""
    from derbes.cli.app import app

    for module in entry.modules:
        importlib.import_module(module)
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return group.commands[name]
