"""Named crash points: where a test may kill derbes between two commits.

Destruction and re-sealing write to two databases (the data database and the
key store) that cannot commit together; their order is what keeps data safe
when the process dies in between. Every commit boundary of those jobs calls
:func:`crash_point` with a stable name, and the crash tests kill the process
at each name in turn and check what the next run finds.

Inactive unless ``DERBES_CRASH_AT`` is set in the environment; nothing in
derbes sets it, only the tests do. Its value is ``name`` (die the first time
that point is reached) or ``name:N`` (die the N-th time, for points inside
loops). Dying is ``SIGKILL`` to the own process: no ``finally``, no
rollback, no flush — exactly what the kernel's OOM killer or a power cut
leaves behind (committed transactions stay committed, nothing else).
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["CRASH_ENV", "POINTS", "crash_point"]

CRASH_ENV = "DERBES_CRASH_AT"

# Every name a crash point may have, so a test can cover them all and a typo
# in the code or a test is found at once.
POINTS: frozenset[str] = frozenset({
    # vault/service/subjects.destroy_subject
    "vault.destroy.key_destroyed",
    "vault.destroy.data_committed",
    # vault/service/subjects.destroy_categories (partial shredding)
    "vault.shred.swap_prepared",
    "vault.shred.data_committed",
    "vault.shred.swap_committed",
    # retention/service/sweep.run, per batch and at the end
    "retention.run.started",
    "retention.batch.stores_erased",
    "retention.batch.keys_destroyed",
    "retention.batch.swap_prepared",
    "retention.batch.data_committed",
    "retention.batch.swap_committed",
    "retention.run.finished",
    # settling interrupted key swaps (vault/service/keyswap)
    "keyswap.settle.journaled",
    "keyswap.settle.keystore_done",
    # vault/service/keys: KEK rotation
    "keys.rotate.new_kek_written",
    "keys.rotate.batch_committed",
    "keys.rotate.epoch_rewrapped",
    "keys.rotate.old_kek_retired",
    "keys.rotate.new_kek_installed",
    # key epochs (vault/adapters/keystore.SqlKeyStore.close_epoch)
    "keys.epoch.next_opened",
    "keys.epoch.batch_committed",
    "keys.epoch.closed",
    "keys.epoch.destroyed",
})

_hits: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return None
    name, _, count = wanted.partition(":")
    return name, int(count) if count.isdigit() and int(count) > 0 else 1


def crash_point(name: str) -> None:
    """Die here (SIGKILL) if ``DERBES_CRASH_AT`` names this point; otherwise nothing."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    target = _target()
    if target is None or target[0] != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] < target[1]:
        return
    # Tell the test which point fired, then die without any clean-up.
    sys.stderr.write(f"derbes: crash point {name} reached, killing the process\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
