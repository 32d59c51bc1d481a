"""``derbes staff``: people, their roles per operator, passwords, second factors, revocation,
and the list of persons with access (CSV, PDF)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from derbes.cli.app import command_group
from derbes.cli.common import actor, bootstrap, language, lazy, request_id
from derbes.context import OperatorScope
from derbes.errors import InputError
from derbes.platform.files import write_private
from derbes.platform.labels import N_, Lang

if TYPE_CHECKING:
    from derbes.bootstrap import Container
    from derbes.context import Context
    from derbes.platform import i18n
    from derbes.staff import service
else:
    i18n = lazy("derbes.platform.i18n")
    service = lazy("derbes.staff.service")

staff_app = command_group(
    "staff",
    "Staff: people, roles per operator, passwords, TOTP, revocation, "
    "the list of persons with access.")

console = Console(soft_wrap=True, highlight=False)
notes = Console(stderr=True, soft_wrap=True, highlight=False)

LANG_HELP = "ru, kk or en."

MESSAGES: Mapping[str, str] = {
    "added": N_("Added {name} ({login}), id {id}. Grant roles with: derbes staff grant."),
    "people": N_("Staff"),
    "nobody": N_("No staff yet: add a person with derbes staff add."),
    "name": N_("Name"),
    "login": N_("Login"),
    "roles": N_("Roles (operator: role)"),
    "status": N_("Status"),
    "active": N_("active"),
    "disabled": N_("access revoked"),
    "no_totp": N_("second factor required, not enrolled"),
    "role_table": N_("Staff roles"),
    "role": N_("Role"),
    "permissions": N_("Permissions"),
    "totp": N_("Second factor"),
    "yes": N_("required"),
    "no": N_("not required"),
    "basis": N_("Basis"),
    "granted": N_("Granted {role} at {operator} to {name}."),
    "revoked": N_("Revoked {name}: {grants} role(s) ended, {sessions} session(s) ended, "
                  "{keys} API key(s) revoked."),
    "offboarded": N_("{name} can no longer sign in."),
    "password_set": N_("Password of {name} changed."),
    "enrolled": N_("Second factor of {name} enrolled. Add this key to the authenticator app "
                   "now: it is not shown again."),
    "wrote": N_("Wrote {path}."),
}


class AccessFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    PDF = "pdf"


def _t(lang: Lang, key: str, **values: object) -> str:
    return i18n.gettext(lang, MESSAGES[key]).format(**values)


def _context(container: Container, operator: str | None = None) -> Context:
    scope = OperatorScope.every() if operator is None else OperatorScope.only(operator)
    return container.context(actor(), request_id(), scope)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        text = sys.stdin.readline().rstrip("\r\n")
        if not text:
            raise InputError("no password was read from stdin", field="password")
        return text
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


LANG = typer.Option("ru", "--lang", help=LANG_HELP)
PASSWORD_STDIN = typer.Option(False, "--password-stdin",
                              help="Read the password from the first line of stdin.")


@staff_app.command("add")
def add(login: str = typer.Argument(..., help="An e-mail address or a user name."),
        name: str = typer.Option(..., "--name", help="Full name, as in the list of access."),
        password_stdin: bool = PASSWORD_STDIN,
        no_password: bool = typer.Option(False, "--no-password",
                                         help="Set the password later (staff password)."),
        lang: str = LANG) -> None:
    """Add a person (no role yet: grant roles per operator)."""
    language_ = language(lang)
    container = bootstrap()
    password = None if no_password else _password(password_stdin)
    person = service.add_person(_context(container), container.password_hasher, login, name,
                                password)
    console.print(_t(language_, "added", name=person.name, login=person.login, id=person.id))


@staff_app.command("list")
def list_(operator: str | None = typer.Option(None, "--operator", help="Only roles here."),
          lang: str = LANG) -> None:
    """Every person, their roles per operator and whether they may sign in."""
    language_ = language(lang)
    container = bootstrap()
    found = service.people(_context(container, operator))
    if not found:
        console.print(_t(language_, "nobody"))
        return
    roles = container.rules.staff.roles
    table = Table(title=_t(language_, "people"), title_justify="left")
    table.add_column("id", no_wrap=True)
    for key in ("login", "name", "roles", "status"):
        table.add_column(_t(language_, key), overflow="fold")
    for person, grants in found:
        held = {g.role for g in grants}
        status = _t(language_, "disabled" if person.disabled_at else "active")
        if person.disabled_at is None and roles.needs_totp(held) and not person.has_totp:
            status += "; " + _t(language_, "no_totp")
        table.add_row(person.id, person.login, person.name,
                      "\n".join(f"{g.operator_id}: {g.role}" for g in grants), status)
    console.print(table)


@staff_app.command("roles")
def roles_(lang: str = LANG) -> None:
    """The roles, their permissions and the rule each serves (data/staff_roles.yaml)."""
    language_ = language(lang)
    book = bootstrap().rules.staff.roles
    table = Table(title=_t(language_, "role_table"), title_justify="left")
    for key in ("role", "permissions", "totp", "basis"):
        table.add_column(_t(language_, key), overflow="fold")
    for role in book.roles.values():
        table.add_row(f"{role.name}\n{role.label.get(language_)}",
                      "\n".join(sorted(p.value for p in role.permissions)),
                      _t(language_, "yes" if role.totp_required else "no"), role.citation)
    console.print(table)


@staff_app.command("grant")
def grant(person: str = typer.Argument(..., help="The person's id or login."),
          operator: str = typer.Option(..., "--operator", help="The operator (published)."),
          role: str = typer.Option(..., "--role", help="dpo, request_handler, "
                                   "security_officer, auditor or admin (staff roles)."),
          lang: str = LANG) -> None:
    """Give a person a role at one operator."""
    language_ = language(lang)
    container = bootstrap()
    made = service.grant(_context(container), person, operator, role)
    name = container.rules.staff.roles.role(made.role).label.get(language_)
    console.print(_t(language_, "granted", role=name, operator=made.operator_id, name=person))


@staff_app.command("revoke")
def revoke(person: str = typer.Argument(..., help="The person's id or login."),
           operator: str | None = typer.Option(
               None, "--operator", help="Only the roles at this operator (default: all, and "
                                        "the person can no longer sign in)."),
           role: str | None = typer.Option(None, "--role", help="Only this role there."),
           lang: str = LANG) -> None:
    """End roles, and at once every session and API key of the person (audited)."""
    language_ = language(lang)
    done = service.revoke(_context(bootstrap()), person, operator, role)
    console.print(_t(language_, "revoked", name=done.person.name, grants=len(done.grants),
                     sessions=done.sessions, keys=len(done.keys)))
    if done.disabled:
        console.print(_t(language_, "offboarded", name=done.person.name))


@staff_app.command("password")
def password(person: str = typer.Argument(..., help="The person's id or login."),
             password_stdin: bool = PASSWORD_STDIN, lang: str = LANG) -> None:
    """Set a person's password (hashed with Argon2id; never shown nor logged)."""
    language_ = language(lang)
    container = bootstrap()
    found = service.set_password(_context(container), container.password_hasher, person,
                                 _password(password_stdin))
    console.print(_t(language_, "password_set", name=found.name))


