"""``derbes id check``: is this an IIN, BIN, IBAN, card number, phone or e-mail, and valid?"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from derbes.cli.app import command_group
from derbes.cli.common import environment_setting, lazy
from derbes.identifiers.model import Kind, Verdict
from derbes.platform.labels import Lang
from derbes.platform.text import check_text

if TYPE_CHECKING:
    from derbes.identifiers import service as identifiers
else:
    identifiers = lazy("derbes.identifiers.service")



class _PhonesOnDemand:
    """The phone adapter, loaded with its numbering-plan metadata only when the value
    turns out to be a phone number."""

    def check(self, value: str) -> Verdict:
        from derbes.identifiers.adapters.phone import PHONES

        return PHONES.check(value)

    def e164(self, value: str) -> str:
        from derbes.identifiers.adapters.phone import PHONES

        return PHONES.e164(value)


ids_app = command_group(
    "id",
    "Kazakhstan identifiers: IIN, BIN, IBAN, card number, phone, e-mail.")


@ids_app.command("check")
def check(
    value: str = typer.Argument(
        ...,
        help="The identifier. '-' reads it from standard input, which keeps personal "
        "data out of the shell history and the process list.",
        metavar="VALUE",
        show_default=False,
    ),
    kind: Kind | None = typer.Option(
        None, "--kind", "-k", case_sensitive=False,
        help="Check as this kind instead of detecting it.", show_default=False,
    ),
    lang: Lang = typer.Option(Lang.EN, "--lang", help="Language of the labels in the facts."),
) -> None:
    """Print the verdict as JSON; exit 0 if the identifier is valid, 1 if not.

    A card number is never printed in full: only its first six and last four digits.
    """
    if value == "-":
        value = sys.stdin.read().strip()
    check_text(value, "value")
    from derbes.deadlines.adapters.regime_yaml import load_regime
    from derbes.platform.system_clock import SystemClock

    # Today's date (an IIN born tomorrow is invalid) and the regime table in force (its
    # age of majority; DERBES_REGIME_FILE honoured): no database, no keys.
    regime_file = environment_setting("regime_file")
    regime = load_regime(Path(regime_file) if regime_file else None)
    verdict = identifiers.check(value, kind, clock=SystemClock(), lang=lang, regime=regime,
                                phones=_PhonesOnDemand())
    typer.echo(json.dumps(verdict.as_dict(), ensure_ascii=False, indent=2))
    raise typer.Exit(0 if verdict.valid else 1)
