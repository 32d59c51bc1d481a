"""Use cases of the PD vault: add, read, update, find, block, destroy subjects.

Every function that touches PD writes its audit entry through the same unit
of work, so the change and its record commit or vanish together (issue 3,
item 7). Keys never enter the data database: each subject's data key lives
in the key store (``vault/adapters/keystore.py``); a value is sealed with it under
associated data ``(subject, category, seq)`` so a ciphertext moved to another
subject or field does not open.

Two stores, two transactions: the key store commits on its own. The order of
the two commits is chosen per use case so that a crash between them never
leaves PD readable that should not be, nor PD unreadable that must be kept
(see each function and ``vault/service/keyswap``).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from derbes.audit import service as audit_service
from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.errors import (
    ConflictError,
    CryptoError,
    DerbesError,
    InputError,
    LegalRestrictionError,
    NotFoundError,
)
from derbes.identifiers.adapters import phone as kz_phone
from derbes.platform import crypto
from derbes.platform.clock import Clock
from derbes.platform.faults import crash_point
from derbes.register.model.register import Register, ValueType
from derbes.register.service.in_force import in_force_in
from derbes.retention.service import sweep as retention_service
from derbes.uow import UnitOfWork
from derbes.vault import model as vault
from derbes.vault.adapters.keystore import KeyStore
from derbes.vault.adapters.rules import load_vault_rules
from derbes.vault.adapters.store import (
    CardToken,
    CategoryBlock,
    Lookup,
    LookupRow,
    SealedValue,
    SubjectBatch,
    SubjectRecord,
    ValueRow,
    VaultRepository,
)
from derbes.vault.model import (
    SUBJECT_ACCESS_REQUEST,
    Block,
    JsonValue,
    LookupKind,
    NewValue,
    PdValue,
    Provenance,
    Source,
)
from derbes.vault.service import keyswap

__all__ = [
    "SUBJECT_ACCESS_REQUEST",
    "DestroyResult",
    "LookupKind",
    "NewSubject",
    "NewValue",
    "Provenance",
    "ReadValue",
    "Source",
    "SubjectRef",
    "SubjectView",
    "add_subject",
    "add_subjects",
    "block",
    "destroy_categories",
    "destroy_subject",
    "find_subject",
    "is_blocked",
    "phone_e164",
    "read_subject",
    "unblock",
    "update_values",
]

log = logging.getLogger(__name__)

# Attempts of the data transaction of a partial shred (a database hiccup, not
# a refusal) before the prepared key swap is dropped again.
_SHRED_ATTEMPTS = 3
MAX_REASON = 1000


def phone_e164(value: str) -> str:
    """The phone normaliser the domain needs: E.164 via ``phonenumbers``."""
    return kz_phone.e164(value)


_MS_BITS = (1 << 48) - 1
_RAND_B_BITS = (1 << 62) - 1


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


def _new_token() -> str:
    # Random, never derived from the PAN: a hash of a PAN whose BIN and last
    # four are known leaves few enough digits to brute-force.
    return "ctok_" + secrets.token_hex(16)


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class NewSubject:
    """One subject of a batch: its values and identifiers given only for look-up."""

    values: Sequence[NewValue]
    identifiers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ReadValue:
    category: str
    seq: int
    value_type: str
    value: JsonValue = field(repr=False)
    provenance: Provenance
    updated_at: datetime


@dataclass(frozen=True)
class SubjectView:
    """What a read returns: the values the purpose allows, and what was withheld."""

    subject_id: str
    operator_id: str
    created_at: datetime
    purpose: str
    values: tuple[ReadValue, ...]
    withheld: tuple[str, ...]  # categories held but blocked for this purpose
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class SubjectRef:
    subject_id: str
    operator_id: str


@dataclass(frozen=True)
class DestroyResult:
    subject_id: str
    categories: tuple[str, ...]
    values_deleted: int
    key_destroyed: bool


# ------------------------------------------------------------------ helpers

def _register_of(uow: UnitOfWork, operator_id: str) -> Register:
    """The register in force for ``operator_id``, read inside the open unit of work."""
    return in_force_in(uow, operator_id).register


def _live_subject(repo: VaultRepository, subject_id: str, *, lock: bool = False,
                  operator_id: str | None = None) -> SubjectRecord:
    """The subject, unless unknown, destroyed, or (``operator_id``) another operator's."""
    subject = repo.get(subject_id, for_update=lock) if isinstance(subject_id, str) else None
    # Another operator's subject is reported exactly like an unknown one: a
    # caller bound to one operator learns nothing about the others.
    if subject is None or (operator_id is not None and subject.operator_id != operator_id):
        raise NotFoundError("no such subject", field="subject_id")
    if subject.destroyed:
        raise NotFoundError("the subject was destroyed: no personal data is held",
                            field="subject_id")
    return subject


