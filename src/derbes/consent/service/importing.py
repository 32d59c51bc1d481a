"""Use case: consents migrated from an earlier system, with their original times.

Acts are given in batches (``give_batch`` with each act's ``given_at``: one
transaction, one idempotency query, evidence sealed and the ledger chained for
the batch). A batch with a bad act is split in halves until the bad acts stand
alone: every good act is stored, every bad one comes back with its error, and
nothing already stored is touched. Every act carries an idempotency key, so an
import run again (after a crash, or with the rejected lines fixed) replays what
is stored instead of storing it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from derbes.consent.model.act import ConsentRequest, GiveResult
from derbes.consent.service.give import give_batch
from derbes.context import Context
from derbes.errors import DerbesError, InputError

__all__ = ["MigratedAct", "import_acts"]


@dataclass(frozen=True)
class MigratedAct:
    """An act of consent as the earlier system recorded it, and when it was given."""

    request: ConsentRequest
    given_at: datetime


def import_acts(ctx: Context, acts: Sequence[MigratedAct]) -> list[GiveResult | DerbesError]:
    """Store ``acts``; per act its result (``replayed`` when stored before) or its error."""
    for index, act in enumerate(acts):
        if act.request.idempotency_key is None:
            raise InputError(f"acts[{index}]: a migrated act needs an idempotency key",
                             field="idempotency_key")
    return _give_or_split(ctx, list(acts))


def _give_or_split(ctx: Context, acts: list[MigratedAct]) -> list[GiveResult | DerbesError]:
    try:
        # No OTP verifier: a code checked by the earlier system cannot be checked again.
        return list(give_batch(ctx, None, [a.request for a in acts],
                               given_at=[a.given_at for a in acts]))
    except DerbesError as exc:
        if len(acts) == 1:
            return [exc]
    middle = len(acts) // 2
    return _give_or_split(ctx, acts[:middle]) + _give_or_split(ctx, acts[middle:])
