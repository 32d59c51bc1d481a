"""Use cases: change a subject's values; block and unblock the subject or categories.

A block is a flag with reason and time that reads, updates and later
processing honour (Law 94-V: blocking suspends collection, use and changes).
"""

from __future__ import annotations

from collections.abc import Sequence

from derbes.audit.model.log import AuditAction, AuditRecord
from derbes.context import Context
from derbes.errors import InputError, LegalRestrictionError
from derbes.register.model.register import Register
from derbes.retention.service import clocks as retention_service
from derbes.uow import UnitOfWork
from derbes.vault import model as vault
from derbes.vault.model import Block, NewValue, PdValue
from derbes.vault.ports import (
    BlockedSubject,
    CardToken,
    CategoryBlock,
    Lookup,
    SealedValue,
    SubjectRecord,
)
from derbes.vault.service import keyswap
from derbes.vault.service.guards import (
    blocked_in,
    blocks_of,
    live_subject,
    register_of,
    require_reason,
)
from derbes.vault.service.ingest import new_token
from derbes.vault.service.values import (
    as_pd,
    card_token_of,
    keys_of,
    lookup_digests,
    open_value,
    seal_value,
)

__all__ = ["block", "blocked_subjects", "is_blocked", "unblock", "update_values"]


def update_values(
    ctx: Context,
    subject_id: str,
    *,
    replace: Sequence[NewValue] = (),
    add: Sequence[NewValue] = (),
) -> list[str]:
    """PATCH: ``replace`` all values of a category, or ``add`` values to it.

    Re-validated against the register in force; refused for a blocked subject
    or category (blocking suspends changing and supplementing PD). Returns
    the categories changed. One transaction, audited.
    """
    if not replace and not add:
        raise InputError("nothing to change: give values to replace or add", field="values")
    rules = ctx.rules.vault
    uow, now = ctx.uow, ctx.now()
    with uow:
        subject = live_subject(uow.vault, subject_id, lock=True, scope=ctx.scope)
        register = register_of(uow, subject.operator_id)
        fresh_replace, fresh_add = (
            vault.validate_all(register, given, rules, phone=ctx.phones.e164, new_token=new_token,
                               on=now.date()) for given in (replace, add))
        touched = {v.category for v in (*fresh_replace, *fresh_add)}
        blocked = {b.category for b in blocks_of(uow.vault, subject)}
        hit = sorted(touched if None in blocked else touched & {c for c in blocked if c})
        if hit:
            raise LegalRestrictionError(
                f"blocked: {', '.join(hit)} may not be changed while the block lasts",
                citation=rules.blocking, field="values",
            )
        replaced = sorted({v.category for v in fresh_replace})
        _drop_replaced(ctx, subject.id, replaced)
        count = _put_new(ctx, subject, [*fresh_replace, *fresh_add], sorted(touched))
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=AuditAction.SUBJECT_WRITE,
            subject_ids=[subject.id], categories=sorted(touched), purpose=None,
            request_id=ctx.request_id,
            details={"operation": "update", "replaced": replaced,
                     "added": sorted({v.category for v in fresh_add}), "values": count},
        ))
        retention_service.update_clocks(uow, subject.id, now, calendars=ctx.rules.calendars,
                                        register=register)
        uow.commit()
    return sorted(touched)


def _drop_replaced(ctx: Context, subject_id: str, replaced: list[str]) -> None:
    """Delete the values of the replaced categories, with their look-ups and cards."""
    uow = ctx.uow
    old = uow.vault.values(subject_id, replaced) if replaced else []
    keys = keys_of(ctx.keystore, subject_id)
    old_pd = [as_pd(s, open_value(keys, s)) for s in old]
    gone_lookups = lookup_digests(ctx.keystore.index_key(), [
        p for v in old_pd if (p := vault.lookup_of(v)) is not None])
    gone_cards = [t for v in old_pd if (t := card_token_of(v.value)) is not None]
    uow.vault.delete_values(subject_id, replaced)
    uow.vault.delete_lookups(subject_id, gone_lookups)
    uow.vault.delete_cards(subject_id, gone_cards)