@staff_app.command("totp")
def totp(person: str = typer.Argument(..., help="The person's id or login."),
         lang: str = LANG) -> None:
    """Enrol a new TOTP second factor (RFC 6238) and print its key once (stdout)."""
    language_ = language(lang)
    enrolment = service.enrol_totp(_context(bootstrap()), person)
    notes.print(_t(language_, "enrolled", name=enrolment.person.name))
    typer.echo(enrolment.uri)
    typer.echo(enrolment.secret_b32)


@staff_app.command("access")
def access(operator: str = typer.Argument(..., help="The operator."),
           fmt: AccessFormat = typer.Option(AccessFormat.TEXT, "--format"),
           history: bool = typer.Option(False, "--history", help="Include revoked roles."),
           out: Path | None = typer.Option(None, "--output", "-o", help="File; default stdout."),
           lang: str = LANG) -> None:
    """The list of persons with access to the operator's PD (Order 179/НҚ): CSV or PDF."""
    from derbes.staff.adapters.access_list import render_access_list

    language_ = language(lang)
    container = bootstrap()
    rows = service.access_list(_context(container, operator), operator, history=history)
    if fmt is AccessFormat.TEXT:
        payload = render_access_list(operator, rows, container.rules.staff.roles, language_,
                                     container.clock.now(), "csv").decode("utf-8-sig")
        console.print(payload, markup=False, end="")
        return
    data = render_access_list(operator, rows, container.rules.staff.roles, language_,
                              container.clock.now(), fmt.value)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_private(out, data)
    notes.print(_t(language_, "wrote", path=out))
