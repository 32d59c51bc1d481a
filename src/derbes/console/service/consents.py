"""The Consents page of a subject: each consent and withdrawal, what withdrawing each
scope now would answer (Law 94-V Art. 8 p.2), the subject's ledger entries checked
against the ledger key, and the evidence certificate.

Nothing here changes a consent: the withdrawal answer is previewed by the consent
slice in a unit of work it rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from derbes.consent.model.consent import Consent, ConsentStatus, ScopeKind
from derbes.consent.model.ledger import LedgerEntry
from derbes.consent.model.withdrawal import WithdrawalOutcome
from derbes.consent.service import consent as consents
from derbes.consent.service import evidence
from derbes.consent.service.withdraw import withdrawal_preview
from derbes.console.service.access import scoped
from derbes.context import Context
from derbes.staff.model.roles import Permission

__all__ = ["ConsentsPage", "LedgerLine", "certificate", "consents_page"]

CertificateRenderer = Callable[[Mapping[str, Any], str, str], bytes]


@dataclass(frozen=True)
class LedgerLine:
    entry: LedgerEntry
    authentic: bool  # its hash matches its content under the ledger key


@dataclass(frozen=True)
class ConsentsPage:
    subject_id: str
    at: datetime
    consents: tuple[Consent, ...]
    ledger: tuple[LedgerLine, ...]
    previews: dict[ScopeKind, tuple[WithdrawalOutcome, ...]]  # scopes still in force

    def status(self, consent: Consent) -> ConsentStatus:
        return consent.status_on(self.at)

    @property
    def ledger_holds(self) -> bool:
        return all(line.authentic for line in self.ledger)


def consents_page(ctx: Context, operator_id: str, subject_id: str,
                  ledger_key: bytes) -> ConsentsPage:
    """The subject's consents, ledger entries and withdrawal answers previewed."""
    ctx = scoped(ctx, operator_id, Permission.SUBJECTS_READ)
    found = consents.consents_of(ctx, subject_id)
    live = sorted({c.scope.kind for c in found.consents
                   if c.status_on(found.at) is ConsentStatus.ACTIVE}, key=lambda k: k.value)
    previews = {kind: withdrawal_preview(ctx, found.subject_id, kind) for kind in live}
    entries = consents.ledger_of(ctx.uow, found.subject_id)
    return ConsentsPage(found.subject_id, found.at, found.consents,
                        tuple(LedgerLine(e, e.authentic(ledger_key)) for e in entries),
                        previews)


def certificate(ctx: Context, operator_id: str, subject_id: str, ledger_key: bytes,
                render: CertificateRenderer, lang: str, fmt: str) -> bytes:
    """The evidence certificate of the subject's consents (the consent slice renders it;
    the read of sealed evidence is audited there)."""
    ctx = scoped(ctx, operator_id, Permission.SUBJECTS_READ)
    return render(evidence.export_evidence(ctx, ledger_key, subject_id), lang, fmt)
