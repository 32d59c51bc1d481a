"""Use case: add subjects to the vault, one or a batch in one data transaction.

Keys never enter the data database: each subject's data key is created in the
key store, which commits first; if the data transaction then fails, the new
keys are destroyed again, and a crash in between leaves only keys of subjects
that do not exist, which read nothing.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.context import Context
from derbes.errors import ConflictError, DerbesError, InputError
from derbes.platform import crypto
from derbes.register.model.register import Register
from derbes.retention.service import clocks as retention_service
from derbes.vault import model as vault
from derbes.vault.model import LookupKind, NewValue, PdValue
from derbes.vault.ports import CardToken, ImportMark, LookupRow, SubjectBatch, ValueRow
from derbes.vault.service.guards import locate

__all__ = ["NewSubject", "add_subject", "add_subjects", "check_subjects", "new_token",
           "store_checked"]

log = logging.getLogger(__name__)

_MS_BITS = (1 << 48) - 1
_RAND_B_BITS = (1 << 62) - 1

# One subject of a batch, checked: its values and its (kind, normalised identifier) pairs.
Checked = tuple[list[PdValue], list[tuple[LookupKind, str]]]
_Checked = Checked


@dataclass(frozen=True)
class NewSubject:
    """One subject of a batch: its values and identifiers given only for look-up."""

    values: Sequence[NewValue]
    identifiers: Mapping[str, str] = field(default_factory=dict, repr=False)


def _new_subject_ids(count: int, now: datetime) -> list[str]:
    """``count`` new subject ids: UUID version 7 (RFC 9562), increasing within the batch.

    48 bits of the batch's time in milliseconds (the time ``created_at``
    stores anyway), then 74 random bits: unique and unguessable like a
    random UUID, but new subjects land at the end of every index keyed by
    subject id rather than all over it, which keeps bulk ingest fast as the
    vault grows.
    """
    ms = int(now.timestamp() * 1000) & _MS_BITS
    ids: list[str] = []
    for _ in range(count):
        rand = secrets.randbits(74)
        number = ((ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62)
                  | (rand & _RAND_B_BITS))
        ids.append(str(uuid.UUID(int=number)))
    ids.sort()
    return ids


def new_token() -> str:
    # Random, never derived from the PAN: a hash of a PAN whose BIN and last
    # four are known leaves few enough digits to brute-force.
    return "ctok_" + secrets.token_hex(16)


def _by_subject(rows: Sequence[ValueRow]) -> dict[str, list[ValueRow]]:
    out: dict[str, list[ValueRow]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return out


def add_subject(
    ctx: Context,
    register: Register,
    values: Sequence[NewValue],
    identifiers: Mapping[str, str],
) -> str:
    """Store a new subject of ``register``'s operator; its internal id is returned."""
    return add_subjects(ctx, register, [NewSubject(values, identifiers)],
                        _single=True)[0]


def add_subjects(
    ctx: Context,
    register: Register,
    subjects: Sequence[NewSubject],
    *,
    _single: bool = False,
) -> list[str]:
    """Store a batch of subjects in one data transaction (one audit entry for the batch).

    Everything is checked before anything is written; then the data keys are
    created (the key store commits first), then the rows. If the data
    transaction fails, the new keys are destroyed again.
    """
    if not subjects:
        return []
    return store_checked(ctx, register, _checked(ctx, register, subjects, single=_single))


def store_checked(ctx: Context, register: Register, checked: list[_Checked],
                  mark: ImportMark | None = None) -> list[str]:
    """New subjects of checked values: keys first, then one data transaction."""
    now = ctx.now()
    ids = _new_subject_ids(len(checked), now)
    keystore = ctx.keystore
    index_key = keystore.index_key()
    keys = keystore.create_keys(ids)
    try:
        batch = replace(_sealed_batch(register.operator.id, now, ids, checked, index_key, keys),
                        mark=mark)
        del checked
        _store(ctx, register, batch)
    except BaseException:
        try:
            keystore.destroy(ids)
        except Exception:  # the first error is the one to report
            log.exception("could not destroy the data keys of a failed batch of %d", len(ids))
        raise
    log.info("added %d subject(s) of %s", len(ids), register.operator.id)
    return ids


