"""Evidence export: every consent of a subject with its proof and ledger entries.

The operator must be able to prove that consent was given, when, how and to
what (Law 94-V Art. 8); the subject may ask what they consented to
(Art. 24). The export is JSON; the certificate renders it as PDF (or HTML) in
ru, kk or en. Opening the sealed evidence and the subject's name decrypts PD,
so it is an audited read under the system purpose ``evidence_purpose``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from derbes.audit.model.log import AuditRecord
from derbes.consent.model.consent import Consent
from derbes.consent.model.ledger import LedgerEntry
from derbes.consent.service.sealing import open_sealed_json
from derbes.consent.service.subjects import live_subject
from derbes.context import Context
from derbes.errors import CryptoError
from derbes.platform import crypto
from derbes.register.model.register import Register
from derbes.register.service.in_force import in_force_in
from derbes.uow import UnitOfWork
from derbes.vault.ports import SubjectRecord

__all__ = ["EXPORT_FORMAT", "export_evidence"]

EXPORT_FORMAT = "derbes.consent-evidence/1"
NAME_CATEGORY = "identity.full_name"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _open_any(keys: tuple[bytes, ...], consent_id: str, what: str, sealed: bytes
              ) -> dict[str, str]:
    for key in keys[:-1]:
        try:
            return open_sealed_json(key, consent_id, what, sealed)
        except CryptoError:
            continue
    return open_sealed_json(keys[-1], consent_id, what, sealed)


def _consent(c: Consent, register: Register, keys: tuple[bytes, ...], at: datetime
             ) -> dict[str, Any]:
    evidence: dict[str, str] = dict(c.evidence_refs)
    representative: dict[str, str] | None = None
    destroyed = False
    for what, sealed in (("evidence", c.evidence_sealed),
                         ("representative", c.representative_sealed)):
        if sealed is None:
            continue
        try:
            if not keys:
                raise CryptoError("no key")
            opened = _open_any(keys, c.id, what, sealed)
        except CryptoError:
            destroyed = True
            continue
        if what == "evidence":
            evidence.update(opened)
        else:
            representative = opened
    return {
        "id": c.id, "act_id": c.act_id, "scope": c.scope.kind.value,
        "purposes": [{"id": p, "labels": register.purposes[p].labels.as_dict()
                      if p in register.purposes else None,
                      "basis": register.purposes[p].basis.kind.value
                      if p in register.purposes else None} for p in c.scope.purposes],
        "recipients": [{"id": r, "names": register.recipients[r].names.as_dict()
                        if r in register.recipients else None,
                        "country": register.recipients[r].country
                        if r in register.recipients else None} for r in c.scope.recipients],
        "cookie_categories": list(c.scope.cookie_categories),
        "status": c.status_on(at).value,
        "given_at": _iso(c.given_at), "valid_until": _iso(c.valid_until),
        "withdrawn_at": _iso(c.withdrawn_at), "expired_at": _iso(c.expired_at),
        "needs_reconsent_since": _iso(c.needs_reconsent_since),
        "policy_version": c.policy_version, "policy_hash": c.policy_hash,
        "channel": c.channel.value, "given_by": c.given_by.value,
        "evidence": evidence, "representative": representative,
        "evidence_destroyed": destroyed,
    }


def _name(uow: UnitOfWork, subject_id: str, keys: tuple[bytes, ...]
          ) -> tuple[str | None, list[str]]:
    """The subject's full name, opened with whichever of ``keys`` seals it, and the
    categories read (none when no key opened it)."""
    for stored in uow.vault.values(subject_id, [NAME_CATEGORY])[:1] if keys else []:
        aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
        for key in keys:
            try:
                plain = json.loads(crypto.open_sealed(key, stored.sealed, aad))
            except CryptoError:
                continue
            return (plain if isinstance(plain, str) else None), [NAME_CATEGORY]
    return None, []


def _record_read(ctx: Context, subject_id: str, read: list[str], found: list[Consent]) -> None:
    opened = sum(1 for c in found if c.evidence_sealed or c.representative_sealed)
    if not (read or opened):
        return
    rules = ctx.rules.consent
    ctx.uow.audit.record(AuditRecord(
        at=ctx.now(), actor=ctx.actor, action="subject.read", subject_ids=[subject_id],
        categories=read, purpose=rules.evidence_purpose, request_id=ctx.request_id,
        details={"operation": "consent_evidence_export", "consents": len(found),
                 "sealed_evidence_opened": opened,
                 "citation": rules.evidence_export_citation},
    ))
    ctx.uow.commit()


def export_evidence(ctx: Context, ledger_key: bytes, subject_id: str) -> dict[str, Any]:
    """The subject's consent evidence as JSON data; the read is audited."""
    now = ctx.now()
    with ctx.uow as uow:
        subject = live_subject(uow, subject_id, ctx.scope, allow_destroyed=True)
        register = in_force_in(uow, subject.operator_id).register
        found = uow.consents.for_subject(subject.id)
        # Both keys while a partial destruction is settling (vault/service/keyswap).
        keys: tuple[bytes, ...] = () if subject.destroyed else \
            ctx.keystore.candidate_keys([subject.id]).get(subject.id, ())
        name, read = _name(uow, subject.id, keys)
        consents = [_consent(c, register, keys, now) for c in found]
        ledger = _ledger(uow.consent_ledger.for_subject(subject.id), uow.consent_ledger.head(),
                         ledger_key)
        _record_read(ctx, subject.id, read, found)
    return _export(now, register, subject, name, consents, ledger)


def _ledger(entries: list[LedgerEntry], head: tuple[int, str], ledger_key: bytes
            ) -> dict[str, Any]:
    return {
        "entries": [{"seq": e.seq, "at": e.at.isoformat(), "event": e.event,
                     "consent_id": e.consent_id, "payload": dict(e.payload),
                     "prev_hash": e.prev_hash, "hash": e.hash,
                     "authentic": e.authentic(ledger_key)} for e in entries],
        "head": {"seq": head[0], "hash": head[1]},
    }


def _export(now: datetime, register: Register, subject: SubjectRecord, name: str | None,
            consents: list[dict[str, Any]], ledger: dict[str, Any]) -> dict[str, Any]:
    operator = register.operator
    return {
        "format": EXPORT_FORMAT,
        "generated_at": now.isoformat(),
        "operator": {"id": operator.id, "names": operator.names.as_dict(), "bin": operator.bin},
        "subject": {"id": subject.id, "full_name": name,
                    "destroyed": subject.destroyed},
        "consents": consents,
        "ledger": ledger,
    }
