"""Keep the state seals current: recompute and store the seals of changed subjects.

The unit of work calls :func:`reseal` at commit for every subject the
transaction touched, so the state the decision point reads is always sealed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from derbes.integrity.model.state_seal import Snapshot, components, mac
from derbes.integrity.ports import SEAL_PAGE, SealRepository

__all__ = ["reseal"]


def reseal(repo: SealRepository, key: bytes, subject_ids: Sequence[str],
           fresh: Mapping[str, str] | None = None) -> int:
    """Recompute and store the seals of these subjects; the number sealed.

    ``fresh``: subjects created in this transaction and touched by nothing else
    (id → operator), sealed from what is known without reading them back.
    """
    sealed = 0
    if fresh:
        new = [Snapshot(sid, operator_id)
               for sid, operator_id in sorted(fresh.items())]
        for start in range(0, len(new), SEAL_PAGE):
            repo.put([(s.subject_id, mac(key, s), components(s))
                      for s in new[start:start + SEAL_PAGE]])
        sealed += len(new)
    for start in range(0, len(subject_ids), SEAL_PAGE):
        chunk = subject_ids[start:start + SEAL_PAGE]
        repo.lock(chunk)
        found = repo.snapshots(chunk)
        repo.put([(sid, mac(key, state), components(state)) for sid, state in found.items()])
        gone = [sid for sid in chunk if sid not in found]
        if gone:
            repo.delete(gone)
        sealed += len(found)
    return sealed
