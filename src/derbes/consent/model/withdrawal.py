"""What withdrawing consent does, per purpose (Law 94-V Art. 8 p.2, p.7).

:func:`withdrawal_outcomes` answers a withdrawal per purpose: stopped now, or
continuing because of an unfulfilled obligation (an open contract) or the law,
with the citation and, where known, the date until which, and the date by
which processing on the consent stops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from derbes.consent.model.consent import (
    Consent,
    ConsentRules,
    LedgerEvent,
    ScopeKind,
)
from derbes.register.model.register import BasisKind, Purpose, Register
from derbes.retention.model.clocks import PurposeClock

__all__ = ["OutcomeReason", "OutcomeStatus", "WithdrawalOutcome", "WithdrawalTerms",
           "withdrawal_event", "withdrawal_outcomes"]


class OutcomeStatus(StrEnum):
    STOPPED = "stopped"
    CONTINUES = "continues"


class OutcomeReason(StrEnum):
    """Why a purpose stops or continues after a withdrawal."""

    CONSENT_WITHDRAWN = "consent_withdrawn"  # stopped: it rested on the consent
    MARKETING = "marketing"  # stopped at once, always
    COOKIES = "cookies"  # stopped at once, always
    NO_OBLIGATION = "no_obligation"  # stopped: contract purpose, no open contract left
    RETENTION_ENDED = "retention_ended"  # stopped: the legal retention term is over
    OBLIGATION = "obligation"  # continues: an open contract with the subject
    LEGAL_OBLIGATION = "legal_obligation"  # continues: a law requires the processing


_CONTRACT_BASES = frozenset({BasisKind.CONTRACT})
_LAW_BASES = frozenset(
    {BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST, BasisKind.VITAL_INTERESTS}
)


@dataclass(frozen=True)
class WithdrawalOutcome:
    """What a withdrawal does to one purpose (and recipient, or cookie category)."""

    purpose: str | None
    status: OutcomeStatus
    reason: OutcomeReason
    citation: str
    until: date | None = None  # the last day its data may be kept (one clock rule)
    until_citation: str | None = None
    recipient: str | None = None
    cookie_category: str | None = None
    stop_by: date | None = None  # processing on the consent stops by then (Art. 8 p.7)
    stop_citation: str | None = None
    stopped_on: date | None = None  # contract purposes: the day the last contract closed

    def as_dict(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "status": self.status.value,
                "reason": self.reason.value, "citation": self.citation,
                "until": self.until.isoformat() if self.until else None,
                "until_citation": self.until_citation, "recipient": self.recipient,
                "cookie_category": self.cookie_category,
                "stop_by": self.stop_by.isoformat() if self.stop_by else None,
                "stop_citation": self.stop_citation,
                "stopped_on": self.stopped_on.isoformat() if self.stopped_on else None}


@dataclass(frozen=True)
class WithdrawalTerms:
    """What a withdrawal answer needs besides the register: the subject's clocks and
    contracts (from the one clock rule) and the statutory term to stop processing.

    ``clocks`` are the purposes the subject is in, computed with the
    withdrawal already applied; ``stop_by`` is the last day processing that
    rested on the withdrawn consent stops (Law 94-V Art. 8 p.7), ``stop_citation``
    the rule that sets it.
    """

    on: date
    clocks: Mapping[str, PurposeClock]
    open_contracts: int
    last_contract_closed: date | None
    stop_by: date
    stop_citation: str


def _until(purpose: Purpose, terms: WithdrawalTerms) -> tuple[date | None, str | None]:
    clock = terms.clocks.get(purpose.id)
    if clock is None or clock.end_date is None or purpose.retention is None:
        return None, None
    return clock.end_date, purpose.retention.citation


def _purpose_outcome(purpose: Purpose, terms: WithdrawalTerms, rules: ConsentRules,
                     recipient: str | None) -> WithdrawalOutcome:
    """What withdrawing does to one purpose: its legal basis decides (Art. 8 p.2).

    Consent: processing stops, by the statutory term at the latest (Art. 8 p.7).
    Contract (whether or not consent was collected too): it continues while a
    contract with the subject is open, an unfulfilled obligation, and stops
    after. Law: it continues for its statutory period. ``until`` is the last
    day its data may be kept, from the one clock rule.
    """
    basis = purpose.basis
    cited = f"; {basis.citation}" if basis.citation else ""
    until, until_citation = _until(purpose, terms)
    if basis.kind is BasisKind.CONSENT:
        return WithdrawalOutcome(purpose.id, OutcomeStatus.STOPPED,
                                 OutcomeReason.CONSENT_WITHDRAWN, rules.withdrawal,
                                 until=until, until_citation=until_citation,
                                 recipient=recipient, stop_by=terms.stop_by,
                                 stop_citation=terms.stop_citation)
    if basis.kind is BasisKind.CONTRACT:
        if terms.open_contracts > 0:
            return WithdrawalOutcome(purpose.id, OutcomeStatus.CONTINUES,
                                     OutcomeReason.OBLIGATION,
                                     rules.withdrawal_obligation + cited, recipient=recipient)
        return WithdrawalOutcome(purpose.id, OutcomeStatus.STOPPED, OutcomeReason.NO_OBLIGATION,
                                 rules.withdrawal, until=until, until_citation=until_citation,
                                 recipient=recipient, stopped_on=terms.last_contract_closed)
    if until is not None and until < terms.on:
        return WithdrawalOutcome(purpose.id, OutcomeStatus.STOPPED,
                                 OutcomeReason.RETENTION_ENDED, rules.withdrawal, until=until,
                                 until_citation=until_citation, recipient=recipient)
    return WithdrawalOutcome(purpose.id, OutcomeStatus.CONTINUES, OutcomeReason.LEGAL_OBLIGATION,
                             rules.withdrawal_law + cited, until=until,
                             until_citation=until_citation, recipient=recipient)


def withdrawal_outcomes(
    register: Register,
    kind: ScopeKind,
    consents: Sequence[Consent],
    terms: WithdrawalTerms,
    rules: ConsentRules,
) -> tuple[WithdrawalOutcome, ...]:
    """The answer to withdrawing the ``kind`` scope of a subject's ``consents``.

    Processing: each purpose of the withdrawn consents is answered by its
    basis (:func:`_purpose_outcome`); since the subject asks that processing
    of their PD stop, the other purposes they are in that do not rest on
    consent are answered too. Marketing and cookies stop. Transfers: per
    recipient and each purpose it serves. Only ``kind`` is touched: other
    scopes are never withdrawn with it.
    """
    mine = [c for c in consents if c.scope.kind is kind]
    if kind is ScopeKind.MARKETING:
        purposes = dict.fromkeys(p for c in mine for p in c.scope.purposes)
        out = []
        for p in purposes:
            purpose = register.purposes.get(p)
            until, cited = _until(purpose, terms) if purpose else (None, None)
            out.append(WithdrawalOutcome(p, OutcomeStatus.STOPPED, OutcomeReason.MARKETING,
                                         rules.marketing, until=until, until_citation=cited,
                                         stop_by=terms.stop_by,
                                         stop_citation=terms.stop_citation))
        return tuple(out)
    if kind is ScopeKind.COOKIES:
        names = dict.fromkeys(n for c in mine for n in c.scope.cookie_categories)
        return tuple(WithdrawalOutcome(None, OutcomeStatus.STOPPED, OutcomeReason.COOKIES,
                                       rules.cookies, cookie_category=n) for n in names)
    if kind is ScopeKind.PUBLICATION:
        return (WithdrawalOutcome(None, OutcomeStatus.STOPPED, OutcomeReason.CONSENT_WITHDRAWN,
                                  rules.withdrawal, stop_by=terms.stop_by,
                                  stop_citation=terms.stop_citation),)
    result: list[WithdrawalOutcome] = []
    if kind is ScopeKind.PROCESSING:
        given = {p for c in mine for p in c.scope.purposes}
        for purpose in register.purposes.values():
            if purpose.id in given or (purpose.id in terms.clocks
                                       and purpose.basis.kind is not BasisKind.CONSENT):
                result.append(_purpose_outcome(purpose, terms, rules, None))
        # A purpose consented to under an older register that no longer has it.
        result.extend(WithdrawalOutcome(p, OutcomeStatus.STOPPED,
                                        OutcomeReason.CONSENT_WITHDRAWN, rules.withdrawal,
                                        stop_by=terms.stop_by,
                                        stop_citation=terms.stop_citation)
                      for p in sorted(given - set(register.purposes)))
        return tuple(result)
    recipients = dict.fromkeys(r for c in mine for r in c.scope.recipients)
    for recipient_id in recipients:
        served = register.purposes_of_recipient(recipient_id)
        if not served:
            result.append(WithdrawalOutcome(None, OutcomeStatus.STOPPED,
                                            OutcomeReason.CONSENT_WITHDRAWN, rules.withdrawal,
                                            recipient=recipient_id, stop_by=terms.stop_by,
                                            stop_citation=terms.stop_citation))
        result.extend(_purpose_outcome(p, terms, rules, recipient_id) for p in served)
    return tuple(result)


def withdrawal_event(outcomes: Iterable[WithdrawalOutcome]) -> LedgerEvent:
    """``withdrawn`` when everything stops; otherwise refused in part."""
    if any(o.status is OutcomeStatus.CONTINUES for o in outcomes):
        return LedgerEvent.WITHDRAWAL_REFUSED_IN_PART
    return LedgerEvent.WITHDRAWN
