"""``derbes transfer``: the transfer log.

    derbes transfer record --operator example-pay --recipient afm \\
        --purpose aml_identification --category identity.iin --subject S
    derbes transfer list S

``record`` decides the disclosure for every subject first and records it only
when all are allowed; a refusal prints every reason and exits 1.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from derbes.cli.app import command_group, report
from derbes.cli.common import actor, bootstrap, console, language, lazy
from derbes.errors import DecisionDeniedError, InputError
from derbes.platform.dates import check_date

if TYPE_CHECKING:
    from derbes.transfers import service as transfer_service
else:
    transfer_service = lazy("derbes.transfers.service")


transfer_app = command_group(
    "transfer",
    "The transfer log: record a disclosure, list a subject's.")


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
            container.context(actor()),
            transfer_service.TransferRequest(
                operator_id=operator, recipient=recipient, purpose=purpose,
                categories=tuple(category), subject_ids=tuple(subject),
                state_body=state_body, request_number=request_number,
                request_date=parsed_date, law_citation=law, lang=language(lang),
            ),
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
    records = transfer_service.list_transfers(container.context(actor(), read_only=True), subject)
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
