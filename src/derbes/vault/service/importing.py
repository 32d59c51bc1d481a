"""Use case: one batch of a file import into the vault, with its rejects.

``add_subjects`` refuses a whole batch for one bad subject, which is right for an
API call. Migrating a customer base is different: the good subjects go in, every
bad one comes back with its reason, and the batch is stored with a mark of the
import (``subject_imports``) in the same transaction, so an import killed at any
moment resumes with exactly the batches that are not yet stored — never one twice.

A subject whose identifier (IIN, phone, e-mail, customer id) another subject of
the operator already holds is a reject too: the vault keeps one subject per
identifier. Batches of one import may run in several processes at once; when
two of them carry the same identifier, the second to commit finds it taken, its
keys are destroyed with its failed transaction, and it runs again without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from derbes.context import Context
from derbes.errors import ConflictError, DerbesError
from derbes.platform import crypto
from derbes.register.model.register import Register
from derbes.vault.ports import ImportMark
from derbes.vault.service.ingest import Checked, NewSubject, check_subjects, store_checked

__all__ = ["ImportedBatch", "Rejected", "import_batch", "imported_batches"]

# Two processes that carry the same identifier can collide once per identifier; a
# batch that keeps colliding is reported rather than retried for ever.
_ATTEMPTS = 5

TAKEN = "an identifier of this subject is already held by another subject of the operator"


@dataclass(frozen=True)
class Rejected:
    """A subject of the batch left out: its position, the field at fault and why (no PD)."""

    index: int
    field: str | None
    reason: str


@dataclass(frozen=True)
class ImportedBatch:
    """What one batch stored: ``stored`` pairs (position in the batch, new subject id)."""

    stored: list[tuple[int, str]]
    rejects: list[Rejected]
    already: bool = False  # stored by an earlier run of the same import


def imported_batches(ctx: Context, import_id: str) -> set[int]:
    """The batches of import ``import_id`` that an earlier run stored."""
    with ctx.uow as uow:
        return uow.vault.imported_batches(import_id)


def _rejected(index: int, exc: DerbesError) -> Rejected:
    return Rejected(index, exc.field, exc.message)


def import_batch(ctx: Context, register: Register, subjects: Sequence[NewSubject], *,
                 import_id: str, batch: int,
                 before_store: Callable[[list[Rejected]], None] | None = None
                 ) -> ImportedBatch:
    """Store the good subjects of batch ``batch`` of import ``import_id``; reject the others.

    ``before_store`` is given the batch's rejects before its transaction commits (and
    again if it has to run again): whoever keeps them has them before the batch
    counts as stored, so a resumed import never loses a reason.
    """
    good, failed = check_subjects(ctx, register, subjects)
    rejects = [_rejected(index, exc) for index, exc in failed]
    digest_of = crypto.BlindIndexer(ctx.keystore.index_key())
    operator_id = register.operator.id
    for _ in range(_ATTEMPTS):
        digests = {index: [(kind.value, digest_of(kind.value, normalised))
                           for kind, normalised in pairs]
                   for index, (_, pairs) in good}
        with ctx.uow as uow:
            if batch in uow.vault.imported_batches(import_id):
                return ImportedBatch([], [], already=True)
            taken = uow.vault.taken_lookups(
                operator_id, [pair for pairs in digests.values() for pair in pairs])
        if taken:
            rejects += [Rejected(index, "identifiers", TAKEN) for index, _ in good
                        if not taken.isdisjoint(digests[index])]
            good = [(index, c) for index, c in good if taken.isdisjoint(digests[index])]
        rejects.sort(key=lambda r: r.index)
        if before_store is not None:
            before_store(rejects)
        if not good:
            return ImportedBatch([], rejects)
        checked: list[Checked] = [c for _, c in good]
        mark = ImportMark(import_id, batch, len(rejects))
        try:
            ids = store_checked(ctx, register, checked, mark)
        except ConflictError:
            # Another process stored one of these identifiers (or this batch) since
            # the look-up: the failed transaction took its keys with it; look again.
            continue
        return ImportedBatch([(index, sid) for (index, _), sid in zip(good, ids, strict=True)],
                             rejects)
    raise ConflictError(f"batch {batch} of the import kept colliding with other writers; "
                        "run the import again to resume it", field="batch")
