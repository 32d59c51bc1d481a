"""``derbes decide``: the decision point.

    derbes decide --operator example-pay --subject S --action use \\
        --purpose newsletters --category contact.email

``decide`` exits 0 when every action is allowed and 1 when one is denied
(the reasons are printed either way), so scripts can branch on it.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from derbes.cli.app import app
from derbes.cli.common import bootstrap, console, language
from derbes.decisions.model import Action, ActionKind, Decision


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
    point = DecisionPoint(container.uow, container.clock, container.rules.decisions, ttl=0)
    actions = [Action(action, s, purpose, recipient, tuple(category)) for s in subject]
    decisions = point.decide(operator, actions, language(lang))
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
