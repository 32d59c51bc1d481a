"""The register in force for an operator: the one place every slice asks.

The version in force is the one published last (``RegisterRepository.latest``);
it is read inside the caller's unit of work, so a use case sees the register of
its own transaction. Parsing and validating a register costs far more than the
request that needs it, and a stored version never changes, so parsed versions
are kept in one cache bounded to :data:`CACHED_VERSIONS` entries, keyed by the
operator and the SHA-256 of the version's text (least recently used first out).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from derbes.errors import NotFoundError
from derbes.register.adapters.yaml import LoadedRegister, parse_register
from derbes.register.ports import StoredRegister
from derbes.uow import UnitOfWork

__all__ = ["CACHED_VERSIONS", "find_in_force", "in_force_in", "parsed"]

# Several operators, each with a version or two in flight around a publication.
CACHED_VERSIONS = 64

_PARSED: OrderedDict[tuple[str, str], LoadedRegister] = OrderedDict()
_LOCK = threading.Lock()


def parsed(stored: StoredRegister) -> LoadedRegister:
    """A stored register version, parsed (once per process while it stays cached)."""
    key = (stored.operator_id, stored.sha256)
    with _LOCK:
        loaded = _PARSED.get(key)
        if loaded is not None:
            _PARSED.move_to_end(key)
            return loaded
    loaded = parse_register(stored.source_text, f"{stored.operator_id}@{stored.sha256[:12]}")
    with _LOCK:
        loaded = _PARSED.setdefault(key, loaded)
        _PARSED.move_to_end(key)
        while len(_PARSED) > CACHED_VERSIONS:
            _PARSED.popitem(last=False)
    return loaded


def find_in_force(uow: UnitOfWork, operator_id: str) -> LoadedRegister | None:
    """Inside an open unit of work: the operator's register in force, or None."""
    stored = uow.registers.latest(operator_id)
    return None if stored is None else parsed(stored)


def in_force_in(uow: UnitOfWork, operator_id: str) -> LoadedRegister:
    """Inside an open unit of work: the operator's register in force."""
    loaded = find_in_force(uow, operator_id)
    if loaded is None:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    return loaded
