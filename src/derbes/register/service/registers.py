"""Use cases for processing registers: publish a version, find the one in force."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from derbes.errors import NotFoundError
from derbes.platform.clock import Clock
from derbes.register.adapters.store import StoredRegister
from derbes.register.adapters.yaml import LoadedRegister, load_register, parse_register
from derbes.register.service.policy_change import Published, publish_in
from derbes.uow import UnitOfWork


def register_files(directory: Path) -> list[Path]:
    """The register files of a directory, in a stable order."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def publish(uow: UnitOfWork, loaded: Iterable[LoadedRegister], clock: Clock) -> list[Published]:
    """Store register versions in one transaction; the text in force is not stored twice.

    Every version goes through the policy-change check: a version that widens
    processing marks the consents it touches as needing re-consent, in the same
    transaction (silence is not consent, Law 94-V Art. 8).
    """
    with uow:
        changes = [publish_in(uow, item, clock) for item in loaded]
        uow.commit()
    return [change.published for change in changes]


def publish_directory(uow: UnitOfWork, directory: Path, clock: Clock) -> list[Published]:
    """Load every register of ``directory`` (all must be valid), then store them."""
    loaded = [load_register(path) for path in register_files(directory)]
    return publish(uow, loaded, clock)


# Parsed registers by the SHA-256 of their text: a stored version never changes, and
# parsing and validating a register costs far more than the request that needs it.
_PARSED: dict[str, LoadedRegister] = {}
_PARSED_LOCK = threading.Lock()
_MAX_PARSED = 64


def parsed(stored: StoredRegister) -> LoadedRegister:
    """A stored register version, parsed (once per process and text)."""
    with _PARSED_LOCK:
        loaded = _PARSED.get(stored.sha256)
    if loaded is None:
        loaded = parse_register(stored.source_text,
                                f"{stored.operator_id}@{stored.sha256[:12]}")
        with _PARSED_LOCK:
            if len(_PARSED) >= _MAX_PARSED:
                _PARSED.clear()
            loaded = _PARSED.setdefault(stored.sha256, loaded)
    return loaded


def in_force(uow: UnitOfWork, operator_id: str) -> LoadedRegister:
    """The register version in force for an operator (the one published last)."""
    with uow:
        stored = uow.registers.latest(operator_id)
    if stored is None:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    return parsed(stored)


def published(uow: UnitOfWork) -> list[StoredRegister]:
    """The version in force of every operator."""
    with uow:
        rows = uow.registers.list()
    latest: dict[str, StoredRegister] = {}
    for row in rows:
        latest[row.operator_id] = row  # list() is in load order per operator
    return list(latest.values())