def _key_of(keystore: KeyStore, subject_id: str) -> tuple[bytes, ...]:
    """The keys the subject's values may be sealed under (two during a key swap)."""
    keys = keystore.candidate_keys([subject_id]).get(subject_id)
    if not keys:
        raise CryptoError(
            "the data key of this subject is missing: destroyed, or not this key store"
        )
    return keys


def _seal(key: bytes, subject_id: str, value: PdValue, seq: int, now: datetime) -> SealedValue:
    aad = crypto.value_aad(subject_id, value.category, seq)
    p = value.provenance
    return SealedValue(
        subject_id=subject_id, category=value.category, seq=seq,
        sealed=crypto.seal(key, value.plaintext(), aad), value_type=value.value_type.value,
        source=p.source.value, purposes=p.purposes, method=p.method,
        collected_at=p.collected_at, updated_at=now,
    )


def _open(keys: Sequence[bytes], stored: SealedValue) -> JsonValue:
    """Open with whichever key sealed the value (AES-GCM authenticates the right one)."""
    aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
    for key in keys[:-1]:
        try:
            return vault.decode_plain(crypto.open_sealed(key, stored.sealed, aad))
        except CryptoError:
            continue
    return vault.decode_plain(crypto.open_sealed(keys[-1], stored.sealed, aad))


def _as_pd(stored: SealedValue, value: JsonValue) -> PdValue:
    return PdValue(category=stored.category, value_type=ValueType(stored.value_type),
                   value=value, provenance=_provenance(stored))


def _provenance(stored: SealedValue) -> Provenance:
    return Provenance(source=Source(stored.source), purposes=stored.purposes,
                      method=stored.method, collected_at=stored.collected_at)


def _lookup_keys(
    index_key: bytes, pairs: Iterable[tuple[LookupKind, str]]
) -> list[tuple[str, str]]:
    return [(kind.value, crypto.blind_index(index_key, kind.value, normalised))
            for kind, normalised in pairs]


def _card_token_of(value: JsonValue) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("token"), str):
        token: str = value["token"]  # type: ignore[assignment]
        return token
    return None


def _require_reason(reason: str | None) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        raise InputError(f"a reason of 1 to {MAX_REASON} characters is required",
                         field="reason")
    return text


def _locate(exc: DerbesError, index: int) -> DerbesError:
    """Say which subject of a batch an error is about (messages carry no PD)."""
    exc.message = f"subjects[{index}]: {exc.message}"
    exc.args = (exc.message,)
    exc.field = f"subjects[{index}].{exc.field}" if exc.field else f"subjects[{index}]"
    return exc


