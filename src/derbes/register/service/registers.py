"""Use cases for processing registers: publish a version, find the one in force."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from derbes.platform.clock import Clock
from derbes.register.model.loaded import LoadedRegister
from derbes.register.ports import RegisterReader, StoredRegister
from derbes.register.service.in_force import in_force_in
from derbes.register.service.policy_change import Published, publish_in
from derbes.uow import UnitOfWork


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


def publish_directory(uow: UnitOfWork, directory: Path, clock: Clock,
                      reader: RegisterReader) -> list[Published]:
    """Load every register of ``directory`` (all must be valid), then store them."""
    loaded = [reader.load(path) for path in reader.files(directory)]
    return publish(uow, loaded, clock)


def in_force(uow: UnitOfWork, operator_id: str) -> LoadedRegister:
    """The register version in force for an operator (the one published last)."""
    with uow:
        return in_force_in(uow, operator_id)


def published(uow: UnitOfWork) -> list[StoredRegister]:
    """The version in force of every operator."""
    with uow:
        rows = uow.registers.list()
    latest: dict[str, StoredRegister] = {}
    for row in rows:
        latest[row.operator_id] = row  # list() is in load order per operator
    return list(latest.values())
