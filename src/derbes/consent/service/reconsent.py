"""Asking for consent again after a widening policy change.

Silence never counts as consent (Law 94-V Art. 8): nothing here treats a
subject who did not answer as having agreed. A consent that a re-consent scope
touches (``consent/model/reconsent.py``) is marked ``needs_reconsent_since``
and stops counting, for anything it covers, from that instant until the
subject gives a fresh consent; each mark has a ``reconsent_required`` ledger
entry naming the scopes and the changes that caused it (no PD).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from derbes.consent.model.consent import Consent, LedgerEvent
from derbes.consent.model.ledger import LedgerRecord
from derbes.consent.model.reconsent import touches
from derbes.errors import NotFoundError
from derbes.register.model.diff import Change, ReconsentScope, RegisterDiff, scopes_of
from derbes.uow import UnitOfWork

__all__ = ["ReconsentMark", "ask_again", "mark_reconsent_required", "reconsent_marks",
           "would_ask"]


@dataclass(frozen=True)
class ReconsentMark:
    """One consent a widening change touched, and why."""

    consent_id: str
    subject_id: str
    scope_kind: str
    since: datetime  # when it stopped counting (an earlier mark is kept)
    newly_marked: bool  # False: it already waited for re-consent
    scopes: tuple[ReconsentScope, ...]
    changes: tuple[Change, ...]


def reconsent_marks(
    result: RegisterDiff, consents: Iterable[Consent], at: datetime
) -> tuple[ReconsentMark, ...]:
    """The consents active at ``at`` that the re-consent scopes of ``result`` touch."""
    widening = [c for c in result.changes if c.reconsent]
    if not widening:
        return ()
    out: list[ReconsentMark] = []
    for consent in consents:
        if not consent.is_active_on(at):
            continue  # withdrawn or expired: nothing left to ask again
        causes = tuple(c for c in widening if any(touches(s, consent) for s in c.reconsent))
        if not causes:
            continue
        scopes = tuple(s for s in scopes_of(causes) if touches(s, consent))
        earlier = consent.needs_reconsent_since
        out.append(ReconsentMark(
            consent_id=consent.id, subject_id=consent.subject_id,
            scope_kind=consent.scope.kind.value,
            since=earlier if earlier is not None and earlier <= at else at,
            newly_marked=earlier is None, scopes=scopes, changes=causes,
        ))
    return tuple(out)


@dataclass(frozen=True)
class Versions:
    """The register versions a policy change goes between (SHA-256 of each text)."""

    old_sha256: str
    new_sha256: str
    notice_hash: str  # the policy hash of the new version's notice


def _ledger_payload(mark: ReconsentMark, result: RegisterDiff, versions: Versions
                    ) -> dict[str, Any]:
    # No PD: ids of the register and of its purposes / recipients only.
    return {
        "operator": result.operator_id,
        "policy_version": {"old": result.old_version, "new": result.new_version},
        "register_sha256": {"old": versions.old_sha256, "new": versions.new_sha256},
        "since": mark.since.isoformat(),
        "already_marked": not mark.newly_marked,
        "scopes": [
            {k: v for k, v in s.as_dict().items() if k != "description"} for s in mark.scopes
        ],
        "changes": [
            {"kind": c.kind.value, "effect": c.effect.value, "path": c.path, "in": c.side.value}
            for c in mark.changes
        ],
    }


def would_ask(uow: UnitOfWork, result: RegisterDiff, notice_hash: str, at: datetime
              ) -> tuple[ReconsentMark, ...]:
    """Inside an open unit of work: the marks :func:`ask_again` would make, writing nothing
    (what a DPO is shown before confirming a publication).

    A consent given on the very notice of the new version (``notice_hash``) already covers
    it (a version published, reverted, then published again).
    """
    given = [c for c in uow.consents.for_operator(result.operator_id)
             if c.policy_hash != notice_hash]
    return reconsent_marks(result, given, at)


def ask_again(uow: UnitOfWork, result: RegisterDiff, versions: Versions, at: datetime
              ) -> tuple[ReconsentMark, ...]:
    """Inside an open unit of work (the caller commits): mark the operator's consents that
    a widening version touches (:func:`would_ask`), with a ``reconsent_required`` entry
    each.
    """
    marks = would_ask(uow, result, versions.notice_hash, at)
    uow.consents.mark_needs_reconsent([m.consent_id for m in marks if m.newly_marked], at)
    uow.consent_ledger.append([
        LedgerRecord(at=at, event=LedgerEvent.RECONSENT_REQUIRED.value,
                     consent_id=m.consent_id, subject_id=m.subject_id,
                     payload=_ledger_payload(m, result, versions))
        for m in marks
    ])
    return marks


def mark_reconsent_required(
    uow: UnitOfWork, consent_ids: Collection[str], since: datetime,
    details: Mapping[str, Any], actor: str,
) -> int:
    """Inside an open unit of work (the caller commits): mark consents as needing a new
    consent after a widening policy change, with a ``reconsent_required`` entry each.

    Consents already marked are skipped. ``details`` (JSON, no PD) says why:
    the register versions and the widening changes.
    """
    marked: list[Consent] = []
    for consent_id in dict.fromkeys(consent_ids):
        consent = uow.consents.get(consent_id)
        if consent is None:
            raise NotFoundError("no such consent", field="consent_id")
        if consent.needs_reconsent_since is None:
            marked.append(consent)
    uow.consents.mark_needs_reconsent([c.id for c in marked], since)
    uow.consent_ledger.append([LedgerRecord(
        at=since, event=LedgerEvent.RECONSENT_REQUIRED.value, consent_id=c.id,
        subject_id=c.subject_id, payload={**dict(details), "actor": actor}) for c in marked])
    return len(marked)
