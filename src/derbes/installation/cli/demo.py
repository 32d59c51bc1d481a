"""``derbes demo``: a fresh checkout to a running system on the embedded SQLite default."""

from __future__ import annotations

import errno
import os
import socket
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from derbes.cli.app import app
from derbes.cli.common import bootstrap, lazy
from derbes.errors import ConfigurationError
from derbes.platform.files import private_dir, write_private
from derbes.register.model.register import LANGS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from derbes.bootstrap import Container
    from derbes.installation.adapters import sample_stores as stores_adapter
    from derbes.installation.adapters.sample_stores import SampleStore
    from derbes.installation.service import demo as demo_service
    from derbes.register.service import notice, registers
    from derbes.register.service.policy_change import Published
    from derbes.requests import service as request_service
else:
    demo_service = lazy("derbes.installation.service.demo")
    stores_adapter = lazy("derbes.installation.adapters.sample_stores")
    notice = lazy("derbes.register.service.notice")
    registers = lazy("derbes.register.service.registers")
    request_service = lazy("derbes.requests.service")

console = Console(soft_wrap=True)


def _check_port(host: str, port: int) -> None:
    """Refuse at once when ``host:port`` cannot be listened on (taken, or not ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = ("is in use by another program" if exc.errno == errno.EADDRINUSE
                   else f"cannot be listened on ({exc.strerror})")
            raise ConfigurationError(
                f"port {port} on {host} {why}: pass --port with a free one, or --no-serve",
                field="port") from None


@app.command()
def demo(
    serve: bool = typer.Option(True, help="Serve the API after loading (Ctrl+C stops it)."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
    pdf: bool = typer.Option(True, help="Also render the notices as PDF."),
) -> None:
    """Load the seed registers into the database, render their notices, serve the API."""
    if serve:
        # Before minutes of set-up: a port another program holds would only fail at the end.
        _check_port(host, port)
    container = _console_delivery(bootstrap())
    settings = container.settings
    _initialise(container)
    _lint(container)
    published = registers.publish_directory(container.uow(), settings.registers_dir,
                                            container.clock, container.register_reader)
    for item in published:
        state = "published" if item.new else "already in force"
        console.print(f"  {item.stored.operator_id} policy {item.stored.policy_version}: "
                      f"{state} (sha256 {item.stored.sha256[:12]})", highlight=False)
    formats = ["html", "md"] + (["pdf"] if pdf else [])
    _render_notices(container, published, formats)
    stores = _operator_stores(container)
    _demo_customer(container)
    token, minted = demo_service.admin_key(container.uow, container.clock, settings.var_dir)
    first = published[0].stored.operator_id if published else "<operator>"
    _where_to_look(container, f"http://{host}:{port}", formats, first, stores)
    _console_sign_in(container, f"http://{host}:{port}", [p.stored.operator_id for p in published])
    _cabinet_sign_in(container, f"http://{host}:{port}")
    kept = settings.var_dir / demo_service.KEY_FILE
    console.print(f"  API key (admin{', new' if minted else ''}; kept in {kept}): {token}",
                  highlight=False)
    if serve:
        import uvicorn

        from derbes.api.app import create_app

        uvicorn.run(create_app(container), host=host, port=port, log_level="info")


def _console_delivery(container: Container) -> Container:
    """The demo prints SMS and e-mail on this console when no gateway is set, so a person
    trying it can sign in to the cabinet with the code (never in production: the
    settings refuse it there)."""
    from derbes.bootstrap import bootstrap as build

    s = container.settings
    unset = {name: "log" for name in ("sms_gateway", "mail_transport")
             if getattr(s, name) == "none"}
    if s.deployment == "production" or not unset:
        return container
    return build(s.model_copy(update=unset), container.clock)


def _cabinet_sign_in(container: Container, base: str) -> None:
    """Where the demo customer's cabinet is and how to sign in: the phone goes in a private
    file (the terminal shows it masked), the code arrives by the gateway set."""
    from derbes.context import OperatorScope
    from derbes.delivery.model import mask_phone

    settings = container.settings
    operator = demo_service.CABINET_OPERATOR
    subject_id, made = demo_service.cabinet_customer(container.context(
        demo_service.ACTOR, scope=OperatorScope.only(operator)))
    console.print(f"  demo customer of {operator} "
                  f"{'added to' if made else 'already in'} the vault (subject {subject_id}): "
                  "consents given, a loan open", highlight=False)
    kept = settings.var_dir / demo_service.CUSTOMER_FILE
    write_private(kept, (demo_service.PHONE + "\n").encode("utf-8"))
    arrives = {"log": "the SMS code is printed here (DERBES_SMS_GATEWAY=log: not sent)",
               "mobizon": "the SMS code goes through Mobizon.kz",
               "none": "no SMS gateway is set (DERBES_SMS_GATEWAY), so no code arrives"}
    console.print(f"[bold]cabinet[/] {base}/my/{operator}/sign-in  phone of the "
                  f"demo customer {mask_phone(demo_service.PHONE)} (in full in {kept}); "
                  f"{arrives[settings.sms_gateway]}", highlight=False)


def _console_sign_in(container: Container, base: str, operators: list[str]) -> None:
    """How to reach the console as the demo's DPO (random per installation, kept in a
    private file in var/; a local demo only)."""
    dpo = demo_service.demo_dpo(container.context("cli:demo"), container.password_hasher,
                                container.settings.var_dir, operators)
    kept = container.settings.var_dir / demo_service.DPO_FILE
    console.print(f"[bold]console[/] {base}/console/sign-in  login {dpo.login}  password "
                  f"{dpo.password}  (kept in {kept})", highlight=False)
    console.print(f"  one-time code: add the TOTP secret {dpo.totp_secret} to an "
                  f"authenticator app (or: oathtool --totp -b {dpo.totp_secret})",
                  highlight=False)


def _initialise(container: Container) -> None:
    """The databases at their latest revision and the key store with its KEK."""
    from derbes.installation.cli.init import initialise
    from derbes.platform.db import display_url

    init = initialise(container)
    url = display_url(container.settings.database_url)
    console.print(f"[bold]database[/] {url} at revision "
                  f"{init.database.after.revision}; key store at {init.keystore.after.revision}, "
                  f"KEK {init.kek_id}", highlight=False)


def _lint(container: Container) -> None:
    from derbes.register.service.lint import lint_files

    reader = container.register_reader
    reports = lint_files(reader.files(container.settings.registers_dir),
                         container.rules.regime, reader)
    table = Table(title="Processing registers (lint against Law 94-V)")
    for column in ("file", "operator", "errors", "warnings", "waived"):
        table.add_column(column)
    for report in reports:
        table.add_row(report.file, report.operator_id or "—", str(report.errors),
                      str(report.warnings), str(report.waived))
    console.print(table)


def _render_notices(container: Container, published: Sequence[Published],
                    formats: Sequence[str]) -> None:
    out = container.settings.var_dir / "notices"
    private_dir(out)
    jobs = [(p, lang, fmt) for p in published for lang in LANGS for fmt in formats]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console) as progress:
        task = progress.add_task("rendering notices", total=len(jobs))
        for item, lang, fmt in jobs:
            body = notice.notice_for(item.loaded, lang, fmt, regime=container.rules.regime,
                                     renderer=container.notices)
            write_private(out / f"{item.stored.operator_id}.{lang.value}.{fmt}", body)
            progress.advance(task)


def _operator_stores(container: Container) -> list[SampleStore]:
    from derbes.platform.db import display_url

    settings = container.settings
    stores = stores_adapter.sample_stores(settings.datasets_dir, settings.var_dir, os.environ)
    for store in stores:
        if store.url is None:
            console.print(f"  operator database {store.store}: not configured (set "
                          f"{store.variable}); its operator's requests will say so",
                          highlight=False)
        else:
            state = "made with invented borrowers" if store.created else "in place"
            console.print(f"  operator database {store.store} {state}: {store.variable}="
                          f"{display_url(store.url)}", highlight=False)
    return stores


def _demo_customer(container: Container) -> None:
    from derbes.context import OperatorScope
    from derbes.datasets.adapters.directory import stores_from_dir
    from derbes.requests.adapters.letters import render_letter

    settings = container.settings
    clerk = container.context(demo_service.ACTOR,
                              scope=OperatorScope.only(demo_service.OPERATOR))
    customer = demo_service.seed_customer(clerk, settings,
                                          stores_from_dir(settings.datasets_dir))
    letters = settings.var_dir / "letters"
    private_dir(letters)
    for code in ("kk", "ru"):
        body = request_service.letter(container.context(demo_service.ACTOR),
                                      customer.request_id, render_letter, "pdf", code)
        write_private(letters / f"access-answer.{code}.pdf", body)
    state = "added to the vault" if customer.created else "already in the vault"
    console.print(f"  demo customer of kredit-seven {state} (subject {customer.subject_id}); "
                  f"access request {customer.request_id} answered", highlight=False)


def _where_to_look(container: Container, base: str, formats: Sequence[str], first: str,
                   stores: Sequence[SampleStore]) -> None:
    var_dir = container.settings.var_dir
    console.print("\n[bold]Where to look[/]")
    console.print(f"  notices on disk:   {var_dir / 'notices'}/<operator>.<ru|kk|en>."
                  f"<{'|'.join(formats)}>", highlight=False)
    console.print(f"  OpenAPI:           {base}/docs", highlight=False)
    console.print(f"  registers:         {base}/v1/registers", highlight=False)
    console.print(f"  a notice in Kazakh: {base}/notice/{first}?lang=kk", highlight=False)
    console.print(f"  answer letters:    {var_dir / 'letters'}/access-answer.<kk|ru>.pdf",
                  highlight=False)
    console.print("  lint in detail:    derbes register lint registers/*.yaml --strict",
                  highlight=False)
    for store in stores:
        if store.url is not None:
            console.print(f"  in another shell:  export {store.variable}={store.url}",
                          highlight=False)
