"""The citations under each outcome of a withdrawal, in the page's language.

The outcomes carry their citations as the rules and the register state them in
English (what the ledger and the API keep). The subject reads them in the page's
language: a rule of ``data/consent_rules.yaml`` by its ``cite`` texts, a purpose's
basis and retention by the register's ru/kk/en forms, the term to stop by the regime
table's. A citation none of them matches (a register changed since) stays as given.
"""

from __future__ import annotations

from collections.abc import Callable

from derbes.cabinet.service.mine import register_of
from derbes.cabinet.service.signin import Visit
from derbes.consent.model.consent import ConsentRules
from derbes.consent.model.withdrawal import OutcomeStatus, WithdrawalOutcome
from derbes.consent.service.subjects import regime_of
from derbes.consent.service.withdraw import WITHDRAWAL_STOP
from derbes.register.model.register import Purpose

__all__ = ["citations"]

_RULES = ("withdrawal", "withdrawal_obligation", "withdrawal_law", "marketing", "cookies")


def _main(rules: ConsentRules, purpose: Purpose | None, given: str, lang: str) -> str:
    """The rule the outcome rests on, and the purpose's basis when it is cited after it."""
    basis = purpose.basis if purpose is not None else None
    for name in _RULES:
        text = str(getattr(rules, name))
        if given == text:
            return rules.cited(name, lang)
        if basis is not None and basis.citation and given == f"{text}; {basis.citation}":
            cited = basis.cite.get(lang) if basis.cite is not None else basis.citation
            return f"{rules.cited(name, lang)}; {cited}"
    return given


def citations(visit: Visit, lang: str) -> Callable[[WithdrawalOutcome], str]:
    """What to print under an outcome: its rule; until when its data is kept, why; by
    when processing stops, why (for what stops)."""
    register = register_of(visit)
    rules = visit.ctx.rules.consent
    stop = regime_of(visit.ctx, register).deadlines.get(WITHDRAWAL_STOP)
    stop_cite = stop.cite.get(lang) if stop is not None and stop.cite is not None else None

    def line(outcome: WithdrawalOutcome) -> str:
        purpose = register.purposes.get(outcome.purpose or "")
        parts = [_main(rules, purpose, outcome.citation, lang)]
        if outcome.until_citation:
            retention = purpose.retention if purpose is not None else None
            parts.append(retention.cite.get(lang)
                         if retention is not None and retention.cite is not None
                         and retention.citation == outcome.until_citation
                         else outcome.until_citation)
        if outcome.stop_citation and outcome.status is OutcomeStatus.STOPPED:
            parts.append(stop_cite or outcome.stop_citation)
        return "; ".join(parts)

    return line
