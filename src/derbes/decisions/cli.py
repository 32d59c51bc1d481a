"""``derbes decide`` and ``derbes transfer``: the decision point and the transfer log.

    derbes decide --operator example-pay --subject S --action use \\
        --purpose newsletters --category contact.email
    derbes transfer record --operator example-pay --recipient afm \\
        --purpose aml_identification --category identity.iin --subject S
    derbes transfer list S

``decide`` exits 0 when every action is allowed and 1 when one is denied
(the reasons are printed either way), so scripts can branch on it.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import date
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from derbes.cli.app import app, report
from derbes.cli.common import bootstrap, lazy
from derbes.decisions.model import Action, ActionKind, Decision
from derbes.errors import DecisionDeniedError, InputError
from derbes.platform.dates import check_date
from derbes.platform.labels import Lang

if TYPE_CHECKING:
    from derbes.transfers import service as transfer_service
else:
    transfer_service = lazy("derbes.transfers.service")

console = Console(soft_wrap=True, highlight=False)

transfer_app = typer.Typer(help="The transfer log: record a disclosure, list a subject's.",
                           no_args_is_help=True)
app.add_typer(transfer_app, name="transfer")


def _actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def _lang(value: str) -> Lang:
    try:
        return Lang(value)
    except ValueError:
        raise InputError("language must be ru, kk or en", field="lang") from None


def _decision_dict(subject_id: str, decision: Decision) -> dict[str, Any]:
    return {"subject_id": subject_id, "allowed": decision.allowed,
            "reasons": [{"code": r.code.value, "allowed": r.allowed, "message": r.message,
                         "citation": r.citation, "ref": r.ref} for r in decision.reasons]}


@app.command("decide")
def decide_command(
    operator: str = typer.Option(..., "--operator", help="Operator id (its register in force)."),
    subject: list[str] = typer.Option(..., "--subject", help="Subject id (repeatable)."),
    action: ActionKind = typer.Option(ActionKind.USE, "--action", case_sensitive=False),
    purpose: str | None = typer.Option(None, "--purpose"),
    recipient: str | None = typer.Option(None, "--recipient"),
    category: list[str] = typer.Option(..., "--category", help="Category id (repeatable)."),
    lang: str = typer.Option("en", "--lang", help="Language of the messages: ru, kk, en."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """May ACTION be done with the subjects' PD? Allow or deny, with reasons and citations."""
    from derbes.decisions.service import DecisionPoint
    container = bootstrap()
    point = DecisionPoint(container.uow, container.clock, ttl=0)
    actions = [Action(action, s, purpose, recipient, tuple(category)) for s in subject]
    decisions = point.decide(operator, actions, _lang(lang))
    if as_json:
        console.print_json(json.dumps([_decision_dict(a.subject_id, d)
                                       for a, d in zip(actions, decisions, strict=True)],
                                      ensure_ascii=False))
    else:
        for a, d in zip(actions, decisions, strict=True):
            verdict = "[bold green]ALLOW[/]" if d.allowed else "[bold red]DENY[/]"
            console.print(f"{verdict} {a.subject_id}: {action.value}"
                          + (f" {purpose}" if purpose else "")
                          + (f" → {recipient}" if recipient else ""))
            for r in d.reasons:
                ref = f" [{r.ref}]" if r.ref else ""
                console.print(f"  {r.code.value}{ref}: {r.message}", markup=False)
                console.print(f"    {r.citation}", markup=False, style="dim")
    if not all(d.allowed for d in decisions):
        raise typer.Exit(1)


@transfer_app.command("record")
def record_command(
    operator: str = typer.Option(..., "--operator"),
    recipient: str = typer.Option(..., "--recipient"),
    purpose: str = typer.Option(..., "--purpose"),
    category: list[str] = typer.Option(..., "--category", help="Category id (repeatable)."),
    subject: list[str] = typer.Option(..., "--subject", help="Subject id (repeatable)."),
    state_body: str | None = typer.Option(None, "--state-body", help=(
        "Law 94-V Art. 9: the state body whose motivated request this answers.")),
    request_number: str | None = typer.Option(None, "--request-number"),
    request_date: str | None = typer.Option(None, "--request-date", help="YYYY-MM-DD"),
    law: str | None = typer.Option(None, "--law", help="The law the request rests on."),
    lang: str = typer.Option("en", "--lang"),
) -> None:
    """Decide a disclosure for every subject and record it; refused with reasons if not allowed."""
    parsed_date: date | None = None
    if request_date is not None:
        try:
            parsed_date = date.fromisoformat(request_date)
        except ValueError:
            raise InputError("request date must be YYYY-MM-DD", field="request_date") from None
        check_date(parsed_date, "request_date")
    container = bootstrap()
    try:
        record = transfer_service.record_transfer(
            container.uow(), container.clock,
            transfer_service.TransferRequest(
                operator_id=operator, recipient=recipient, purpose=purpose,
                categories=tuple(category), subject_ids=tuple(subject),
                state_body=state_body, request_number=request_number,
                request_date=parsed_date, law_citation=law, lang=_lang(lang),
            ),
            actor=_actor(),
        )
    except DecisionDeniedError as exc:
        report(exc)
        for r in exc.reasons:
            console.print(f"  {r['subject_id']}: {r['code']}"
                          + (f" [{r['ref']}]" if r["ref"] else "")
                          + f": {r['message']} ({r['citation']})", markup=False)
        raise typer.Exit(1) from None
    console.print(f"recorded transfer {record.id}: {len(record.consent_ids)} subject(s) → "
                  f"{record.recipient_id}, basis {record.basis_kind}", markup=False)
    if record.law_citation:
        console.print(f"  law: {record.law_citation}", markup=False)


@transfer_app.command("list")
def list_command(
    subject: str = typer.Argument(..., help="Subject id."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The subject's view: every disclosure of their PD, newest first."""
    container = bootstrap()
    records = transfer_service.list_transfers(container.uow(), subject)
    if as_json:
        console.print_json(json.dumps([
            {"id": r.id, "at": r.at.isoformat(), "recipient": r.recipient_id,
             "purpose": r.purpose, "categories": list(r.categories),
             "basis_kind": r.basis_kind, "consent_ids": list(r.consent_ids.get(subject, ())),
             "law_citation": r.law_citation, "state_body": r.state_body,
             "request_number": r.request_number,
             "request_date": r.request_date.isoformat() if r.request_date else None}
            for r in records], ensure_ascii=False))
        return
    table = Table("at", "recipient", "purpose", "categories", "basis", "request")
    for r in records:
        request = " ".join(x for x in (r.state_body, r.request_number,
                                       r.request_date.isoformat() if r.request_date else None)
                           if x)
        table.add_row(r.at.isoformat(timespec="seconds"), r.recipient_id, r.purpose,
                      ", ".join(r.categories), r.basis_kind, request)
    console.print(table)
