"""``derbes delivery list|retry``: messages that did not get through, and trying again.

Recipients are shown masked only; codes and texts are never shown. The actor of
a retry is ``cli:<os user>`` (audited).
"""

from __future__ import annotations

import json

import typer
from rich.table import Column, Table

from derbes.cli.app import command_group
from derbes.cli.common import Format, actor, bootstrap, console, request_id
from derbes.delivery.model import Delivery, State
from derbes.errors import InputError

delivery_app = command_group(
    "delivery",
    "SMS and e-mail deliveries: list those that failed, retry them.")


def _state(value: str) -> State:
    try:
        return State(value)
    except ValueError:
        raise InputError(f"unknown state {value!r}: one of "
                         f"{', '.join(s.value for s in State)}", field="state") from None


def _row(d: Delivery) -> dict[str, object]:
    return {
        "id": d.id, "channel": d.channel.value, "template": d.template.value,
        "language": d.language, "recipient": d.recipient_masked, "state": d.state.value,
        "attempts": d.attempts, "created_at": d.created_at.isoformat(),
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "failure": d.last_failure.value if d.last_failure else None,
        "detail": d.last_detail, "operator": d.operator_id,
    }


def _show(deliveries: list[Delivery], output: Format) -> None:
    rows = [_row(d) for d in deliveries]
    if output is Format.JSON:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        console.print("no deliveries")
        return
    # The id whole, whatever the terminal's width: it is what `delivery retry` takes.
    table = Table(Column("id", no_wrap=True, min_width=max(len(str(r["id"])) for r in rows)),
                  "channel", "template", "recipient", "state", "attempts", "failure",
                  "next attempt")
    for r in rows:
        table.add_row(str(r["id"]), str(r["channel"]), str(r["template"]), str(r["recipient"]),
                      str(r["state"]), str(r["attempts"]), str(r["failure"] or ""),
                      str(r["next_attempt_at"] or ""))
    console.print(table)


@delivery_app.command("list")
def list_(
    state: list[str] = typer.Option(
        [], "--state", help="queued, sent, failed, gave_up (repeat); default: failed and "
        "gave_up."),
    limit: int = typer.Option(100, "--limit", min=1, max=500),
    output: Format = typer.Option(Format.TEXT, "--format", help="Output format."),
) -> None:
    """Deliveries that did not get through (or those in --state), oldest first."""
    from derbes.delivery import service

    states = tuple(_state(s) for s in state) or (State.FAILED, State.GAVE_UP)
    container = bootstrap()
    _show(service.listing(container.context(actor(), request_id(), read_only=True),
                          states, limit), output)


@delivery_app.command("retry")
def retry(
    delivery_id: str | None = typer.Argument(None, help="A failed or given-up delivery."),
    due: bool = typer.Option(False, "--due", help="Every delivery whose back-off ran out."),
    output: Format = typer.Option(Format.TEXT, "--format", help="Output format."),
) -> None:
    """Try one delivery again now, or (--due) every one whose wait is over (for cron)."""
    from derbes.delivery import service

    if (delivery_id is None) == (not due):
        raise InputError("name one delivery, or give --due", field="delivery_id")
    container = bootstrap()
    ctx = container.context(actor(), request_id())
    if delivery_id is not None:
        done = [service.retry(ctx, container.couriers, delivery_id)]
    else:
        done = service.retry_due(ctx, container.couriers)
    _show(done, output)