def _checked(ctx: Context, register: Register, subjects: Sequence[NewSubject],
             *, single: bool) -> list[_Checked]:
    checked, failed = check_subjects(ctx, register, subjects, stop=True)
    if failed:
        index, exc = failed[0]
        raise exc if single else locate(exc, index) from None
    return [pair for _, pair in checked]


def check_subjects(ctx: Context, register: Register, subjects: Sequence[NewSubject],
                   *, stop: bool = False
                   ) -> tuple[list[tuple[int, _Checked]], list[tuple[int, DerbesError]]]:
    """Every subject checked: (index, checked) of the good ones, (index, error) of the others.

    With ``stop`` it ends at the first error (a batch that is refused whole).
    """
    # Category lookups, minimisation and provenance are worked out once per
    # (category, provenance) for the batch; every value is still checked by type.
    validator = vault.BatchValidator(register, ctx.rules.vault, phone=ctx.phones.e164,
                                     new_token=new_token, on=ctx.now().date())
    checked: list[tuple[int, _Checked]] = []
    failed: list[tuple[int, DerbesError]] = []
    seen: set[tuple[LookupKind, str]] = set()
    for index, subject in enumerate(subjects):
        try:
            if not subject.values and not subject.identifiers:
                raise InputError("a subject needs at least one value", field="values")
            pd = [validator.validate(v) for v in subject.values]
            pairs = vault.lookups_of(pd, subject.identifiers, validator.phone)
            if not seen.isdisjoint(pairs):
                raise ConflictError("an identifier is given for two subjects of the batch",
                                    field="identifiers")
        except DerbesError as exc:
            failed.append((index, exc))
            if stop:
                break
            continue
        seen.update(pairs)
        checked.append((index, (pd, pairs)))
    return checked, failed


def _sealed_batch(operator_id: str, now: datetime, ids: Sequence[str],
                  checked: Sequence[_Checked], index_key: bytes,
                  keys: Mapping[str, bytes]) -> SubjectBatch:
    digest_of = crypto.BlindIndexer(index_key)
    rows: list[ValueRow] = []
    lookups: list[LookupRow] = []
    cards: list[CardToken] = []
    for subject_id, (pd, pairs) in zip(ids, checked, strict=True):
        sealer = crypto.SubjectSealer(keys[subject_id], subject_id)
        seqs: dict[str, int] = {}
        for value in pd:
            category = value.category
            seq = seqs.get(category, 0)
            seqs[category] = seq + 1
            p = value.provenance
            rows.append((subject_id, category, seq,
                         sealer.seal(category, seq, value.plaintext()),
                         value.value_type.value, p.source.value, p.purposes, p.method,
                         p.collected_at))
            if value.card is not None:
                c = value.card
                cards.append(CardToken(token=c.token, subject_id=subject_id, bin6=c.bin6,
                                       last4=c.last4, brand=c.brand, created_at=now))
        lookups.extend((kind.value, digest_of(kind.value, normalised), subject_id)
                       for kind, normalised in pairs)
    return SubjectBatch(operator_id, now, ids, rows, lookups, cards)


def _store(ctx: Context, register: Register, batch: SubjectBatch) -> None:
    """The data transaction: rows, first clocks and the batch's audit entry."""
    rows = batch.values
    # Every new subject gets its clocks in the same transaction: the plan and the
    # decision point see at once what keeps their values (and what nothing keeps).
    first_clocks = retention_service.new_subject_clocks(register, {
        sid: [(c, tuple(ps), at) for _, c, _, _, _, _, ps, _, at in found]
        for sid, found in _by_subject(rows).items()}, calendars=ctx.rules.calendars)
    uow, now = ctx.uow, batch.created_at
    with uow:
        uow.vault.add_batch(batch)
        uow.retention.add_clocks(batch.operator_id, first_clocks, now)
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=AuditAction.SUBJECT_WRITE,
            subject_ids=list(batch.subject_ids),
            categories=sorted({row[1] for row in rows}), purpose=None,
            request_id=ctx.request_id,
            details={"operation": "add", "operator_id": batch.operator_id,
                     "subjects": len(batch.subject_ids), "values": len(rows),
                     "purposes": sorted({p for row in rows for p in row[6]})},
        ))
        uow.commit()
