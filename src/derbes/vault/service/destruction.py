"""Use cases: crypto-shred a subject, or some categories of it.

Two stores, two transactions: the key store commits on its own. The order of
the two commits is chosen so that a crash between them never leaves PD
readable that should not be, nor PD unreadable that must be kept (see each
function and ``vault/service/keyswap``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.context import Context
from derbes.errors import CryptoError, DerbesError, InputError, NotFoundError
from derbes.platform import crypto
from derbes.platform.faults import crash_point
from derbes.vault import model as vault
from derbes.vault.model import JsonValue
from derbes.vault.ports import SealedValue, SubjectRecord
from derbes.vault.service import keyswap
from derbes.vault.service.guards import live_subject, require_reason
from derbes.vault.service.values import (
    as_pd,
    card_token_of,
    lookup_digests,
    lookup_kind_of,
    open_value,
)

__all__ = ["DestroyResult", "destroy_categories", "destroy_subject"]

log = logging.getLogger(__name__)

# Attempts of the data transaction of a partial shred (a database hiccup, not
# a refusal) before the prepared key swap is dropped again.
_SHRED_ATTEMPTS = 3


@dataclass(frozen=True)
class DestroyResult:
    subject_id: str
    categories: tuple[str, ...]
    values_deleted: int
    key_destroyed: bool


def destroy_subject(ctx: Context, subject_id: str, reason: str) -> DestroyResult:
    """Crypto-shred a subject: destroy its data key, then delete its rows.

    The key goes FIRST. A crash after the key store commits and before the
    data transaction commits leaves ciphertext that nobody can read (in the
    live database and in every backup alike), and running this again finishes
    the deletion: the key store answers "no key", the rows go. The other
    order could leave a crash with the rows deleted but the key alive, so a
    backup taken earlier would still open. The subject row stays as a
    tombstone without PD.

    When the key store has returned, its files no longer hold the key
    (``SqlKeyStore.destroy`` scrubs SQLite's WAL); copies of the key store
    that the database cannot reach give it back until the key epoch is
    closed (``derbes keys epoch close``).
    """
    text = require_reason(reason)
    uow = ctx.uow
    with uow:
        live_subject(uow.vault, subject_id, scope=ctx.scope)
    key_destroyed = ctx.keystore.destroy([subject_id]) > 0
    crash_point("vault.destroy.key_destroyed")
    now = ctx.now()
    with uow:
        subject = live_subject(uow.vault, subject_id, lock=True)
        held = sorted({v.category for v in uow.vault.values(subject.id)})
        deleted = uow.vault.delete_values(subject.id)
        uow.vault.delete_lookups(subject.id)
        uow.vault.delete_cards(subject.id)
        uow.vault.delete_category_blocks(subject.id)
        uow.vault.mark_destroyed(subject.id, now)
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=AuditAction.SUBJECT_DESTROY,
            subject_ids=[subject.id], categories=held, purpose=None, request_id=ctx.request_id,
            details={"operation": "destroy_subject", "reason": text,
                     "values_deleted": deleted, "key_destroyed": key_destroyed,
                     "citation": ctx.rules.vault.destruction},
        ))
        uow.commit()
    crash_point("vault.destroy.data_committed")
    log.info("destroyed subject %s (%d values)", subject_id, deleted)
    return DestroyResult(subject_id, tuple(held), deleted, key_destroyed)


@dataclass(frozen=True)
class _Shred:
    """One partial destruction under way: the swap that gives the subject its new key."""

    subject_id: str
    doomed: frozenset[str]
    reason: str
    swap_id: str
    old_key: bytes = field(repr=False)
    new_key: bytes = field(repr=False)
    index_key: bytes = field(repr=False)


def destroy_categories(
    ctx: Context,
    subject_id: str,
    categories: Sequence[str],
    reason: str,
) -> DestroyResult:
    """Crypto-shred some categories of a subject: new key, kept values re-sealed.

    A journaled key swap (``vault/service/keyswap``): the new key is stored beside
    the old one; one data transaction deletes the destroyed categories' rows
    (and their look-ups and card tokens), re-seals every kept value under the
    new key and records the swap; then the old key is destroyed. A crash at
    any point leaves every kept value readable (both keys are stored until the
    data database has decided), and the next partial destruction, update or
    retention run of the subject finishes the swap. Every copy of the
    destroyed values, backups included, was sealed under the old key, which
    is gone when this returns.
    """
    text = require_reason(reason)
    doomed = list(dict.fromkeys(categories))
    if not doomed:
        raise InputError("name the categories to destroy", field="categories")
    uow, keystore, clock = ctx.uow, ctx.keystore, ctx.clock
    with uow:
        live_subject(uow.vault, subject_id, scope=ctx.scope)
    # An interrupted earlier destruction of this subject is finished first, also
    # when it already deleted what is asked now (run again after a crash).
    keyswap.settle(uow, keystore, clock, [subject_id])
    with uow:
        held = {v.category for v in uow.vault.values(subject_id)}
    if not held & set(doomed):
        raise NotFoundError("the subject holds none of these categories", field="categories")
    swap_id = str(uuid.uuid4())
    swapped = keystore.prepare_swaps([subject_id], swap_id)
    if subject_id not in swapped:
        raise CryptoError("the data key of this subject is missing: destroyed, or not this "
                          "key store")
    crash_point("vault.shred.swap_prepared")
    old_key, new_key = swapped[subject_id]
    shred = _Shred(subject_id, frozenset(doomed), text, swap_id, old_key, new_key,
                   keystore.index_key())
    for attempt in range(1, _SHRED_ATTEMPTS + 1):
        try:
            result = _finish_partial_shred(ctx, shred)
            break
        except DerbesError:
            keyswap.abort(uow, keystore, clock, swap_id)
            raise
        except Exception:
            if attempt == _SHRED_ATTEMPTS:
                log.error("partial destruction of subject %s: the data transaction failed; "
                          "nothing was destroyed", subject_id)
                keyswap.abort(uow, keystore, clock, swap_id)
                raise
            log.warning("partial destruction of subject %s: data transaction failed, "
                        "retrying (%d/%d)", subject_id, attempt, _SHRED_ATTEMPTS)
    crash_point("vault.shred.data_committed")
    keyswap.finish(uow, keystore, swap_id, "vault.shred.swap_committed")
    return result


@dataclass
class _Sorted:
    """A subject's values sorted by a partial destruction."""

    resealed: list[SealedValue] = field(default_factory=list)
    gone_lookups: list[tuple[str, str]] = field(default_factory=list)
    gone_cards: list[str] = field(default_factory=list)
    lost_kinds: set[str] = field(default_factory=set)
    unreadable: int = 0


def _sort_values(shred: _Shred, stored_values: Sequence[SealedValue]) -> _Sorted:
    """Kept values re-sealed under the new key; what the destroyed ones carried."""
    out = _Sorted()
    for stored in stored_values:
        plain: JsonValue = None
        opened = False
        try:
            plain = open_value((shred.old_key, shred.new_key), stored)
            opened = True
        except CryptoError:
            pass
        if stored.category in shred.doomed:
            if opened:
                pair = vault.lookup_of(as_pd(stored, plain))
                if pair is not None:
                    out.gone_lookups.extend(lookup_digests(shred.index_key, [pair]))
                token = card_token_of(plain)
                if token is not None:
                    out.gone_cards.append(token)
            elif (kind := lookup_kind_of(stored)) is not None:
                out.lost_kinds.add(kind.value)
            continue
        if not opened:
            # Sealed under neither key: lost before this run (an older
            # version of derbes could lose values in a crash); reported.
            out.unreadable += 1
            continue
        aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
        out.resealed.append(SealedValue(
            subject_id=stored.subject_id, category=stored.category, seq=stored.seq,
            sealed=crypto.seal(shred.new_key, vault.encode_plain(plain), aad),
            value_type=stored.value_type, source=stored.source, purposes=stored.purposes,
            method=stored.method, collected_at=stored.collected_at,
            updated_at=stored.updated_at,
        ))
    return out


def _finish_partial_shred(ctx: Context, shred: _Shred) -> DestroyResult:
    uow, now = ctx.uow, ctx.now()
    with uow:
        subject = live_subject(uow.vault, shred.subject_id, lock=True)
        # First: fails at once if another process settled this swap as aborted.
        uow.key_swaps.commit(shred.swap_id, 1, now)
        found = _sort_values(shred, uow.vault.values(subject.id))
        deleted = _delete_doomed(ctx, subject, shred, found)
        uow.vault.put_values(found.resealed)
        keyswap.reseal_evidence(uow, {subject.id: (shred.old_key, shred.new_key)}, now)
        if found.unreadable:
            log.error("subject %s: %d kept value(s) open with neither the current nor the "
                      "next key", subject.id, found.unreadable)
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=AuditAction.SUBJECT_DESTROY,
            subject_ids=[subject.id], categories=sorted(shred.doomed), purpose=None,
            request_id=ctx.request_id,
            details={"operation": "destroy_categories", "reason": shred.reason,
                     "values_deleted": deleted, "values_resealed": len(found.resealed),
                     "citation": ctx.rules.vault.destruction},
        ))
        uow.commit()
    return DestroyResult(shred.subject_id, tuple(sorted(shred.doomed)), deleted, True)


def _delete_doomed(ctx: Context, subject: SubjectRecord, shred: _Shred,
                   found: _Sorted) -> int:
    """Delete the destroyed categories' values, look-ups and card tokens."""
    repo = ctx.uow.vault
    deleted = repo.delete_values(subject.id, sorted(shred.doomed))
    repo.delete_lookups(subject.id, found.gone_lookups)
    if found.lost_kinds:
        # The destroyed values could not be opened to name their look-ups:
        # drop every look-up of their kinds rather than keep a dangling one.
        repo.delete_lookups(subject.id, [
            (x.kind, x.digest) for x in repo.lookups(subject.id)
            if x.kind in found.lost_kinds
        ])
    repo.delete_cards(subject.id, found.gone_cards)
    return deleted
