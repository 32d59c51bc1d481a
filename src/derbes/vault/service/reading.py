"""Use cases: read a subject's values for a purpose, find subjects by an identifier.

Both are audited in the same transaction as the read, and each read is
counted against the access rules (``audit.service.check_bulk_access``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from derbes.audit import service as audit_service
from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.context import Context
from derbes.errors import InputError, LegalRestrictionError
from derbes.platform import crypto
from derbes.register.model.register import Register
from derbes.vault import model as vault
from derbes.vault.model import (
    SUBJECT_ACCESS_REQUEST,
    Block,
    JsonValue,
    LookupKind,
    Provenance,
)
from derbes.vault.ports import SealedValue
from derbes.vault.service.guards import blocks_of, live_subject, register_of, require_reason
from derbes.vault.service.values import keys_of, lookup_kind_of, open_value, provenance_of

__all__ = ["HeldValue", "ReadValue", "SubjectHoldings", "SubjectRef", "SubjectView",
           "contact", "find_subject", "holdings", "read_subject"]


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


def _stated(purpose: str | None, what: str) -> str:
    if purpose is None or not isinstance(purpose, str) or not purpose.strip():
        raise InputError(f"a {what} of personal data must state its purpose", field="purpose")
    return purpose.strip()


def read_subject(
    ctx: Context,
    subject_id: str,
    purpose: str | None,
    categories: Collection[str] | None = None,
    *,
    reason: str | None = None,
) -> SubjectView:
    """Decrypt the values ``purpose`` needs; audited in the same transaction.

    A read states its purpose or is refused. The purpose must be one of the
    register's; only the categories it needs are returned.
    ``subject_access_request`` returns every category held (Law 94-V Art. 24).
    Blocked categories (or a blocked subject) are withheld from ordinary
    purposes: blocking suspends use; the subject's own access is not suspended.
    ``reason``: why a person opens the values (staff revealing one in the console),
    kept with the audit entry; None when the purpose says it all.
    """
    purpose = _stated(purpose, "read")
    why = None if reason is None else require_reason(reason)
    uow, now = ctx.uow, ctx.now()
    with uow:
        subject = live_subject(uow.vault, subject_id, scope=ctx.scope)
        wanted = _wanted(ctx, register_of(uow, subject.operator_id), purpose, categories)
        blocks = blocks_of(uow.vault, subject)
        stored = uow.vault.values(subject.id, None if wanted is None else sorted(wanted))
        withheld: set[str] = set()
        if purpose != SUBJECT_ACCESS_REQUEST:
            blocked = {b.category for b in blocks}
            withheld = {s.category for s in stored
                        if None in blocked or s.category in blocked}
        out = _opened(ctx, subject.id, [s for s in stored if s.category not in withheld])
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=AuditAction.SUBJECT_READ, subject_ids=[subject.id],
            categories=sorted({v.category for v in out}), purpose=purpose,
            request_id=ctx.request_id,
            details={"operator_id": subject.operator_id, "values": len(out),
                     "withheld": sorted(withheld),
                     **({"reason": why} if why is not None else {})},
        ))
        audit_service.check_bulk_access(uow, ctx.actor, now, ctx.rules.alerts)
        uow.commit()
    return SubjectView(subject_id=subject.id, operator_id=subject.operator_id,
                       created_at=subject.created_at, purpose=purpose, values=tuple(out),
                       withheld=tuple(sorted(withheld)), blocks=tuple(blocks))


def _wanted(ctx: Context, register: Register, purpose: str,
            categories: Collection[str] | None) -> set[str] | None:
    """The categories to read: those asked, if the purpose needs them all (None: every one)."""
    rules = ctx.rules.vault
    allowed = vault.readable_categories(register, purpose, rules)
    if categories is None:
        return None if allowed is None else set(allowed)
    asked = set(categories)
    if allowed is not None and not asked <= allowed:
        extra = ", ".join(sorted(asked - allowed))
        raise LegalRestrictionError(
            f"purpose {purpose!r} does not need: {extra}",
            citation=rules.minimisation, field="categories",
        )
    return asked


def _opened(ctx: Context, subject_id: str, shown: list[SealedValue]) -> list[ReadValue]:
    if not shown:
        return []
    keys = keys_of(ctx.keystore, subject_id)
    return [ReadValue(category=s.category, seq=s.seq, value_type=s.value_type,
                      value=open_value(keys, s), provenance=provenance_of(s),
                      updated_at=s.updated_at) for s in shown]


def find_subject(
    ctx: Context,
    kind: str,
    value: str,
    purpose: str | None,
) -> list[SubjectRef]:
    """Subjects with this identifier, found through the blind index only.

    The identifier is normalised first (IIN digits, E.164 phone, lower-case
    e-mail), then its keyed HMAC is looked up, among the subjects of the
    operator ``ctx.scope`` names (of every operator when it names none).
    Only subjects of operators whose register has ``purpose`` are returned;
    the look-up is audited.
    """
    purpose = _stated(purpose, "look-up")
    normalised = vault.normalise_identifier(kind, value, ctx.phones.e164)
    lookup_kind = LookupKind(kind)
    digest = crypto.blind_index(ctx.keystore.index_key(), lookup_kind.value, normalised)
    operator_id = ctx.scope.operator_id
    uow, now = ctx.uow, ctx.now()
    with uow:
        if operator_id is not None:
            register = register_of(uow, operator_id)
            if purpose != SUBJECT_ACCESS_REQUEST and purpose not in register.purposes:
                raise InputError(
                    f"unknown purpose {purpose!r} in the register of {operator_id!r}",
                    field="purpose",
                )
        found: list[SubjectRef] = []
        for hit in uow.vault.find(lookup_kind.value, digest, operator_id):
            if (purpose != SUBJECT_ACCESS_REQUEST and operator_id is None
                    and purpose not in register_of(uow, hit.operator_id).purposes):
                continue  # that operator does not process PD for this purpose
            found.append(SubjectRef(hit.subject_id, hit.operator_id))
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=AuditAction.SUBJECT_FIND,
            subject_ids=[f.subject_id for f in found], categories=[], purpose=purpose,
            request_id=ctx.request_id,
            details={"kind": lookup_kind.value, "operator_id": operator_id,
                     "matches": len(found)},
        ))
        audit_service.check_bulk_access(uow, ctx.actor, now, ctx.rules.alerts)
        uow.commit()
    return found


@dataclass(frozen=True)
class HeldValue:
    """A value the vault holds, described without opening it (no PD: its category,
    type and provenance only)."""

    category: str
    seq: int
    value_type: str
    provenance: Provenance
    updated_at: datetime


@dataclass(frozen=True)
class SubjectHoldings:
    subject_id: str
    operator_id: str
    created_at: datetime
    values: tuple[HeldValue, ...]
    blocks: tuple[Block, ...]


def holdings(ctx: Context, subject_id: str) -> SubjectHoldings:
    """What the vault holds of a subject, every value left sealed: nothing is decrypted,
    so nothing is read in the sense of the access rules (a value is opened only by
    :func:`read_subject`, with its purpose, and audited there)."""
    with ctx.uow as uow:
        subject = live_subject(uow.vault, subject_id, scope=ctx.scope)
        stored = uow.vault.values(subject.id)
        blocks = blocks_of(uow.vault, subject)
    return SubjectHoldings(
        subject.id, subject.operator_id, subject.created_at,
        tuple(HeldValue(s.category, s.seq, s.value_type, provenance_of(s), s.updated_at)
              for s in sorted(stored, key=lambda s: (s.category, s.seq))),
        tuple(blocks))


def contact(ctx: Context, subject_id: str, kind: LookupKind) -> tuple[str, str] | None:
    """The subject's latest phone or e-mail on record and its operator, to send them a
    message the law makes part of their own request (a one-time code proving who they
    are); None when none is held. Only that one value is opened, never shown; the
    message's own record keeps it sealed. A destroyed subject has none."""
    with ctx.uow:
        subject = ctx.uow.vault.get(subject_id)
        if subject is None or subject.destroyed or not ctx.scope.admits(subject.operator_id):
            return None
        held = [s for s in ctx.uow.vault.values(subject_id) if lookup_kind_of(s) is kind]
    if not held:
        return None
    latest = max(held, key=lambda s: (s.updated_at, s.seq))
    value = open_value(keys_of(ctx.keystore, subject_id), latest)
    return (str(value), subject.operator_id) if isinstance(value, str) else None
