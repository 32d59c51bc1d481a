"""Use cases of the consent ledger: give, withdraw, show, expire, verify.

Every change of a consent and its ledger entry are written in one unit of
work, so they commit or vanish together; nothing is stored half-way when a
check fails. Giving lives in ``give.py``, withdrawing in ``withdraw.py``,
asking again after a policy change in ``reconsent.py``; the subject checks
(scope, age) in ``subjects.py``, the sealing of evidence in ``sealing.py``.
The names other slices use are importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from derbes.consent.model.consent import Consent, LedgerEvent
from derbes.consent.model.ledger import LedgerEntry, LedgerRecord, verify_ledger
from derbes.consent.service.give import (
    ConsentRequest,
    GiveResult,
    give_batch,
    give_consent,
    give_in,
)
from derbes.consent.service.reconsent import mark_reconsent_required
from derbes.consent.service.sealing import open_sealed_json
from derbes.consent.service.subjects import live_subject, minor_in
from derbes.consent.service.withdraw import WithdrawalResult, withdraw_consent
from derbes.context import Context
from derbes.integrity.model.anchor import Anchor
from derbes.platform.chain import Verification
from derbes.retention.service import clocks as retention
from derbes.uow import UnitOfWork

__all__ = [
    "ConsentRequest",
    "GiveResult",
    "SubjectConsents",
    "WithdrawalResult",
    "consents_of",
    "expire_consents",
    "give_batch",
    "give_consent",
    "give_in",
    "ledger_of",
    "live_subject",
    "mark_reconsent_required",
    "minor_in",
    "open_sealed_json",
    "verify",
    "withdraw_consent",
]


@dataclass(frozen=True)
class SubjectConsents:
    subject_id: str
    operator_id: str
    consents: tuple[Consent, ...]
    at: datetime


def consents_of(ctx: Context, subject_id: str) -> SubjectConsents:
    """The subject's consents, oldest first (status: ``Consent.status_on(result.at)``)."""
    with ctx.uow as uow:
        subject = live_subject(uow, subject_id, ctx.scope, allow_destroyed=True)
        found = uow.consents.for_subject(subject.id)
    return SubjectConsents(subject.id, subject.operator_id, tuple(found), ctx.now())


def expire_consents(ctx: Context, limit: int = 1000) -> int:
    """Mark consents whose term ended as expired, each with an ``expired`` ledger entry."""
    now = ctx.now()
    with ctx.uow as uow:
        due = uow.consents.expiring(now, limit)
        uow.consents.mark_expired([c.id for c in due], now)
        for subject_id in sorted({c.subject_id for c in due}):
            retention.update_clocks(uow, subject_id, now, calendars=ctx.rules.calendars)
        uow.consent_ledger.append([LedgerRecord(
            at=now, event=LedgerEvent.EXPIRED.value, consent_id=c.id, subject_id=c.subject_id,
            payload={"valid_until": c.valid_until, "actor": ctx.actor}) for c in due])
        uow.commit()
    return len(due)


def verify(
    uow: UnitOfWork, key: bytes, expected_head: tuple[int, str] | None = None,
    anchor: Anchor | None = None,
) -> Verification:
    """Walk the whole consent ledger; report every edited, deleted, inserted or
    reordered entry, a cut-off tail, and an anchored entry no longer there.
    ``key``: the ledger key (``Container.ledger_key``)."""
    from derbes.audit.service import with_anchor

    with uow:
        recorded = uow.consent_ledger.head()
        result = verify_ledger(key, uow.consent_ledger.entries(),
                               fetch=uow.consent_ledger.entry, recorded_head=recorded,
                               expected_head=expected_head)
        return with_anchor(result, anchor,
                           lambda seq: (e.hash if (e := uow.consent_ledger.entry(seq)) else None))


def ledger_of(uow: UnitOfWork, subject_id: str) -> list[LedgerEntry]:
    with uow:
        return uow.consent_ledger.for_subject(subject_id)