def _put_new(ctx: Context, subject: SubjectRecord, fresh: list[PdValue],
             touched: list[str]) -> int:
    """Seal and store the new values after those kept; returns how many."""
    uow, now, keystore = ctx.uow, ctx.now(), ctx.keystore
    # New values go under the key the data database is committed to (the
    # next one once a pending key swap's data transaction has committed).
    key = keyswap.sealing_key(uow, keystore, subject.id) or keys_of(keystore, subject.id)[0]
    next_seq: dict[str, int] = {}
    for s in uow.vault.values(subject.id, touched):
        next_seq[s.category] = max(next_seq.get(s.category, 0), s.seq + 1)
    rows: list[SealedValue] = []
    cards: list[CardToken] = []
    for value in fresh:
        seq = next_seq.get(value.category, 0)
        next_seq[value.category] = seq + 1
        rows.append(seal_value(key, subject.id, value, seq, now))
        if value.card is not None:
            c = value.card
            cards.append(CardToken(c.token, subject.id, c.bin6, c.last4, c.brand, now))
    uow.vault.put_values(rows)
    if cards:
        uow.vault.add_many([], [], (), cards)
    index_key = keystore.index_key()
    pairs = vault.lookups_of(fresh, {}, ctx.phones.e164)
    uow.vault.add_lookups([
        Lookup(subject.operator_id, kind, digest, subject.id)
        for kind, digest in lookup_digests(index_key, pairs)
        if not any(x.subject_id == subject.id
                   for x in uow.vault.find(kind, digest, subject.operator_id))])
    return len(rows)


def block(
    ctx: Context,
    subject_id: str,
    categories: Sequence[str] | None,
    reason: str,
) -> list[Block]:
    """Block the whole subject (``categories`` None) or some of its categories.

    Blocking what is already blocked changes nothing. Returns the blocks in
    force afterwards.
    """
    text = require_reason(reason)
    uow, now = ctx.uow, ctx.now()
    with uow:
        subject = live_subject(uow.vault, subject_id, lock=True, scope=ctx.scope)
        added: list[str] = []
        if categories is None:
            if subject.blocked_at is None:
                uow.vault.set_block(subject.id, now, text)
                added.append("*")
        else:
            added = _new_category_blocks(uow, subject, categories)
            uow.vault.add_category_blocks(
                [CategoryBlock(subject.id, c, text, now) for c in added])
        if added:
            _record_block(ctx, subject.id, [c for c in added if c != "*"], {
                "operation": "block", "reason": text, "citation": ctx.rules.vault.blocking,
                "scope": "subject" if categories is None else "categories"})
        current = blocks_of(uow.vault, live_subject(uow.vault, subject.id))
        uow.commit()
    return current


def _new_category_blocks(uow: UnitOfWork, subject: SubjectRecord,
                         categories: Sequence[str]) -> list[str]:
    """The categories (of the register) not blocked yet, in the order given."""
    if not categories:
        raise InputError("name the categories to block, or none for the subject",
                         field="categories")
    register: Register = register_of(uow, subject.operator_id)
    active = {b.category for b in uow.vault.category_blocks(subject.id)}
    added: list[str] = []
    for category in dict.fromkeys(categories):
        vault.category_of(register, category)
        if category not in active:
            added.append(category)
    return added


def _record_block(ctx: Context, subject_id: str, categories: list[str],
                  details: dict[str, object]) -> None:
    ctx.uow.audit.record(AuditRecord(
        at=ctx.now(), actor=ctx.actor, action=AuditAction.SUBJECT_BLOCK,
        subject_ids=[subject_id], categories=categories, purpose=None,
        request_id=ctx.request_id, details=details,
    ))


def unblock(
    ctx: Context,
    subject_id: str,
    categories: Sequence[str] | None,
    reason: str,
) -> list[Block]:
    """Lift blocks: of the subject and all its categories (None), or of some categories."""
    text = require_reason(reason)
    uow, now = ctx.uow, ctx.now()
    with uow:
        subject = live_subject(uow.vault, subject_id, lock=True, scope=ctx.scope)
        lifted = 0
        if categories is None and subject.blocked_at is not None:
            uow.vault.set_block(subject.id, None, None)
            lifted += 1
        lifted += uow.vault.end_category_blocks(
            subject.id, None if categories is None else list(categories), now)
        if lifted:
            _record_block(ctx, subject.id, list(categories or ()), {
                "operation": "unblock", "reason": text, "lifted": lifted,
                "scope": "subject" if categories is None else "categories"})
        current = blocks_of(uow.vault, live_subject(uow.vault, subject.id))
        uow.commit()
    return current


def is_blocked(uow: UnitOfWork, subject_id: str, category: str | None = None) -> bool:
    """Is processing of the subject (or of ``category`` of it) suspended by a block?"""
    with uow:
        return blocked_in(uow.vault, subject_id, category)


def blocked_subjects(ctx: Context, operator_id: str, limit: int = 50) -> list[BlockedSubject]:
    """The operator's subjects under a block, the longest blocked first: each waits for a
    decision, to lift the block or to destroy, once the complaint behind it is settled
    (Law 94-V Art. 24: blocking where collection or processing broke the conditions)."""
    if limit < 1:
        raise InputError("the limit must be at least 1", field="limit")
    ctx.scope.check(operator_id, f"operator {operator_id!r}")
    with ctx.uow:
        return ctx.uow.vault.blocked(operator_id, limit)
