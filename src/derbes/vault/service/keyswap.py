"""Key swaps: how a partial destruction changes a subject's key without losing what it keeps.

Destroying some categories of a subject (``vault.destroy_categories``, the
retention sweep) destroys the subject's data key — every copy of the
destroyed values, in every backup, was sealed under it — and re-seals the
values it keeps under a new key. Two databases are involved and they cannot
commit together, so the steps are ordered and journaled:

1. key store: ``prepare_swaps`` stores the new key BESIDE the current one,
   tagged with a swap id. Readers get both keys from now on.
2. data database, one transaction: the destroyed values are deleted, the kept
   ones re-sealed under the new key, and the swap id is recorded
   ``committed`` in ``key_swaps``.
3. key store: ``finish_swaps(commit=True)`` makes the new key the only one;
   the old key is destroyed (and scrubbed from the SQLite files).
4. data database: the journal row is forgotten.

A crash before 2 commits leaves the values sealed under the current key and
the new key unused; a crash after 2 leaves them sealed under the new key with
both keys stored. Either way every kept value opens (both keys are tried),
and :func:`settle` finishes the swap the way the data database says it went:
``committed`` in the journal → step 3; no row → it records ``aborted`` (the
primary key makes this exclusive with a late step 2, which then fails) and
drops the new key. Destroyed values stay deleted in the live database either
way; they become unreadable in backups at step 3, which ``settle`` reaches
on the next run at the latest.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from derbes.consent.model.consent import LedgerEvent
from derbes.consent.model.ledger import LedgerRecord
from derbes.errors import CryptoError
from derbes.platform import crypto
from derbes.platform.clock import Clock
from derbes.platform.faults import crash_point
from derbes.uow import UnitOfWork
from derbes.vault.ports import COMMITTED, KeyStore

__all__ = ["SettleReport", "abort", "finish", "pending_for", "reseal_evidence", "sealing_key",
           "settle"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettleReport:
    committed: int  # swaps whose new key was made the only one
    aborted: int  # swaps whose new key was dropped


def pending_for(keystore: KeyStore, subject_ids: Sequence[str]) -> list[str]:
    """Swap ids pending for these subjects (a subject has at most one)."""
    return keystore.pending_swaps(subject_ids)


def _settle_one(uow: UnitOfWork, keystore: KeyStore, clock: Clock, swap_id: str) -> str:
    with uow:
        state = uow.key_swaps.claim_aborted(swap_id, clock.now())
        uow.commit()
    crash_point("keyswap.settle.journaled")
    keystore.finish_swaps(swap_id, commit=state == COMMITTED)
    crash_point("keyswap.settle.keystore_done")
    if state == COMMITTED:
        with uow:
            uow.key_swaps.forget([swap_id])
            uow.commit()
    return state


def settle(uow: UnitOfWork, keystore: KeyStore, clock: Clock,
           subject_ids: Sequence[str] | None = None) -> SettleReport:
    """Finish every pending key swap (of ``subject_ids`` only, if given).

    Called before a partial destruction, a retention run, an update that
    seals new values, and an epoch close. A swap another process is running
    right now is settled as aborted unless its data transaction has already
    committed; that process's data transaction then fails and nothing of it
    is applied (it is retried or run again).
    """
    committed = aborted = 0
    for swap_id in keystore.pending_swaps(subject_ids):
        state = _settle_one(uow, keystore, clock, swap_id)
        if state == COMMITTED:
            committed += 1
        else:
            aborted += 1
        log.warning("settled an interrupted key swap as %s", state)
    if subject_ids is None:
        # Journal rows of swaps the key store has finished (a crash between
        # step 3 and 4). Read the journal first, the key store second: a swap
        # committed after the first read is not in it; one finished after the
        # second read is kept until next time. "aborted" rows stay: a process
        # stalled in step 2 must still find its swap refused.
        with uow:
            journal = uow.key_swaps.states(uow.key_swaps.swap_ids())
            still = set(keystore.pending_swaps())
            uow.key_swaps.forget([s for s, state in journal.items()
                                  if state == COMMITTED and s not in still])
            uow.commit()
    return SettleReport(committed, aborted)


def finish(uow: UnitOfWork, keystore: KeyStore, swap_id: str, crash_at: str) -> None:
    """Steps 3 and 4, after the data transaction that journaled ``swap_id`` committed."""
    keystore.finish_swaps(swap_id, commit=True)
    crash_point(crash_at)
    with uow:
        uow.key_swaps.forget([swap_id])
        uow.commit()


def abort(uow: UnitOfWork, keystore: KeyStore, clock: Clock, swap_id: str) -> None:
    """The data transaction failed (not a crash): settle the swap now, not on the next run."""
    try:
        _settle_one(uow, keystore, clock, swap_id)
    except Exception:  # the first error is the one to report; the next run settles
        log.exception("could not settle a key swap after a failed data transaction")


def sealing_key(uow: UnitOfWork, keystore: KeyStore, subject_id: str) -> bytes | None:
    """The key a NEW value of the subject is sealed under, inside an open unit of work
    that holds the subject's row lock.

    While a swap is pending: the next key if the data database has committed it
    (the journal says so), otherwise the current key — the swap's own data
    transaction waits for this one and re-seals what it writes.
    """
    keys = keystore.candidate_keys([subject_id]).get(subject_id)
    if not keys:
        return None
    if len(keys) == 1:
        return keys[0]
    pending = keystore.pending_swaps([subject_id])
    states = uow.key_swaps.states(pending)
    if pending and states.get(pending[0]) == COMMITTED:
        return keys[1]
    return keys[0]


def _digest(sealed: bytes | None) -> str | None:
    return None if sealed is None else hashlib.sha256(sealed).hexdigest()


def reseal_evidence(uow: UnitOfWork, swapped: Mapping[str, tuple[bytes, bytes]],
                    at: datetime) -> int:
    """Re-seal the consent evidence of subjects whose key is being replaced, inside the
    swap's data transaction; the number of consents re-sealed.

    Consent evidence is kept whatever categories are destroyed (the operator
    must be able to prove the consent, Law 94-V Art. 8): it goes under the new
    key with the kept values, and the consent ledger records the digests of the
    new ciphertexts (event ``evidence_resealed``), as it recorded the first ones.
    """
    if not swapped:
        return 0
    items: list[tuple[str, bytes | None, bytes | None]] = []
    records: list[LedgerRecord] = []
    for subject_id, found in sorted(uow.consents.for_subjects(sorted(swapped)).items()):
        old, new = swapped[subject_id]
        for c in found:
            if c.evidence_sealed is None and c.representative_sealed is None:
                continue
            sealed: list[bytes | None] = []
            for what, value in (("evidence", c.evidence_sealed),
                                ("representative", c.representative_sealed)):
                if value is None:
                    sealed.append(None)
                    continue
                aad = crypto.consent_aad(c.id, what)
                plain = _open_either(value, aad, (old, new))
                # Sealed under neither key: lost before (reported by the reader);
                # left as it is rather than replaced by nothing.
                sealed.append(value if plain is None else crypto.seal(new, plain, aad))
            items.append((c.id, sealed[0], sealed[1]))
            records.append(LedgerRecord(
                at=at, event=LedgerEvent.EVIDENCE_RESEALED.value, consent_id=c.id,
                subject_id=subject_id,
                payload={"evidence_sha256": _digest(sealed[0]),
                         "representative_sha256": _digest(sealed[1])}))
    uow.consents.reseal(items)
    if records:
        uow.consent_ledger.append(records)
    return len(items)


def _open_either(sealed: bytes, aad: bytes, keys: Sequence[bytes]) -> bytes | None:
    for key in keys:
        try:
            return crypto.open_sealed(key, sealed, aad)
        except CryptoError:
            continue
    return None