def _by_subject(rows: Sequence[ValueRow]) -> dict[str, list[ValueRow]]:
    out: dict[str, list[ValueRow]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return out


def _check_bulk(uow: UnitOfWork, actor: str, now: datetime) -> None:
    audit_service.check_bulk_access(uow, actor, now)


# ---------------------------------------------------------------------- add


def add_subject(
    uow: UnitOfWork,
    keystore: KeyStore,
    register: Register,
    values: Sequence[NewValue],
    identifiers: Mapping[str, str],
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    phone: vault.PhoneNormaliser = phone_e164,
) -> str:
    """Store a new subject of ``register``'s operator; its internal id is returned."""
    return add_subjects(uow, keystore, register, [NewSubject(values, identifiers)], actor,
                        clock, request_id, phone=phone, _single=True)[0]


def add_subjects(
    uow: UnitOfWork,
    keystore: KeyStore,
    register: Register,
    subjects: Sequence[NewSubject],
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    phone: vault.PhoneNormaliser = phone_e164,
    _single: bool = False,
) -> list[str]:
    """Store a batch of subjects in one data transaction (one audit entry for the batch).

    Everything is checked before anything is written; then the data keys are
    created (the key store commits first), then the rows. If the data
    transaction fails, the new keys are destroyed again; a crash in between
    leaves only keys of subjects that do not exist, which read nothing.
    """
    if not subjects:
        return []
    rules = load_vault_rules()
    now = clock.now()
    operator_id = register.operator.id
    # Category lookups, minimisation and provenance are worked out once per
    # (category, provenance) for the batch; every value is still checked by type.
    validator = vault.BatchValidator(register, rules, phone=phone, new_token=_new_token,
                                     on=now.date())
    checked: list[tuple[list[PdValue], list[tuple[LookupKind, str]]]] = []
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
            raise exc if _single else _locate(exc, index) from None
        seen.update(pairs)
        checked.append((pd, pairs))
    del validator, seen  # the batch's phone cache goes with it

    ids = _new_subject_ids(len(subjects), now)
    digest_of = crypto.BlindIndexer(keystore.index_key())
    keys = keystore.create_keys(ids)
    try:
        rows: list[ValueRow] = []
        lookups: list[LookupRow] = []
        cards: list[CardToken] = []
        categories: set[str] = set()
        purposes: set[str] = set()
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
                categories.add(category)
                purposes.update(p.purposes)
                if value.card is not None:
                    c = value.card
                    cards.append(CardToken(token=c.token, subject_id=subject_id, bin6=c.bin6,
                                           last4=c.last4, brand=c.brand, created_at=now))
            lookups.extend((kind.value, digest_of(kind.value, normalised), subject_id)
                           for kind, normalised in pairs)
        del checked
        # Every new subject gets its clocks in the same transaction: the plan and the
        # decision point see at once what keeps their values (and what nothing keeps).
        first_clocks = retention_service.new_subject_clocks(register, {
            sid: [(c, tuple(ps), at) for _, c, _, _, _, _, ps, _, at in found]
            for sid, found in _by_subject(rows).items()})
        with uow:
            uow.vault.add_batch(SubjectBatch(operator_id, now, ids, rows, lookups, cards))
            uow.retention.add_clocks(operator_id, first_clocks, now)
            uow.audit.record(AuditRecord(
                at=now, actor=actor, action=AuditAction.SUBJECT_WRITE, subject_ids=ids,
                categories=sorted(categories), purpose=None, request_id=request_id,
                details={"operation": "add", "operator_id": operator_id,
                         "subjects": len(ids), "values": len(rows),
                         "purposes": sorted(purposes)},
            ))
            uow.commit()
    except BaseException:
        try:
            keystore.destroy(ids)
        except Exception:  # the first error is the one to report
            log.exception("could not destroy the data keys of a failed batch of %d", len(ids))
        raise
    log.info("added %d subject(s) of %s", len(ids), operator_id)
    return ids


# --------------------------------------------------------------------- read


def read_subject(
    uow: UnitOfWork,
    keystore: KeyStore,
    subject_id: str,
    purpose: str | None,
    actor: str,
    categories: Collection[str] | None = None,
    request_id: str | None = None,
    *,
    clock: Clock,
    operator_id: str | None = None,
) -> SubjectView:
    """Decrypt the values ``purpose`` needs; audited in the same transaction.

    A read states its purpose or is refused (issue 3, item 7). The purpose
    must be one of the register's; only the categories it needs are returned.
    ``subject_access_request`` returns every category held (Law 94-V Art. 24).
    Blocked categories (or a blocked subject) are withheld from ordinary
    purposes: blocking suspends use; the subject's own access is not suspended.
    """
    rules = load_vault_rules()
    if purpose is None or not isinstance(purpose, str) or not purpose.strip():
        raise InputError("a read of personal data must state its purpose", field="purpose")
    purpose = purpose.strip()
    now = clock.now()
    with uow:
        subject = _live_subject(uow.vault, subject_id, operator_id=operator_id)
        register = _register_of(uow, subject.operator_id)
        allowed = vault.readable_categories(register, purpose, rules)
        wanted: set[str] | None = None if allowed is None else set(allowed)
        if categories is not None:
            asked = set(categories)
            if allowed is not None and not asked <= allowed:
                extra = ", ".join(sorted(asked - allowed))
                raise LegalRestrictionError(
                    f"purpose {purpose!r} does not need: {extra}",
                    citation=rules.minimisation, field="categories",
                )
            wanted = asked
        blocks = _blocks_of(uow.vault, subject)
        stored = uow.vault.values(subject.id, None if wanted is None else sorted(wanted))
        withheld: set[str] = set()
        if purpose != SUBJECT_ACCESS_REQUEST:
            blocked = {b.category for b in blocks}
            for s in stored:
                if None in blocked or s.category in blocked:
                    withheld.add(s.category)
        shown = [s for s in stored if s.category not in withheld]
        out: list[ReadValue] = []
        if shown:
            keys = _key_of(keystore, subject.id)
            out = [ReadValue(category=s.category, seq=s.seq, value_type=s.value_type,
                             value=_open(keys, s), provenance=_provenance(s),
                             updated_at=s.updated_at) for s in shown]
        returned = sorted({v.category for v in out})
        uow.audit.record(AuditRecord(
            at=now, actor=actor, action=AuditAction.SUBJECT_READ, subject_ids=[subject.id],
            categories=returned, purpose=purpose, request_id=request_id,
            details={"operator_id": subject.operator_id, "values": len(out),
                     "withheld": sorted(withheld)},
        ))
        _check_bulk(uow, actor, now)
        uow.commit()
    return SubjectView(subject_id=subject.id, operator_id=subject.operator_id,
                       created_at=subject.created_at, purpose=purpose, values=tuple(out),
                       withheld=tuple(sorted(withheld)), blocks=tuple(blocks))


def _blocks_of(repo: VaultRepository, subject: SubjectRecord) -> list[Block]:
    out: list[Block] = []
    if subject.blocked_at is not None:
        out.append(Block(subject.id, None, subject.block_reason or "", subject.blocked_at))
    out.extend(Block(subject.id, b.category, b.reason, b.blocked_at)
               for b in repo.category_blocks(subject.id))
    return out


# --------------------------------------------------------------------- find


def find_subject(
    uow: UnitOfWork,
    keystore: KeyStore,
    kind: str,
    value: str,
    purpose: str | None,
    actor: str,
    clock: Clock,
    operator_id: str | None = None,
    request_id: str | None = None,
    *,
    phone: vault.PhoneNormaliser = phone_e164,
) -> list[SubjectRef]:
    """Subjects with this identifier, found through the blind index only.

    The identifier is normalised first (IIN digits, E.164 phone, lower-case
    e-mail), then its keyed HMAC is looked up. Only subjects of operators
    whose register has ``purpose`` are returned; the look-up is audited.
    """
    if purpose is None or not isinstance(purpose, str) or not purpose.strip():
        raise InputError("a look-up of personal data must state its purpose", field="purpose")
    purpose = purpose.strip()
    normalised = vault.normalise_identifier(kind, value, phone)
    lookup_kind = LookupKind(kind)
    digest = crypto.blind_index(keystore.index_key(), lookup_kind.value, normalised)
    now = clock.now()
    with uow:
        if operator_id is not None:
            register = _register_of(uow, operator_id)
            if purpose != SUBJECT_ACCESS_REQUEST and purpose not in register.purposes:
                raise InputError(
                    f"unknown purpose {purpose!r} in the register of {operator_id!r}",
                    field="purpose",
                )
        found: list[SubjectRef] = []
        for hit in uow.vault.find(lookup_kind.value, digest, operator_id):
            if (purpose != SUBJECT_ACCESS_REQUEST and operator_id is None
                    and purpose not in _register_of(uow, hit.operator_id).purposes):
                continue  # that operator does not process PD for this purpose
            found.append(SubjectRef(hit.subject_id, hit.operator_id))
        uow.audit.record(AuditRecord(
            at=now, actor=actor, action=AuditAction.SUBJECT_FIND,
            subject_ids=[f.subject_id for f in found], categories=[], purpose=purpose,
            request_id=request_id,
            details={"kind": lookup_kind.value, "operator_id": operator_id,
                     "matches": len(found)},
        ))
        _check_bulk(uow, actor, now)
        uow.commit()
    return found


# ------------------------------------------------------------------- update


def update_values(
    uow: UnitOfWork,
    keystore: KeyStore,
    subject_id: str,
    *,
    replace: Sequence[NewValue] = (),
    add: Sequence[NewValue] = (),
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    phone: vault.PhoneNormaliser = phone_e164,
    operator_id: str | None = None,
) -> list[str]:
    """PATCH: ``replace`` all values of a category, or ``add`` values to it.

    Re-validated against the register in force; refused for a blocked subject
    or category (blocking suspends changing and supplementing PD). Returns
    the categories changed. One transaction, audited.
    """
    if not replace and not add:
        raise InputError("nothing to change: give values to replace or add", field="values")
    rules = load_vault_rules()
    now = clock.now()
    with uow:
        subject = _live_subject(uow.vault, subject_id, lock=True, operator_id=operator_id)
        register = _register_of(uow, subject.operator_id)
        fresh_replace = vault.validate_all(register, replace, rules, phone=phone,
                                           new_token=_new_token, on=now.date())
        fresh_add = vault.validate_all(register, add, rules, phone=phone,
                                       new_token=_new_token, on=now.date())
        touched = {v.category for v in (*fresh_replace, *fresh_add)}
        blocked = {b.category for b in _blocks_of(uow.vault, subject)}
        hit = sorted(touched if None in blocked else touched & {c for c in blocked if c})
        if hit:
            raise LegalRestrictionError(
                f"blocked: {', '.join(hit)} may not be changed while the block lasts",
                citation=rules.blocking, field="values",
            )
        keys = _key_of(keystore, subject.id)
        # New values go under the key the data database is committed to (the
        # next one once a pending key swap's data transaction has committed).
        key = keyswap.sealing_key(uow, keystore, subject.id) or keys[0]
        index_key = keystore.index_key()
        replaced = sorted({v.category for v in fresh_replace})
        old = uow.vault.values(subject.id, replaced) if replaced else []
        old_pd = [_as_pd(s, _open(keys, s)) for s in old]
        gone_lookups = _lookup_keys(index_key, [p for v in old_pd
                                               if (p := vault.lookup_of(v)) is not None])
        gone_cards = [t for v in old_pd if (t := _card_token_of(v.value)) is not None]
        uow.vault.delete_values(subject.id, replaced)
        uow.vault.delete_lookups(subject.id, gone_lookups)
        uow.vault.delete_cards(subject.id, gone_cards)

        next_seq: dict[str, int] = {}
        for s in uow.vault.values(subject.id, sorted(touched)):
            next_seq[s.category] = max(next_seq.get(s.category, 0), s.seq + 1)
        rows: list[SealedValue] = []
        cards: list[CardToken] = []
        for value in (*fresh_replace, *fresh_add):
            seq = next_seq.get(value.category, 0)
            next_seq[value.category] = seq + 1
            rows.append(_seal(key, subject.id, value, seq, now))
            if value.card is not None:
                c = value.card
                cards.append(CardToken(c.token, subject.id, c.bin6, c.last4, c.brand, now))
        uow.vault.put_values(rows)
        if cards:
            uow.vault.add_many([], [], (), cards)
        pairs = vault.lookups_of([*fresh_replace, *fresh_add], {}, phone)
        new_lookups = [Lookup(subject.operator_id, kind, digest, subject.id)
                       for kind, digest in _lookup_keys(index_key, pairs)
                       if not any(x.subject_id == subject.id for x in
                                  uow.vault.find(kind, digest, subject.operator_id))]
        uow.vault.add_lookups(new_lookups)
        uow.audit.record(AuditRecord(
            at=now, actor=actor, action=AuditAction.SUBJECT_WRITE, subject_ids=[subject.id],
            categories=sorted(touched), purpose=None, request_id=request_id,
            details={"operation": "update", "replaced": replaced,
                     "added": sorted({v.category for v in fresh_add}),
                     "values": len(rows)},
        ))
        retention_service.update_clocks(uow, subject.id, now, register=register)
        uow.commit()
    return sorted(touched)


# ------------------------------------------------------------------- blocks


def block(
    uow: UnitOfWork,
    subject_id: str,
    categories: Sequence[str] | None,
    reason: str,
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
) -> list[Block]:
    """Block the whole subject (``categories`` None) or some of its categories.

    A flag with reason and time (issue 3, item 5) that reads, updates and later
    processing honour. Blocking what is already blocked changes nothing.
    Returns the blocks in force afterwards.
    """
    rules = load_vault_rules()
    text = _require_reason(reason)
    now = clock.now()
    with uow:
        subject = _live_subject(uow.vault, subject_id, lock=True, operator_id=operator_id)
        added: list[str] = []
        if categories is None:
            if subject.blocked_at is None:
                uow.vault.set_block(subject.id, now, text)
                added.append("*")
        else:
            if not categories:
                raise InputError("name the categories to block, or none for the subject",
                                 field="categories")
            register = _register_of(uow, subject.operator_id)
            active = {b.category for b in uow.vault.category_blocks(subject.id)}
            for category in dict.fromkeys(categories):
                vault.category_of(register, category)
                if category not in active:
                    added.append(category)
            uow.vault.add_category_blocks(
                [CategoryBlock(subject.id, c, text, now) for c in added])
        if added:
            uow.audit.record(AuditRecord(
                at=now, actor=actor, action=AuditAction.SUBJECT_BLOCK, subject_ids=[subject.id],
                categories=[c for c in added if c != "*"], purpose=None, request_id=request_id,
                details={"operation": "block", "scope": "subject" if categories is None
                         else "categories", "reason": text, "citation": rules.blocking},
            ))
        current = _blocks_of(uow.vault, _live_subject(uow.vault, subject.id))
        uow.commit()
    return current


def unblock(
    uow: UnitOfWork,
    subject_id: str,
    categories: Sequence[str] | None,
    reason: str,
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
) -> list[Block]:
    """Lift blocks: of the subject and all its categories (None), or of some categories."""
    text = _require_reason(reason)
    now = clock.now()
    with uow:
        subject = _live_subject(uow.vault, subject_id, lock=True, operator_id=operator_id)
        lifted = 0
        if categories is None and subject.blocked_at is not None:
            uow.vault.set_block(subject.id, None, None)
            lifted += 1
        lifted += uow.vault.end_category_blocks(
            subject.id, None if categories is None else list(categories), now)
        if lifted:
            uow.audit.record(AuditRecord(
                at=now, actor=actor, action=AuditAction.SUBJECT_BLOCK, subject_ids=[subject.id],
                categories=list(categories or ()), purpose=None, request_id=request_id,
                details={"operation": "unblock", "reason": text, "lifted": lifted,
                         "scope": "subject" if categories is None else "categories"},
            ))
        current = _blocks_of(uow.vault, _live_subject(uow.vault, subject.id))
        uow.commit()
    return current


def blocked_in(repo: VaultRepository, subject_id: str, category: str | None = None) -> bool:
    """Inside an open unit of work: is the subject, or this category of it, blocked?"""
    subject = repo.get(subject_id)
    if subject is None or subject.destroyed:
        return False
    if subject.blocked_at is not None:
        return True
    if category is None:
        return False
    return any(b.category == category for b in repo.category_blocks(subject_id))


def is_blocked(uow: UnitOfWork, subject_id: str, category: str | None = None) -> bool:
    """Is processing of the subject (or of ``category`` of it) suspended by a block?"""
    with uow:
        return blocked_in(uow.vault, subject_id, category)


# ------------------------------------------------------------------ destroy


def destroy_subject(
    uow: UnitOfWork,
    keystore: KeyStore,
    subject_id: str,
    reason: str,
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
) -> DestroyResult:
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
    text = _require_reason(reason)
    with uow:
        _live_subject(uow.vault, subject_id, operator_id=operator_id)
    key_destroyed = keystore.destroy([subject_id]) > 0
    crash_point("vault.destroy.key_destroyed")
    now = clock.now()
    with uow:
        subject = _live_subject(uow.vault, subject_id, lock=True)
        held = sorted({v.category for v in uow.vault.values(subject.id)})
        deleted = uow.vault.delete_values(subject.id)
        uow.vault.delete_lookups(subject.id)
        uow.vault.delete_cards(subject.id)
        uow.vault.delete_category_blocks(subject.id)
        uow.vault.mark_destroyed(subject.id, now)
        uow.audit.record(AuditRecord(
            at=now, actor=actor, action=AuditAction.SUBJECT_DESTROY, subject_ids=[subject.id],
            categories=held, purpose=None, request_id=request_id,
            details={"operation": "destroy_subject", "reason": text,
                     "values_deleted": deleted, "key_destroyed": key_destroyed,
                     "citation": load_vault_rules().destruction},
        ))
        uow.commit()
    crash_point("vault.destroy.data_committed")
    log.info("destroyed subject %s (%d values)", subject_id, deleted)
    return DestroyResult(subject_id, tuple(held), deleted, key_destroyed)


def destroy_categories(
    uow: UnitOfWork,
    keystore: KeyStore,
    subject_id: str,
    categories: Sequence[str],
    reason: str,
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
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
    text = _require_reason(reason)
    doomed = list(dict.fromkeys(categories))
    if not doomed:
        raise InputError("name the categories to destroy", field="categories")
    with uow:
        _live_subject(uow.vault, subject_id, operator_id=operator_id)
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
    index_key = keystore.index_key()
    for attempt in range(1, _SHRED_ATTEMPTS + 1):
        try:
            result = _finish_partial_shred(uow, subject_id, doomed, old_key, new_key,
                                           index_key, swap_id, text, actor, clock, request_id)
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


def _finish_partial_shred(
    uow: UnitOfWork, subject_id: str, doomed: Sequence[str], old_key: bytes, new_key: bytes,
    index_key: bytes, swap_id: str, reason: str, actor: str, clock: Clock,
    request_id: str | None,
) -> DestroyResult:
    now = clock.now()
    doomed_set = set(doomed)
    with uow:
        subject = _live_subject(uow.vault, subject_id, lock=True)
        # First: fails at once if another process settled this swap as aborted.
        uow.key_swaps.commit(swap_id, 1, now)
        resealed: list[SealedValue] = []
        gone_lookups: list[tuple[str, str]] = []
        gone_cards: list[str] = []
        lost_kinds: set[str] = set()
        unreadable = 0
        for stored in uow.vault.values(subject.id):
            plain: JsonValue = None
            opened = False
            try:
                plain = _open((old_key, new_key), stored)
                opened = True
            except CryptoError:
                pass
            if stored.category in doomed_set:
                if opened:
                    pair = vault.lookup_of(_as_pd(stored, plain))
                    if pair is not None:
                        gone_lookups.extend(_lookup_keys(index_key, [pair]))
                    token = _card_token_of(plain)
                    if token is not None:
                        gone_cards.append(token)
                elif (kind := _lookup_kind_of(stored)) is not None:
                    lost_kinds.add(kind.value)
                continue
            if not opened:
                # Sealed under neither key: lost before this run (an older
                # version of derbes could lose values in a crash); reported.
                unreadable += 1
                continue
            aad = crypto.value_aad(stored.subject_id, stored.category, stored.seq)
            resealed.append(SealedValue(
                subject_id=stored.subject_id, category=stored.category, seq=stored.seq,
                sealed=crypto.seal(new_key, vault.encode_plain(plain), aad),
                value_type=stored.value_type, source=stored.source, purposes=stored.purposes,
                method=stored.method, collected_at=stored.collected_at,
                updated_at=stored.updated_at,
            ))
        deleted = uow.vault.delete_values(subject.id, doomed)
        uow.vault.delete_lookups(subject.id, gone_lookups)
        if lost_kinds:
            # The destroyed values could not be opened to name their look-ups:
            # drop every look-up of their kinds rather than keep a dangling one.
            uow.vault.delete_lookups(subject.id, [
                (x.kind, x.digest) for x in uow.vault.lookups(subject.id)
                if x.kind in lost_kinds
            ])
        uow.vault.delete_cards(subject.id, gone_cards)
        uow.vault.put_values(resealed)
        keyswap.reseal_evidence(uow, {subject.id: (old_key, new_key)}, now)
        if unreadable:
            log.error("subject %s: %d kept value(s) open with neither the current nor the "
                      "next key", subject.id, unreadable)
        uow.audit.record(AuditRecord(
            at=now, actor=actor, action=AuditAction.SUBJECT_DESTROY, subject_ids=[subject.id],
            categories=sorted(doomed_set), purpose=None, request_id=request_id,
            details={"operation": "destroy_categories", "reason": reason,
                     "values_deleted": deleted, "values_resealed": len(resealed),
                     "citation": load_vault_rules().destruction},
        ))
        uow.commit()
    return DestroyResult(subject_id, tuple(sorted(doomed_set)), deleted, True)


_KIND_OF_VALUE_TYPE: dict[str, LookupKind] = {
    ValueType.IIN.value: LookupKind.IIN,
    ValueType.PHONE.value: LookupKind.PHONE,
    ValueType.EMAIL.value: LookupKind.EMAIL,
}


def _lookup_kind_of(stored: SealedValue) -> LookupKind | None:
    if stored.category == vault.CUSTOMER_ID_CATEGORY:
        return LookupKind.CUSTOMER_ID
    return _KIND_OF_VALUE_TYPE.get(stored.value_type)
